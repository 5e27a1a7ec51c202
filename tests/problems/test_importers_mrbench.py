from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from socratic_cli import app
from tutor.errors import InputDataError
from tutor.problems.importers import IMPORTERS, ImportedRecord, RecordError, SkippedRecord, import_problems
from tutor.problems.importers.mrbench import import_mrbench, normalise_labels
from tutor.problems.labelled import LabelledTutorResponse, ResponseLabels, read_labelled_jsonl

FIXTURES = Path(__file__).parents[1] / "fixtures" / "mrbench"


def _records(name: str = "mrbench.json") -> dict[str, LabelledTutorResponse]:
    return {o.record.id: o.record for o in import_mrbench(FIXTURES / name) if isinstance(o, ImportedRecord)}


def test_mrbench_and_bea_names_are_registered():
    assert IMPORTERS["mrbench"] is import_mrbench and IMPORTERS["bea-2025"] is import_mrbench


def test_each_tutor_response_is_one_record_with_the_shared_conversation():
    records = _records()
    assert sorted(records) == [
        "mrbench-demo-101-expert",
        "mrbench-demo-101-model-a",
        "mrbench-demo-102-model-b",
        "mrbench-demo-102-model-c",
    ]
    expert = records["mrbench-demo-101-expert"]
    assert (expert.source, expert.license, expert.source_ref) == (
        "mrbench",
        "CC-BY-SA-4.0",
        "mrbench.json#0/Expert",
    )
    assert (expert.conversation_id, expert.tutor, expert.origin, expert.split) == (
        "demo-101",
        "Expert",
        "MathDial",
        "test",
    )
    assert expert.topic is None  # "Not Available"
    assert expert.ground_truth_solution is not None and expert.ground_truth_solution.startswith("12 / 3")
    assert expert.response.startswith("Each group costs $2.")


def test_history_is_kept_whole_and_split_into_turns():
    expert = _records()["mrbench-demo-101-expert"]
    assert expert.history_text.startswith("Tutor: Hi, please solve")
    assert [t.role for t in expert.history] == ["tutor", "student", "student", "tutor", "student"]
    assert expert.history[2].text == "4 + 2 = 6, so $6."


def test_all_eight_dimensions_are_normalised():
    expert = _records()["mrbench-demo-101-expert"].labels
    assert expert == ResponseLabels(
        mistake_identification="Yes",
        mistake_location="Yes",
        revealing_of_the_answer="not-revealed",
        providing_guidance="Yes",
        actionability="Yes",
        coherence="Yes",
        tutor_tone="Encouraging",
        humanlikeness="Yes",
    )
    model_a = _records()["mrbench-demo-101-model-a"].labels  # lowercase, trailing spaces, Humanlikeness
    assert (model_a.mistake_identification, model_a.providing_guidance) == ("Yes", "To some extent")
    assert model_a.revealing_of_the_answer == "revealed-correct"
    assert (model_a.tutor_tone, model_a.humanlikeness) == ("Neutral", "No")
    model_b = _records()["mrbench-demo-102-model-b"].labels
    assert (model_b.revealing_of_the_answer, model_b.tutor_tone) == ("revealed-incorrect", "Offensive")


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("Yes (and the answer is correct)", "revealed-correct"),
        ("Yes (and the revealed answer is correct)", "revealed-correct"),
        ("Yes (but the revealed answer is incorrect)", "revealed-incorrect"),
        ("No", "not-revealed"),
    ],
)
def test_answer_dimension_variants_normalise(written, normalised):
    labels = normalise_labels({"Revealing_of_the_Answer": written}, "a", [])
    assert labels.revealing_of_the_answer == normalised


def test_bare_yes_on_the_answer_dimension_is_left_unlabelled_and_noted():
    model_c = _records()["mrbench-demo-102-model-c"]
    assert model_c.labels.revealing_of_the_answer is None
    assert any("does not say whether the revealed answer is correct" in n for n in model_c.import_notes)
    assert any("no label for humanlikeness" in n for n in model_c.import_notes)


def test_a_label_off_the_scale_is_an_error_naming_the_dimension():
    with pytest.raises(RecordError) as info:
        normalise_labels({"Tutor_Tone": "Friendly"}, "anno_llm_responses.X.annotation", [])
    assert info.value.field == "anno_llm_responses.X.annotation.Tutor_Tone"


def test_bea_2025_files_have_four_dimensions_and_may_lack_annotations():
    records = _records("bea2025.json")
    sonnet = records["bea-2025-demo-bea-1-sonnet"]
    assert sonnet.source == "bea-2025" and sonnet.origin is None
    assert (sonnet.labels.mistake_identification, sonnet.labels.mistake_location) == ("Yes", "To some extent")
    assert sonnet.labels.tutor_tone is None and sonnet.labels.coherence is None
    assert sonnet.import_notes == ()  # only 4 dimensions is what the BEA files have, not a gap
    phi = records["bea-2025-demo-bea-2-phi"]
    assert phi.labels == ResponseLabels() and "no annotation" in phi.import_notes


def test_a_bad_response_skips_only_that_tutor():
    outcomes = list(import_mrbench(FIXTURES / "broken.json"))
    skipped = {o.ref: o for o in outcomes if isinstance(o, SkippedRecord)}
    assert skipped["broken.json#1/Model-B"].field == "anno_llm_responses.Model-B.annotation.Mistake_Identification"
    assert "'Maybe'" in skipped["broken.json#1/Model-B"].reason
    assert skipped["broken.json#2/Model-C"].field == "anno_llm_responses.Model-C.response"
    kept = [o.ref for o in outcomes if isinstance(o, ImportedRecord)]
    assert "broken.json#1/Model-C" in kept and "broken.json#2/Model-B" in kept


def test_an_item_without_its_responses_map_is_one_error(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('[{"conversation_id": "c1", "conversation_history": "Tutor: hi"}]', encoding="utf-8")
    (outcome,) = list(import_mrbench(path))
    assert isinstance(outcome, SkippedRecord)
    assert (outcome.ref, outcome.field, outcome.reason) == ("x.json#0", "anno_llm_responses", "missing")


def test_strict_import_raises_naming_file_item_tutor_and_field(tmp_path):
    with pytest.raises(InputDataError) as info:
        import_problems(import_mrbench, FIXTURES / "broken.json", tmp_path / "out.jsonl")
    assert "broken.json#1/Model-B: field `anno_llm_responses.Model-B.annotation.Mistake_Identification`" in (
        info.value.message
    )


def test_cli_skip_invalid_imports_the_rest_and_prints_the_summary(tmp_path):
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app, ["problems", "import", "mrbench", str(FIXTURES / "broken.json"), str(out), "--skip-invalid"]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 4 tutor-response record(s)" in result.stdout
    assert "skipped 2 record(s)" in result.stdout and "broken.json#2/Model-C" in result.stdout
    assert len(read_labelled_jsonl(out)) == 4


def test_a_repeated_conversation_id_keeps_every_response_under_its_own_stable_id(tmp_path):
    outcomes = list(import_mrbench(FIXTURES / "repeated.json"))
    assert not [o for o in outcomes if isinstance(o, SkippedRecord)]
    records = {o.record.id: o.record for o in outcomes if isinstance(o, ImportedRecord)}
    assert sorted(records) == [
        "bea-2025-demo-201-expert",
        "bea-2025-demo-201-sonnet",
        "bea-2025-demo-201-sonnet-2",
        "bea-2025-demo-201-sonnet-3",
        "bea-2025-demo-202-sonnet",
    ]
    first, second, third = (records[f"bea-2025-demo-201-sonnet{s}"] for s in ("", "-2", "-3"))
    assert {first.conversation_id, second.conversation_id, third.conversation_id} == {"demo-201"}
    assert (first.source_ref, second.source_ref, third.source_ref) == (
        "repeated.json#0/Sonnet",
        "repeated.json#2/Sonnet",
        "repeated.json#3/Sonnet",
    )
    assert second.response.startswith("Good. And 5%") and len(second.history) == 4
    assert first.import_notes == ()
    assert any("taken by repeated.json#0/Sonnet" in n for n in second.import_notes)
    # the same ids on a second run, and the strict import keeps all five
    again = [o.record.id for o in import_mrbench(FIXTURES / "repeated.json") if isinstance(o, ImportedRecord)]
    assert sorted(again) == sorted(records)
    summary = import_problems(import_mrbench, FIXTURES / "repeated.json", tmp_path / "out.jsonl")
    assert summary.records[0].written == 5 and not summary.skipped
    assert len(read_labelled_jsonl(tmp_path / "out.jsonl")) == 5
