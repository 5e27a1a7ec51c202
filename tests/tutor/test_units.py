"""The unit-conversion check on model-built scaffolds (tutor.planning.units), on the MathDial problem whose three
scaffolds of the bundled model all agreed on a wrong answer (a length in yards used as feet) and on the kinds
of problems it must leave alone."""

from __future__ import annotations

import json

import pytest

from tutor.errors import InputDataError
from tutor.models.scripted import ScriptedChatModel
from tutor.planning.scaffold import build_scaffold
from tutor.planning.units import missing_conversions, needed_conversions

# MathDial dev.jsonl, qid 6000072 (gold 98); the bundled model's three scaffolds all answered 246 = 2 * (3 + 120).
BEDROOM = (
    "The area of Billie's rectangular bedroom is 360 square feet. If the length of his room is 3 yards, what is "
    "the perimeter of the room in feet?"
)
PENCILS = "Pencils cost 40 cents each. Mia buys 7 pencils and pays with a $5 bill. How much change does she get?"


def test_yards_used_as_feet_are_caught_and_a_converted_scaffold_passes():
    assert needed_conversions(BEDROOM) == [("foot", "yard", 3.0)]
    wrong = missing_conversions(BEDROOM, [("print(360 / 3)", 120), ("print(2 * (3 + 120))", 246)])
    assert wrong == ["yards to feet (x 3)"]  # the 3 of "3 yards" is not taken for the factor
    right = [("print(3 * 3)", 9), ("print(360 / 9)", 40), ("print(2 * (9 + 40))", 98)]
    assert missing_conversions(BEDROOM, right) == []
    assert missing_conversions(BEDROOM, [("yards = 3\nprint(yards * 3)", 9), ("print(2 * (9 + 360 / 9))", 98)]) == []


def test_a_conversion_the_answer_does_not_use_does_not_count():
    # The bundled model's second scaffold of this problem in bench/bench_pasted.py, as recorded: it converts,
    # then computes the perimeter from the 3 yards as if they were feet.
    recorded = [("print(3 * 3)", 9.0), ("print(360 / 3)", 120.0), ("print(2 * (3 + 360 / 3))", 246.0)]
    assert missing_conversions(BEDROOM, recorded) == ["yards to feet (x 3)"]
    # Used through an earlier step's value, it counts.
    assert (
        missing_conversions(BEDROOM, [("print(3 * 3)", 9), ("print(360 / 9)", 40), ("print(2 * (3 * 3 + 40))", 98)])
        == []
    )


@pytest.mark.parametrize(
    ("steps", "missing"),
    [
        ([("print(7 * 0.40)", 2.8), ("print(5 - 7 * 0.40)", 2.2)], []),  # cents as a decimal of a dollar
        ([("print(7 * 40)", 280), ("print(500 - 280)", 220)], []),  # dollars as cents
        ([("print(7 * 40)", 280), ("print(5 - 280)", -275)], ["dollars to cents (x 100)"]),
    ],
)
def test_money_in_cents_and_dollars(steps, missing):
    assert missing_conversions(PENCILS, steps) == missing


@pytest.mark.parametrize(
    "statement",
    [
        "On the second day she read 30 pages in 45 minutes. How many minutes did she read in all?",  # an ordinal
        "A rug covers 12 square feet of a floor that is 10 feet wide. How long is the floor in feet?",  # one unit
        "She works 8 hours a day for 5 days. How many hours does she work?",  # a rate, not a conversion
    ],
)
def test_problems_without_a_conversion_need_none(statement):
    assert needed_conversions(statement) == []


def test_minutes_at_a_speed_per_hour():
    text = "He runs for 30 minutes at 6 miles per hour. How far does he run?"
    assert missing_conversions(text, [("print(6 * 30 / 60)", 3)]) == []
    assert missing_conversions(text, [("print(6 * 0.5)", 3)]) == []
    assert missing_conversions(text, [("print(6 * 30)", 180)]) == ["hours to minutes (x 60)"]


def _bedroom_draft(*programs: str) -> str:
    steps = [{"question": f"Step {i}?", "python": p, "unit": "feet"} for i, p in enumerate(programs, 1)]
    return json.dumps({"title": "Bedroom", "steps": steps})


def test_a_scaffold_that_never_converts_is_refused_even_when_all_agree(sandbox):
    model = ScriptedChatModel(replies=[_bedroom_draft("print(360 / 3)", "print(2 * (3 + 120))")] * 3)
    with pytest.raises(InputDataError) as caught:
        build_scaffold(BEDROOM, model, sandbox)
    assert "cannot verify" in caught.value.message and "bank" in (caught.value.hint or "")
    assert "never convert yards to feet" in caught.value.message
    converted = ScriptedChatModel(replies=[_bedroom_draft("print(3 * 3)", "print(360 / 9)", "print(2 * (9 + 40))")])
    assert build_scaffold(BEDROOM, converted, sandbox, k=1).final_answer.value == 98
