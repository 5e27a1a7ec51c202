"""Reading a tutor reply for the bad-reply audit (`evals.audit`): numbers in digits and words, sentences,
crude stems, and arithmetic written out in the text. Written for the audit alone, so that it shares no
code with the tutor it grades.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass

from evals.audit_words import NUMBER_WORDS

_THOUSANDS = r"\d{1,3}(?:[,\u202f\u00a0 ]\d{3})+(?!\d)"
_NUMBER = re.compile(
    rf"(?<![\w.])((?<![\w$])[-−]\$?|(?<=[\s=(])[-−]\$?)?\$?({_THOUSANDS}|\d+)(?:\.(\d+))?(st|nd|rd|th)?(?![\w])",
    re.IGNORECASE,
)
_NUMBERWORD = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")(?:-(" + "|".join(NUMBER_WORDS) + r"))?\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")  # "$8.25" is no sentence end
WORD = re.compile(r"[A-Za-z][A-Za-z']*")
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Number:
    value: float
    decimals: int
    text: str
    ordinal: bool = False


def numbers_in(text: str) -> list[Number]:
    """The numbers a text states, in digits ("$2.80", "72 000", "3rd") or in words ("fifteen")."""
    found: list[Number] = []
    for m in _NUMBER.finditer(text):
        sign, whole, frac = (-1.0 if m.group(1) else 1.0), re.sub(r"[,\u202f\u00a0 ]", "", m.group(2)), m.group(3) or ""
        value = sign * float(f"{whole}.{frac}" if frac else whole)
        found.append(Number(value, len(frac), m.group(0), bool(m.group(4))))
    for m in _NUMBERWORD.finditer(text):
        first, second = NUMBER_WORDS[m.group(1).lower()], m.group(2)
        value = first + NUMBER_WORDS[second.lower()] if second else first
        found.append(Number(float(value), 0, m.group(0)))
    return found


def matches(number: Number, values: Iterable[float]) -> bool:
    """Equal, or a rounding of the value to the decimals the reply wrote ("6.5" for 6.533)."""
    for v in values:
        if abs(v - number.value) <= 1e-9 * max(1.0, abs(v)):
            return True
        if number.decimals >= 1 and abs(round(v, number.decimals) - number.value) < 1e-9:
            return True
    return False


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def stem(word: str) -> str:
    """A crude stem, enough to match "muffins" with "muffin" and "cycling" with "cycle" ("cycl")."""
    w = word.lower().removesuffix("'s").strip("'")
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            w = w[: -len(suffix)] + keep
            break
    return w[:-1] if w.endswith("e") and len(w) > 3 else w


def known(word_stem: str, vocabulary: frozenset[str]) -> bool:
    """In the vocabulary, or one stem extends the other by a few letters ("paint" and "painter")."""
    if word_stem in vocabulary:
        return True
    return len(word_stem) >= 5 and any(
        (v.startswith(word_stem) or word_stem.startswith(v)) and abs(len(v) - len(word_stem)) <= 3
        for v in vocabulary
        if len(v) >= 5
    )


def vocabulary(texts: Iterable[str]) -> frozenset[str]:
    return frozenset(stem(w) for t in texts for w in WORD.findall(t))


_ARITHMETIC = re.compile(
    r"\$?(\d[\d,]*(?:\.\d+)?)\s*(\+|-|−|x|×|\*|/|÷|times|plus|minus|divided by|multiplied by)\s*\$?(\d[\d,]*(?:\.\d+)?)"
    r"\s*(?:=|is|equals|makes|gives)\s*([-−]?)\$?(\d[\d,]*(?:\.\d+)?)",
    re.IGNORECASE,
)
_ADD, _SUB, _MUL, _DIV = (
    ("+", "plus"),
    ("-", "−", "minus"),
    ("x", "×", "*", "times", "multiplied by"),
    ("/", "÷", "divided by"),
)
_OPS = {**dict.fromkeys(_ADD, operator.add), **dict.fromkeys(_SUB, operator.sub), **dict.fromkeys(_MUL, operator.mul)}
_OPS.update(dict.fromkeys(_DIV, lambda a, b: a / b if b else None))


def written_results(text: str) -> list[float]:
    """Results of true arithmetic written out in the text ("7 x 0.40 = 2.80" allows 2.80; "5 - 7.80 = -2.80")."""
    out = []
    for m in _ARITHMETIC.finditer(text):
        a, op, b, sign, c = (m.group(i) for i in range(1, 6))
        value = _OPS[op.lower()](float(a.replace(",", "")), float(b.replace(",", "")))
        result = (-1.0 if sign else 1.0) * float(c.replace(",", ""))
        if value is not None and abs(value - result) < 0.01 * max(1.0, abs(value)):
            out.append(result)
    return out
