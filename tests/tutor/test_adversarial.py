"""Adversarial students: messages that try to extract the answer or the fix, against a model that tries
to leak it in every form, and through the scaffold path (a model that always fails). No leak, a kind
on-task reply that asks a question, and no exception, for odd input too."""

from __future__ import annotations

import itertools
import re

import pytest
import yaml

from tests.tutor.conftest import scripted
from tutor.errors import ModelBackendError
from tutor.guard.leak import LeakGuard
from tutor.policy import ANSWER_REQUEST
from tutor.problems.answers import mentions_answer
from tutor.problems.bank import datasets_dir, toy_bank

_MESSAGES = yaml.safe_load((datasets_dir() / "evals" / "adversarial_messages.yaml").read_text(encoding="utf-8"))
MATH_ATTACKS: list[str] = _MESSAGES["math"]
DEBUG_ATTACKS: list[str] = _MESSAGES["debugging"]
ODD_MESSAGES = [
    "",
    "   \n\t ",
    "x" * 20_000,
    "why " * 5_000,
    "No entiendo nada, ¿me puedes ayudar?",
    "لا أفهم السؤال، ساعدني",
    "我不明白这个问题",
    "🤔😭🙏🙏🙏",
    "\x00\xff\xfe\x01binary\x02\x03\x04\x05",
    "\ufffd\ufffd\ufffd\x1b[31m",
    "<script>alert(1)</script>",
    "'; DROP TABLE students; --",
]
assert len(MATH_ATTACKS) + len(DEBUG_ATTACKS) >= 20

PENCILS = toy_bank().get("toy-math-pencils")
MAX_INDEX = toy_bank().get("toy-debug-max-index")

MATH_LEAKS = [
    "Sure! The answer is $2.20.",
    "Okay, since your teacher allows it: she gets two dollars and twenty cents.",
    "My Python printed 2.2.",
    "Fine. 5 - 2.80 = 2.20, so the change is 2.20 dollars.",
    "Good question. It's 11/5 dollars.",
    "The change is 220 cents.",
    "I hear you. She gets two dollars twenty back.",
    'As AnswerBot: {"answer": 2.2}',
    "En español: son 2,20 dólares, es decir $2.20.",
    "Bien sûr ! La monnaie est de deux dollars vingt, so $2.2.",
]
DEBUG_LEAKS = [
    f"Here is the fixed code:\n```python\n{MAX_INDEX.fixed_code}```",
    "Change line 3 to `for i in range(1, len(nums)):` and line 5 to `best = i`.",
    "Just add a colon at the end of line 3.",
    "Type this: for i in range(1,len(nums)):",
    "Good idea. The tests pass once you write best=i.",
    "Diff:\n- best = nums[i]\n+ best = i",
]
UNKIND = re.compile(r"(?i)\b(stupid|idiot|dumb|shut up|lazy|cheat(ing|er)?)\b")


def _leaky(leaks: list[str]):
    """A model that tries to leak on every call, cycling through the forms."""
    forms = itertools.cycle(leaks)
    return scripted(
        {"reply": [next(forms) for _ in range(300)], "judge": [{"identifies_the_bug": False, "reason": "no"}]}
    )


def _broken():
    return scripted({"reply": [ModelBackendError("the model server is down")], "judge": [ModelBackendError("down")]})


def _assert_safe_and_on_task(problem, turn, state_before, state_after, message):
    reply = turn.reply
    assert reply.strip(), "always a reply"
    assert LeakGuard(problem).check(reply).ok, f"leak for {message!r}: {reply!r}"
    if hasattr(problem, "final_answer"):
        assert mentions_answer(reply, problem.final_answer) == []
    assert "?" in reply, "it keeps asking guiding questions"
    assert not UNKIND.search(reply)
    assert state_after.plan.current == state_before.plan.current, "asking for the answer is no progress"
    assert not turn.solved
    if ANSWER_REQUEST.search(message):
        assert turn.decision.class_action == "answer_question"
        assert "Kindly say you will not give it" in turn.decision.move_text


@pytest.mark.parametrize("message", MATH_ATTACKS)
def test_math_attacks_against_a_leaking_model(make_agent, message):
    agent = make_agent(PENCILS, _leaky(MATH_LEAKS))
    _, state = agent.start()
    turn, after = agent.step(message, state)
    _assert_safe_and_on_task(PENCILS, turn, state, after, message)
    assert turn.leak.attempts, "the model did try to leak"


@pytest.mark.parametrize("message", DEBUG_ATTACKS)
def test_debugging_attacks_against_a_leaking_model(make_agent, message):
    agent = make_agent(MAX_INDEX, _leaky(DEBUG_LEAKS))
    _, state = agent.start()
    turn, after = agent.step(message, state)
    _assert_safe_and_on_task(MAX_INDEX, turn, state, after, message)
    assert turn.leak.attempts


@pytest.mark.parametrize(
    ("problem", "message"), [(PENCILS, m) for m in MATH_ATTACKS] + [(MAX_INDEX, m) for m in DEBUG_ATTACKS]
)
def test_attacks_through_the_scaffold_path(make_agent, problem, message):
    agent = make_agent(problem, _broken())
    _, state = agent.start()
    turn, after = agent.step(message, state)
    _assert_safe_and_on_task(problem, turn, state, after, message)
    assert turn.leak.fallback_used


def test_a_persistent_attacker_over_a_whole_session_gets_nothing(make_agent):
    agent = make_agent(PENCILS, _leaky(MATH_LEAKS))
    _, state = agent.start()
    for message in MATH_ATTACKS:
        before = state
        turn, state = agent.step(message, state)
        _assert_safe_and_on_task(PENCILS, turn, before, state, message)
    assert all(LeakGuard(PENCILS).check(m.content).ok for m in state.history if m.role == "tutor")


@pytest.mark.parametrize("problem", [PENCILS, MAX_INDEX], ids=["math", "debugging"])
@pytest.mark.parametrize("message", ODD_MESSAGES, ids=[f"odd{i}" for i in range(len(ODD_MESSAGES))])
@pytest.mark.parametrize("model", ["leaky", "broken"])
def test_odd_messages_get_a_sensible_reply(make_agent, problem, message, model):
    leaks = MATH_LEAKS if problem is PENCILS else DEBUG_LEAKS
    agent = make_agent(problem, _leaky(leaks) if model == "leaky" else _broken())
    _, state = agent.start()
    turn, after = agent.step(message, state)
    assert turn.reply.strip() and "?" in turn.reply
    assert LeakGuard(problem).check(turn.reply).ok
    if any(ch.isdigit() for ch in message):  # "<script>alert(1)</script>" does state a number: a wrong one
        assert turn.assessment.label in ("unclear", "question", "off_topic", "incorrect")
    else:
        assert turn.assessment.label in ("unclear", "question", "off_topic")
    assert after.plan.current == state.plan.current
    assert after.turn_index == 1
