"""Files written all at once, and pydantic models read from YAML or JSON files with the project's errors.

    write_json(run_dir / "summary.json", summary)           # a crash leaves the old file or the new one
    spec = load_model(GenerationSpec, "spec.yaml", what="generation spec", hint="see datasets/...")

Errors name the file and the field (``spec.yaml: field `seeds`: ...``), never a traceback.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from tutor.errors import ConfigError, InputDataError, TutorError, validation_problem

M = TypeVar("M", bound=BaseModel)


@contextmanager
def atomic_writer(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file that replaces `path` when the block ends, and never if it raises: a crash at any point
    leaves the old file or the new one, never a part.

    The bytes go to a unique temporary file in the same folder (so concurrent writers never share one),
    are flushed to disk, and the file is renamed over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Replace `path` with `data` all at once (see `atomic_writer`)."""
    with atomic_writer(path) as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """`atomic_write_bytes` for UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, data: Any) -> Path:
    """Indented JSON with a final newline, written atomically."""
    return atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_data(path: str | Path, *, what: str = "file", error: type[TutorError] = InputDataError) -> Any:
    """The data in a YAML or JSON file (by suffix; YAML otherwise). An empty YAML file is an empty mapping."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.safe_load(text) or {}
    except FileNotFoundError:
        raise error(f"{what} {path} not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise error(f"cannot read {what} {path}: {exc}") from None


def validate_as(
    model: type[M],
    data: Any,
    where: str,
    *,
    whole: str = "(the file)",
    error: type[TutorError] = InputDataError,
    hint: str | None = None,
) -> M:
    """`model.model_validate(data)`, a failure raised as `error` naming `where` and the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(f"{where}: {validation_problem(exc, whole)}", hint) from None


def load_model(
    model: type[M],
    path: str | Path,
    *,
    what: str = "file",
    error: type[TutorError] = ConfigError,
    hint: str | None = None,
) -> M:
    """A pydantic model read from a YAML or JSON file; errors name the file and the field."""
    data = read_data(path, what=what, error=error)
    return validate_as(model, data, str(path), whole=f"(the {what})", error=error, hint=hint)


__all__ = [
    "atomic_writer",
    "atomic_write_bytes",
    "atomic_write_text",
    "load_model",
    "read_data",
    "validate_as",
    "write_json",
]
