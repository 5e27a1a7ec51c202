"""A dimensional sanity check for a model-built scaffold: the conversions the problem calls for are made.

Self-consistency cannot catch an error that every scaffold makes: on MathDial, three scaffolds of the bundled
model agreed on a perimeter in feet computed from a length given in yards (246 instead of 98). When a problem
names two units of the same kind (yards and feet, hours and minutes, cents and dollars), at least one step
program must use the factor between them (or its inverse). A scaffold that never does is not trusted: refusing
a right scaffold that converted some other way costs less than tutoring towards a wrong answer.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Sequence
from itertools import combinations

from tutor.problems.numbers import extract_numbers

# Each unit's size in its kind's base unit; the names are matched as whole words, singular or plural.
UNITS: dict[str, dict[str, float]] = {
    "length": {"inch": 1, "foot": 12, "yard": 36, "mile": 63360},
    "metric length": {"millimeter": 1, "centimeter": 10, "meter": 1000, "kilometer": 1_000_000},
    # Not days or weeks: "8 hours a day" is a rate that needs no conversion, and it is common.
    "time": {"second": 1, "minute": 60, "hour": 3600},
    "money": {"cent": 1, "dollar": 100},
    "mass": {"gram": 1, "kilogram": 1000},
    "weight": {"ounce": 1, "pound": 16},
}
_FORMS: dict[str, tuple[str, ...]] = {
    "inch": ("inch", "inches"),
    "foot": ("foot", "feet"),
    "millimeter": ("millimeter", "millimeters", "millimetre", "millimetres", "mm"),
    "centimeter": ("centimeter", "centimeters", "centimetre", "centimetres", "cm"),
    "meter": ("meter", "meters", "metre", "metres"),
    "kilometer": ("kilometer", "kilometers", "kilometre", "kilometres", "km"),
    "second": ("second", "seconds"),
    "minute": ("minute", "minutes"),
    "hour": ("hour", "hours"),
    "cent": ("cent", "cents"),
    "dollar": ("dollar", "dollars"),
    "gram": ("gram", "grams"),
    "kilogram": ("kilogram", "kilograms", "kg"),
    "ounce": ("ounce", "ounces", "oz"),
    "pound": ("pound", "pounds", "lb", "lbs"),
}


def _pattern(unit: str) -> re.Pattern[str]:
    forms = _FORMS.get(unit, (unit, f"{unit}s"))
    words = r"(?:" + "|".join(re.escape(f) for f in forms) + r")\b"
    if unit == "second":  # "the second day" is an ordinal: only "30 seconds" or "per second" is the unit
        return re.compile(r"(?:\d\s*|\bper\s+)" + words, re.IGNORECASE)
    return re.compile(r"\b" + words, re.IGNORECASE)


_PATTERNS = {unit: _pattern(unit) for sizes in UNITS.values() for unit in sizes}


def _named(unit: str, statement: str) -> bool:
    return bool(_PATTERNS[unit].search(statement)) or (unit == "dollar" and "$" in statement)


def needed_conversions(statement: str) -> list[tuple[str, str, float]]:
    """(smaller unit, larger unit, factor) for each pair of units of one kind that `statement` names."""
    named = {unit for unit in _PATTERNS if _named(unit, statement)}
    pairs = []
    for sizes in UNITS.values():
        here = sorted((u for u in sizes if u in named), key=sizes.__getitem__)
        pairs += [(small, large, sizes[large] / sizes[small]) for small, large in combinations(here, 2)]
    return pairs


def missing_conversions(statement: str, steps: Sequence[tuple[str, float]]) -> list[str]:
    """The conversions the problem calls for that the answer does not rest on, as 'yards to feet (x 3)'; empty
    when it rests on all of them. `steps` are (program, executed value) in order; the last gives the answer.

    A conversion counts when it feeds the last step: its program, or a step whose value that program uses (as a
    number; programs are self-contained, so values are written in), states the factor or its inverse (unless
    the problem itself states that number: "3 yards" would otherwise count as the yard-to-foot factor), or a
    quantity the problem gives in one of the two units, converted to the other ("40 cents" -> 0.4). A step that
    converts and is then ignored does not count (seen: 3 yards = 9 feet, then a perimeter of 2 * (3 + 120)).
    """
    pool = _feeding_numbers(steps)
    stated = extract_numbers(statement)
    missing = []
    for small, large, factor in needed_conversions(statement):
        plain = [m.value for m in stated if m.unit and _plain_unit_of(m.unit, (small, large))]
        converted = {c for q in plain for c in (q * factor, q / factor)} - {0.0, 1.0}
        stated_factor = any(_close(m.value, factor) for m in stated)
        targets = list(converted) + ([] if stated_factor else [factor, 1 / factor])
        if not any(_close(n, t) for n in pool for t in targets):
            missing.append(f"{_plural(large)} to {_plural(small)} (x {factor:g})")
    return missing


def _feeding_numbers(steps: Sequence[tuple[str, float]]) -> list[float]:
    """The numbers the last step's answer rests on: those its program states, and, for every earlier step whose
    value is among them, that step's value and its program's numbers (and so on back)."""
    if not steps:
        return []
    numbers = {index: _literals(program) for index, (program, _) in enumerate(steps)}
    feeding, todo = {len(steps) - 1}, [len(steps) - 1]
    while todo:
        used = numbers[todo.pop()]
        for index, (_, value) in enumerate(steps):
            if index not in feeding and any(_close(n, value) for n in used):
                feeding.add(index)
                todo.append(index)
    return [n for index in feeding for n in numbers[index]] + [steps[index][1] for index in feeding]


def _literals(program: str) -> list[float]:
    """The numbers a program writes (Python literals: `360 / 9` is two numbers, not a fraction)."""
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return [float(n) for n in re.findall(r"\d+(?:\.\d+)?", program)]
    return [
        float(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool)
    ]


def _plain_unit_of(unit: str, names: tuple[str, ...]) -> bool:
    """Whether `unit` is one of `names` itself: not an area, a volume or a rate built on it."""
    if re.search(r"\b(?:square|cubic|sq|per)\b|/", unit, re.IGNORECASE):
        return False
    return any(_named(name, unit) for name in names)


def _plural(unit: str) -> str:
    return _FORMS.get(unit, (unit, f"{unit}s"))[1]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-9)
