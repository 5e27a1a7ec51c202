from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from tutor.problems.bank import datasets_dir
from tutor.problems.schema import (
    DebuggingProblem,
    MathProblem,
    NumericAnswer,
    PhysicsProblem,
    WrongAnswer,
    parse_problem,
    render_json_schema,
)


def _error(data: dict) -> str:
    with pytest.raises(ValidationError) as info:
        parse_problem(data)
    return str(info.value)


def test_domain_picks_the_model(math_data, debug_data):
    assert isinstance(parse_problem(math_data), MathProblem)
    assert isinstance(parse_problem({**math_data, "domain": "physics"}), PhysicsProblem)
    assert isinstance(parse_problem(debug_data), DebuggingProblem)


def test_unknown_domain_is_rejected(math_data):
    assert "domain" in _error({**math_data, "domain": "chemistry"})


def test_unknown_fields_are_rejected(math_data):
    math_data["steps"][0]["hint"] = "typo for hints"
    assert "hint" in _error(math_data)


@pytest.mark.parametrize("bad_id", ["Math-1", "math_1", "math 1", ""])
def test_id_must_be_lowercase_slug(math_data, bad_id):
    assert "id" in _error({**math_data, "id": bad_id})


def test_duplicate_step_ids_are_rejected(math_data):
    math_data["steps"][1]["id"] = "s1"
    assert "duplicate step ids" in _error(math_data)


def test_original_problem_needs_two_to_five_steps(math_data):
    math_data["steps"] = math_data["steps"][1:]
    assert "2-5 steps" in _error(math_data)


def test_original_step_needs_a_hint_and_a_wrong_answer(math_data):
    math_data["steps"][0]["hints"] = []
    assert "hints" in _error(math_data)
    math_data["steps"][0]["hints"] = ["h"]
    math_data["steps"][1]["wrong_answers"] = []
    assert "wrong_answers" in _error(math_data)


def test_numeric_step_of_original_problem_needs_a_program(math_data):
    del math_data["steps"][0]["program"]
    assert "programs" in _error(math_data)


def test_imported_problem_may_lack_what_it_declares_missing(math_data):
    math_data.update(source="gsm8k", license="MIT", missing=["hints", "wrong_answers", "programs"])
    math_data["steps"] = math_data["steps"][1:]  # one step is fine for imports
    step = math_data["steps"][0]
    step["hints"], step["wrong_answers"] = [], []
    del step["program"]
    problem = parse_problem(math_data)
    assert problem.missing == ("hints", "wrong_answers", "programs")


def test_imported_problem_must_declare_what_it_lacks(math_data):
    math_data.update(source="gsm8k", license="MIT")
    math_data["steps"][0]["hints"] = []
    assert "missing" in _error(math_data)


def test_original_problem_cannot_declare_missing(math_data):
    assert "missing" in _error({**math_data, "missing": ["hints"]})


def test_final_answer_must_equal_last_step(math_data):
    math_data["final_answer"] = {"value": 9}
    assert "last step" in _error(math_data)
    math_data["final_answer"] = {"value": 8, "unit": "apples"}
    assert "last step" in _error(math_data)


def test_wrong_answer_kind_must_match_answer_kind(math_data):
    math_data["steps"][0]["wrong_answers"] = [
        {"text": "four", "misconception": "x", "description": "d", "feedback": "f"}
    ]
    assert "needs `value`" in _error(math_data)


def test_wrong_answer_has_exactly_one_of_value_and_text():
    with pytest.raises(ValidationError):
        WrongAnswer(value=1, text="one", misconception="x", description="d", feedback="f")
    with pytest.raises(ValidationError):
        WrongAnswer(misconception="x", description="d", feedback="f")


def test_convert_units_needs_a_unit():
    with pytest.raises(ValidationError):
        NumericAnswer(value=1, convert_units=True)


def test_misconception_must_be_a_slug(math_data):
    math_data["steps"][0]["wrong_answers"][0]["misconception"] = "Wrong Operation"
    assert "misconception" in _error(math_data)


def test_duplicate_test_names_and_bug_ids_are_rejected(debug_data):
    debug_data["tests"][1]["name"] = "test_add"
    assert "duplicate test names" in _error(debug_data)


def test_patch_find_must_occur_exactly_once(debug_data):
    debug_data["bugs"][0]["patch"]["find"] = "return"
    assert "occurs 2 times" in _error(debug_data)
    debug_data["bugs"][0]["patch"]["find"] = "a * b"
    assert "occurs 0 times" in _error(debug_data)


def test_breaks_tests_must_name_existing_tests(debug_data):
    debug_data["bugs"][0]["breaks_tests"] = ["test_nope"]
    assert "unknown tests" in _error(debug_data)


def test_depends_on_must_name_existing_bugs(debug_data):
    debug_data["bugs"][1]["depends_on"] = ["b9"]
    assert "unknown bugs" in _error(debug_data)


def test_depends_on_cycles_are_rejected(debug_data):
    debug_data["bugs"][0]["depends_on"] = ["b2"]
    assert "cycle" in _error(debug_data)


def test_overlapping_patches_are_rejected(debug_data):
    debug_data["bugs"][1]["patch"]["find"] = "a - b\n"
    assert "overlap" in _error(debug_data)


def test_bug_lines_must_lie_inside_buggy_code(debug_data):
    debug_data["bugs"][0]["lines"] = [99]
    assert "beyond" in _error(debug_data)


def test_patched_code_applies_chosen_patches_in_place(debug_data):
    problem = parse_problem(debug_data)
    assert problem.patched_code() == debug_data["fixed_code"]
    assert "a + b" in problem.patched_code(["b1"]) and "x + x + 1" in problem.patched_code(["b1"])
    assert problem.patched_code([]) == debug_data["buggy_code"]


def test_bug_order_respects_dependencies(debug_data):
    debug_data["bugs"].reverse()  # b2 (depends on b1) first in the file
    problem = parse_problem(debug_data)
    assert [b.id for b in problem.bug_order()] == ["b1", "b2"]


def test_problems_are_immutable(math_data):
    problem = parse_problem(math_data)
    with pytest.raises(ValidationError):
        problem.title = "changed"  # type: ignore[misc]


def test_committed_json_schema_is_up_to_date():
    committed = (datasets_dir() / "problem.schema.json").read_text(encoding="utf-8")
    assert committed == render_json_schema(), "run `socratic problems schema` and commit the file"


def test_json_schema_describes_every_domain():
    schema = json.loads(render_json_schema())
    assert set(schema["discriminator"]["mapping"]) == {"math", "physics", "debugging"}
    step = schema["$defs"]["Step"]["properties"]
    assert step["hints"]["description"]


def test_format_doc_names_every_schema_field():
    fmt = (Path(datasets_dir()) / "FORMAT.md").read_text(encoding="utf-8")
    for model in (MathProblem, DebuggingProblem):
        for name in model.model_fields:
            assert f"{name}:" in fmt, f"FORMAT.md does not document `{name}`"
