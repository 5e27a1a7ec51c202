from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socratic_cli import app
from tutor.errors import InputDataError
from tutor.problems.bank import load_collection_file
from tutor.problems.importers import (
    IMPORTERS,
    ImportedProblem,
    ImportedRecord,
    SkippedRecord,
    import_problems,
)
from tutor.problems.importers.mathdial import MISCONCEPTION, MathDialTurn, import_mathdial, read_conversations
from tutor.problems.importers.records import profiles_path
from tutor.problems.labelled import StudentProfileSeed, read_labelled_jsonl
from tutor.problems.schema import MathProblem, NumericAnswer
from tutor.problems.verify import verify_problem

FIXTURES = Path(__file__).parents[1] / "fixtures" / "mathdial"


def _outcomes(name: str = "dialogues.jsonl") -> list:
    return list(import_mathdial(FIXTURES / name))


def _problems(name: str = "dialogues.jsonl") -> dict[str, MathProblem]:
    return {o.problem.id: o.problem for o in _outcomes(name) if isinstance(o, ImportedProblem)}


def _seeds(name: str = "dialogues.jsonl") -> dict[str, StudentProfileSeed]:
    return {o.record.id: o.record for o in _outcomes(name) if isinstance(o, ImportedRecord)}


def test_mathdial_is_registered():
    assert IMPORTERS["mathdial"] is import_mathdial


def test_dialogues_of_one_question_make_one_problem_and_one_seed_each():
    problems, seeds = _problems(), _seeds()
    assert sorted(problems) == ["mathdial-1275", "mathdial-901"]
    assert sorted(seeds) == ["mathdial-1275-d3", "mathdial-901-d1", "mathdial-901-d2"]
    assert {s.problem_id for s in seeds.values()} == set(problems)


def test_worked_solution_lines_become_steps_with_blanked_results():
    muffins = _problems()["mathdial-901"]
    assert muffins.source == "mathdial" and muffins.license == "CC-BY-SA-4.0"
    assert muffins.source_ref == "dialogues.jsonl:1"
    assert muffins.statement.startswith("A bakery packs muffins")
    assert [s.question for s in muffins.steps] == [
        "The bakery sold 9 boxes of 6 muffins, so 9 * 6 = ? muffins were sold.",
        "That leaves 84 - 54 = ? muffins unsold.",
    ]
    assert [s.answer for s in muffins.steps] == [NumericAnswer(value=54), NumericAnswer(value=30)]
    assert muffins.final_answer == NumericAnswer(value=30)


def test_calculator_annotations_and_the_answer_line_are_not_steps():
    pages = _problems()["mathdial-1275"]
    assert len(pages.steps) == 1
    assert pages.steps[0].question == "Three weeks have 3 * 7 = 21 evenings, so she reads 21 * 12 = ? pages."
    assert pages.final_answer == NumericAnswer(value=252)


def test_incorrect_solutions_become_wrong_answers_of_the_last_step():
    muffins = _problems()["mathdial-901"]
    wrong = muffins.steps[-1].wrong_answers
    assert [w.value for w in wrong] == [69, 54]
    assert {w.misconception for w in wrong} == {MISCONCEPTION}
    assert wrong[0].description.startswith("She added the number of boxes")
    assert not muffins.steps[0].wrong_answers


def test_what_mathdial_lacks_is_declared_missing():
    muffins, pages = _problems()["mathdial-901"], _problems()["mathdial-1275"]
    assert set(muffins.missing) == {"hints", "wrong_answers", "programs", "concepts", "difficulty"}
    assert "wrong_answers" not in pages.missing  # its only step has the student's wrong answer
    assert any("no hints" in n for n in muffins.import_notes)
    assert any("feedback is generic" in n for n in muffins.import_notes)


def test_seed_keeps_the_student_and_the_conversation_with_teacher_moves():
    seed = _seeds()["mathdial-901-d1"]
    assert seed.profile.startswith("Priya is a 7th grade student")
    assert seed.wrong_answer == 69 and seed.misconception == MISCONCEPTION
    assert seed.incorrect_solution is not None and "9 + 6 = 15" in seed.incorrect_solution
    assert seed.teacher_confusion == "She added the number of boxes to the box size instead of multiplying them."
    assert (seed.self_correctness, seed.typical_confusion, seed.typical_interactions) == ("yes", 4, 3)
    assert [(t.role, t.move) for t in seed.dialogue] == [
        ("tutor", "probing"),
        ("student", None),
        ("tutor", "focus"),
        ("student", None),
        ("tutor", "generic"),
        ("student", None),
    ]
    assert seed.dialogue[0].text == "Priya, how did you work out how many muffins were sold?"
    assert seed.import_notes == ()


def test_unknown_and_absent_teacher_moves_are_noted():
    seed = _seeds()["mathdial-901-d2"]
    assert seed.self_correctness == "yes-after-reveal"
    assert seed.dialogue[0].move is None and seed.dialogue[0].text.startswith("(hinting)")
    assert seed.dialogue[4].move == "telling"
    assert any("unknown teacher move 'hinting'" in n for n in seed.import_notes)
    assert any("turn 3: teacher turn without a move label" in n for n in seed.import_notes)


def test_imported_problems_pass_their_self_checks():
    for problem in _problems().values():
        report = verify_problem(problem)
        assert report.ok, report.summary()


def test_incorrect_solution_ending_on_the_right_answer_is_not_a_wrong_answer(tmp_path):
    record = json.loads((FIXTURES / "dialogues.jsonl").read_text(encoding="utf-8").splitlines()[2])
    record["student_incorrect_solution"] = "21 * 12 = 252"
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    outcomes = list(import_mathdial(path))
    problem = next(o.problem for o in outcomes if isinstance(o, ImportedProblem))
    seed = next(o.record for o in outcomes if isinstance(o, ImportedRecord))
    assert not problem.steps[0].wrong_answers and "wrong_answers" in problem.missing
    assert seed.wrong_answer is None
    assert any("ends on the right answer" in n for n in seed.import_notes)


def test_broken_records_name_line_and_field():
    skipped = {o.ref: o for o in _outcomes("broken.jsonl") if isinstance(o, SkippedRecord)}
    assert skipped["broken.jsonl:2"].field == "question"
    assert "invalid JSON" in skipped["broken.jsonl:3"].reason
    assert skipped["broken.jsonl:4"].field == "ground_truth"


def test_strict_import_raises_input_data_error_naming_file_line_and_field(tmp_path):
    with pytest.raises(InputDataError) as info:
        import_problems(import_mathdial, FIXTURES / "broken.jsonl", tmp_path / "out.jsonl")
    assert "broken.jsonl:2: field `question`" in info.value.message


def test_import_writes_problems_and_the_profiles_sidecar(tmp_path):
    out = tmp_path / "mathdial.jsonl"
    summary = import_problems(import_mathdial, FIXTURES / "dialogues.jsonl", out)
    assert summary.added == 2
    (written,) = summary.records
    assert written.path == profiles_path(out) == tmp_path / "mathdial.profiles.jsonl"
    assert (written.kind, written.written, written.total) == ("student-seed", 3, 3)
    assert len(load_collection_file(out)) == 2
    seeds = read_labelled_jsonl(written.path)
    assert {s.id for s in seeds} == {"mathdial-901-d1", "mathdial-901-d2", "mathdial-1275-d3"}
    again = import_problems(import_mathdial, FIXTURES / "dialogues.jsonl", out)
    assert again.unchanged == 2 and again.records[0].total == 3


def test_cli_skip_invalid_imports_the_rest_and_prints_the_summary(tmp_path):
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app, ["problems", "import", "mathdial", str(FIXTURES / "broken.jsonl"), str(out), "--skip-invalid"]
    )
    assert result.exit_code == 0, result.output
    assert "imported 1 problem(s)" in result.stdout and "1 added" in result.stdout
    assert "wrote 1 student-seed record(s)" in result.stdout
    assert "skipped 3 record(s)" in result.stdout and "question: missing" in result.stdout
    assert [p.id for p in load_collection_file(out)] == ["mathdial-1500"]


def test_validating_a_folder_skips_the_profiles_sidecar(tmp_path):
    import_problems(import_mathdial, FIXTURES / "dialogues.jsonl", tmp_path / "mathdial.jsonl")
    result = CliRunner().invoke(app, ["problems", "validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "2 problem(s), 0 failed" in result.stdout and "profiles" not in result.stdout


def test_read_conversations_gives_turns_with_speaker_text_and_move():
    conversations, skipped = read_conversations(FIXTURES / "dialogues.jsonl")
    assert not skipped and [c.ref for c in conversations] == [f"dialogues.jsonl:{n}" for n in (1, 2, 3)]
    first = conversations[0]
    assert (first.qid, first.problem_id, first.scenario) == ("901", "mathdial-901", 1)
    assert first.question.startswith("A bakery packs muffins")
    assert first.ground_truth.endswith("30") and "9 + 6 = 15" in (first.student_incorrect_solution or "")
    assert first.student_profile.startswith("Priya") and first.teacher_described_confusion
    assert first.turns[0] == MathDialTurn(
        "teacher", "Priya, how did you work out how many muffins were sold?", "probing"
    )
    speaker, _text, move = first.turns[1]
    assert (speaker, move) == ("student", None)


def test_a_turn_opening_with_the_students_name_is_the_students():
    (noor, _bus), _ = read_conversations(FIXTURES / "variance.jsonl")
    assert noor.turns[1].speaker == "student"
    assert noor.turns[1].text.startswith("I added 3 and 8 to get 11 marbles.")
    assert any("1 student turn(s) open with the student's name 'Noor'" in n for n in noor.notes)


def test_a_turn_without_a_speaker_prefix_continues_the_turn_before_it():
    (noor, _bus), _ = read_conversations(FIXTURES / "variance.jsonl")
    assert [(t.speaker, t.move) for t in noor.turns] == [
        ("teacher", "generic"),
        ("student", None),
        ("teacher", "probing"),
        ("student", None),
        ("teacher", "telling"),
        ("student", None),
    ]
    assert noor.turns[1].text == "I added 3 and 8 to get 11 marbles.\nThen I took away 5 and got 6."
    assert noor.turns[4].text.endswith("24 marbles.\nLook at what is left after giving 5 away.")
    assert noor.turns[5].text == "(thinking) 24 - 5 = 19."
    assert any("2 turn(s) without a speaker prefix continue" in n for n in noor.notes)
    assert (noor.self_typical_confusion, noor.self_typical_interactions) == (4, 3)  # written 4.0, 3.0


def test_a_truncated_last_line_is_skipped_with_its_reason_even_in_a_strict_import(tmp_path):
    conversations, skipped = read_conversations(FIXTURES / "variance.jsonl")
    assert [c.qid for c in conversations] == ["2001", "2002"]
    (cut,) = skipped
    assert cut.ref == "variance.jsonl:3" and cut.defect and cut.reason.startswith("truncated")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["problems", "import", "mathdial", str(FIXTURES / "variance.jsonl"), str(out)])
    assert result.exit_code == 0, result.output
    assert "imported 2 problem(s)" in result.stdout and "wrote 2 student-seed record(s)" in result.stdout
    assert "skipped 1 record(s)" in result.stdout and "variance.jsonl:3" in result.stdout
    seeds = {s.id: s for s in read_labelled_jsonl(profiles_path(out))}
    noor = seeds["mathdial-2001-d1"]
    assert [t.move for t in noor.dialogue if t.role == "tutor"] == ["generic", "probing", "telling"]
    assert noor.incorrect_solution is not None and noor.incorrect_solution.startswith("3 + 8 = 11")
    assert noor.wrong_answer == 6


def test_a_bad_line_before_the_last_is_still_an_error_not_a_defect():
    (bad,) = [o for o in _outcomes("broken.jsonl") if isinstance(o, SkippedRecord) and o.ref == "broken.jsonl:3"]
    assert not bad.defect
