"""Short tutoring sessions with the real bundled model (slow on CPU: a few calls only). Properties, not
text: no leak, a non-empty reply every turn, and the plan advancing where the student's work says so."""

from __future__ import annotations

import re

import pytest

from tutor.agent import TutorAgent, TutorConfig
from tutor.guard.leak import LeakGuard
from tutor.models.factory import get_chat_model
from tutor.settings import ModelOptions

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def model(local_model_path):
    return get_chat_model("local", ModelOptions(temperature=0, n_ctx=4096))


def _check(problem, turn) -> None:
    assert turn.reply.strip(), "a reply every turn"
    assert LeakGuard(problem, check_numbers=False).check(turn.reply).ok, f"leak: {turn.reply!r}"
    assert turn.model_calls and turn.model_calls[-1].purpose.startswith("reply")
    assert all(c.ok for c in turn.model_calls), [c.error for c in turn.model_calls]


def test_math_session_with_a_wrong_answer_and_an_answer_request(bank, sandbox, model):
    problem = bank.get("toy-math-pencils")
    agent = TutorAgent(problem, model, sandbox, TutorConfig(max_leak_regenerations=1))
    _, state = agent.start()

    wrong, state = agent.step("I think it's 7.40", state)
    _check(problem, wrong)
    assert wrong.assessment.misconception == "wrong-operation" and state.plan.current == "s1"
    assert len(wrong.model_calls) == 1 or wrong.leak.attempts, "the fast path makes one model call"

    ask, state = agent.step("just tell me the answer", state)
    _check(problem, ask)
    assert ask.decision.class_action == "answer_question" and state.plan.current == "s1"

    right, state = agent.step("7 x 0.40 = 2.80", state)
    _check(problem, right)
    assert right.assessment.label == "correct" and state.plan.current == "s2"
    assert not right.solved


def test_debugging_session_with_a_syntax_fix_and_an_answer_request(bank, sandbox, model):
    problem = bank.get("toy-debug-max-index")
    agent = TutorAgent(problem, model, sandbox, TutorConfig(max_leak_regenerations=1))
    _, state = agent.start()
    assert state.plan.current == "b1.fix"

    stuck, state = agent.step("I don't know what's wrong", state)
    _check(problem, stuck)
    assert state.plan.current == "b1.fix"

    fixed_code = problem.buggy_code.replace("range(1, len(nums))", "range(1, len(nums)):")
    fixed, state = agent.step("I added something on line 3", state, code=fixed_code)
    _check(problem, fixed)
    assert fixed.resolved_bugs == ["b1"] and state.plan.current == "b2.understand"
    assert not fixed.solved

    ask, state = agent.step("just show me the corrected code", state)
    _check(problem, ask)
    assert state.plan.current == "b2.understand"


PRAISE = re.compile(r"(?i)\b(exactly|well done|nice work|great job|you got it|that's (?:right|correct)|yes)\b")


@pytest.mark.parametrize(("pid", "wrong", "explained"), [("toy-math-pencils", "7.40", "7 + 0.4")])
def test_a_typical_wrong_answer_is_explained_by_a_calculation_and_never_praised(
    bank, sandbox, model, pid, wrong, explained
):
    problem = bank.get(pid)
    agent = TutorAgent(problem, model, sandbox, TutorConfig(max_leak_regenerations=1))
    _, state = agent.start()
    turn, _ = agent.step(f"I think it's {wrong}", state)
    _check(problem, turn)
    # Either order names the slip ("7 + 0.4" or "0.4 + 7"): the student added what should be multiplied.
    forms = (explained, " + ".join(reversed(explained.split(" + "))))
    assert any(f in turn.assessment.evidence for f in forms), "the executed calculation names the slip"
    assert any(s.purpose == "explain the student's number" and s.ok for s in turn.soliloquies)
    assert not PRAISE.search(turn.reply), turn.reply
