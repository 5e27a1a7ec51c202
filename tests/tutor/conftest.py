"""Shared fixtures for the tutor tests: the toy problems, one warm sandbox, small problem builders and
scripted models."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from tutor.agent import TutorAgent, TutorConfig
from tutor.models.scripted import ScriptedChatModel
from tutor.problems.bank import ProblemBank, toy_bank
from tutor.problems.schema import AnyProblem, DebuggingProblem, MathProblem, PhysicsProblem
from tutor.sandbox import Sandbox


@pytest.fixture(scope="session")
def bank() -> ProblemBank:
    return toy_bank()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox()
    yield box
    box.close()


def _base(**fields: Any) -> dict[str, Any]:
    return {
        "title": "T",
        "concepts": ["arithmetic"],
        "difficulty": 1,
        "source": "original",
        "license": "CC-BY-4.0",
        **fields,
    }


def math_problem(
    statement: str,
    steps: list[dict[str, Any]],
    final: dict[str, Any],
    domain: str = "math",
    pid: str = "t-math",
) -> AnyProblem:
    """A small math or physics problem from plain data (each test states the numbers it relies on)."""
    data = _base(id=pid, domain=domain, statement=statement, steps=steps, final_answer=final)
    data.update(source="test", missing=["wrong_answers", "programs"])
    return (PhysicsProblem if domain == "physics" else MathProblem).model_validate(data)


def step(
    sid: str,
    question: str,
    value: float,
    unit: str | None = None,
    hints: tuple[str, ...] = ("Think about it.",),
    wrong: tuple[tuple[float, str, str], ...] = (),
) -> dict[str, Any]:
    answer: dict[str, Any] = {"value": value}
    if unit:
        answer["unit"] = unit
    return {
        "id": sid,
        "question": question,
        "answer": answer,
        "hints": list(hints),
        "wrong_answers": [
            {"value": v, "misconception": slug, "description": "d.", "feedback": fb} for v, slug, fb in wrong
        ],
    }


# Two independent bugs (a syntactic one listed first) and a third that depends on the syntactic one.
MULTI_BUG: dict[str, Any] = _base(
    id="t-multi",
    domain="debugging",
    statement="Write add(a, b), double(x) and square(x).",
    buggy_code=(
        "def add(a, b)\n    return a + b\n\n"
        "def double(x):\n    return x + x + 1\n\n"
        "def square(x):\n    return add(x, 0) * 0 + x ** 3\n"
    ),
    fixed_code=(
        "def add(a, b):\n    return a + b\n\ndef double(x):\n    return x + x\n\ndef square(x):\n    return x ** 2\n"
    ),
    tests=[
        {"name": "test_add", "code": "assert add(2, 3) == 5"},
        {"name": "test_double", "code": "assert double(2) == 4"},
        {"name": "test_square", "code": "assert square(3) == 9"},
    ],
    bugs=[
        {
            "id": "syntax",
            "lines": [1],
            "kind": "syntactic",
            "description": "The def line lacks its colon.",
            "fix": "Add a colon at the end of line 1.",
            "patch": {"find": "def add(a, b)\n", "replace": "def add(a, b):\n"},
            "breaks_tests": ["test_add", "test_double", "test_square"],
        },
        {
            "id": "double",
            "lines": [5],
            "kind": "conceptual",
            "description": "double adds one too many.",
            "fix": "Return `x + x`.",
            "patch": {"find": "x + x + 1", "replace": "x + x"},
            "breaks_tests": ["test_double"],
        },
        {
            "id": "square",
            "lines": [8],
            "kind": "conceptual",
            "description": "square cubes instead of squaring.",
            "fix": "Return `x ** 2`.",
            "patch": {"find": "add(x, 0) * 0 + x ** 3", "replace": "x ** 2"},
            "breaks_tests": ["test_square"],
            "depends_on": ["syntax"],
        },
    ],
)


@pytest.fixture
def multi_bug() -> DebuggingProblem:
    return DebuggingProblem.model_validate(copy.deepcopy(MULTI_BUG))


def role_of(messages: list[BaseMessage]) -> str:
    """Which of the tutor's model calls this is, from its system prompt."""
    system = str(messages[0].content)
    if "decide whether a tutor must compute" in system:
        return "decide"
    if "tiny, correct Python programs" in system:
        return "code"
    if "identifies a specific bug" in system:
        return "judge"
    return "reply"


def scripted(
    replies: dict[str, list[Any]] | None = None, default_reply: str = "What could you try next?"
) -> ScriptedChatModel:
    """A scripted model that answers each kind of call (reply, decide, code, judge) from its own list;
    the last entry of a list repeats. Values that are dicts are sent as JSON; exceptions are raised."""
    queues = {k: list(v) for k, v in (replies or {}).items()}

    def reply(messages: list[BaseMessage]) -> Any:
        role = role_of(messages)
        queue = queues.get(role)
        if not queue:
            return default_reply if role == "reply" else RuntimeError(f"unscripted {role} call")
        value = queue.pop(0) if len(queue) > 1 else queue[0]
        return json.dumps(value) if isinstance(value, dict) else value

    return ScriptedChatModel(reply_fn=reply)


@pytest.fixture
def make_agent(sandbox: Sandbox) -> Callable[..., TutorAgent]:
    def build(problem: AnyProblem, model: Any, **config: Any) -> TutorAgent:
        return TutorAgent(problem, model, sandbox, TutorConfig(**config))

    return build
