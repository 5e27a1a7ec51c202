"""Bridge's real `train.json` and `validation.json` (`TUTOR_REALDATA_DIR`), imported as the CLI does.

`socratic problems import bridge IN OUT` without `--skip-invalid` must take every item; the counts and
label distributions below are those of the files in `../shared/data/bridge` (see its README).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socratic_cli import app
from tutor.problems.labelled import RemediationExample, read_labelled_jsonl

pytestmark = pytest.mark.realdata


def _import(source: Path, out: Path) -> list[RemediationExample]:
    result = CliRunner().invoke(app, ["problems", "import", "bridge", str(source), str(out)])
    assert result.exit_code == 0, result.output
    assert "skipped" not in result.stdout
    records = read_labelled_jsonl(out)
    assert all(isinstance(r, RemediationExample) for r in records)
    return records  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("name", "items", "segments", "errors"),
    [
        (
            "train.json",
            419,
            340,
            {
                "guess": 152,
                "right-idea": 78,
                "diagnose": 76,
                "other": 32,
                "careless": 29,
                "misinterpret": 26,
                "imprecise": 26,
            },
        ),
        (
            "validation.json",
            71,
            66,
            {
                "guess": 25,
                "right-idea": 15,
                "diagnose": 15,
                "imprecise": 5,
                "misinterpret": 4,
                "other": 4,
                "careless": 3,
            },
        ),
    ],
)
def test_every_bridge_item_imports_with_its_conversation_replies_and_labels(
    realdata_dir, tmp_path, name, items, segments, errors
):
    records = _import(realdata_dir / "bridge" / name, tmp_path / "bridge.jsonl")
    assert len(records) == len({r.id for r in records}) == items  # experts sharing a segment stay apart
    assert len({r.conversation_id for r in records}) == segments
    assert Counter(r.labels.error for r in records) == errors
    assert all(r.history and r.history[-1].role == "student" for r in records)
    assert all(r.novice_response and {t.role for t in r.novice_response} == {"tutor"} for r in records)
    assert all(r.expert_responses and r.revision for r in records)
    # c_revision starts with the expert's reply (c_r_), then the conversation goes on
    assert all(
        [t.text for t in r.revision[: len(r.expert_responses)]] == [e.text for e in r.expert_responses] for r in records
    )
    assert all(r.topic for r in records)
    for dim in ("strategy", "intention"):
        labels = Counter(getattr(r.labels, dim) for r in records)
        assert labels["other"] < 0.1 * items, (dim, labels)  # only the annotators' free text is `other`
    assert all(r.labels.error_text for r in records)


def test_both_files_merge_into_one_output(realdata_dir, tmp_path):
    out = tmp_path / "bridge.jsonl"
    _import(realdata_dir / "bridge" / "train.json", out)
    records = _import(realdata_dir / "bridge" / "validation.json", out)
    assert len(records) == 419 + 71
    counts = Counter(r.labels.strategy for r in records)
    assert counts.most_common(2) == [("ask-question", 149), ("explain-concept", 99)]
    assert Counter(r.labels.intention for r in records)["understand-topic"] == 174
