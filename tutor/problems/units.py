"""Units for answer checking: one lazily built pint registry and the few questions we ask it.

A unit string is either a *pint unit* ("m/s", "km/h", "N", "dollars", "%") or a *label* ("buses",
"cookies") that pint does not know or that is an everyday English word pint happens to know as an
obscure unit ("bus" is a bushel to pint, "are" is 100 m^2, "in" is an inch). Labels are compared as
words; pint units are compared and converted as units.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pint

# Everyday words (and single letters) pint would read as units; never treated as units in free text.
_NOT_UNITS = frozenset(
    """a an am are as at be bus bag bags bar bars c chain chains e grain grains hand hands has he i in
    is it k link links me mil no of on or pi pm point points pole poles r rod rods so stone stones tab the
    to u us x""".split()
)
_CURRENCY_SYMBOLS = {"$": "dollar", "€": "euro", "£": "gbp"}
# Dimensionless units that are still worth reading as a unit after a number.
_DIMENSIONLESS_OK = frozenset({"percent", "radian", "degree", "permille", "ppm"})
_CHUNK = re.compile(r"[^\s,;:!?()\[\]{}\"“”]+")


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """The shared registry, with currencies added (built on first use: pint takes ~0.5 s to load)."""
    import pint

    ureg: pint.UnitRegistry = pint.UnitRegistry()
    ureg.define("dollar = [currency] = usd = buck")
    ureg.define("cent = 0.01 dollar")
    # Other currencies get their own dimension: nobody converts euros to dollars in a word problem.
    ureg.define("euro = [currency_eur] = eur")
    ureg.define("eurocent = 0.01 euro")
    ureg.define("gbp = [currency_gbp] = pound_sterling")
    ureg.define("penny = 0.01 gbp = _ = pence")
    return ureg


def normalise_unit_text(text: str) -> str:
    """Tidy a unit as written: trim, map currency symbols to names, `per cent` to `percent`."""
    text = text.strip()
    if text in _CURRENCY_SYMBOLS:
        return _CURRENCY_SYMBOLS[text]
    text = re.sub(r"(?i)\bper\s+cent\b", "percent", text)
    text = re.sub(r"(?i)^degrees?\s+(?:celsius|centigrade)$", "degC", text)
    return re.sub(r"(?i)^degrees?\s+fahrenheit$", "degF", text)


@lru_cache(maxsize=4096)
def parse_unit(text: str | None) -> pint.Unit | None:
    """The pint unit `text` names, or None for labels, everyday words and nonsense."""
    if text is None:
        return None
    text = normalise_unit_text(text)
    if not text or text[0].isdigit() or any(_everyday(word) for word in text.split()):
        return None
    ureg = registry()
    try:
        unit = ureg.parse_units(text)
    except Exception:  # pint raises a zoo of error types for unparseable text
        return None
    if unit.dimensionless and not any(name in str(unit) for name in _DIMENSIONLESS_OK):
        return None  # "pi", "dozen" and friends are numbers, not units
    return unit


def _everyday(word: str) -> bool:
    # Single letters keep their case: "K" is kelvin and "A" ampere, while "a" is an article.
    return (word if len(word) == 1 else word.lower()) in _NOT_UNITS


def is_pint_unit(text: str | None) -> bool:
    return parse_unit(text) is not None


def convert(value: float, from_unit: str, to_unit: str) -> float | None:
    """`value` in `from_unit` expressed in `to_unit`; None for non-units and incompatible units."""
    src, dst = parse_unit(from_unit), parse_unit(to_unit)
    if src is None or dst is None:
        return None
    ureg = registry()
    try:
        return float(ureg.Quantity(value, src).to(dst).magnitude)
    except Exception:  # DimensionalityError, offset-unit errors
        return None


def compatible(a: str, b: str) -> bool:
    """True when both are pint units of the same dimension."""
    ua, ub = parse_unit(a), parse_unit(b)
    return ua is not None and ub is not None and ua.dimensionality == ub.dimensionality


def same_unit(a: str | None, b: str | None) -> bool:
    """True when `a` and `b` name the same unit (`m/s` == `meters per second`; `bus` == `buses`)."""
    if a is None or b is None:
        return a is b
    ua, ub = parse_unit(a), parse_unit(b)
    if ua is not None and ub is not None:
        factor = convert(1.0, a, b)
        return factor is not None and abs(factor - 1.0) < 1e-12 and ua.dimensionality == ub.dimensionality
    if ua is None and ub is None:
        return label_key(a) == label_key(b)
    return False


def label_key(text: str) -> str:
    """A label reduced for comparison: lowercase, singular (`buses` -> `bus`, `cookies` -> `cookie`)."""
    word = " ".join(text.lower().split())
    for suffix, repl in (
        ("ies", "y"),
        ("sses", "ss"),
        ("shes", "sh"),
        ("ches", "ch"),
        ("xes", "x"),
        ("ses", "s"),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            return word[: -len(suffix)] + repl
    return word


def read_unit(text: str, pos: int) -> tuple[str, int] | None:
    """Read a pint unit written at `text[pos:]` (after a number), longest match first.

    Returns the unit as written (normalised) and the offset just after it, or None. Up to four
    space-separated chunks are tried ("meters per second squared"); a chunk that is an everyday word
    ends the unit ("12 kg a day" reads `kg`, not kg*year).
    """
    i = pos
    while i < len(text) and text[i] in " \t" and i - pos < 2:
        i += 1
    if i < len(text) and text[i] in _CURRENCY_SYMBOLS:
        return _CURRENCY_SYMBOLS[text[i]], i + 1
    if i < len(text) and text[i] == "%":
        return "%", i + 1
    chunks: list[tuple[str, int]] = []
    j = i
    while len(chunks) < 4:
        match = _CHUNK.match(text, j)
        if not match:
            break
        chunk = match.group().rstrip(".")
        if not chunk or chunk[0].isdigit() or _everyday(chunk):
            break
        chunks.append((chunk, match.start() + len(chunk)))
        j = match.end()
        while j < len(text) and text[j] in " \t":
            j += 1
        if j == match.end():  # no space after: the unit cannot continue
            break
    for k in range(len(chunks), 0, -1):
        written = " ".join(c for c, _ in chunks[:k])
        if parse_unit(written) is not None:
            return normalise_unit_text(written), chunks[k - 1][1]
    return None
