"""The leak guard: the final answer in any equivalent form, fixed code and fixes in words, numbers from
nowhere; and what it must let through."""

from __future__ import annotations

import pytest

from tests.tutor.conftest import math_problem, step
from tutor.guard.leak import LeakGuard

PENCIL_COST = math_problem(
    "Pencils cost $0.40 each. How much do 7 pencils cost?",
    [
        step("s1", "What does one pencil cost?", 0.4, "dollars"),
        step("s2", "How much do 7 pencils cost?", 2.8, "dollars"),
    ],
    {"value": 2.8, "unit": "dollars"},
    pid="t-pencil-cost",
)
SPEED = math_problem(
    "A runner covers 100 m in 5 s. What is her speed in m/s?",
    [
        step("s1", "How long does she run, in seconds?", 5, "s"),
        step("s2", "What is her speed in m/s?", 20, "m/s"),
    ],
    {"value": 20, "unit": "m/s", "tolerance": 0.01},
    domain="physics",
    pid="t-speed",
)
# The answer (4) is also a quantity the statement gives: "4 bags".
APPLES = math_problem(
    "Sam has 4 bags with 3 apples in each. He eats 8 apples. How many apples are left?",
    [step("s1", "How many apples does Sam have?", 12), step("s2", "How many are left after he eats 8?", 4)],
    {"value": 4},
    pid="t-apples",
)


@pytest.mark.parametrize(
    "reply",
    [
        "It costs two dollars eighty.",
        "That is 14/5 dollars.",
        "The total is $2.80.",
        "2.8",
        "So you pay 280 cents.",
        "Seven pencils come to 2 dollars and 80 cents.",
        "two point eight",
    ],
)
def test_final_answer_is_caught_in_every_equivalent_form(reply):
    check = LeakGuard(PENCIL_COST).check(reply)
    assert not check.ok
    assert any(r.startswith("states the final answer") for r in check.reasons)


@pytest.mark.parametrize(
    "reply",
    [
        "She gets $2.20 back.",
        "The change is two dollars and twenty cents.",
        "She gets two dollars twenty back.",
        "That leaves 11/5 dollars.",
        "2.2",
        "It's 220 cents.",
    ],
)
def test_pencils_change_is_caught(bank, reply):
    check = LeakGuard(bank.get("toy-math-pencils")).check(reply)
    assert any(r.startswith("states the final answer") for r in check.reasons), check


@pytest.mark.parametrize("reply", ["Her speed is 72 km/h.", "That is 20 m/s.", "She runs 1200 metres per minute."])
def test_the_answer_in_another_unit_is_the_answer(reply):
    assert not LeakGuard(SPEED).check(reply).ok


@pytest.mark.parametrize("reply", ["It travels 0.3 km.", "That is 30000 cm.", "three hundred metres", "300 m"])
def test_car_distance_in_any_length_unit(bank, reply):
    assert not LeakGuard(bank.get("toy-physics-car-distance")).check(reply).ok


@pytest.mark.parametrize("reply", ["four buses", "They need 4 buses.", "You need four."])
def test_number_words_state_the_answer(bank, reply):
    assert not LeakGuard(bank.get("toy-math-school-trip")).check(reply).ok


def test_statement_numbers_are_not_a_leak_when_not_presented_as_the_result():
    guard = LeakGuard(APPLES)
    assert guard.check("Sam has 4 bags. How many apples are in them?").ok
    assert guard.check("What do the 4 bags and the 3 apples in each tell you?").ok


@pytest.mark.parametrize("reply", ["So the answer is 4.", "That leaves 4 apples, so the result is 4.", "You get 4."])
def test_statement_numbers_presented_as_the_result_are_a_leak(reply):
    assert not LeakGuard(APPLES).check(reply).ok


def test_given_quantities_and_scaffold_numbers_pass(bank):
    guard = LeakGuard(bank.get("toy-math-pencils"))
    assert guard.check("Each pencil costs $0.40 and Mia pays with a $5 bill.").ok
    # Numbers from the hints are the scaffold's, not the tutor's arithmetic.
    assert guard.check("7 x 40 cents is 280 cents. How many dollars is that?").ok


def test_numbers_no_calculation_produced_are_flagged(bank):
    guard = LeakGuard(bank.get("toy-math-pencils"))
    check = guard.check("Is it 12? Or 13?")
    assert [r for r in check.reasons if "no calculation produced" in r] == [
        "states a number no calculation produced ('12')",
        "states a number no calculation produced ('13')",
    ]


def test_numbers_the_student_said_or_code_produced_may_be_repeated(bank):
    guard = LeakGuard(bank.get("toy-math-pencils"))
    assert guard.check("You said 12 - how did you get 12?", known_numbers=[12]).ok


def test_small_counting_numbers_are_not_calculations(bank):
    assert LeakGuard(bank.get("toy-math-pencils")).check("Let's do this in two steps.").ok


def test_number_check_can_be_switched_off(bank):
    assert LeakGuard(bank.get("toy-math-pencils"), check_numbers=False).check("Is it 12?").ok


def test_reveal_allowed_lets_everything_through(bank):
    assert LeakGuard(bank.get("toy-math-pencils"), allow_reveal=True).check("She gets $2.20 back.").ok


# -- debugging --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pid", "reply"),
    [
        ("toy-debug-average", "Change line 4 to `total += n`."),
        ("toy-debug-average", "Use total+=n there."),
        ("toy-debug-max-index", "Write best=i on line 5."),
        ("toy-debug-max-index", "It should read `for i in range(1, len(nums)):`"),
        ("toy-debug-count-vowels", "for ch in word.lower():"),
    ],
)
def test_fixed_code_lines_are_flagged_whatever_the_spacing(bank, pid, reply):
    check = LeakGuard(bank.get(pid)).check(reply)
    assert any(r.startswith("shows the fixed code") for r in check.reasons), check


def test_the_whole_fixed_program_is_flagged(bank):
    problem = bank.get("toy-debug-max-index")
    check = LeakGuard(problem).check(f"Here:\n```python\n{problem.fixed_code}```")
    assert "shows the fixed program" in check.reasons


def test_the_fix_said_in_words_is_flagged(bank):
    check = LeakGuard(bank.get("toy-debug-count-vowels")).check("You need to add a colon at the end of line 3.")
    assert check.reasons == ("states the fix of bug b1",)


@pytest.mark.parametrize(
    "reply",
    [
        "What does line 3 need at its end?",
        "Look at `for ch in word.lower()` on line 3.",
        "Which test fails first, and what does it expect?",
    ],
)
def test_questions_and_quotes_of_the_buggy_code_pass(bank, reply):
    assert LeakGuard(bank.get("toy-debug-count-vowels")).check(reply).ok


def test_a_similar_identifier_is_not_the_fixed_line(bank):
    assert LeakGuard(bank.get("toy-debug-max-index")).check("What is stored in best = index_of_max?").ok


def test_a_resolved_bug_is_no_secret_but_open_ones_still_are(bank):
    problem = bank.get("toy-debug-max-index")
    guard = LeakGuard(problem, resolved_bugs=frozenset({"b1"}))
    assert guard.check("Your line `for i in range(1, len(nums)):` works now.").ok
    assert not guard.check("Now write best = i on line 5.").ok
