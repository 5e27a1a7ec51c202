"""The tutor's debugging turns give the validated ladder's hints, with the real bundled model.

The ladder is the one the bundled model wrote and a bundled-model student validated
(`bench/results/hint_ladders_real.json`, made by `socratic hints generate --problems toy-debug-average ...`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.agent import TutorAgent, TutorConfig
from tutor.guard.leak import LeakGuard
from tutor.models.factory import get_chat_model
from tutor.problems.bank import with_ladders
from tutor.problems.ladders import merged_ladders
from tutor.settings import ModelOptions

pytestmark = pytest.mark.model
LADDERS = Path(__file__).resolve().parents[2] / "bench" / "results" / "hint_ladders_real.json"


@pytest.fixture(scope="module")
def model(local_model_path):
    return get_chat_model("local", ModelOptions(temperature=0, n_ctx=4096))


def test_a_debugging_session_gives_the_validated_hints_and_records_their_figures(bank, sandbox, model):
    ladders = merged_ladders([LADDERS])["toy-debug-average"]
    problem = with_ladders(bank.get("toy-debug-average"), ladders)
    validated = {h.text: h for h in problem.bugs[0].hint_ladder}
    assert validated, "the real run accepted at least one hint for this bug"
    agent = TutorAgent(problem, model, sandbox, TutorConfig(max_leak_regenerations=1))
    opening, state = agent.start()
    first = problem.bugs[0].hint_ladder[0]
    assert first.level != "pointer" or first.text in opening  # the opening asks the ladder's first rung
    # A question keeps the student on the ladder's first rung: the tutor gives it again, in its own words.
    turn, state = agent.step("what should I look at?", state)
    assert turn.reply.strip() and LeakGuard(problem, check_numbers=False).check(turn.reply).ok
    hint = turn.decision.hint
    assert hint is not None and hint.text in turn.decision.move_text
    assert hint.source == "validated", hint.model_dump()
    stored = validated[hint.text]
    assert (hint.n1, hint.n2, hint.attempts, hint.student_model) == (
        stored.n1,
        stored.n2,
        stored.attempts,
        stored.student_model,
    )
