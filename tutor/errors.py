"""One error hierarchy for everything a user can cause or meet.

Expected outcomes (a program that fails, a leak that was caught, a rejected dialogue) are data, not
exceptions. These classes are for faults: each carries a one-line message that says what went wrong,
why, and what to do, so the CLI and the app can show it without a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module first; pydantic is imported where it validates
    from pydantic import ValidationError


class TutorError(Exception):
    """Base of every error this project raises on purpose.

    Args:
        message: what went wrong and why, in one sentence.
        hint: what the user can do about it.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(TutorError):
    """Settings, model specs or command-line options that cannot be used."""


class ModelUnavailableError(TutorError):
    """A model cannot be built or reached: missing package, missing file, dead server."""


class ModelBackendError(TutorError):
    """A backend failed at call time after bounded retries (timeout, HTTP 429/5xx, crash)."""


class ModelOutputError(TutorError):
    """A model answered, but its output cannot be parsed or validated (never half-parsed data)."""

    def __init__(self, message: str, hint: str | None = None, raw: str = "") -> None:
        super().__init__(message, hint)
        self.raw = raw


class SandboxError(TutorError):
    """The sandbox itself is broken (not: the program in it failed)."""


class StorageError(TutorError):
    """The database cannot be opened, migrated or written."""


class InputDataError(TutorError):
    """A data file or record does not fit its schema; the message names file, record and field."""


class NotFoundError(TutorError):
    """A requested problem, session, run or profile does not exist (or is not visible to the caller)."""


class NotAllowedError(TutorError):
    """The acting user is not logged in, or their role may not do this."""


class RateLimitedError(NotAllowedError):
    """Too many attempts of one action in a short time (log-ins, sign-ups, messages); try again later."""


def validation_problem(exc: ValidationError, whole: str = "(the record)") -> str:
    """Pydantic's first error in the project's format, ``field `a.b`: message`` (``whole`` names an error of
    the whole object). One error is enough to fix the file and run again; the rest would bury it."""
    first = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or whole
    return f"field `{field}`: {str(first['msg']).removeprefix('Value error, ')}"
