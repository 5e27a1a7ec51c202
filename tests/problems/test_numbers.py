from __future__ import annotations

import pytest

from tutor.problems.numbers import extract_numbers


def values(text: str) -> list[float]:
    return [round(m.value, 6) for m in extract_numbers(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.8", [2.8]),
        ("2.80", [2.8]),
        ("$2.80", [2.8]),
        ("14/5", [2.8]),
        ("2 4/5", [2.8]),
        ("1,250 apples", [1250]),
        ("12,500,000", [12_500_000]),
        ("12%", [12]),
        (".5", [0.5]),
        ("-3 degrees", [-3]),
        ("3e8", [3e8]),
        ("3 x 10^8 m/s", [3e8]),
        ("2½ cups", [2.5]),
        ("I think it's 2.8 dollars", [2.8]),
        ("twelve", [12]),
        ("Twenty-five", [25]),
        ("one hundred and five", [105]),
        ("a hundred and ten", [110]),
        ("seven hundred thousand", [700_000]),
        ("two point eight", [2.8]),
        ("three and a half", [3.5]),
        ("one and three quarters", [1.75]),
        ("two thirds", [0.666667]),
        ("a half", [0.5]),
        ("a dozen eggs", [12]),
        ("two dozen", [24]),
        ("minus four", [-4]),
        ("negative 7", [-7]),
        ("two dollars eighty", [2.8]),
        ("two dollars and eighty cents", [2.8]),
        ("2 dollars 80", [2.8]),
        ("48/2=24", [24, 24]),
        ("is it 12? 13?", [12, 13]),
        ("two three", [2, 3]),
    ],
)
def test_reads_every_written_form(text, expected):
    assert values(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text",
    ["3rd place", "the third bus", "CO2 and x2", "half as many", "which one is it", "no one knows", "m/s^2"],
)
def test_ordinals_glued_digits_and_pronouns_are_not_numbers(text):
    assert extract_numbers(text) == []


def test_subtraction_is_not_a_negative_number():
    assert values("5-3") == [5, 3]


def test_improper_mixed_number_reads_as_two_numbers():
    assert values("2 14/5") == [2, 2.8]


def test_and_between_amounts_does_not_join_money():
    assert values("$5 and 3 more") == [5, 3]


def test_decimal_comma_reads_as_two_numbers():
    assert values("2,8") == [2, 8]


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("72 km/h", "km/h"),
        ("9.8 m/s^2 down", "m/s^2"),
        ("20 meters per second", "meters per second"),
        ("300 K", "K"),
        ("20 degrees Celsius", "degC"),
        ("12 percent", "percent"),
        ("12 per cent", "percent"),
        ("$3", "dollar"),
        ("12 kg a day", "kg"),
    ],
)
def test_reads_the_unit_after_a_number(text, unit):
    (mention,) = extract_numbers(text)
    assert mention.unit == unit


@pytest.mark.parametrize("text", ["4 buses", "4 are full", "3 in total", "2 bars of chocolate", "5 a day"])
def test_everyday_words_are_not_units(text):
    (mention,) = extract_numbers(text)
    assert mention.unit is None


def test_mentions_carry_span_form_parts_and_next_word():
    text = "She needs 14/5 cups, so 2 4/5 cups"
    first, second = extract_numbers(text)
    assert text[first.start : first.end] == first.text == "14/5 cups"
    assert first.form == "fraction" and first.parts == (14, 5)
    assert second.form == "mixed" and second.parts == (2, 4, 5)
    assert extract_numbers("4 buses")[0].after == "buses"
