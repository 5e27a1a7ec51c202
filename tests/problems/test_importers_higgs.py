from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socratic_cli import app
from tutor.errors import InputDataError
from tutor.problems.bank import load_collection_file
from tutor.problems.importers import IMPORTERS, ImportedProblem, SkippedRecord, import_problems
from tutor.problems.importers.higgs import import_higgs, split_steps
from tutor.problems.schema import NumericAnswer, PhysicsProblem
from tutor.problems.verify import verify_problem

FIXTURES = Path(__file__).parents[1] / "fixtures" / "higgs"


def _problems(name: str = "higgs.json") -> list[PhysicsProblem]:
    return [o.problem for o in import_higgs(FIXTURES / name) if isinstance(o, ImportedProblem)]


def test_higgs_is_registered():
    assert IMPORTERS["higgs"] is import_higgs


def test_detailed_steps_become_steps_with_units_and_blanked_results():
    cart = _problems()[0]
    assert (cart.domain, cart.source, cart.source_ref) == ("physics", "higgs", "higgs.json#0")
    assert cart.statement.startswith("A cart of mass 2.0 kg")
    assert [s.question for s in cart.steps] == [
        "Find the acceleration from Newton's second law: a = F / m = 6.0 N / 2.0 kg = ? m/s^2.",
        "The cart starts from rest, so v = a t = 3.0 m/s^2 * 3.0 s = ? m/s.",
    ]
    assert [(s.answer.value, s.answer.unit) for s in cart.steps] == [(3.0, "m/s^2"), (9.0, "m/s")]  # type: ignore[union-attr]


def test_final_answer_is_the_original_solutions_last_number_and_unit():
    cart = _problems()[0]
    assert cart.final_answer == NumericAnswer(value=9, unit="m/s", tolerance=0.09, convert_units=True)
    assert any("1% of each value" in n for n in cart.import_notes)


def test_a_step_without_a_number_joins_the_next_one():
    lamp = _problems()[1]
    assert len(lamp.steps) == 1
    assert lamp.steps[0].question == "Convert the power to kilowatts. Multiply by the time: E = 0.06 kW * 5 h = ? kWh."
    assert lamp.final_answer.unit == "kWh"  # type: ignore[union-attr]


def test_no_step_markers_give_one_step_with_the_question():
    stone = _problems()[2]
    assert [s.question for s in stone.steps] == [stone.statement]
    assert any("no `Step N)` parts" in n for n in stone.import_notes)


def test_a_last_step_is_added_when_the_steps_end_elsewhere(tmp_path):
    item = {
        "Question": "How long does a car at 20 m/s take for 100 m?",
        "Original Solution": "t = 5 s",
        "Detailed Solution": "Step 1) The speed is 20 m/s. Step 2) The distance is 100 m.",
        "conversation": [],
    }
    path = tmp_path / "h.json"
    path.write_text(json.dumps([item]), encoding="utf-8")
    (problem,) = [o.problem for o in import_higgs(path) if isinstance(o, ImportedProblem)]
    assert [s.answer.value for s in problem.steps] == [20, 100, 5]  # type: ignore[union-attr]
    assert problem.steps[-1].question == item["Question"]
    notes = " | ".join(problem.import_notes)
    assert "a last step asks the question" in notes and "fields not mapped: conversation" in notes


def test_split_steps_reads_the_step_markers():
    assert split_steps("Step 1) a = 2. Step 2: b = 3.  step 3. c") == ["a = 2.", "b = 3.", "c"]
    assert split_steps("no markers") == []


def test_missing_parts_are_declared():
    assert all(set(p.missing) == {"hints", "wrong_answers", "programs", "concepts", "difficulty"} for p in _problems())


def test_imported_problems_pass_their_self_checks():
    for problem in _problems():
        report = verify_problem(problem)
        assert report.ok, report.summary()


def test_broken_items_name_item_and_field():
    skipped = {o.ref: o for o in import_higgs(FIXTURES / "broken.json") if isinstance(o, SkippedRecord)}
    assert (skipped["broken.json#1"].field, skipped["broken.json#1"].reason) == ("Question", "missing")
    assert skipped["broken.json#2"].field == "Original Solution"


def test_strict_import_raises_naming_file_item_and_field(tmp_path):
    with pytest.raises(InputDataError) as info:
        import_problems(import_higgs, FIXTURES / "broken.json", tmp_path / "out.jsonl")
    assert "broken.json#1: field `Question`: missing" in info.value.message


def test_cli_skip_invalid_imports_the_rest_and_prints_the_summary(tmp_path):
    out = tmp_path / "higgs.jsonl"
    result = CliRunner().invoke(
        app, ["problems", "import", "higgs", str(FIXTURES / "broken.json"), str(out), "--skip-invalid"]
    )
    assert result.exit_code == 0, result.output
    assert "imported 1 problem(s)" in result.stdout and "skipped 2 record(s)" in result.stdout
    assert "Original Solution: states no number" in result.stdout
    assert len(load_collection_file(out)) == 1
