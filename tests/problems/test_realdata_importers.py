"""The importers on the real public files (`TUTOR_REALDATA_DIR`), through the same path as the CLI.

Each file is imported with `socratic problems import FORMAT IN OUT` and no `--skip-invalid`: it must
succeed, and the counts and fields below are those of the files in `../shared/data` (see its README).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socratic_cli import app
from tutor.problems.labelled import LabelledTutorResponse, read_labelled_jsonl

pytestmark = pytest.mark.realdata


def _import(fmt: str, source: Path, out: Path) -> str:
    """Run the CLI import (strict) and return its output."""
    result = CliRunner().invoke(app, ["problems", "import", fmt, str(source), str(out)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_bea_2025_dev_set_imports_every_response_of_its_300_conversations(realdata_dir, tmp_path):
    out = tmp_path / "bea.jsonl"
    stdout = _import("bea-2025", realdata_dir / "bea2025" / "mrbench_v3_devset.json", out)
    records = read_labelled_jsonl(out)
    assert all(isinstance(r, LabelledTutorResponse) for r in records)
    assert "wrote 2476 tutor-response record(s)" in stdout and "skipped" not in stdout
    assert len(records) == len({r.id for r in records}) == 2476
    assert len({r.conversation_id for r in records}) == 300
    tutors = Counter(r.tutor for r in records)
    assert tutors["Expert"] == 300 and tutors["Novice"] == 76 and len(tutors) == 9
    assert {r.source for r in records} == {"bea-2025"}
    assert all(r.history for r in records)
    last_speaker = Counter({r.conversation_id: r.history[-1].role for r in records}.values())
    assert last_speaker == {"student": 294, "tutor": 6}  # 6 histories label the student's last words `Tutor:`
    dims = ("mistake_identification", "mistake_location", "providing_guidance", "actionability")
    for dim in dims:
        assert all(getattr(r.labels, dim) is not None for r in records), dim
    assert Counter(r.labels.mistake_identification for r in records) == {
        "Yes": 1932,
        "No": 370,
        "To some extent": 174,
    }
