"""Checks and clean-up of what goes into the database, identical on SQLite and PostgreSQL.

NUL characters: PostgreSQL rejects U+0000 in text and in JSONB strings, and SQLite C code treats it as a
terminator in places. Rather than lose data silently or fail only on one backend, every NUL in stored text
and in every JSON string (keys included) is replaced by U+FFFD REPLACEMENT CHARACTER on both backends,
so what was there stays visible. Lone UTF-16 surrogates (which no database can encode as UTF-8) get the
same treatment. Everything else, emoji and right-to-left text included, is stored exactly.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from tutor.errors import InputDataError

REPLACEMENT = "\ufffd"
MAX_MESSAGE_CHARS = 100_000
MAX_CODE_CHARS = 200_000
MAX_JSON_CHARS = 10_000_000
MAX_USERNAME_CHARS = 64

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_USERNAME = re.compile(r"[\w.@+-]+")
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def storable(text: str) -> str:
    """`text` with NULs and lone surrogates replaced by U+FFFD (see the module docstring)."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


def clean_text(text: str, what: str, max_chars: int, *, allow_empty: bool = False) -> str:
    """A storable copy of `text`, checked for type, emptiness and length.

    Raises:
        InputDataError: not a string, empty (unless allowed) or longer than `max_chars`.
    """
    if not isinstance(text, str):
        raise InputDataError(f"{what} must be text, not {type(text).__name__}")
    if not allow_empty and not text.strip():
        raise InputDataError(f"{what} is empty")
    if len(text) > max_chars:
        raise InputDataError(f"{what} is too long: {len(text)} characters, at most {max_chars}")
    return storable(text)


def clean_label(text: str, what: str, max_chars: int) -> str:
    """A short one-line field (problem id, domain): stripped, non-empty, no longer than `max_chars`."""
    value = clean_text(text, what, max_chars).strip()
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise InputDataError(f"{what} contains control characters")
    return value


def clean_title(title: str, max_chars: int = 200) -> str:
    """A display title: one line, cut with an ellipsis rather than rejected when too long."""
    if not isinstance(title, str):
        raise InputDataError(f"title must be text, not {type(title).__name__}")
    one_line = " ".join(storable(title).split())
    return one_line if len(one_line) <= max_chars else one_line[: max_chars - 1] + "…"


def clean_json(value: Any, what: str) -> Any:
    """A JSON-safe copy of `value`, exactly as it will read back from either database.

    Raises:
        InputDataError: `value` is not JSON-serializable, holds NaN/Infinity (PostgreSQL rejects
            them), or is larger than MAX_JSON_CHARS once serialized.
    """
    try:
        encoded = json.dumps(_storable_strings(value), allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InputDataError(f"{what} cannot be stored as JSON: {exc}") from exc
    if len(encoded) > MAX_JSON_CHARS:
        raise InputDataError(f"{what} is too large: {len(encoded)} characters of JSON, at most {MAX_JSON_CHARS}")
    return json.loads(encoded)


def clean_json_object(value: Any, what: str) -> dict[str, Any]:
    """`clean_json` for a value that must be a JSON object (a dict)."""
    if not isinstance(value, dict):
        raise InputDataError(f"{what} must be a JSON object (dict), not {type(value).__name__}")
    cleaned: dict[str, Any] = clean_json(value, what)
    return cleaned


def _storable_strings(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(k) if isinstance(k, str) else k: _storable_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable_strings(v) for v in value]
    return value


def normalize_username(username: str) -> str:
    """The stored form of a username: NFKC, stripped, case-folded (so 'Ada' and 'ada' are one user).

    Raises:
        InputDataError: empty, too long, or characters other than letters, digits and `. @ + - _`.
    """
    if not isinstance(username, str):
        raise InputDataError(f"username must be text, not {type(username).__name__}")
    name = unicodedata.normalize("NFKC", username).strip().casefold()
    if not name:
        raise InputDataError("username is empty")
    if len(name) > MAX_USERNAME_CHARS:
        raise InputDataError(f"username is too long: at most {MAX_USERNAME_CHARS} characters")
    if not _USERNAME.fullmatch(name):
        raise InputDataError(
            f"username {name!r} has characters that are not allowed",
            "use letters, digits and . @ + - _",
        )
    return name


def check_run_id(run_id: str) -> str:
    """A caller-chosen run id: 1-64 of letters, digits, `. _ -`, starting with a letter or digit."""
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise InputDataError(f"run id {run_id!r} is not valid", "use 1-64 letters, digits, '.', '_' or '-'")
    return run_id
