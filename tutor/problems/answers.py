"""Checking a student's answer against a step's answer, by parsing, never by asking a model.

Numeric answers (`check_numeric`):

* Forms: every form `extract_numbers` reads (`2.8`, `2.80`, `$2.80`, `14/5`, `2 4/5`, `1,250`, `12%`,
  `two dollars eighty`, `three and a half`, ...), alone or inside a sentence.
* Units: a unit the student writes is read with pint. No unit means "in the answer's unit". The same unit
  in another spelling (`meters per second` for `m/s`) is fine. A compatible but different unit
  (`72 km/h` for `20 m/s`) is accepted only when the answer has `convert_units: true`; otherwise it is
  incorrect with a reason saying which unit is asked for. An incompatible unit (`20 kg` for m/s) is
  incorrect. Two conversions are always allowed because they are forms, not physics: percent <-> plain
  number (`12%` for 0.12) and within one currency (`280 cents` for 2.80 dollars). When the answer has no
  unit, the student's unit is ignored (except `%`). Answer units pint does not know (`buses`) are labels.
* Tolerance: `abs(student - answer) <= tolerance` in the answer's unit; near misses are incorrect.
* Which number the student commits to, when a text holds several:
  1. numbers after the last self-correction ("no wait", "actually", "I mean", "sorry") win;
  2. numbers equal to `context_numbers` (the problem's givens) are dropped while others remain;
  3. if all remaining numbers agree (within tolerance, in the answer's unit), that is the answer;
  4. distinct numbers joined by a hedge ("12? 13?", "12 or 13", "maybe") are ambiguous: unparseable;
  5. else the last number after "answer is" / "answer:"; else the last number right after a result word
     ("=", "is", "equals", "get", "got", "so", "makes", "total", "it's", ...);
  6. else ambiguous: unparseable, with `candidates` listing the numbers so the tutor can ask which one.

Text answers (`check_text`): the answer and its `accept` phrasings are compared after normalising case,
punctuation, contractions and leading fillers ("the answer is", "it's", articles); an exact match wins,
else the longest accepted or wrong phrasing the student's text contains (only phrasings of two words or
five characters or more count when contained, so "no" does not match "no idea").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from tutor.problems import units
from tutor.problems.numbers import NumberMention, extract_numbers
from tutor.problems.schema import NumericAnswer, Step, TextAnswer, WrongAnswer

__all__ = [
    "AnswerCheck",
    "NumberMention",
    "Verdict",
    "check_answer",
    "check_numeric",
    "check_step",
    "check_text",
    "extract_numbers",
    "matches_wrong_answer",
    "mentions_answer",
    "normalise_text",
]


class Verdict(StrEnum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    UNPARSEABLE = "unparseable"


@dataclass(frozen=True)
class AnswerCheck:
    """The outcome of checking one student answer.

    Attributes:
        verdict: correct, incorrect, or unparseable (no number, ambiguous, or "I don't know").
        value: the number the student committed to, as written (None for text answers / no number).
        unit: the unit they wrote with it, normalised (None when they wrote none).
        value_in_answer_unit: `value` expressed in the answer's unit, when that makes sense.
        wrong_answer: the typical wrong answer it matched, if any.
        candidates: the distinct numbers considered (several when ambiguous).
        reason: one sentence saying why, for logs and for the tutor's feedback.
        text: the normalised student text (text answers only).
    """

    verdict: Verdict
    value: float | None = None
    unit: str | None = None
    value_in_answer_unit: float | None = None
    wrong_answer: WrongAnswer | None = None
    candidates: tuple[float, ...] = ()
    reason: str = ""
    text: str | None = None

    @property
    def is_correct(self) -> bool:
        return self.verdict is Verdict.CORRECT

    @property
    def misconception(self) -> str | None:
        """The slug of the matched wrong answer's misconception, if any."""
        return self.wrong_answer.misconception if self.wrong_answer else None


_DONT_KNOW = re.compile(r"(?i)\b(?:i\s+(?:do\s*n[o']t|dunno|have\s+no)|no\s+idea|not\s+sure|idk)\b")
_CORRECTION = re.compile(r"(?i)\b(?:no,?\s+wait|wait|actually|i\s+mean|sorry|oops|correction|scratch\s+that|rather)\b")
_HEDGE = re.compile(r"(?i)\?|\bor\b|\bmaybe\b|\bperhaps\b|\beither\b")
_FILLER = (
    r"(?:\s*(?:about|around|roughly|approximately|approx\.?|exactly|just|only|like|maybe|probably|now|then"
    r"|the|a|an|i\s+think|i\s+guess|i'd\s+say|well|,|:))*\s*"
)
_STRONG = re.compile(rf"(?i)\banswer\s*(?:is|=|:|would\s+be|will\s+be|should\s+be|must\s+be|of)?{_FILLER}$")
_WEAK = re.compile(
    rf"(?i)(?:=|\b(?:is|are|was|were|equals?|get|gets|got|getting|gives?|gave|makes?|made|so|therefore|thus|hence|"
    rf"total(?:\s+of)?|it's|its|that's|thats|be|comes?\s+to|came\s+to|need|needs|left|remain|remains|"
    rf"round(?:ed)?(?:\s+up|\s+down)?\s+to|say|answer)){_FILLER}$"
)


def _close(x: float, target: float, tolerance: float) -> bool:
    # The tiny relative term absorbs float noise from conversions (72 km/h -> 20.000000000000004 m/s).
    return abs(x - target) <= tolerance + 1e-9 * max(1.0, abs(target))


def _is_percent(unit: str | None) -> bool:
    return unit is not None and units.normalise_unit_text(unit).lower() in ("%", "percent")


def _is_currency(unit: str) -> bool:
    parsed = units.parse_unit(unit)
    return parsed is not None and any(str(d).startswith("[currency") for d in parsed.dimensionality)


@dataclass(frozen=True)
class _Reading:
    """A mention interpreted against an answer."""

    mention: NumberMention
    value: float | None  # in the answer's unit; None when the unit rules it out
    problem: str = ""  # why `value` is None


def _read(m: NumberMention, answer: NumericAnswer) -> _Reading:
    target, unit = answer.unit, m.unit
    if unit is None:
        return _Reading(m, m.value)
    if target is None:
        return _Reading(m, m.value / 100 if _is_percent(unit) else m.value)
    if units.same_unit(unit, target):
        return _Reading(m, m.value)
    if not units.is_pint_unit(target):
        return _Reading(m, None, f"the answer is in {target}, not {unit}")
    converted = units.convert(m.value, unit, target)
    if converted is None:
        return _Reading(m, None, f"{unit} cannot be converted to {target}")
    if answer.convert_units or _is_percent(unit) or _is_percent(target) or _is_currency(unit):
        return _Reading(m, converted)
    return _Reading(m, None, f"the question asks for the answer in {target}, not {unit}")


def matches_wrong_answer(
    value: float, unit: str | None, answer: NumericAnswer, wrong_answers: Sequence[WrongAnswer]
) -> WrongAnswer | None:
    """The typical wrong answer `value` (in `unit`, None = unstated) matches, if any.

    A wrong answer's value is in its own `unit`, or the answer's. An unstated student unit matches any
    wrong answer's unit: a student who says "72" after forgetting to convert km/h still shows the
    conversion misconception.
    """
    for wrong in wrong_answers:
        if wrong.value is None:
            continue
        target = wrong.unit or answer.unit
        candidate: float | None = value
        if unit is not None and target is not None and not units.same_unit(unit, target):
            candidate = units.convert(value, unit, target)
        elif unit is not None and target is None and _is_percent(unit):
            candidate = value / 100
        if candidate is not None and _close(candidate, wrong.value, answer.tolerance):
            return wrong
    return None


def _distinct(readings: Sequence[_Reading], tolerance: float) -> list[float]:
    values: list[float] = []
    for r in readings:
        v = r.value if r.value is not None else r.mention.value
        if not any(_close(v, seen, tolerance) for seen in values):
            values.append(v)
    return values


def _marker_before(text: str, readings: Sequence[_Reading], index: int, pattern: re.Pattern[str]) -> bool:
    start = readings[index - 1].mention.end if index else 0
    return bool(pattern.search(text[start : readings[index].mention.start]))


def _commit(text: str, readings: list[_Reading], tolerance: float) -> tuple[_Reading | None, str]:
    """The reading the student commits to, or None and why not (see the module docstring)."""
    distinct = _distinct(readings, tolerance)
    if len(distinct) == 1:
        fitting = [r for r in readings if r.value is not None]
        return (fitting or readings)[-1], ""
    for i in range(1, len(readings)):
        gap = text[readings[i - 1].mention.end : readings[i].mention.start]
        if _HEDGE.search(gap) and len(_distinct(readings[i - 1 : i + 1], tolerance)) == 2:
            return None, "the student hedges between several numbers"
    for pattern in (_STRONG, _WEAK):
        marked = [i for i in range(len(readings)) if _marker_before(text, readings, i, pattern)]
        if marked:
            return readings[marked[-1]], ""
    return None, "several different numbers and none is marked as the answer"


def check_numeric(
    student_text: str,
    answer: NumericAnswer,
    wrong_answers: Sequence[WrongAnswer] = (),
    *,
    context_numbers: Iterable[float] = (),
) -> AnswerCheck:
    """Check a student's numeric answer (see the module docstring for the rules).

    Args:
        student_text: what the student wrote, a bare number or a sentence.
        answer: the step's (or problem's) numeric answer.
        wrong_answers: typical wrong answers to recognise.
        context_numbers: numbers given in the problem; mentions of them are not taken as the answer
            while other numbers remain.
    """
    mentions = extract_numbers(student_text)
    if not mentions:
        reason = "the student says they do not know" if _DONT_KNOW.search(student_text) else "no number found"
        return AnswerCheck(Verdict.UNPARSEABLE, reason=reason)
    corrections = list(_CORRECTION.finditer(student_text))
    if corrections and (after := [m for m in mentions if m.start >= corrections[-1].end()]):
        mentions = after
    givens = list(context_numbers)
    if givens:
        fresh = [m for m in mentions if not any(_close(m.value, g, 1e-9) for g in givens)]
        mentions = fresh or mentions
    readings = [_read(m, answer) for m in mentions]
    chosen, why = _commit(student_text, readings, answer.tolerance)
    candidates = tuple(_distinct(readings, answer.tolerance))
    if chosen is None:
        return AnswerCheck(Verdict.UNPARSEABLE, candidates=candidates, reason=why)
    m = chosen.mention
    base = dict(value=m.value, unit=m.unit, value_in_answer_unit=chosen.value, candidates=candidates)
    if chosen.value is not None and _close(chosen.value, answer.value, answer.tolerance):
        return AnswerCheck(Verdict.CORRECT, reason="matches the answer", **base)  # type: ignore[arg-type]
    wrong = matches_wrong_answer(m.value, m.unit, answer, wrong_answers)
    if wrong is not None:
        reason = f"matches the typical wrong answer for {wrong.misconception}"
    elif chosen.value is None:
        reason = chosen.problem
    else:
        reason = f"{chosen.value:g} is not within {answer.tolerance:g} of the answer"
    return AnswerCheck(Verdict.INCORRECT, wrong_answer=wrong, reason=reason, **base)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------- text

_CONTRACTIONS = (
    (r"\bcan't\b", "can not"),
    (r"\bwon't\b", "will not"),
    (r"n't\b", " not"),
    (r"'re\b", " are"),
    (r"\bit's\b", "it is"),
    (r"\bthat's\b", "that is"),
    (r"'ll\b", " will"),
    (r"'ve\b", " have"),
)
_LEADING = re.compile(
    r"^(?:(?:i\s+think|i\s+guess|maybe|so|well|the\s+answer\s+is|my\s+answer\s+is|answer|it\s+is|that\s+is|"
    r"because|the|a|an)\s+)+"
)


def normalise_text(text: str) -> str:
    """Lowercase, expand contractions, drop punctuation and leading fillers, collapse spaces."""
    text = text.casefold().replace("’", "'").replace("‘", "'")
    for pattern, repl in _CONTRACTIONS:
        text = re.sub(pattern, repl, text)
    text = re.sub(r"[^\w\s+\-*/=<>^.%]", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)  # full stops, but not decimal points
    text = " ".join(text.split())
    return _LEADING.sub("", text).strip()


def _contains_phrase(haystack: str, phrase: str) -> bool:
    return bool(re.search(rf"(?<![\w]){re.escape(phrase)}(?![\w])", haystack))


def check_text(student_text: str, answer: TextAnswer, wrong_answers: Sequence[WrongAnswer] = ()) -> AnswerCheck:
    """Check a student's text answer against `answer.text`, `answer.accept` and the wrong answers."""
    said = normalise_text(student_text)
    if not said:
        return AnswerCheck(Verdict.UNPARSEABLE, reason="empty answer", text=said)
    forms: list[tuple[str, WrongAnswer | None]] = [(normalise_text(t), None) for t in (answer.text, *answer.accept)]
    forms += [(normalise_text(w.text), w) for w in wrong_answers if w.text is not None]
    exact = [f for f in forms if f[0] == said]
    contained = sorted(
        (f for f in forms if f[0] and (len(f[0].split()) >= 2 or len(f[0]) >= 5) and _contains_phrase(said, f[0])),
        key=lambda f: len(f[0]),
        reverse=True,
    )
    matches = exact or contained
    if not matches:
        if _DONT_KNOW.search(student_text):
            return AnswerCheck(Verdict.UNPARSEABLE, reason="the student says they do not know", text=said)
        return AnswerCheck(Verdict.INCORRECT, reason="does not match any accepted phrasing", text=said)
    phrase, wrong = matches[0]
    if wrong is None:
        return AnswerCheck(Verdict.CORRECT, reason=f"matches {phrase!r}", text=said)
    return AnswerCheck(
        Verdict.INCORRECT,
        wrong_answer=wrong,
        text=said,
        reason=f"matches the typical wrong answer for {wrong.misconception}",
    )


def check_answer(
    student_text: str,
    answer: NumericAnswer | TextAnswer,
    wrong_answers: Sequence[WrongAnswer] = (),
    *,
    context_numbers: Iterable[float] = (),
) -> AnswerCheck:
    """`check_numeric` or `check_text`, whichever fits `answer`."""
    if isinstance(answer, NumericAnswer):
        return check_numeric(student_text, answer, wrong_answers, context_numbers=context_numbers)
    return check_text(student_text, answer, wrong_answers)


def check_step(student_text: str, step: Step, *, context_numbers: Iterable[float] = ()) -> AnswerCheck:
    """Check an answer to one step, recognising that step's typical wrong answers."""
    return check_answer(student_text, step.answer, step.wrong_answers, context_numbers=context_numbers)


def mentions_answer(text: str, answer: NumericAnswer) -> list[NumberMention]:
    """The numbers in `text` that state `answer`, in any form and any compatible unit.

    For the leak guard: "two dollars eighty", "14/5" and "$2.80" all state 2.8 dollars; "72 km/h" states
    20 m/s whatever `convert_units` says (a converted answer is still the answer). Quantities that the
    problem itself gives are the caller's to exclude.
    """
    loose = answer.model_copy(update={"convert_units": answer.unit is not None and units.is_pint_unit(answer.unit)})
    found = []
    for m in extract_numbers(text):
        reading = _read(m, loose)
        if reading.value is not None and _close(reading.value, answer.value, answer.tolerance):
            found.append(m)
    return found
