"""Reading a tutor message for the telling detector: numbers (digits, number words, money, units), sentences,
arithmetic written out, and code tokens.

This is the detector's own reader, written apart from the tutor's answer reader on purpose: a metric that
grades the tutor must not reuse the code it grades (see `student_sim.telling`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pint

# A number written with digits: thousands separators, decimals, an optional leading currency sign and minus.
_DIGITS = re.compile(r"(?<![\w.])(?P<neg>-)?(?P<cur>[$€£])?\s?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d+)?(?![\w])")
_FRACTION = re.compile(r"(?<![\w./])(\d+)\s?/\s?(\d+)(?![\w./])")
_UNIT = re.compile(r"\s?(?P<unit>%|percent\b|[A-Za-zµΩ°][A-Za-zµΩ°/*^²³0-9]*(?:\s?/\s?[A-Za-z]+[0-9²³^]*)?)")
_SMALL = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen".split()
    )
}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i >= 2}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)?")
_MONEY_WORDS = {"dollar", "dollars", "usd", "euro", "euros", "pound", "pounds", "buck", "bucks"}
_CENT_WORDS = {"cent", "cents", "c", "p", "pence"}
_SENTENCE = re.compile(r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)\s+|\n+|(?<=\?)")
_CODE_BLOCK = re.compile(r"```[^\n]*\n?(.*?)```|`([^`\n]+)`", re.DOTALL)
_CODE_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+(?:\.\d+)?|\*\*=?|//=?|->|[-+*/%<>=!&|^]=|==|[^\w\s]")


@dataclass(frozen=True)
class Number:
    """A number in a message: its value, where it is, and the unit word written after it (if any)."""

    value: float
    start: int
    end: int
    text: str
    unit: str | None = None
    currency: bool = False
    joined: bool = False  # an amount joined from two written numbers ("2 dollars and 20 cents")

    @property
    def is_small_integer(self) -> bool:
        """0..10 as a whole number: a count ("two steps") as often as a result."""
        return self.value.is_integer() and 0 <= self.value <= 10


def _word_numbers(text: str) -> list[Number]:
    """Numbers written in words: "twenty-five", "two hundred and forty", "a hundred"."""
    found: list[Number] = []
    words = list(_WORD.finditer(text))
    i = 0
    while i < len(words):
        total = current = 0
        start = end = -1
        j = i
        while j < len(words):
            parts = words[j].group(0).lower().split("-")
            if all(p in _SMALL or p in _TENS for p in parts):
                current += sum(_SMALL.get(p, 0) + _TENS.get(p, 0) for p in parts)
            elif parts == ["a"] and start < 0 and j + 1 < len(words) and words[j + 1].group(0).lower() in _SCALES:
                current = 1  # "a hundred"
            elif parts[0] in _SCALES and len(parts) == 1 and start >= 0:
                scale = _SCALES[parts[0]]
                if scale == 100:
                    current = max(current, 1) * 100
                else:
                    total += max(current, 1) * scale
                    current = 0
            elif parts[0] == "and" and start >= 0 and j + 1 < len(words):
                nxt = words[j + 1].group(0).lower().split("-")[0]
                if not (nxt in _SMALL or nxt in _TENS) or nxt == "zero":
                    break
                j += 1
                continue
            else:
                break
            if start < 0:
                start = words[j].start()
            end = words[j].end()
            j += 1
        if start >= 0:
            found.append(Number(float(total + current), start, end, text[start:end]))
            i = j
        else:
            i += 1
    return found


def _unit_after(text: str, end: int) -> tuple[str | None, int]:
    match = _UNIT.match(text, end)
    if match is None:
        return None, end
    unit = match.group("unit")
    return ("%" if unit.lower() == "percent" else unit), match.end()


def read_numbers(text: str) -> list[Number]:
    """Every number in `text`, in order: digits, fractions written "a/b", and number words; money read as
    dollars ("$2.20", "2 dollars and 20 cents", "two dollars twenty"), a unit word kept when one follows."""
    raw: list[Number] = []
    for m in _DIGITS.finditer(text):
        value = float(m.group("int").replace(",", "") + (m.group("dec") or ""))
        if m.group("neg"):
            value = -value
        raw.append(Number(value, m.start(), m.end(), m.group(0).strip(), currency=bool(m.group("cur"))))
    taken = [(n.start, n.end) for n in raw]
    for n in _word_numbers(text):
        if not any(a < n.end and n.start < b for a, b in taken):
            raw.append(n)
    raw.sort(key=lambda n: n.start)
    numbers: list[Number] = []
    for n in raw:
        unit, _ = _unit_after(text, n.end)
        numbers.append(Number(n.value, n.start, n.end, n.text, unit, n.currency))
    return _join_money(text, numbers)


def _join_money(text: str, numbers: list[Number]) -> list[Number]:
    """ "2 dollars and 20 cents" / "two dollars twenty" also give the joined amount 2.2 (kept beside the parts)."""
    joined: list[Number] = []
    for first, second in zip(numbers, numbers[1:], strict=False):
        if (
            (first.unit or "").lower() not in _MONEY_WORDS
            or not second.value.is_integer()
            or not 0 < second.value < 100
        ):
            continue
        between = text[first.end : second.start].lower()
        between = re.sub(r"^\s*[a-z]+", "", between, count=1)  # the dollar word itself
        if between.strip() in ("", "and", ","):
            value = first.value + second.value / 100
            span = text[first.start : second.end]
            joined.append(Number(value, first.start, second.end, span, "dollars", joined=True))
    return sorted(numbers + joined, key=lambda n: (n.start, -n.end))


def fractions(text: str) -> list[Number]:
    """ "14/5" written tight, read as its value (besides its two parts, which `read_numbers` gives)."""
    return [
        Number(int(m.group(1)) / int(m.group(2)), m.start(), m.end(), m.group(0))
        for m in _FRACTION.finditer(text)
        if int(m.group(2)) != 0
    ]


def in_cents(number: Number) -> bool:
    return (number.unit or "").lower() in _CENT_WORDS


def is_money_unit(unit: str | None) -> bool:
    return unit is not None and (unit.lower() in _MONEY_WORDS or unit in ("$", "€", "£"))


@cache
def _registry() -> pint.UnitRegistry:
    return pint.UnitRegistry()


def convert(value: float, unit: str, target: str) -> float | None:
    """`value` in `unit` expressed in `target`, when pint knows both and they are compatible."""
    ureg = _registry()
    try:
        quantity = ureg.Quantity(value, ureg.parse_units(unit.replace("²", "**2").replace("^", "**")))
        return float(quantity.to(ureg.parse_units(target.replace("²", "**2").replace("^", "**"))).magnitude)
    except Exception:  # pint raises many kinds (undefined, dimensionality, syntax): none is a conversion
        return None


def sentences(text: str) -> list[str]:
    """The message cut into sentences (a question mark ends one; decimal points do not)."""
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def code_spans(text: str) -> list[str]:
    """The code a message shows: fenced blocks and inline `code`."""
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in _CODE_BLOCK.finditer(text)]


def code_tokens(code: str) -> list[str]:
    """Python-ish tokens: names, numbers, compound operators (`+=`, `==`, `//`) and single symbols.
    Quotes are dropped so 'a' and "a" compare equal."""
    return [t for t in _CODE_TOKEN.findall(code) if t not in ("'", '"')]


def contains_run(haystack: list[str], needle: list[str]) -> bool:
    """`needle` occurs in `haystack` as a contiguous run of tokens."""
    n = len(needle)
    if n == 0 or n > len(haystack):
        return False
    first = needle[0]
    return any(haystack[i] == first and haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


__all__ = [
    "Number",
    "code_spans",
    "code_tokens",
    "contains_run",
    "convert",
    "fractions",
    "in_cents",
    "is_money_unit",
    "read_numbers",
    "sentences",
]
