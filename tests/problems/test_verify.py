from __future__ import annotations

import pytest

from tutor.problems import verify
from tutor.problems.bank import datasets_dir, problem_files, toy_bank
from tutor.problems.schema import parse_problem
from tutor.problems.verify import verify_file, verify_problem


def _all_problem_files():
    root = datasets_dir()
    return problem_files(root / "problems") + problem_files(root / "toy")


@pytest.mark.parametrize("path", _all_problem_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_problem_file_passes_its_self_checks(path):
    report = verify_file(path)
    assert report.ok, f"{path}:\n{report.summary()}"


def _failed(report) -> list[str]:
    return [c.name for c in report.failures]


def test_valid_problems_pass(math_data, debug_data):
    assert verify_problem(parse_problem(math_data)).ok
    assert verify_problem(parse_problem(debug_data)).ok


def test_step_program_printing_another_answer_fails(math_data):
    math_data["steps"][0]["program"] = "print(5)"
    report = verify_problem(parse_problem(math_data))
    assert _failed(report) == ["step s1: program"]
    assert "printed 5" in report.failures[0].detail


def test_crashing_or_silent_program_fails(math_data):
    math_data["steps"][0]["program"] = "raise SystemExit(3)"
    math_data["steps"][1]["program"] = "x = 8"
    report = verify_problem(parse_problem(math_data))
    assert _failed(report) == ["step s1: program", "step s2: program"]


def test_program_that_runs_too_long_fails(math_data):
    math_data["steps"][0]["program"] = "while True:\n    pass"
    report = verify_problem(parse_problem(math_data), timeout_s=1)
    assert "step s1: program" in _failed(report)


def test_wrong_answer_inside_tolerance_fails(math_data):
    math_data["steps"][0]["wrong_answers"][0]["value"] = 4.0005
    report = verify_problem(parse_problem(math_data))
    assert _failed(report) == ["step s1: wrong_answers[0]"]


def test_wrong_answer_shadowed_by_another_fails(math_data):
    wrong = dict(math_data["steps"][0]["wrong_answers"][0])
    math_data["steps"][0]["wrong_answers"].append({**wrong, "misconception": "arithmetic-slip"})
    report = verify_problem(parse_problem(math_data))
    assert _failed(report) == ["step s1: wrong_answers[1]"]


def test_wrong_answer_equal_to_the_answer_after_conversion_fails(math_data):
    math_data["steps"][1]["answer"] = {"value": 8, "unit": "m/s", "convert_units": True}
    math_data["final_answer"] = {"value": 8, "unit": "m/s", "convert_units": True}
    math_data["steps"][1]["wrong_answers"][0].update(value=28.8, unit="km/h")
    report = verify_problem(parse_problem(math_data))
    assert _failed(report) == ["step s2: wrong_answers[0]"]
    assert "accepted as right" in report.failures[0].detail


def test_fixed_code_failing_a_test_fails(debug_data):
    debug_data["fixed_code"] = debug_data["fixed_code"].replace("a + b", "a + b + 0.5")
    report = verify_problem(parse_problem(debug_data))
    assert "fixed_code passes every test" in _failed(report)


def test_buggy_code_passing_every_test_fails(debug_data):
    debug_data["tests"] = [{"name": "test_exists", "code": "assert callable(add)"}]
    for bug in debug_data["bugs"]:
        bug["breaks_tests"] = ["test_exists"]
    report = verify_problem(parse_problem(debug_data))
    assert "buggy_code fails a test" in _failed(report)


def test_wrong_breaks_tests_fails(debug_data):
    debug_data["bugs"][0]["breaks_tests"] = ["test_add", "test_double"]
    report = verify_problem(parse_problem(debug_data))
    assert _failed(report) == ["bug b1: only this bug left breaks exactly breaks_tests"]


def test_patches_that_do_not_fix_fail(debug_data):
    debug_data["bugs"][1]["patch"]["replace"] = "x + x + 2"
    report = verify_problem(parse_problem(debug_data))
    assert "all patches applied pass every test" in _failed(report)


def test_schema_errors_are_reported_not_raised(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("id: x\ndomain: math\n", encoding="utf-8")
    report = verify_file(path)
    assert not report.ok and report.failures[0].name == "schema"


def test_subprocess_fallback_runs_the_same_checks(monkeypatch):
    monkeypatch.setattr(verify, "_sandbox_module", lambda: None)
    for problem_id in ("toy-debug-max-index", "toy-math-pencils"):
        assert verify_problem(toy_bank().get(problem_id)).ok
    results = verify.run_tests(
        "def f():\n    return 1\n",
        [("t_ok", "assert f() == 1"), ("t_bad", "assert f() == 2"), ("t_err", "f(1)")],
    )
    assert {k: v[0] for k, v in results.items()} == {"t_ok": "passed", "t_bad": "failed", "t_err": "error"}
    assert verify.run_program("while True: pass", timeout_s=0.5).timed_out
