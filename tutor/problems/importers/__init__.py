"""Importers of public problem formats, by name.

`IMPORTERS` maps a format name (as typed after `socratic problems import`) to an importer: a function
`(input_path: Path) -> Iterator[ImportedProblem | SkippedRecord]`. To add a format, write
`tutor/problems/importers/<name>.py` following `gsm8k.py` (yield a `SkippedRecord` naming the record and
field instead of raising; set `source`, `license`, `source_ref`, `missing` and `import_notes`) and
add one line below. Formats that carry labelled records instead of (or next to) problems yield
`ImportedRecord`s (see `records.py` for where they are written). `import_problems` does the rest:
strict or `--skip-invalid`, merge by id, atomic write.
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
from tutor.problems.importers.bridge import import_bridge
from tutor.problems.importers.gsm8k import import_gsm8k
from tutor.problems.importers.higgs import import_higgs
from tutor.problems.importers.mathdial import import_mathdial
from tutor.problems.importers.mrbench import import_mrbench
from tutor.problems.importers.oatutor import import_oatutor
from tutor.problems.importers.records import ImportedRecord
from tutor.problems.importers.socratic_debugging import import_socratic_debugging
from tutor.problems.importers.treeinstruct import import_treeinstruct

IMPORTERS: dict[str, Importer] = {
    "gsm8k": import_gsm8k,
    "mathdial": import_mathdial,  # + student seeds in <output stem>.profiles.jsonl
    "bridge": import_bridge,  # labelled records, not problems (see records.py)
    "mrbench": import_mrbench,  # labelled records; also reads the BEA 2025 files
    "bea-2025": import_mrbench,
    "socratic-debugging": import_socratic_debugging,  # + student seeds in <output stem>.profiles.jsonl
    "treeinstruct": import_treeinstruct,
    "oatutor": import_oatutor,
    "higgs": import_higgs,
}

__all__ = [
    "IMPORTERS",
    "ImportOutcome",
    "ImportSummary",
    "ImportedProblem",
    "ImportedRecord",
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
