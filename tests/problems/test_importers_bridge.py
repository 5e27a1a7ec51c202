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
from tutor.problems.importers.common import slug
from tutor.problems.labelled import RemediationExample, read_labelled_jsonl

FIXTURES = Path(__file__).parents[1] / "fixtures" / "bridge"


def _records(name: str = "bridge.json") -> list[RemediationExample]:
    return [o.record for o in import_bridge(FIXTURES / name) if isinstance(o, ImportedRecord)]


def _by_ref(name: str = "bridge.json") -> dict[str, RemediationExample]:
    return {r.source_ref: r for r in _records(name)}


def test_bridge_is_registered():
    assert IMPORTERS["bridge"] is import_bridge


def test_every_item_of_the_message_list_format_imports():
    records = _records()
    assert len(records) == 4 and len({r.id for r in records}) == 4
    assert all(r.id.startswith(f"bridge-{slug(r.conversation_id)}-") for r in records)


def test_item_maps_messages_replies_revision_and_labels():
    item = _by_ref()["bridge.json#0"]
    assert (item.source, item.license, item.conversation_id) == ("bridge", "MIT", "701_12")
    assert item.topic == "4.3E.Adding Fractions"
    assert [(t.role, t.text) for t in item.history] == [
        ("tutor", "Let's add 1/2 and 1/3."),
        ("tutor", "What do you get?"),
        ("student", "2/5"),
    ]
    assert item.last_student_message == "2/5"
    assert [t.text for t in item.novice_response] == ["That is not right.", "The answer is 5/6."]
    assert {t.role for t in item.novice_response} == {"tutor"}
    assert [(r.text[:20], r.is_revised) for r in item.expert_responses] == [
        ("How did you get 2/5?", True),
        ("Tell me what you did", True),
    ]
    assert [t.role for t in item.revision] == ["tutor", "tutor", "student", "tutor"]
    assert item.revision[2].text == "I added the tops and the bottoms"
    labels = item.labels
    assert (labels.error, labels.strategy, labels.intention) == ("misinterpret", "ask-question", "diagnose")
    assert (labels.strategy_text, labels.intention_text) == ("ask_question", "diagnose_mistake")
    assert item.import_notes == ()


def test_history_is_ordered_by_message_id():
    item = _by_ref()["bridge.json#1"]
    assert [t.text for t in item.history] == ["A garden is 4 m long and 3 m wide.", "What is its area?", "14"]


def test_two_experts_on_one_segment_are_two_records():
    first, second = _by_ref()["bridge.json#1"], _by_ref()["bridge.json#2"]
    assert first.conversation_id == second.conversation_id == "702_5"
    assert first.id != second.id
    assert (first.labels.strategy, first.labels.intention) == ("worked-example", "hint-at-mistake")
    assert "c_r_: 1 empty message(s) left out" in first.import_notes
    assert [r.text[:9] for r in first.expert_responses] == ["You found"]


def test_annotator_wording_becomes_other_with_the_text_kept():
    item = _by_ref()["bridge.json#2"]
    assert (item.labels.error, item.labels.strategy, item.labels.intention) == ("other", "encourage", "other")
    assert item.labels.error_text == "The student did not make a mistake."
    assert sum("annotator's own wording" in n for n in item.import_notes) == 2


def test_empty_messages_stay_in_the_history_and_short_keys_and_plain_text_are_read():
    item = _by_ref()["bridge.json#3"]
    assert [t.text for t in item.history] == ["What is 0.5 + 0.25?", "", "0.30"]
    assert [(t.role, t.text) for t in item.novice_response] == [("tutor", "Not quite, line up the decimal points.")]
    assert (item.labels.error, item.labels.strategy, item.labels.intention) == ("careless", "hint", "hint-at-mistake")
    assert item.labels.strategy_text == "Provide a hint"


@pytest.mark.parametrize(
    ("text", "table", "label"),
    [
        ("simplify_question", STRATEGY_LABELS, "simplify"),
        ("provide_example", STRATEGY_LABELS, "worked-example"),
        ("Provide a worked example", STRATEGY_LABELS, "worked-example"),
        ("affirm_correct_answer", STRATEGY_LABELS, "affirm"),
        ("explain_concept", STRATEGY_LABELS, "explain-concept"),
        ("Explained the online interface", STRATEGY_LABELS, "other"),
        ("Asked the student to fill out the feedback form.", STRATEGY_LABELS, "other"),
        ("elaborate_answer", INTENTION_LABELS, "elaborate"),
        ("Explain the student's mistake (eg. why is it incorrect)", INTENTION_LABELS, "explain-mistake"),
        ("clarify_misunderstanding", INTENTION_LABELS, "clarify"),
        ("Help the student understand the lesson topic or solution strategy", INTENTION_LABELS, "understand-topic"),
        ("Provided a correction to the tutor's statement to not confuse the student.", INTENTION_LABELS, "other"),
        ("right-idea", ERROR_LABELS, "right-idea"),
        ("Student is correct\n", ERROR_LABELS, "other"),
        ("something else entirely", ERROR_LABELS, "other"),
    ],
)
def test_labels_normalise_codes_and_wording_not_free_text(text, table, label):
    assert normalise_label(text, table) == label


def test_broken_items_name_item_and_field():
    skipped = {o.ref: o for o in import_bridge(FIXTURES / "broken.json") if isinstance(o, SkippedRecord)}
    assert len(skipped) == 2
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
    assert (written.path, written.kind, written.written, written.total) == (out, "remediation", 4, 4)
    assert [r.id for r in read_labelled_jsonl(out)] == [r.id for r in _records()]
    import_problems(import_bridge, FIXTURES / "broken.json", out, skip_invalid=True)
    assert len(read_labelled_jsonl(out)) == 4  # broken.json#0 is the same item: replaced, not added
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
    assert [r.id for r in read_labelled_jsonl(out)] == [_by_ref()["bridge.json#0"].id]


def test_labelled_records_never_go_into_a_problem_collection(tmp_path):
    from tutor.problems.importers.gsm8k import import_gsm8k

    out = tmp_path / "mixed.jsonl"
    import_problems(import_gsm8k, FIXTURES.parent / "gsm8k" / "main.jsonl", out)
    before = out.read_text(encoding="utf-8")
    with pytest.raises(InputDataError, match="not a labelled record"):
        import_problems(import_bridge, FIXTURES / "bridge.json", out)
    assert out.read_text(encoding="utf-8") == before
