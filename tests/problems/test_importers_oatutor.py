from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socratic_cli import app
from tutor.errors import InputDataError
from tutor.problems.bank import load_collection_file
from tutor.problems.importers import IMPORTERS, ImportedProblem, SkippedRecord, import_problems
from tutor.problems.importers.oatutor import import_oatutor, parse_number
from tutor.problems.schema import MathProblem, NumericAnswer, TextAnswer
from tutor.problems.verify import verify_problem

FIXTURES = Path(__file__).parents[1] / "fixtures"
GOOD, BROKEN = FIXTURES / "oatutor", FIXTURES / "oatutor_broken"


def _problems(path: Path = GOOD) -> dict[str, MathProblem]:
    return {o.problem.id: o.problem for o in import_oatutor(path) if isinstance(o, ImportedProblem)}


def test_oatutor_is_registered():
    assert IMPORTERS["oatutor"] is import_oatutor


def test_a_folder_holding_content_pool_gives_one_problem_per_problem_folder():
    assert sorted(_problems()) == ["oatutor-demofrac2", "oatutor-demorect1"]
    assert sorted(_problems(GOOD / "content-pool")) == sorted(_problems())
    assert list(_problems(GOOD / "content-pool" / "demoFrac2")) == ["oatutor-demofrac2"]


def test_problem_and_steps_map_with_numeric_and_multiple_choice_answers():
    rect = _problems()["oatutor-demorect1"]
    assert (rect.title, rect.statement) == (
        "Fencing a garden",
        "A rectangular garden is 7 m long and 4 m wide.",
    )
    assert (rect.source, rect.license, rect.source_ref) == (
        "oatutor",
        "CC-BY-4.0",
        "demoRect1/demoRect1.json",
    )
    assert [s.question for s in rect.steps] == [
        "How many metres of fence go around the garden?",
        "Which quantity tells how much soil covers the garden?\n\nPick one.",
    ]
    assert rect.steps[0].answer == NumericAnswer(value=22)
    assert rect.steps[1].answer == TextAnswer(text="Area")
    assert rect.final_answer == TextAnswer(text="Area")


def test_hints_follow_the_dependencies_and_scaffolds_become_hints():
    rect = _problems()["oatutor-demorect1"]
    assert rect.steps[0].hints == (
        "The fence runs along all four sides.",
        "How many sides are 7 m long?",
        "Add 7 + 4 + 7 + 4.",
    )


def test_what_does_not_map_is_noted_or_declared_missing():
    rect = _problems()["oatutor-demorect1"]
    notes = " | ".join(rect.import_notes)
    assert "scaffold demoRect1a-h2 became a hint; its answer (2) is dropped" in notes
    assert "other choices ['Perimeter', 'Diagonal'] are not mapped as wrong answers" in notes
    assert set(rect.missing) == {"wrong_answers", "programs", "concepts", "difficulty"}
    frac = _problems()["oatutor-demofrac2"]
    assert "hints" in frac.missing  # its pathway is empty


def test_latex_fraction_answer_is_numeric():
    frac = _problems()["oatutor-demofrac2"]
    assert frac.steps[0].answer == NumericAnswer(value=0.375)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("22", 22.0), ("$$\\frac{3}{8}$$", 0.375), ("-2.5", -2.5), ("$$-\\frac{1}{4}$$", -0.25), ("7/2", 3.5)],
)
def test_numbers_in_oatutor_answer_forms(raw, value):
    assert parse_number(raw) == pytest.approx(value)


def test_an_expression_answer_stays_text(tmp_path):
    folder = tmp_path / "pool"
    shutil.copytree(GOOD / "content-pool" / "demoFrac2", folder / "demoFrac2")
    step = folder / "demoFrac2" / "steps" / "demoFrac2a" / "demoFrac2a.json"
    data = json.loads(step.read_text(encoding="utf-8"))
    data["stepAnswer"] = ["$$x+2$$"]
    step.write_text(json.dumps(data), encoding="utf-8")
    (problem,) = _problems(folder).values()
    assert problem.steps[0].answer == TextAnswer(text="x+2")
    assert any("is not a number: kept as text" in n for n in problem.import_notes)


def test_imported_problems_pass_their_self_checks():
    for problem in _problems().values():
        report = verify_problem(problem)
        assert report.ok, report.summary()


def test_a_step_without_an_answer_names_the_problem_and_the_field():
    (skipped,) = [o for o in import_oatutor(BROKEN) if isinstance(o, SkippedRecord)]
    assert (skipped.ref, skipped.field, skipped.reason) == (
        "demoBad3/demoBad3.json",
        "demoBad3a.stepAnswer",
        "missing",
    )


def test_strict_import_raises_naming_file_and_field(tmp_path):
    with pytest.raises(InputDataError) as info:
        import_problems(import_oatutor, BROKEN, tmp_path / "out.jsonl")
    assert "demoBad3/demoBad3.json: field `demoBad3a.stepAnswer`: missing" in info.value.message


def test_cli_skip_invalid_imports_the_rest_and_prints_the_summary(tmp_path):
    out = tmp_path / "oat.jsonl"
    result = CliRunner().invoke(app, ["problems", "import", "oatutor", str(BROKEN), str(out), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert "imported 1 problem(s)" in result.stdout and "skipped 1 record(s)" in result.stdout
    assert [p.id for p in load_collection_file(out)] == ["oatutor-demofrac2"]
