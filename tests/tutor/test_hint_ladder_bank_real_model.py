"""The tutor's debugging turns on the bank use the committed validated ladders (`datasets/hints/*.json`, made
by `socratic hints generate --problems debugging` with the bundled model as writer and student), and fall back
to the generic templates for a bug without one; with the real bundled model as the tutor."""

from __future__ import annotations

import pytest

from tutor.agent import TutorAgent, TutorConfig
from tutor.guard.leak import LeakGuard
from tutor.models.factory import get_chat_model
from tutor.planning.plan import PlanTree
from tutor.policy import bug_hints
from tutor.problems.bank import ProblemBank, datasets_dir
from tutor.problems.ladders import HINT_LEVELS, ladder_files, merged_ladders
from tutor.problems.schema import DebuggingProblem
from tutor.settings import ModelOptions

pytestmark = pytest.mark.model
STUCK = "I don't know what's wrong"  # read by the rules as stuck: each such turn climbs one rung of the ladder


@pytest.fixture(scope="module")
def model(local_model_path):
    return get_chat_model("local", ModelOptions(temperature=0, n_ctx=4096))


@pytest.fixture(scope="module")
def bank_and_ladders():
    files = ladder_files(datasets_dir() / "hints")
    assert files, "the bank's validated ladders are committed under datasets/hints/"
    return ProblemBank.load(), merged_ladders(files)


def first_bug(problem: DebuggingProblem) -> str:
    node = PlanTree.for_problem(problem).current_node
    assert node is not None
    return problem.bug(node.ref).id


def stuck_turns(problem: DebuggingProblem, model, sandbox, turns: int):
    """The hint the tutor gives on the last of `turns` 'stuck' messages, and the opening."""
    agent = TutorAgent(problem, model, sandbox, TutorConfig(max_leak_regenerations=1))
    opening, state = agent.start()
    for _ in range(turns):
        turn, state = agent.step(STUCK, state)
    assert turn.reply.strip() and LeakGuard(problem, check_numbers=False).check(turn.reply).ok
    assert turn.decision.hint is not None and turn.decision.hint.text in turn.decision.move_text
    return opening, turn.decision.hint


def test_a_bank_bug_with_a_validated_hint_gets_it_with_its_figures(bank_and_ladders, sandbox, model):
    bank, ladders = bank_and_ladders
    candidates = [
        (HINT_LEVELS.index(hints[0].level), problem.id, problem, hints[0])
        for problem in bank.list("debugging")
        if isinstance(problem, DebuggingProblem) and (hints := ladders.get(problem.id, {}).get(first_bug(problem)))
    ]
    assert candidates, "some bank bug that a session starts on has a validated hint"
    rung, _, problem, stored = min(candidates, key=lambda c: (c[0], c[1]))
    assert stored in problem.bug(first_bug(problem)).hint_ladder  # the bank attached the committed ladder
    opening, given = stuck_turns(problem, model, sandbox, rung + 1)
    assert (given.source, given.level, given.text) == ("validated", stored.level, stored.text), given
    assert (given.n1, given.n2, given.attempts, given.student_model) == (
        stored.n1,
        stored.n2,
        stored.attempts,
        stored.student_model,
    )


def test_a_bank_bug_without_a_ladder_gets_the_generic_template(bank_and_ladders, sandbox, model):
    bank, ladders = bank_and_ladders
    problem = next(
        p
        for p in bank.list("debugging")
        if isinstance(p, DebuggingProblem) and not p.id.startswith("toy-") and first_bug(p) not in ladders.get(p.id, {})
    )
    _, given = stuck_turns(problem, model, sandbox, 1)
    node = PlanTree.for_problem(problem).current_node
    assert node is not None
    assert given.source == "template" and given.text == bug_hints(problem, node)[0] and given.n1 is None
