from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socratic_cli import app
from tutor.errors import ConfigError, InputDataError
from tutor.problems.importers import IMPORTERS, ImportedRecord, SkippedRecord, import_problems
from tutor.problems.importers.bridge import (
    ERROR_LABELS,
    INTENTION_LABELS,
    STRATEGY_LABELS,
    import_bridge,
    normalise_label,
)
from tutor.problems.labelled import RemediationExample, read_labelled_jsonl

FIXTURES = Path(__file__).parents[1] / "fixtures" / "bridge"


def _records(name: str = "bridge.json") -> dict[str, RemediationExample]:
    return {o.record.id: o.record for o in import_bridge(FIXTURES / name) if isinstance(o, ImportedRecord)}


def test_bridge_is_registered():
    assert IMPORTERS["bridge"] is import_bridge


def test_item_maps_history_replies_and_labels():
    item = _records()["bridge-demo-fractions-3"]
    assert (item.source, item.license, item.source_ref) == ("bridge", "MIT", "bridge.json#0")
    assert item.conversation_id == "demo-fractions-3"
    assert item.topic == "Adding fractions with unlike denominators"
    assert [(t.role, t.text) for t in item.history] == [
        ("tutor", "Let's add 1/2 and 1/3. What do you get?"),
        ("student", "2/5"),
    ]
    assert item.novice_response == "That is not right. The answer is 5/6."
    assert [(r.text[:20], r.is_revised) for r in item.expert_responses] == [("How did you get 2/5?", True)]
    assert item.revision is not None and item.revision.startswith("The expert asks")
    labels = item.labels
    assert (labels.error, labels.strategy, labels.intention) == ("misinterpret", "ask-question", "diagnose")
    assert labels.strategy_text == "Ask a question"
    assert item.import_notes == ()


def test_free_text_label_becomes_other_and_is_noted():
    item = _records()["bridge-demo-area-8"]
    assert item.labels.error == "other"
    assert item.labels.error_text == "student mixed up perimeter and area"
    assert (item.labels.strategy, item.labels.intention) == ("hint", "hint-at-mistake")
    assert any("outside the fixed set" in n for n in item.import_notes)
    assert item.revision is None  # an empty c_revision is absent, not ""
    assert len(item.expert_responses) == 2


@pytest.mark.parametrize(
    ("text", "table", "label"),
    [
        ("Simplify the question", STRATEGY_LABELS, "simplify"),
        ("Provide a worked example", STRATEGY_LABELS, "worked-example"),
        ("Affirm the correct answer", STRATEGY_LABELS, "affirm"),
        ("explain_concept", STRATEGY_LABELS, "explain-concept"),
        ("Get the student to elaborate their answer", INTENTION_LABELS, "elaborate"),
        ("Explain the student's mistake (eg. why is it incorrect)", INTENTION_LABELS, "explain-mistake"),
        ("Clarify a student's misunderstanding", INTENTION_LABELS, "clarify"),
        ("Help the student understand the lesson topic", INTENTION_LABELS, "understand-topic"),
        ("Student guessed", ERROR_LABELS, "guess"),
        ("right-idea", ERROR_LABELS, "right-idea"),
        ("something else entirely", ERROR_LABELS, "other"),
    ],
)
def test_labels_normalise_by_key_words(text, table, label):
    assert normalise_label(text, table) == label


def test_broken_items_name_item_and_field():
    skipped = {o.ref: o for o in import_bridge(FIXTURES / "broken.json") if isinstance(o, SkippedRecord)}
    assert skipped["broken.json#1"].field == "c_h[1].user" and "'parent'" in skipped["broken.json#1"].reason
    assert (skipped["broken.json#2"].field, skipped["broken.json#2"].reason) == ("c_h", "missing")


def test_a_file_that_is_not_json_is_one_skipped_record(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[{"c_id": 1,\n', encoding="utf-8")
    (outcome,) = list(import_bridge(path))
    assert isinstance(outcome, SkippedRecord) and "invalid JSON" in outcome.reason


def test_strict_import_raises_naming_file_item_and_field(tmp_path):
    out = tmp_path / "bridge.jsonl"
    with pytest.raises(InputDataError) as info:
        import_problems(import_bridge, FIXTURES / "broken.json", out)
    assert "broken.json#1: field `c_h[1].user`" in info.value.message
    assert not out.exists()


def test_records_are_written_to_the_output_and_merged_by_id(tmp_path):
    out = tmp_path / "bridge.jsonl"
    summary = import_problems(import_bridge, FIXTURES / "bridge.json", out)
    assert summary.imported == 0
    (written,) = summary.records
    assert (written.path, written.kind, written.written, written.total) == (out, "remediation", 2, 2)
    assert {r.id for r in read_labelled_jsonl(out)} == set(_records())
    import_problems(import_bridge, FIXTURES / "broken.json", out, skip_invalid=True)
    assert len(read_labelled_jsonl(out)) == 2  # broken.json#0 is the same item: replaced, not added
    lines = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["record"] == "remediation"


def test_labelled_records_need_a_jsonl_output(tmp_path):
    with pytest.raises(ConfigError, match="JSONL"):
        import_problems(import_bridge, FIXTURES / "bridge.json", tmp_path / "bridge.yaml")


def test_cli_skip_invalid_imports_the_rest_and_prints_the_summary(tmp_path):
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app, ["problems", "import", "bridge", str(FIXTURES / "broken.json"), str(out), "--skip-invalid"]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 1 remediation record(s)" in result.stdout and "problem(s)" not in result.stdout
    assert "skipped 2 record(s)" in result.stdout and "broken.json#2" in result.stdout
    assert [r.id for r in read_labelled_jsonl(out)] == ["bridge-demo-fractions-3"]


def test_labelled_records_never_go_into_a_problem_collection(tmp_path):
    from tutor.problems.importers.gsm8k import import_gsm8k

    out = tmp_path / "mixed.jsonl"
    import_problems(import_gsm8k, FIXTURES.parent / "gsm8k" / "main.jsonl", out)
    before = out.read_text(encoding="utf-8")
    with pytest.raises(InputDataError, match="not a labelled record"):
        import_problems(import_bridge, FIXTURES / "bridge.json", out)
    assert out.read_text(encoding="utf-8") == before
