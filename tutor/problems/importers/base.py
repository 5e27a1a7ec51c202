"""What every importer shares: its result types, the import driver, and atomic merged output.

An importer is a function `(input_path) -> Iterator[ImportedProblem | SkippedRecord]`. It never raises
for a bad record: it yields a `SkippedRecord` naming the record and field, and the driver decides
(fail with that message, or skip it with `--skip-invalid`). Output is a collection file (`.jsonl` or a
YAML list) written to a temporary file and renamed over the old one, merged by problem id, so an
import never loses problems already in the output and a crash never leaves a half-written file.
A record that is a defect of the upstream file itself (`SkippedRecord.defect`, e.g. a truncated last
line) is skipped and listed in either mode.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tutor.errors import ConfigError, InputDataError
from tutor.files import atomic_write_text
from tutor.problems.bank import (
    AnyProblem,
    describe_validation_error,
    dump_yaml,
    load_collection_file,
    problem_to_dict,
)
from tutor.problems.importers.records import ImportedRecord, RecordsWritten, write_records
from tutor.problems.schema import parse_problem

OUTPUT_SUFFIXES = (".jsonl", ".yaml", ".yml")


@dataclass(frozen=True)
class ImportedProblem:
    """A record that became a problem."""

    problem: AnyProblem
    ref: str  # where it came from: `file:line` or `file#item`


@dataclass(frozen=True)
class SkippedRecord:
    """A record that could not become a problem, and why.

    `defect` marks a genuine defect of the upstream file (a truncated last line): such a record is
    skipped and listed even in a strict import, since no fix on the user's side could import it.
    """

    ref: str
    field: str | None
    reason: str
    defect: bool = False

    def describe(self) -> str:
        where = f"field `{self.field}`: " if self.field else ""
        return f"{self.ref}: {where}{self.reason}"


ImportOutcome = ImportedProblem | ImportedRecord | SkippedRecord
Importer = Callable[[Path], Iterator[ImportOutcome]]


class RecordError(Exception):
    """Raised inside an importer for one bad record; turned into a `SkippedRecord`."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def build_problem(data: dict[str, Any]) -> AnyProblem:
    """Validate an importer's problem dict, turning schema errors into a `RecordError`."""
    try:
        return parse_problem(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = tuple(first["loc"])[1:]  # drop the domain tag of the union
        field_name = ".".join(str(p) for p in loc) or None
        why = describe_validation_error(exc, data)
        raise RecordError(field_name, f"does not fit the problem schema: {why}") from None


@dataclass(frozen=True)
class ImportSummary:
    """What an import did."""

    output: Path
    added: int
    updated: int
    unchanged: int
    kept: int  # problems already in the output that this import did not touch
    skipped: tuple[SkippedRecord, ...] = field(default_factory=tuple)
    records: tuple[RecordsWritten, ...] = ()  # labelled records (see `records.py`), by file

    @property
    def imported(self) -> int:
        return self.added + self.updated + self.unchanged

    def skipped_by_reason(self) -> dict[str, list[str]]:
        """Skipped record refs grouped by `field: reason`."""
        groups: dict[str, list[str]] = {}
        for s in self.skipped:
            key = f"{s.field}: {s.reason}" if s.field else s.reason
            groups.setdefault(key, []).append(s.ref)
        return groups


def import_problems(
    importer: Importer, input_path: Path, output_path: Path, *, skip_invalid: bool = False
) -> ImportSummary:
    """Run `importer` on `input_path` and merge its problems into `output_path` (atomically).

    Raises:
        InputDataError: a record does not fit (unless `skip_invalid`), the input is missing, or the
            existing output cannot be read (it is left untouched).
        ConfigError: the output is not a `.jsonl` or YAML file.
    """
    if output_path.suffix not in OUTPUT_SUFFIXES:
        raise ConfigError(f"cannot write problems to {output_path}: the output must end in .jsonl, .yaml or .yml")
    if not input_path.exists():
        raise InputDataError(f"{input_path}: no such input file or folder")
    imported: list[ImportedProblem] = []
    records: list[ImportedRecord] = []
    skipped: list[SkippedRecord] = []
    seen: dict[str, str] = {}
    for outcome in importer(input_path):
        if not isinstance(outcome, SkippedRecord):
            uid = outcome.problem.id if isinstance(outcome, ImportedProblem) else outcome.record.id
            key = uid if isinstance(outcome, ImportedProblem) else f"{outcome.record.record}:{uid}"
            if key in seen:
                outcome = SkippedRecord(outcome.ref, "id", f"duplicate of {seen[key]} (same id {uid})")
        if isinstance(outcome, SkippedRecord):
            if not (skip_invalid or outcome.defect):
                raise InputDataError(outcome.describe(), hint="fix the record, or pass --skip-invalid to skip it")
            skipped.append(outcome)
            continue
        if isinstance(outcome, ImportedRecord):
            seen[f"{outcome.record.record}:{outcome.record.id}"] = outcome.ref
            records.append(outcome)
            continue
        seen[outcome.problem.id] = outcome.ref
        imported.append(outcome)
    if not imported and not records:
        # Nothing usable: say so instead of writing an empty collection and reporting success.
        why = "; ".join(s.describe() for s in skipped[:3]) or "the input holds no records"
        raise InputDataError(f"{input_path}: nothing to import ({why})", hint="check that FORMAT matches the file")
    written = write_records(records, output_path) if records else ()
    if records and not imported:  # a labelled-records format: there is no problem collection to write
        return ImportSummary(output_path, 0, 0, 0, 0, tuple(skipped), written)
    existing = load_collection_file(output_path) if output_path.exists() else []
    merged: dict[str, AnyProblem] = {p.id: p for p in existing}
    added = updated = unchanged = 0
    for item in imported:
        old = merged.get(item.problem.id)
        if old is None:
            added += 1
        elif old == item.problem:
            unchanged += 1
        else:
            updated += 1
        merged[item.problem.id] = item.problem
    write_collection(output_path, merged.values())
    kept = len(existing) - updated - unchanged
    return ImportSummary(output_path, added, updated, unchanged, kept, tuple(skipped), written)


def write_collection(path: Path, problems: Iterable[AnyProblem]) -> None:
    """Write problems to `path` (`.jsonl` or a YAML list) all at once (see `tutor.files.atomic_writer`)."""
    items = [problem_to_dict(p) for p in problems]
    if path.suffix == ".jsonl":
        text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    else:
        text = dump_yaml(items)
    atomic_write_text(path, text)
