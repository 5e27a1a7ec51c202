"""Importers of public problem formats, by name.

`IMPORTERS` maps a format name (as typed after `socratic problems import`) to an importer: a function
`(input_path: Path) -> Iterator[ImportedProblem | SkippedRecord]`. To add a format, write
`tutor/problems/importers/<name>.py` following `gsm8k.py` (yield a `SkippedRecord` naming the record and
field instead of raising; set `source`, `license`, `source_ref`, `missing` and `import_notes`) and
add one line below. `import_problems` does the rest: strict or `--skip-invalid`, merge by id, atomic
write.
"""

from __future__ import annotations

from tutor.errors import ConfigError
from tutor.problems.importers.base import (
    ImportedProblem,
    Importer,
    ImportOutcome,
    ImportSummary,
    RecordError,
    SkippedRecord,
    build_problem,
    import_problems,
    write_collection,
)
from tutor.problems.importers.gsm8k import import_gsm8k

IMPORTERS: dict[str, Importer] = {
    "gsm8k": import_gsm8k,
}

__all__ = [
    "IMPORTERS",
    "ImportOutcome",
    "ImportSummary",
    "ImportedProblem",
    "Importer",
    "RecordError",
    "SkippedRecord",
    "build_problem",
    "get_importer",
    "import_problems",
    "write_collection",
]


def get_importer(name: str) -> Importer:
    """The importer registered under `name`.

    Raises:
        ConfigError: no such format (the message lists the known ones).
    """
    try:
        return IMPORTERS[name]
    except KeyError:
        known = ", ".join(sorted(IMPORTERS))
        raise ConfigError(f"no importer for format {name!r}", hint=f"known formats: {known}") from None
