"""Small helpers the dataset importers share: ids, titles, numbers, reading JSON, splitting dialogues."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tutor.problems.importers.base import RecordError, SkippedRecord
from tutor.problems.labelled import LabelledTurn, Role
from tutor.problems.numbers import NumberMention, extract_numbers

UNKNOWN_LICENSE = "unknown (see the dataset's terms)"
_CALCULATOR = re.compile(r"<<[^<>]*>>")
_SPEAKER = re.compile(r"^\s*(tutor|teacher|student)\s*:\s?", re.IGNORECASE | re.MULTILINE)
_TUTOR_NAMES = {"tutor", "teacher"}


def slug(text: Any, limit: int = 60) -> str:
    """`text` as a lowercase id part: a-z, 0-9 and single hyphens (`Bridge 7_a` -> `bridge-7-a`)."""
    out = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return out[:limit].rstrip("-") or "x"


def title_of(text: str, limit: int = 60) -> str:
    """The first sentence of `text`, cut at a word boundary to at most `limit` characters."""
    first = re.split(r"(?<=[.?!])\s", " ".join(text.split()), maxsplit=1)[0]
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "..."


def strip_calculator(text: str) -> str:
    """Remove GSM8K-style calculator annotations (`<<3*7=21>>`)."""
    return _CALCULATOR.sub("", text)


def last_number(text: str) -> NumberMention | None:
    """The last number `text` states (any form `extract_numbers` reads), or None."""
    mentions = extract_numbers(strip_calculator(text))
    return mentions[-1] if mentions else None


def blank_number(text: str, mention: NumberMention) -> str:
    """`text` with the number of `mention` replaced by `?` (its unit kept), so a step question does not
    state its own answer: `v = 9.0 m/s` -> `v = ? m/s`."""
    written = re.match(r"[$€£]?\s?-?[\d.,]+(?:e-?\d+)?", mention.text)
    unit_text = mention.text[written.end() :] if written and mention.unit else ""
    return " ".join((text[: mention.start] + "?" + unit_text + text[mention.end :]).split())


def required_text(record: dict[str, Any], key: str) -> str:
    """`record[key]` as a non-empty string (raises `RecordError` naming the field)."""
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        reason = (
            "missing"
            if value is None
            else ("empty" if isinstance(value, str) else f"expected text, got {type(value).__name__}")
        )
        raise RecordError(key, reason)
    return value.strip()


def optional_text(record: dict[str, Any], key: str) -> str | None:
    """`record[key]` stripped, or None when absent or blank (raises when it is not text)."""
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(key, f"expected text, got {type(value).__name__}")
    return value.strip() or None


def iter_json_list(path: Path) -> Iterator[tuple[str, Any] | SkippedRecord]:
    """(ref, item) for each item of a JSON list file; one `SkippedRecord` if the file does not parse.

    Refs are `file#i` (0-based item index), as the problem importers name list items.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        yield SkippedRecord(f"{path.name}:{exc.lineno}", None, f"invalid JSON: {exc.msg}")
        return
    except (OSError, UnicodeDecodeError) as exc:
        yield SkippedRecord(path.name, None, f"cannot read: {exc}")
        return
    if isinstance(data, dict):
        data = [data]  # a single item is accepted as a list of one
    if not isinstance(data, list):
        yield SkippedRecord(path.name, None, f"expected a JSON list, got {type(data).__name__}")
        return
    for i, item in enumerate(data):
        yield f"{path.name}#{i}", item


def iter_jsonl(path: Path) -> Iterator[tuple[str, Any] | SkippedRecord]:
    """(ref, record) per non-empty line of a JSONL file; a `SkippedRecord` for a line that is not JSON.

    A last line that is not JSON and does not end its object (`}`) is a file cut off mid-record, an
    upstream defect: its `SkippedRecord` has `defect=True` (listed, not an error). A bad line anywhere
    else, or a last line that is complete but wrong, is an ordinary invalid record.
    """
    pending: tuple[str, str] | None = None  # (ref, line) read but not yet yielded: is it the last?
    with path.open(encoding="utf-8") as handle:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            if pending is not None:
                yield _parse_line(*pending, last=False)
            pending = (f"{path.name}:{n}", line)
    if pending is not None:
        yield _parse_line(*pending, last=True)


def _parse_line(ref: str, line: str, *, last: bool) -> tuple[str, Any] | SkippedRecord:
    try:
        return ref, json.loads(line)
    except json.JSONDecodeError as exc:
        if last and not line.rstrip().endswith(("}", "]")):
            reason = f"truncated: the file ends inside this record ({len(line.rstrip())} characters, {exc.msg})"
            return SkippedRecord(ref, None, reason, defect=True)
        return SkippedRecord(ref, None, f"invalid JSON: {exc.msg}")


def as_object(item: Any) -> dict[str, Any]:
    """`item` if it is a JSON object, else a `RecordError`."""
    if not isinstance(item, dict):
        raise RecordError(None, f"expected a JSON object, got {type(item).__name__}")
    return item


def split_history(text: str) -> list[LabelledTurn]:
    """A history string with `Tutor:`/`Teacher:`/`Student:` line prefixes, split into turns.

    Lines without a prefix continue the turn before them. Returns [] when no line has a prefix.
    """
    marks = list(_SPEAKER.finditer(text))
    turns = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        role: Role = "tutor" if mark.group(1).lower() in _TUTOR_NAMES else "student"
        turns.append(LabelledTurn(role=role, text=text[mark.end() : end].strip()))
    return turns
