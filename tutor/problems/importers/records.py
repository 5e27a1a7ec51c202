"""Imported records that are not problems, and where `import_problems` writes them.

Some formats carry labelled tutor responses (MRBench, BEA 2025, Bridge) instead of problems, and some
carry, next to their problems, what a simulated student is built from (MathDial, Socratic Debugging
Benchmark). Importers yield those as `ImportedRecord`s (records of `tutor.problems.labelled`);
`write_records` puts them in JSONL files, merged by id like problems, atomically:

* `StudentProfileSeed`s go to the sidecar `<output stem>.profiles.jsonl` next to the problem output;
* labelled tutor responses and remediation examples go to the output itself, which must be `.jsonl`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tutor.errors import ConfigError
from tutor.files import atomic_write_text
from tutor.problems.labelled import AnyLabelled, StudentProfileSeed, read_labelled_jsonl

PROFILES_SUFFIX = ".profiles.jsonl"


@dataclass(frozen=True)
class ImportedRecord:
    """A record that became a labelled record (not a problem)."""

    record: AnyLabelled
    ref: str  # where it came from: `file:line`, `file#item`, `file#item/tutor`


@dataclass(frozen=True)
class RecordsWritten:
    """One JSONL file of labelled records an import wrote."""

    path: Path
    kind: str  # the `record` kind: `student-seed`, `tutor-response`, `remediation`
    written: int  # records of this import
    total: int  # records in the file after the merge


def profiles_path(output_path: Path) -> Path:
    """The student-seed sidecar of a problem output: `out.jsonl` -> `out.profiles.jsonl`."""
    return output_path.with_name(output_path.stem + PROFILES_SUFFIX)


def target_of(record: AnyLabelled, output_path: Path) -> Path:
    """Where `record` goes for an import into `output_path`.

    Raises:
        ConfigError: labelled responses asked to go into a YAML output.
    """
    if isinstance(record, StudentProfileSeed):
        return profiles_path(output_path)
    if output_path.suffix != ".jsonl":
        raise ConfigError(
            f"cannot write {record.record} records to {output_path}: they are written as JSONL",
            hint="give an output ending in .jsonl",
        )
    return output_path


def write_records(records: Sequence[ImportedRecord], output_path: Path) -> tuple[RecordsWritten, ...]:
    """Merge `records` by id into their JSONL files (see `target_of`), each via a temporary file.

    Raises:
        ConfigError: see `target_of`.
        InputDataError: an existing target file cannot be read (it is left untouched).
    """
    by_target: dict[Path, list[AnyLabelled]] = {}
    for item in records:
        by_target.setdefault(target_of(item.record, output_path), []).append(item.record)
    written = []
    for path, new in by_target.items():
        merged = {r.id: r for r in (read_labelled_jsonl(path) if path.exists() else [])}
        merged.update((r.id, r) for r in new)
        _write_jsonl(path, [r.model_dump_json(exclude_none=True) for r in merged.values()])
        written.append(RecordsWritten(path, new[0].record, len(new), len(merged)))
    return tuple(written)


def _write_jsonl(path: Path, lines: list[str]) -> None:
    atomic_write_text(path, "".join(line + "\n" for line in lines))


def is_labelled_file(path: Path) -> bool:
    """True when the first record of a `.jsonl` file is a labelled record (it has a `record` field)."""
    try:
        with path.open(encoding="utf-8") as handle:
            first = next((line for line in handle if line.strip()), "")
        return isinstance(data := json.loads(first), dict) and "record" in data
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False  # let the problem loader report what is wrong with it
