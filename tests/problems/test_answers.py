from __future__ import annotations

import pytest

from tutor.problems.answers import (
    Verdict,
    check_numeric,
    check_step,
    check_text,
    matches_wrong_answer,
    mentions_answer,
)
from tutor.problems.bank import toy_bank
from tutor.problems.schema import NumericAnswer, TextAnswer, WrongAnswer

DOLLARS = NumericAnswer(value=2.8, unit="dollars")
WRONG_DOLLARS = [WrongAnswer(value=3.2, misconception="wrong-operation", description="d", feedback="f")]
SPEED = NumericAnswer(value=20, unit="m/s", tolerance=0.01, convert_units=True)
SPEED_STRICT = NumericAnswer(value=20, unit="m/s", tolerance=0.01)
NO_CONVERSION = [WrongAnswer(value=72, misconception="unit-conversion", description="d", feedback="f")]


def verdict(text: str, answer: NumericAnswer = DOLLARS, **kw) -> Verdict:
    return check_numeric(text, answer, WRONG_DOLLARS, **kw).verdict


@pytest.mark.parametrize(
    "text",
    [
        "2.8",
        "2.80",
        "$2.80",
        "14/5",
        "2.8 dollars",
        "2 4/5",
        "I think it's 2.8 dollars",
        "two dollars eighty",
        "two dollars and eighty cents",
        "2 dollars 80",
        "280 cents",
        "It costs 2.8.",
        "The answer is 2.8 because 3.2 - 0.4 = 2.8",
        "7 x 0.4 = 2.8",
        "3.2, no wait, 2.8",
        "  2.8  ",
        "two point eight",
    ],
)
def test_equivalent_forms_of_the_answer_are_correct(text):
    assert verdict(text) is Verdict.CORRECT


@pytest.mark.parametrize("text", ["2.81", "2.79", "2.7", "28", "0.28", "3"])
def test_near_misses_outside_tolerance_are_incorrect(text):
    assert verdict(text) is Verdict.INCORRECT


def test_tolerance_is_absolute_and_inclusive():
    loose = NumericAnswer(value=3, tolerance=0.05)
    assert check_numeric("3.05", loose).verdict is Verdict.CORRECT
    assert check_numeric("3.06", loose).verdict is Verdict.INCORRECT


@pytest.mark.parametrize("text", ["", "I don't know", "no idea", "something like a lot"])
def test_no_number_is_unparseable(text):
    assert verdict(text) is Verdict.UNPARSEABLE


@pytest.mark.parametrize("text", ["is it 2.8? 3.2?", "2.8 or 3.2", "maybe 2.8, maybe 3.2"])
def test_hedging_between_numbers_is_unparseable_with_candidates(text):
    result = check_numeric(text, DOLLARS)
    assert result.verdict is Verdict.UNPARSEABLE
    assert result.candidates == pytest.approx((2.8, 3.2))


def test_unmarked_distinct_numbers_are_ambiguous():
    assert verdict("7 0.4 2.8") is Verdict.UNPARSEABLE


def test_the_number_after_a_result_word_is_the_answer():
    assert verdict("7 pencils at 0.4 each makes 3.2") is Verdict.INCORRECT
    assert verdict("134 divided by 40 is 3.35, so 2.8") is Verdict.CORRECT


def test_answer_is_beats_later_working():
    result = check_numeric("My answer is 3.2 since 0.4 x 7 = 2.8", DOLLARS)
    assert result.value == pytest.approx(3.2)


def test_self_correction_takes_the_later_number():
    assert verdict("2.8, sorry I mean 3.2") is Verdict.INCORRECT
    assert verdict("3.2 actually 2.8") is Verdict.CORRECT


def test_given_quantities_are_not_taken_as_the_answer():
    answer = NumericAnswer(value=4, unit="buses")
    text = "134 students and 40 seats: 4 buses"
    assert check_numeric(text, answer).verdict is Verdict.UNPARSEABLE
    assert check_numeric(text, answer, context_numbers=[134, 40]).verdict is Verdict.CORRECT


def test_all_agreeing_numbers_are_one_answer():
    assert check_numeric("20 m/s, that is 72 km/h", SPEED).verdict is Verdict.CORRECT


def test_wrong_answer_is_recognised_with_its_misconception():
    result = check_numeric("I got 3.2", DOLLARS, WRONG_DOLLARS)
    assert result.verdict is Verdict.INCORRECT
    assert result.misconception == "wrong-operation"
    assert check_numeric("3.3", DOLLARS, WRONG_DOLLARS).wrong_answer is None


@pytest.mark.parametrize(
    "text", ["72 km/h", "72 kilometers per hour", "20 m/s", "20", "20 meters per second", "0.02 km/s"]
)
def test_compatible_units_are_converted_when_allowed(text):
    assert check_numeric(text, SPEED).verdict is Verdict.CORRECT


def test_other_units_are_rejected_when_conversion_is_not_allowed():
    result = check_numeric("72 km/h", SPEED_STRICT)
    assert result.verdict is Verdict.INCORRECT
    assert "m/s" in result.reason
    assert check_numeric("20 meters per second", SPEED_STRICT).verdict is Verdict.CORRECT


@pytest.mark.parametrize("text", ["20 kg", "20 s", "20 dollars"])
def test_incompatible_units_are_incorrect(text):
    for answer in (SPEED, SPEED_STRICT):
        assert check_numeric(text, answer).verdict is Verdict.INCORRECT


def test_unconverted_value_is_recognised_as_unit_conversion_misconception():
    result = check_numeric("72", SPEED_STRICT, NO_CONVERSION)
    assert result.misconception == "unit-conversion"


def test_wrong_answer_with_its_own_unit_matches_in_that_unit():
    wrong = [WrongAnswer(value=72, unit="m/s", misconception="unit-conversion", description="d", feedback="f")]
    assert check_numeric("72 m/s", SPEED_STRICT, wrong).misconception == "unit-conversion"
    assert matches_wrong_answer(72, None, SPEED_STRICT, wrong) is wrong[0]
    assert matches_wrong_answer(72, "kg", SPEED_STRICT, wrong) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12%", True), ("12 percent", True), ("twelve percent", True), ("12", True), ("0.12", False)],
)
def test_percent_answer(text, expected):
    assert check_numeric(text, NumericAnswer(value=12, unit="%")).is_correct is expected


@pytest.mark.parametrize(("text", "expected"), [("12%", True), ("0.12", True), ("12", False)])
def test_percent_form_of_a_plain_fraction(text, expected):
    assert check_numeric(text, NumericAnswer(value=0.12)).is_correct is expected


def test_thousands_separator_and_number_words():
    answer = NumericAnswer(value=1250)
    assert check_numeric("1,250", answer).is_correct
    assert check_numeric("one thousand two hundred and fifty", answer).is_correct
    assert check_numeric("twelve", NumericAnswer(value=12)).is_correct
    assert check_numeric("three and a half", NumericAnswer(value=3.5)).is_correct


def test_label_units_are_words_not_pint_units():
    answer = NumericAnswer(value=4, unit="buses")
    assert check_numeric("four buses", answer).is_correct
    assert check_numeric("4 kg", answer).verdict is Verdict.INCORRECT


def test_unit_free_answer_ignores_the_students_unit():
    assert check_numeric("8 apples", NumericAnswer(value=8)).is_correct


def test_result_reports_value_unit_and_converted_value():
    result = check_numeric("It goes 72 km/h", SPEED)
    assert (result.value, result.unit) == (72, "km/h")
    assert result.value_in_answer_unit == pytest.approx(20)


TEXT = TextAnswer(text="the bus is not full", accept=["not full", "it isn't full"])
TEXT_WRONG = [WrongAnswer(text="full", misconception="misread-remainder", description="d", feedback="f")]


@pytest.mark.parametrize(
    "text", ["The bus is not full.", "not full!", "It isn't full", "NOT FULL", "I think the bus isn't full"]
)
def test_text_answer_matches_after_normalising(text):
    assert check_text(text, TEXT, TEXT_WRONG).verdict is Verdict.CORRECT


def test_text_wrong_answer_is_recognised():
    result = check_text("Full", TEXT, TEXT_WRONG)
    assert result.verdict is Verdict.INCORRECT and result.misconception == "misread-remainder"


def test_short_phrasings_only_match_whole_answers():
    short = TextAnswer(text="no")
    assert check_text("no", short).is_correct
    assert not check_text("no idea why", short).is_correct


def test_text_that_matches_nothing_is_incorrect():
    assert check_text("the driver is late", TEXT, TEXT_WRONG).verdict is Verdict.INCORRECT
    assert check_text("   ", TEXT).verdict is Verdict.UNPARSEABLE


def test_mentions_answer_finds_every_form_the_leak_guard_must_catch():
    text = "Well done: two dollars eighty, or 14/5, or $2.80 - not 3.2."
    found = mentions_answer(text, DOLLARS)
    assert [m.text for m in found] == ["two dollars eighty", "14/5", "$2.80"]
    assert [m.text for m in mentions_answer("That is 72 km/h.", SPEED_STRICT)] == ["72 km/h"]
    assert mentions_answer("Start from 7 pencils.", DOLLARS) == []


def test_check_step_uses_the_steps_answer_and_wrong_answers():
    step = toy_bank().get("toy-math-school-trip").steps[0]
    assert check_step("3.35 buses", step).misconception == "decimal-count-of-objects"
    assert check_step("three", step).is_correct
