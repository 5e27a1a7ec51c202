"""Finding the numbers a text states, in every form people write them.

Forms: `2.8`, `2.80`, `-3`, `1,250` (thousands), `.5`, `3e8`, `3 x 10^8`, `14/5`, `2 4/5` (mixed), `2½`,
`12%`, `$2.80`, number words (`twelve`, `one hundred and five`, `two point eight`, `three and a half`,
`two thirds`, `a dozen`, `minus four`) and money phrases (`two dollars eighty`, `2 dollars and 80
cents`). A unit written right after a number is read with pint (`72 km/h`, `9.8 m/s^2`).

Not read as numbers: ordinals (`3rd`, `the third bus`), digits glued to letters on the left (`x2`,
`CO2`, `^2`), a lone `half` with no count before it, and `one` used as a pronoun (`which one`).
A decimal comma (`2,8`) is not supported: it reads as two numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tutor.problems.units import read_unit

NumberForm = Literal["digits", "fraction", "mixed", "words", "money"]


@dataclass(frozen=True)
class NumberMention:
    """One number stated in a text.

    Attributes:
        value: the number as written (`12%` -> 12, unit `%`; `14/5` -> 2.8).
        unit: the unit written with it, normalised (`km/h`, `dollar`, `%`), or None.
        start, end: the span in the text, unit included.
        text: that span's text.
        form: how it was written.
        parts: the component numbers as written (14 and 5 for `14/5`; 2, 4, 5 for `2 4/5`).
        after: the next word after the number (and unit), lowercased: a label such as `buses`.
    """

    value: float
    unit: str | None
    start: int
    end: int
    text: str
    form: NumberForm
    parts: tuple[float, ...] = ()
    after: str = ""


_SMALL = {
    "zero": 0,
    "oh": 0,
    "nought": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_DENOMS = {
    "half": 2,
    "halves": 2,
    "third": 3,
    "thirds": 3,
    "quarter": 4,
    "quarters": 4,
    "fourth": 4,
    "fourths": 4,
    "fifth": 5,
    "fifths": 5,
    "sixth": 6,
    "sixths": 6,
    "seventh": 7,
    "sevenths": 7,
    "eighth": 8,
    "eighths": 8,
    "ninth": 9,
    "ninths": 9,
    "tenth": 10,
    "tenths": 10,
    "hundredth": 100,
    "hundredths": 100,
}
_NEGATORS = {"minus", "negative"}
_ONE_PRONOUN_BEFORE = {
    "the",
    "which",
    "this",
    "that",
    "each",
    "every",
    "no",
    "any",
    "some",
    "another",
    "one",
    "other",
    "only",
    "last",
    "first",
    "next",
    "same",
    "right",
    "wrong",
    "a",
}
_MAJOR_CURRENCY = {"dollar", "dollars", "buck", "bucks", "usd", "euro", "euros", "eur", "gbp"}
_MINOR_WORDS = {"cent", "cents", "pence", "p", "eurocent", "eurocents"}
# A minor amount after "N dollars" joins it only if what follows it cannot be another quantity's label.
_AFTER_MINOR_OK = {
    "",
    "is",
    "was",
    "and",
    "so",
    "then",
    "total",
    "in",
    "for",
    "each",
    "altogether",
    "right",
    "i",
    "or",
    "but",
    "because",
    "which",
    "that",
    "exactly",
}
_UNICODE_FRACTIONS = {
    "½": 0.5,
    "⅓": 1 / 3,
    "⅔": 2 / 3,
    "¼": 0.25,
    "¾": 0.75,
    "⅕": 0.2,
    "⅖": 0.4,
    "⅗": 0.6,
    "⅘": 0.8,
    "⅙": 1 / 6,
    "⅚": 5 / 6,
    "⅛": 0.125,
    "⅜": 0.375,
    "⅝": 0.625,
    "⅞": 0.875,
}

_UFRAC = "".join(_UNICODE_FRACTIONS)
_DIGITS = re.compile(
    rf"""
    (?P<cur>[$€£]\s?)?
    (?P<sign>-)?
    (?:
        (?P<mw>\d+)(?:\s+(?P<mn>\d+)\s*/\s*(?P<md>\d+)|\s*(?P<mu>[{_UFRAC}]))
      | (?P<fn>\d+(?:\.\d+)?)\s*/\s*(?P<fd>\d+(?:\.\d+)?)
      | (?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)
        (?:(?P<exp>[eE][-+]?\d+)|\s*[x*·]\s*10\s*(?:\^|\*\*)\s*(?P<exp10>[-+]?\d+))?
      | (?P<uf>[{_UFRAC}])
    )
    """,
    re.VERBOSE,
)
_ORDINAL_AFTER = re.compile(r"(?i)(?:st|nd|rd|th)\b")
_WORD = re.compile(r"[A-Za-z]+")


_SAME_LENGTH = str.maketrans("−–×\u00a0⁄’", "--x /'")


def _normalise(text: str) -> str:
    # Same length on purpose: spans found in the normalised text index the original one.
    return text.translate(_SAME_LENGTH)


def _next_word(text: str, pos: int) -> tuple[str, int, int] | None:
    match = _WORD.search(text, pos)
    if not match or text[pos : match.start()].strip(" -"):
        return None
    return match.group().lower(), match.start(), match.end()


def _word_tokens(text: str, pos: int, limit: int = 16) -> list[tuple[str, int, int]]:
    """Consecutive words from `pos`, separated only by spaces or hyphens."""
    tokens: list[tuple[str, int, int]] = []
    while len(tokens) < limit and (tok := _next_word(text, pos)) is not None:
        tokens.append(tok)
        pos = tok[2]
    return tokens


def _parse_cardinal(words: list[str]) -> tuple[float, int] | None:
    """Longest cardinal number at the start of `words` (`one hundred and twenty five`), value and length."""
    total, current, used = 0, 0, 0
    last = ""  # kind of the last consumed word: small, tens, hundred, scale, and
    i = 0
    while i < len(words):
        w = words[i]
        if w in _SMALL and (last in ("", "hundred", "scale", "and") or (last == "tens" and 0 < _SMALL[w] < 10)):
            current += _SMALL[w]
            last = "small" if _SMALL[w] >= 10 or last != "tens" else "done"
        elif w in _TENS and last in ("", "hundred", "scale", "and"):
            current += _TENS[w]
            last = "tens"
        elif w == "hundred" and last in ("small", "tens", "done") and 0 < current < 100:
            current *= 100
            last = "hundred"
        elif w in _SCALES and last in ("small", "tens", "done", "hundred"):
            total += current * _SCALES[w]
            current = 0
            last = "scale"
        elif (
            w == "and"
            and last in ("hundred", "scale")
            and i + 1 < len(words)
            and (words[i + 1] in _SMALL or words[i + 1] in _TENS)
        ):
            last = "and"
        else:
            break
        i += 1
        if last != "and":
            used = i
    if used == 0:
        return None
    return float(total + current), used


def _parse_words(text: str, pos: int) -> tuple[float, int, tuple[float, ...]] | None:
    """A number written in words at `pos`: value, end offset, parts."""
    tokens = _word_tokens(text, pos)
    words = [t[0] for t in tokens]
    sign, k = 1.0, 0
    if words[:1] and words[0] in _NEGATORS:
        sign, k = -1.0, 1
    if k >= len(words):
        return None
    if words[k] in ("a", "an"):
        nxt = words[k + 1] if k + 1 < len(words) else ""
        if nxt in ("hundred", *_SCALES):
            parsed = _parse_cardinal(["one", *words[k + 1 :]])
        elif nxt == "dozen" or nxt in _DENOMS and not nxt.endswith("s"):
            parsed = (1.0, 1)
        else:
            return None
    else:
        parsed = _parse_cardinal(words[k:])
    if parsed is None:
        return None
    value, n = parsed
    k += n
    parts: tuple[float, ...] = (value,)
    rest = words[k:]
    if rest[:1] == ["point"] and len(rest) > 1 and _SMALL.get(rest[1], 10) < 10:
        digits = ""
        j = 1
        while j < len(rest) and _SMALL.get(rest[j], 10) < 10:
            digits += str(_SMALL[rest[j]])
            j += 1
        value += float("0." + digits)
        k += j
    elif rest[:1] == ["dozen"]:
        value *= 12
        k += 1
    elif rest[:1] and rest[0] in _DENOMS and value >= 1 and value == int(value):
        parts = (value, _DENOMS[rest[0]])
        value = value / _DENOMS[rest[0]]
        k += 1
    elif rest[:1] == ["and"] and len(rest) >= 3 and rest[2] in _DENOMS:
        numerator = 1.0 if rest[1] in ("a", "an", "one") else float(_SMALL.get(rest[1], 0))
        if numerator:
            parts = (value, numerator, _DENOMS[rest[2]])
            value += numerator / _DENOMS[rest[2]]
            k += 3
    return sign * value, tokens[k - 1][2], parts


def _parse_digits(match: re.Match[str]) -> tuple[float, NumberForm, tuple[float, ...]]:
    g = match.groupdict()
    sign = -1.0 if g["sign"] else 1.0
    if g["mw"] is not None:
        whole = float(g["mw"])
        if g["mu"]:
            frac = _UNICODE_FRACTIONS[g["mu"]]
            return sign * (whole + frac), "mixed", (whole, frac)
        num, den = float(g["mn"]), float(g["md"])
        return sign * (whole + num / den), "mixed", (whole, num, den)
    if g["fn"] is not None:
        num, den = float(g["fn"]), float(g["fd"])
        return sign * num / den, "fraction", (num, den)
    if g["uf"] is not None:
        return sign * _UNICODE_FRACTIONS[g["uf"]], "fraction", ()
    value = float(g["num"].replace(",", ""))
    if g["exp"]:
        value *= 10 ** int(g["exp"][1:])
    elif g["exp10"]:
        value *= 10 ** int(g["exp10"])
    return sign * value, "digits", (value,)


def _money_tail(text: str, pos: int) -> tuple[float, int] | None:
    """After `N dollars`: `M` or `M cents` (or `and M cents`) with M < 100, as a fraction of the major unit.

    `and M` without `cents` is not joined: "$5 and 3 more" is two amounts.
    """
    j = pos
    tok = _next_word(text, j)
    joined_by_and = bool(tok and tok[0] == "and")
    if joined_by_and:
        j = tok[2]  # type: ignore[index]
    digits = re.compile(r"\s*(\d{1,2})(?![\d.,/])").match(text, j)
    if digits:
        minor, end = float(digits.group(1)), digits.end()
    else:
        parsed = _parse_words(text, j)
        if parsed is None or parsed[0] >= 100 or parsed[0] != int(parsed[0]) or parsed[0] < 1:
            return None
        minor, end = parsed[0], parsed[1]
    nxt = _next_word(text, end)
    if nxt and nxt[0] in _MINOR_WORDS:
        return minor / 100, nxt[2]
    if joined_by_and:
        return None
    following = text[end:].lstrip()
    if nxt is None or nxt[0] in _AFTER_MINOR_OK or not following[:1].isalpha():
        return minor / 100, end
    return None


def extract_numbers(text: str) -> list[NumberMention]:
    """Every number `text` states, in order, in any supported form (see the module docstring)."""
    norm = _normalise(text)
    mentions: list[NumberMention] = []
    pos = 0
    while (found := _find_next(norm, pos)) is not None:
        value, start, end, form, parts, unit = found
        if unit is None and (read := read_unit(norm, end)) is not None:
            unit, end = read
            money = unit.lower() in _MAJOR_CURRENCY and form in ("digits", "words") and value == int(value)
            if money and (tail := _money_tail(norm, end)) is not None:
                value += tail[0] if value >= 0 else -tail[0]
                end, form = tail[1], "money"
        after = _next_word(norm, end)
        mentions.append(NumberMention(value, unit, start, end, text[start:end], form, parts, after[0] if after else ""))
        pos = max(end, start + 1)
    return mentions


Found = tuple[float, int, int, NumberForm, tuple[float, ...], str | None]


def _find_next(text: str, pos: int) -> Found | None:
    """The next number at or after `pos`: value, start, end, form, parts, unit (currency or percent)."""
    digit = _next_digit_match(text, pos)
    for match in _WORD.finditer(text, pos, digit[0].start() if digit else len(text)):
        if match.start() > 0 and text[match.start() - 1].isalpha():
            continue
        lw = match.group().lower()
        if lw not in _SMALL and lw not in _TENS and lw not in _NEGATORS and lw not in ("a", "an"):
            continue
        if lw == "one" and _is_pronoun_one(text, match):
            continue
        if (parsed := _parse_words(text, match.start())) is not None:
            value, end, parts = parsed
            return value, match.start(), end, "words", parts, None
    if digit is None:
        return None
    match, whole_only = digit
    if whole_only:  # "2 14/5": the 2 alone; the scan continues at 14/5
        value = float(match.group("mw"))
        return value, match.start(), match.end("mw"), "digits", (value,), None
    value, form, parts = _parse_digits(match)
    start, end = match.start(), match.end()
    neg = re.search(r"(?i)\b(minus|negative)\s+$", text[max(0, start - 12) : start])
    if neg and not match.group("sign"):
        value, start = -value, start - len(neg.group())
    unit = None
    if match.group("cur"):
        unit = {"$": "dollar", "€": "euro", "£": "gbp"}[match.group("cur").strip()]
    elif pct := re.match(r"\s?%", text[end:]):
        unit, end = "%", end + pct.end()
    return value, start, end, form, parts, unit


def _next_digit_match(text: str, pos: int) -> tuple[re.Match[str], bool] | None:
    """The next acceptable digit match, and whether only its whole part counts (improper mixed number)."""
    while (match := _DIGITS.search(text, pos)) is not None:
        start = match.start()
        before = text[start - 1] if start > 0 else " "
        ok = not (before.isalnum() or before in "_^.")  # x2, CO2, m/s^2, 1.2.3
        if ok and match.group("sign") and not match.group("cur") and start > 0:
            # "-5" is negative only as a token of its own, not the "-3" of "5-3".
            ok = before.isspace() or before in "(=:[,"
        if ok and _ORDINAL_AFTER.match(text, match.end()):
            ok = False
        if ok and (match.group("fd") or match.group("md")) in ("0", "0.0"):
            ok = False
        if ok and match.group("mn") is not None and float(match.group("mn")) >= float(match.group("md")):
            return match, True
        if ok:
            return match, False
        pos = start + 1
    return None


def _is_pronoun_one(text: str, match: re.Match[str]) -> bool:
    prev = re.search(r"([A-Za-z]+)\W*$", text[: match.start()])
    if prev and prev.group(1).lower() in _ONE_PRONOUN_BEFORE:
        nxt = _next_word(text, match.end())
        return not (nxt and (nxt[0] in _DENOMS or nxt[0] in _SCALES or nxt[0] in ("hundred", "and", "point")))
    return False


def printed_number(stdout: str) -> float | None:
    """The number a program printed last: its last output line that is a plain number (`1,250` reads as
    1250), or None. Unlike `extract_numbers` this reads a calculation's output, not prose."""
    for line in reversed(stdout.strip().splitlines()):
        try:
            return float(line.strip().replace(",", ""))
        except ValueError:
            continue
    return None
