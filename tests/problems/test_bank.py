from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tutor.errors import InputDataError, NotFoundError
from tutor.problems.bank import (
    ProblemBank,
    datasets_dir,
    dump_yaml,
    load_collection_file,
    load_problem_file,
    problem_to_dict,
    toy_bank,
)
from tutor.problems.schema import DebuggingProblem, MathProblem, PhysicsProblem


def _write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_datasets_dir_is_found_from_a_clone():
    root = datasets_dir()
    assert (root / "FORMAT.md").is_file() and (root / "toy").is_dir()


def test_toy_bank_has_the_documented_mix():
    bank = toy_bank()
    assert [len(bank.list(d)) for d in ("math", "physics", "debugging")] == [2, 2, 3]
    assert all(p.id.startswith("toy-") for p in bank)


def test_toy_set_covers_what_the_project_tests_rely_on():
    bank = toy_bank()
    assert any(s.answer.convert_units for p in bank.list("physics") for s in p.steps if hasattr(s.answer, "value"))
    bugs = {p.id: p.bugs for p in bank.list("debugging")}  # type: ignore[union-attr]
    kinds = sorted(len(b) for b in bugs.values())
    assert kinds == [1, 1, 2]
    assert any(b.depends_on for bs in bugs.values() for b in bs)
    assert {b.kind for bs in bugs.values() for b in bs} == {"conceptual", "syntactic"}


def test_full_load_includes_bank_and_toy_without_duplicates():
    bank = ProblemBank.load()
    assert len(bank) >= len(toy_bank())
    assert "toy-math-pencils" in bank
    assert isinstance(bank.get("toy-math-pencils"), MathProblem)
    assert isinstance(bank.get("toy-physics-free-fall"), PhysicsProblem)
    assert isinstance(bank.get("toy-debug-average"), DebuggingProblem)


def test_get_unknown_id_raises_not_found_with_suggestions():
    with pytest.raises(NotFoundError) as info:
        toy_bank().get("toy-math-pencil")
    assert "toy-math-pencil" in info.value.message and "toy-math-pencils" in (info.value.hint or "")


def test_list_filters_by_domain_and_rejects_unknown_domains():
    assert {p.domain for p in toy_bank().list("physics")} == {"physics"}
    with pytest.raises(NotFoundError):
        toy_bank().list("chemistry")


def test_bank_remembers_each_problems_file():
    assert toy_bank().path_of("toy-debug-average").name == "toy-debug-average.yaml"


def test_extra_paths_add_files_folders_and_collections(tmp_path, math_data):
    folder = tmp_path / "more"
    folder.mkdir()
    _write(folder / "t-math.yaml", math_data)
    other = {**math_data, "id": "t-other"}
    collection = tmp_path / "c.jsonl"
    collection.write_text(json.dumps(other) + "\n", encoding="utf-8")
    bank = ProblemBank.load([folder, collection], include_bank=False)
    assert {"t-math", "t-other"} <= set(bank.ids)


def test_missing_extra_path_is_an_input_error(tmp_path):
    with pytest.raises(InputDataError, match="no such"):
        ProblemBank.load([tmp_path / "nope.yaml"], include_bank=False)


def test_duplicate_ids_name_both_files(tmp_path, math_data):
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir(), b.mkdir()
    _write(a / "t-math.yaml", math_data)
    _write(b / "t-math.yaml", math_data)
    with pytest.raises(InputDataError) as info:
        ProblemBank.load([a, b], include_bank=False, include_toy=False)
    assert str(a / "t-math.yaml") in info.value.message and str(b / "t-math.yaml") in info.value.message


def test_bad_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: broken\ntitle: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputDataError) as info:
        load_problem_file(path)
    assert str(path) in info.value.message and "line" in info.value.message


def test_schema_error_names_file_field_and_line(tmp_path, math_data):
    math_data["steps"][1]["hints"] = []
    math_data["steps"][0]["answer"] = {"value": "four"}
    path = _write(tmp_path / "t-math.yaml", math_data)
    with pytest.raises(InputDataError) as info:
        load_problem_file(path)
    message = info.value.message
    assert str(path) in message
    assert "field `steps[0].answer" in message
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "four" in text)
    assert f"line {line}" in message


def test_id_must_match_the_file_name(tmp_path, math_data):
    path = _write(tmp_path / "other-name.yaml", math_data)
    with pytest.raises(InputDataError, match="differs from the file name"):
        load_problem_file(path)


def test_non_mapping_file_is_rejected(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="mapping"):
        load_problem_file(path)


def test_collection_errors_name_line_or_item(tmp_path, math_data):
    bad = {**math_data, "difficulty": 9}
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text(json.dumps(math_data) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"line 2: field `difficulty`"):
        load_collection_file(jsonl)
    listed = _write(tmp_path / "c.yaml", [math_data, bad])
    with pytest.raises(InputDataError, match=r"item 1: field `difficulty`"):
        load_collection_file(listed)


def test_written_yaml_loads_back_equal(tmp_path):
    problem = toy_bank().get("toy-debug-max-index")
    path = tmp_path / f"{problem.id}.yaml"
    path.write_text(dump_yaml(problem_to_dict(problem)), encoding="utf-8")
    assert load_problem_file(path) == problem
    assert "buggy_code: |" in path.read_text()
