from __future__ import annotations

import json
from pathlib import Path

import pytest

from tutor.errors import ConfigError, InputDataError
from tutor.problems.bank import ProblemBank, load_collection_file
from tutor.problems.importers import IMPORTERS, ImportedProblem, SkippedRecord, get_importer, import_problems
from tutor.problems.importers.gsm8k import import_gsm8k
from tutor.problems.schema import NumericAnswer, TextAnswer
from tutor.problems.verify import verify_problem

FIXTURES = Path(__file__).parents[1] / "fixtures" / "gsm8k"


def _problems(name: str):
    return [o.problem for o in import_gsm8k(FIXTURES / name) if isinstance(o, ImportedProblem)]


def _jsonl(tmp_path: Path, records: list) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_gsm8k_is_registered():
    assert IMPORTERS["gsm8k"] is import_gsm8k
    with pytest.raises(ConfigError, match="gsm8k"):
        get_importer("nope")


def test_main_variant_annotations_become_steps_with_programs():
    baker = _problems("main.jsonl")[0]
    assert baker.source == "gsm8k" and baker.license == "MIT" and baker.source_ref == "main.jsonl:1"
    assert [s.question for s in baker.steps] == ["She fills 36/4 = ? boxes.", "She makes 9*5 = $?."]
    assert [s.program for s in baker.steps] == ["print(36/4)\n", "print(9*5)\n"]
    assert [s.answer.value for s in baker.steps] == [9, 45]  # type: ignore[union-attr]
    assert baker.final_answer == NumericAnswer(value=45)
    assert set(baker.concepts) == {"division", "multiplication"}


def test_socratic_variant_uses_sub_questions():
    baker = _problems("socratic.jsonl")[0]
    assert [s.question for s in baker.steps] == [
        "How many boxes does she fill?",
        "How much money does she make?",
    ]
    assert "variant: socratic" in baker.import_notes


def test_main_and_socratic_records_of_one_problem_share_an_id():
    assert _problems("main.jsonl")[0].id == _problems("socratic.jsonl")[0].id


def test_imports_declare_what_gsm8k_lacks():
    baker = _problems("main.jsonl")[0]
    assert set(baker.missing) == {"hints", "wrong_answers", "difficulty"}
    assert all(not s.hints and not s.wrong_answers for s in baker.steps)


def test_step_without_annotation_keeps_its_last_number_without_program():
    pool = _problems("main.jsonl")[2]
    last = pool.steps[-1]
    assert last.program is None and last.answer == NumericAnswer(value=24)
    assert "programs" in pool.missing
    assert any("no calculator annotation" in n for n in pool.import_notes)


def test_rounded_annotation_gets_a_rounding_program():
    pizza = _problems("main.jsonl")[3]
    assert pizza.steps[0].program == "print(round(10/3, 2))\n"


def test_step_without_any_number_becomes_a_text_answer(tmp_path):
    record = {
        "question": "Ann has 2 cats and 3 dogs. How many pets?",
        "answer": "Count cats and dogs together.\nShe has 2+3 = <<2+3=5>>5 pets.\n#### 5",
    }
    (problem,) = [o.problem for o in import_gsm8k(_jsonl(tmp_path, [record]))]  # type: ignore[union-attr]
    assert isinstance(problem.steps[0].answer, TextAnswer)


def test_thousands_separator_in_final_answer():
    farm = _problems("socratic.jsonl")[1]
    assert farm.final_answer.value == 12000  # type: ignore[union-attr]


def test_imported_problems_pass_their_self_checks():
    for problem in _problems("main.jsonl") + _problems("socratic.jsonl"):
        report = verify_problem(problem)
        assert report.ok, report.summary()


def test_bad_records_are_reported_with_line_and_field():
    outcomes = list(import_gsm8k(FIXTURES / "invalid.jsonl"))
    skipped = {o.ref: (o.field, o.reason) for o in outcomes if isinstance(o, SkippedRecord)}
    assert skipped["invalid.jsonl:2"][0] == "answer" and "####" in skipped["invalid.jsonl:2"][1]
    assert "invalid JSON" in skipped["invalid.jsonl:3"][1]
    assert skipped["invalid.jsonl:4"] == ("question", "missing or empty")
    assert "differs from the final answer" in skipped["invalid.jsonl:5"][1]


def test_non_arithmetic_annotation_gets_no_program(tmp_path):
    record = {"question": "q?", "answer": "It is <<__import__('os')=1>>1 thing.\n#### 1"}
    (outcome,) = list(import_gsm8k(_jsonl(tmp_path, [record])))
    assert isinstance(outcome, ImportedProblem)
    assert outcome.problem.steps[0].program is None


def test_strict_import_fails_on_the_first_bad_record_and_writes_nothing(tmp_path):
    out = tmp_path / "out.jsonl"
    with pytest.raises(InputDataError) as info:
        import_problems(import_gsm8k, FIXTURES / "invalid.jsonl", out)
    assert "invalid.jsonl:2" in info.value.message and "field `answer`" in info.value.message
    assert not out.exists()


def test_skip_invalid_imports_the_rest_and_summarises(tmp_path):
    out = tmp_path / "out.jsonl"
    summary = import_problems(import_gsm8k, FIXTURES / "invalid.jsonl", out, skip_invalid=True)
    assert summary.added == 1 and len(summary.skipped) == 4
    assert sorted(sum(summary.skipped_by_reason().values(), [])) == [f"invalid.jsonl:{n}" for n in (2, 3, 4, 5)]
    assert len(load_collection_file(out)) == 1


def test_import_merges_by_id_and_keeps_existing_problems(tmp_path):
    out = tmp_path / "out.yaml"
    first = import_problems(import_gsm8k, FIXTURES / "main.jsonl", out)
    assert (first.added, first.kept) == (4, 0)
    second = import_problems(import_gsm8k, FIXTURES / "socratic.jsonl", out)
    assert (second.added, second.updated, second.kept) == (1, 1, 3)
    problems = {p.id: p for p in load_collection_file(out)}
    assert len(problems) == 5
    baker = problems[_problems("main.jsonl")[0].id]
    assert baker.steps[0].question == "How many boxes does she fill?"
    again = import_problems(import_gsm8k, FIXTURES / "socratic.jsonl", out)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)


def test_existing_output_that_does_not_load_is_left_untouched(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("not a problem\n", encoding="utf-8")
    with pytest.raises(InputDataError):
        import_problems(import_gsm8k, FIXTURES / "main.jsonl", out)
    assert out.read_text(encoding="utf-8") == "not a problem\n"


def test_failed_write_keeps_the_old_output_and_leaves_no_temp_file(tmp_path, monkeypatch):
    out = tmp_path / "out.jsonl"
    import_problems(import_gsm8k, FIXTURES / "socratic.jsonl", out)
    before = out.read_text(encoding="utf-8")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("tutor.files.os.replace", boom)
    with pytest.raises(OSError):
        import_problems(import_gsm8k, FIXTURES / "main.jsonl", out)
    assert out.read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_output_must_be_a_collection_file(tmp_path):
    with pytest.raises(ConfigError, match=".jsonl"):
        import_problems(import_gsm8k, FIXTURES / "main.jsonl", tmp_path / "out.csv")


def test_imported_collection_loads_into_the_bank(tmp_path):
    out = tmp_path / "gsm8k.jsonl"
    import_problems(import_gsm8k, FIXTURES / "main.jsonl", out)
    bank = ProblemBank.load([out], include_bank=False)
    assert len(bank.list("math")) == 2 + 4


@pytest.mark.parametrize("content", ["", '{"qid": 1, "question": "cut off'])
def test_an_input_with_nothing_usable_is_an_error_and_writes_nothing(tmp_path, content):
    source = tmp_path / "test.jsonl"
    source.write_text(content, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with pytest.raises(InputDataError, match="nothing to import"):
        import_problems(get_importer("mathdial"), source, out)
    assert not out.exists()
