"""The leak guard: every outgoing tutor message is checked before the student sees it.

It rejects a message that states the final answer in any equivalent form ("2.8", "$2.80", "14/5", "two
dollars eighty", "72 km/h" for 20 m/s), or that shows the fixed code or the exact fix of a bug, unless the
teacher's policy allows revealing. A number that the problem itself gives is not a leak by itself (the
answer 4 may also be "4 friends" in the statement); it is one when the message presents it as a result.
It also flags numbers that come from nowhere (not in the problem, the student's words, the scaffold or
an executed calculation): the tutor must not do mental arithmetic in front of the student.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from tutor.problems.answers import mentions_answer
from tutor.problems.numbers import extract_numbers
from tutor.problems.schema import DebuggingProblem, MathProblem, NumericAnswer, PhysicsProblem, TextAnswer

Problem = MathProblem | PhysicsProblem | DebuggingProblem
_RESULT_CUE = re.compile(
    r"(?i)(?:answer|result|total|equals?|=|comes?\s+to|you\s+get|gives?|makes?|is|are|need|buses|so)\s*(?:is|of|:)?\s*$"
)
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class GuardCheck:
    """The verdict on one message: `ok`, or the reasons it must not go out."""

    ok: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeakGuard:
    """Checks tutor messages for one problem.

    Attributes:
        problem: the problem being tutored.
        allow_reveal: the teacher's policy allows stating the answer / fix now.
        check_numbers: also reject numbers with no source (see module docstring).
    """

    problem: Problem
    allow_reveal: bool = False
    check_numbers: bool = True
    _statement_values: frozenset[float] = field(init=False, default=frozenset())

    def __post_init__(self) -> None:
        values = {round(m.value, 6) for m in extract_numbers(self.problem.statement)}
        object.__setattr__(self, "_statement_values", frozenset(values))

    def check(self, text: str, known_numbers: Iterable[float] = ()) -> GuardCheck:
        """Check `text`; `known_numbers` are values the tutor may state (executed results, student's own)."""
        if self.allow_reveal:
            return GuardCheck(ok=True)
        reasons: list[str] = []
        if isinstance(self.problem, DebuggingProblem):
            reasons += self._code_leaks(text)
        else:
            reasons += self._answer_leaks(text)
            if self.check_numbers:
                reasons += self._unsupported_numbers(text, known_numbers)
        return GuardCheck(ok=not reasons, reasons=tuple(reasons))

    # -- math / physics ---------------------------------------------------------------------------
    def _answer_leaks(self, text: str) -> list[str]:
        final = self.problem.final_answer  # type: ignore[union-attr]
        if isinstance(final, TextAnswer):
            phrases = [final.text, *final.accept]
            norm = _norm(text)
            hit = next((p for p in phrases if len(p) > 2 and _norm(p) in norm), None)
            return [f"states the final answer ('{hit}')"] if hit else []
        reasons = []
        for mention in mentions_answer(text, final):
            in_statement = round(mention.value, 6) in self._statement_values
            if in_statement and not _RESULT_CUE.search(text[: mention.start]):
                continue  # a quantity the problem gives, not presented as the result
            reasons.append(f"states the final answer ('{mention.text}')")
        return reasons

    def _unsupported_numbers(self, text: str, known: Iterable[float]) -> list[str]:
        allowed = set(self._statement_values) | {round(v, 6) for v in known}
        for step in self.problem.steps:  # type: ignore[union-attr]
            allowed |= {round(m.value, 6) for m in extract_numbers(step.question)}
            for hint in step.hints:
                allowed |= {round(m.value, 6) for m in extract_numbers(hint)}
        reasons = []
        for mention in extract_numbers(text):
            value = round(mention.value, 6)
            if value in allowed or (value.is_integer() and 0 <= value <= 10):
                continue  # small counting words ("one step", "two things") are not calculations
            if any(abs(value - a) <= 1e-6 * max(1.0, abs(a)) for a in allowed):
                continue
            reasons.append(f"states a number no calculation produced ('{mention.text}')")
        return reasons

    # -- debugging --------------------------------------------------------------------------------
    def _code_leaks(self, text: str) -> list[str]:
        problem = self.problem
        assert isinstance(problem, DebuggingProblem)
        norm = _norm(text)
        reasons = []
        buggy_lines = {_norm(line) for line in problem.buggy_code.splitlines()}
        for bug in problem.bugs:
            for line in bug.patch.replace.splitlines():
                key = _norm(line)
                if len(key) >= 6 and key not in buggy_lines and key in norm:
                    reasons.append(f"shows the fixed code of bug {bug.id} ('{line.strip()}')")
                    break
        fixed_only = [_norm(l) for l in problem.fixed_code.splitlines() if _norm(l) not in buggy_lines and len(_norm(l)) >= 6]
        if fixed_only and sum(1 for l in fixed_only if l in norm) >= max(2, len(fixed_only)):
            reasons.append("shows the fixed program")
        return sorted(set(reasons))


def _norm(text: str) -> str:
    return _WS.sub(" ", text.lower()).strip()


def final_numeric_answer(problem: Problem) -> NumericAnswer | None:
    final = getattr(problem, "final_answer", None)
    return final if isinstance(final, NumericAnswer) else None
