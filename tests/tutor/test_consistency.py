"""The consistency check on real replies of the bundled model (tests/fixtures/replies: bundled.jsonl and
heldout.jsonl recorded by scripts/record_replies.py, code_replies.jsonl by scripts/record_code_replies.py):
each rule rejects replies that do what it names and passes replies that do not, picked by id, and the
check agrees with the hand labels of the 77 labelled replies. The rules were written after reading these
replies, so the agreement is the check's fit, not its accuracy on new replies (the bench measures that with
the independent audit)."""

from __future__ import annotations

import json
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tutor.guard.consistency import ConsistencyCheck, TurnFacts, unreached_steps
from tutor.problems.bank import ProblemBank
from tutor.sandbox import Sandbox

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "replies"


@cache
def _bank() -> ProblemBank:
    return ProblemBank.load()


@cache
def _rows() -> dict[str, tuple[dict[str, Any], tuple[str, ...]]]:
    """Each recorded reply by id, with the student's earlier messages in its session."""
    out: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {}
    earlier: dict[str, list[str]] = defaultdict(list)
    for name in ("bundled.jsonl", "heldout.jsonl", "code_replies.jsonl"):
        for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            session = row.get("session", row["id"])
            out[row["id"]] = (row, tuple(earlier[session]))
            earlier[session].append(row["student_message"])
    return out


def _check(reply_id: str, sandbox: Sandbox) -> tuple[str, ...]:
    row, before = _rows()[reply_id]
    problem = _bank().get(row["problem_id"])
    turn = row.get("turn", row)
    label = turn["assessment"]["label"]
    move_text = turn["decision"]["move_text"] if "decision" in turn else row["move_text"]
    said = (*before, row["student_message"], row.get("code", ""))
    facts = TurnFacts(
        label=label,
        praise_allowed=label == "correct" or bool(turn.get("solved")),
        student_message=row["student_message"],
        sources=(*said, move_text),
        unreached=unreached_steps(problem, said),
        student_code=row.get("code", ""),
    )
    return ConsistencyCheck(problem, facts, sandbox).check(row["reply"]).reasons


@pytest.mark.parametrize(
    ("reply_id", "reason"),
    [
        ("toy-math-school-trip#6", "says 'Yes' although"),  # "Yes, exactly right, nice work!" to 0.35
        ("math-010-egg-cartons#2", "says 'Yes' although"),  # the same to "I don't know"
        ("toy-debug-average#4", "says 'You're right' although"),  # to "just show me the fixed code"
        ("physics-012-kettle-energy#2", "answers a yes/no question about the answer"),  # "Yes" to "more than 100?"
        ("toy-physics-car-distance#3", "answers its own question"),  # "... is 72. What is the car's speed ...?"
        ("toy-physics-car-distance#8", "answers its own question"),  # "travels 1080 metres ... How far ...?"
        ("math-005-pizza-slices#2", "the answer of step s1"),  # "There are 48 slices in total."
        ("math-022-party-punch-ratio#6", "the answer of step"),  # "24 ÷ 8 = 3 cups per part"
        ("physics-001-cycle-to-work#4", "mentions 'party'"),  # the few-shot example copied, on a right answer
        ("toy-math-pencils#3", "talks about program lines in a word problem"),  # "What does line 4 do ...?"
        ("toy-debug-average#2", "names 'calculate_average'"),
        (
            "toy-debug-max-index#3",
            "quotes code the student's program does not contain",
        ),  # `best = nums[0]`  # a function the program does not have
        ("toy-debug-max-index#4", "names 'find_max_index'"),  # a "fixed" program under another name
        ("toy-math-pencils#code3", "talks about program lines"),  # "The line of code that is wrong is ..."
        ("math-002-bake-sale-change#code0", "computes the answer of step"),  # the code runs
    ],
)
def test_each_rule_rejects_the_replies_that_break_it(sandbox, reply_id, reason):
    reasons = _check(reply_id, sandbox)
    assert any(reason in r for r in reasons), reasons


@pytest.mark.parametrize(
    "reply_id",
    [
        "toy-math-pencils#1",  # "Good try, but let's test that idea. ... could seven pencils really cost only $7.40?"
        "toy-math-pencils#4",  # "Yes, exactly right, nice work!" to the right answer
        "toy-math-pencils#7",  # a redirect on an answer request
        "toy-physics-car-distance#4",  # a right answer restated, then the next step's question
        "physics-003-dropped-phone#6",  # a question about the student's wrong idea
        "math-002-bake-sale-change#6",  # "The juice costs $1.40, not $0.14": a given, and the student's slip
        "toy-debug-average#1",  # a test of the program, by name
        "toy-debug-max-index#6",  # tests quoted by name after a fix
        "debug-011-party-guests#4",  # "Read line 1 again"
    ],
)
def test_replies_that_keep_to_the_facts_pass(sandbox, reply_id):
    assert _check(reply_id, sandbox) == ()


def test_the_check_agrees_with_the_hand_labels(sandbox):
    labels = json.loads((FIXTURES / "hand_labels.json").read_text(encoding="utf-8"))
    disagreements = []
    for part in ("bundled", "heldout"):
        for reply_id, label in labels[part].items():
            rejected = bool(_check(reply_id, sandbox))
            if rejected != bool(label["rules"]):
                disagreements.append((reply_id, label["rules"]))
    assert len(labels["bundled"]) + len(labels["heldout"]) == 77
    assert disagreements == []


def test_code_that_computes_an_unreached_step_is_named_by_the_step(bank, sandbox):
    problem = bank.get("toy-math-pencils")
    facts = TurnFacts(label="question", praise_allowed=False, unreached=unreached_steps(problem, []))
    check = ConsistencyCheck(problem, facts, sandbox)
    # Nothing printed equals the answer: the step answer is only computed, into a variable.
    reply = "Try this:\n```python\ncost = 7 * 0.40\nprint('done')\n```\nWhat does it show?"
    assert any("answer of step s1 (2.8)" in r for r in check.check(reply).reasons)
    reached = ConsistencyCheck(problem, TurnFacts(label="correct", praise_allowed=True, unreached=()), sandbox)
    assert any("writes code in a word problem" in r for r in reached.check(reply).reasons)


def test_a_yes_to_a_size_question_is_rejected_even_after_a_right_answer(bank, sandbox):
    problem = bank.get("toy-math-pencils")
    facts = TurnFacts(label="correct", praise_allowed=True, student_message="2.80, and is the change more than 2?")
    reasons = ConsistencyCheck(problem, facts, sandbox).check("Yes, it is. What is the change?").reasons
    assert any("yes/no question about the answer" in r for r in reasons)


# Replies of the bundled model recorded by bench/bench_replies.py (guided composition, typical-answer session).
ROAD_TRIP_SAID = ("1.25 h", "I don't know", "just tell me the answer", "I got 0.5 h")


def _road_trip(message: str, said: tuple[str, ...], label: str, sandbox: Sandbox) -> ConsistencyCheck:
    problem = _bank().get("physics-004-family-road-trip")
    facts = TurnFacts(
        label=label,
        praise_allowed=label == "correct",
        student_message=message,
        sources=said,
        unreached=unreached_steps(problem, said),
    )
    return ConsistencyCheck(problem, facts, sandbox)


def test_a_number_nobody_gave_is_rejected_and_the_givens_pass(sandbox):
    check = _road_trip("I got 0.5 h", ROAD_TRIP_SAID, "correct", sandbox)
    wrong = "Exactly right, good thinking. The average speed for the whole trip is 10 km/h."
    assert any("states '10 km/h'" in r for r in check.check(wrong).reasons)
    fine = (
        "Good try, but that's not it yet. At 120 km/h, could they cover 150 km in less than one hour? "
        "Which number should you divide by which?"
    )
    assert _road_trip("2 h", ("2 h",), "incorrect", sandbox).check(fine).reasons == ()
    computed = ConsistencyCheck(check.problem, TurnFacts(label="incorrect", praise_allowed=False, computed=(10.0,)))
    assert not computed.numbers("Your 10 comes from the 30 km and the 60 km/h.")  # 10: from the tutor's own run
    assert computed.numbers("Your 10 is what you get when you divide 30 by 3.")  # 3: from nowhere


def test_a_reply_that_repeats_the_students_message_back_is_rejected(sandbox):
    message = "what did you have for lunch?"
    check = _road_trip(message, (*ROAD_TRIP_SAID[:3], message), "off_topic", sandbox)
    assert any(
        "repeats the student's message" in r for r in check.check("Good question. What did you have for lunch?").reasons
    )
    assert (
        check.check("Let's get back to our problem. How long does the drive along the country lanes take?").reasons
        == ()
    )


def test_a_reply_that_says_the_same_sentence_twice_is_rejected(sandbox):
    check = _road_trip("I like pizza and football", ROAD_TRIP_SAID[:1], "off_topic", sandbox)
    twice = (
        "Let's come back to our problem now. I understand you have a different topic in mind. "
        "Let's come back to our problem now. How long does the drive along the country lanes take?"
    )  # recorded from the bundled model (a debugging problem's words changed to this one's)
    assert any("twice" in r for r in check.check(twice).reasons)
