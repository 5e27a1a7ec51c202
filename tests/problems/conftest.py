"""Shared builders: minimal valid problems as plain dicts, so each test changes one thing."""

from __future__ import annotations

import copy
from typing import Any

import pytest


def _wrong(value: float, slug: str = "wrong-operation") -> dict[str, Any]:
    return {"value": value, "misconception": slug, "description": "d", "feedback": "f"}


MATH: dict[str, Any] = {
    "id": "t-math",
    "domain": "math",
    "title": "T",
    "statement": "Two steps.",
    "concepts": ["addition"],
    "difficulty": 1,
    "source": "original",
    "license": "CC-BY-4.0",
    "steps": [
        {
            "id": "s1",
            "question": "2+2?",
            "answer": {"value": 4},
            "hints": ["add"],
            "wrong_answers": [_wrong(22)],
            "program": "print(2 + 2)",
        },
        {
            "id": "s2",
            "question": "4*2?",
            "answer": {"value": 8},
            "hints": ["double"],
            "wrong_answers": [_wrong(6)],
            "program": "print(4 * 2)",
        },
    ],
    "final_answer": {"value": 8},
}

DEBUG: dict[str, Any] = {
    "id": "t-debug",
    "domain": "debugging",
    "title": "T",
    "statement": "Write add(a, b).",
    "concepts": ["functions"],
    "difficulty": 1,
    "source": "original",
    "license": "CC-BY-4.0",
    "buggy_code": "def add(a, b):\n    return a - b\n\ndef double(x):\n    return x + x + 1\n",
    "fixed_code": "def add(a, b):\n    return a + b\n\ndef double(x):\n    return x + x\n",
    "tests": [
        {"name": "test_add", "code": "assert add(2, 3) == 5"},
        {"name": "test_double", "code": "assert double(2) == 4"},
    ],
    "bugs": [
        {
            "id": "b1",
            "lines": [2],
            "kind": "conceptual",
            "description": "d",
            "fix": "f",
            "patch": {"find": "a - b", "replace": "a + b"},
            "breaks_tests": ["test_add"],
        },
        {
            "id": "b2",
            "lines": [5],
            "kind": "conceptual",
            "description": "d",
            "fix": "f",
            "patch": {"find": "x + x + 1", "replace": "x + x"},
            "breaks_tests": ["test_double"],
            "depends_on": ["b1"],
        },
    ],
}


@pytest.fixture
def math_data() -> dict[str, Any]:
    return copy.deepcopy(MATH)


@pytest.fixture
def debug_data() -> dict[str, Any]:
    return copy.deepcopy(DEBUG)
