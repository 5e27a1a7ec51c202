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
from tutor.problems.schema import AnyProblem, DebuggingProblem, NumericAnswer, TextAnswer

_RESULT_CUE = re.compile(
    r"(?i)(?:answer|result|total|equals?|=|comes?\s+to|you\s+get|gives?|makes?|is|are|need|buses|so)\s*(?:is|of|:)?\s*$"
)
_WS = re.compile(r"\s+")
_SPACED_SYMBOL = re.compile(r"\s*([^\w\s])\s*")


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
        allow_reveal: the teacher's policy allows stating the answer / fix now (or the student has
            already solved the problem, so confirming it is not telling).
        check_numbers: also reject numbers with no source (see module docstring).
        resolved_bugs: debugging: bugs the student has already fixed; their fixed code is no secret.
    """

    problem: AnyProblem
    allow_reveal: bool = False
    check_numbers: bool = True
    resolved_bugs: frozenset[str] = frozenset()
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
        if not reasons and final.unit is not None and _is_money(final.unit):
            reasons += _split_money_leaks(text, final.value, final.tolerance)
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
        squeezed = _squeeze(text)
        reasons = []
        buggy_lines = {_squeeze(line) for line in problem.buggy_code.splitlines()}
        open_bugs = [b for b in problem.bugs if b.id not in self.resolved_bugs]
        for bug in open_bugs:
            for line in bug.patch.replace.splitlines() if bug.patch is not None else ():
                key = _squeeze(line)
                if len(key) >= 5 and key not in buggy_lines and _contains_code(squeezed, key):
                    reasons.append(f"shows the fixed code of bug {bug.id} ('{line.strip()}')")
                    break
            else:
                if _states_fix(text, bug.fix):
                    reasons.append(f"states the fix of bug {bug.id}")
        if open_bugs:
            fixed_only = [
                k
                for k in (_squeeze(line) for line in (problem.fixed_code or "").splitlines())
                if k not in buggy_lines and len(k) >= 5
            ]
            if fixed_only and sum(1 for k in fixed_only if _contains_code(squeezed, k)) >= max(2, len(fixed_only)):
                reasons.append("shows the fixed program")
        return sorted(set(reasons))


def _squeeze(code: str) -> str:
    """Code without the optional spaces around operators and brackets, so `total+=n` and
    `total += n` compare equal (the spaces between words stay: `for i in` is not `foriin`)."""
    return _WS.sub(" ", _SPACED_SYMBOL.sub(r"\1", code)).strip()


def _contains_code(squeezed_text: str, key: str) -> bool:
    """`key` occurs in the text as a whole token run (`best=i` is not inside `best=index`)."""
    before = r"(?<![\w])" if key[0].isalnum() or key[0] == "_" else ""
    after = r"(?![\w])" if key[-1].isalnum() or key[-1] == "_" else ""
    return re.search(before + re.escape(key) + after, squeezed_text) is not None


_FIX_STOP = {
    "the",
    "a",
    "an",
    "at",
    "of",
    "on",
    "in",
    "to",
    "with",
    "and",
    "so",
    "it",
    "its",
    "that",
    "this",
    "is",
    "be",
    "instead",
}


def _states_fix(text: str, fix: str) -> bool:
    """The reply says the fix in words ("add a colon at the end of line 3"): every content word of the
    bug's fix instruction (code spans aside) appears, and there are at least three of them."""
    words = {w for w in re.findall(r"[a-z0-9]+", re.sub(r"`[^`]*`", " ", fix.lower())) if w not in _FIX_STOP}
    if len(words) < 3:
        return False
    said = set(re.findall(r"[a-z0-9]+", text.lower()))
    return words <= said


def _is_money(unit: str) -> bool:
    return unit.lower().rstrip("s") in {"dollar", "$", "usd", "euro", "eur", "pound", "gbp", "cent"}


def _split_money_leaks(text: str, value: float, tolerance: float) -> list[str]:
    """ "two dollars twenty back": the number reader stops at `back`, so join `N dollars` + `M` here."""
    mentions = extract_numbers(text)
    reasons = []
    for first, second in zip(mentions, mentions[1:], strict=False):
        between = text[first.end : second.start].strip().lower()
        if (
            first.unit
            and _is_money(first.unit)
            and between in ("", "and")
            and second.value.is_integer()
            and 0 < second.value < 100
        ):
            if abs(first.value + second.value / 100 - value) <= max(tolerance, 1e-9):
                reasons.append(f"states the final answer ('{text[first.start : second.end]}')")
    return reasons


def _norm(text: str) -> str:
    return _WS.sub(" ", text.lower()).strip()


def final_numeric_answer(problem: AnyProblem) -> NumericAnswer | None:
    final = getattr(problem, "final_answer", None)
    return final if isinstance(final, NumericAnswer) else None
