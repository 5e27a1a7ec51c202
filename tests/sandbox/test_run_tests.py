"""`Sandbox.run_tests`: the semantics the debugging problems rely on (datasets/FORMAT.md, Debugging)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from tutor.sandbox import Limits, Sandbox, Test, TestLike, run_tests

pytestmark = pytest.mark.timeout(60)

BUGGY_AVERAGE = """\
def average(nums):
    total = 0
    for n in nums:
        total = n
    return total / len(nums)

if __name__ == "__main__":
    print("main block ran")
"""
FIXED_AVERAGE = BUGGY_AVERAGE.replace("total = n", "total += n")
AVERAGE_TESTS = [("test_three", "assert average([1, 2, 3]) == 2.0"), ("test_single", "assert average([5]) == 5.0")]


def test_fixed_program_passes_every_test(forkserver: Sandbox) -> None:
    result = forkserver.run_tests(FIXED_AVERAGE, AVERAGE_TESTS)
    assert result.all_passed and result.passed == ["test_three", "test_single"] and result.failed == []
    assert result.error is None


def test_buggy_program_fails_with_the_compared_values(forkserver: Sandbox) -> None:
    result = forkserver.run_tests(BUGGY_AVERAGE, AVERAGE_TESTS)
    three = result.by_name()["test_three"]
    assert three.status == "failed"
    assert three.message == "assert average([1, 2, 3]) == 2.0 (left: 1.0, right: 2.0)"
    assert result.passed == ["test_single"] and result.failed == ["test_three"] and not result.all_passed


def test_program_runs_as_module_solution_without_its_main_block(forkserver: Sandbox) -> None:
    program = BUGGY_AVERAGE + "\nNAME = __name__\n"
    tests = [
        ("name", "assert NAME == 'solution', NAME"),
        ("import", "import solution\nassert solution.NAME == 'solution'"),
    ]
    result = forkserver.run_tests(program, tests)
    assert result.all_passed, result.results
    assert "main block ran" not in result.run.stdout


def test_assertion_message_is_kept_when_given(forkserver: Sandbox) -> None:
    tests = [("t", "assert average([1, 3]) == 2, 'mean of 1 and 3'")]
    result = forkserver.run_tests(BUGGY_AVERAGE, tests)
    assert result.results[0].message == "mean of 1 and 3"


def test_bare_assert_reports_its_own_text(forkserver: Sandbox) -> None:
    result = forkserver.run_tests("def is_even(n):\n    return n % 2 == 1\n", [("t", "assert is_even(4)")])
    assert result.results[0].status == "failed" and result.results[0].message == "assert is_even(4)"


def test_each_side_of_a_compared_assert_is_evaluated_once(forkserver: Sandbox) -> None:
    program = "calls = []\ndef f():\n    calls.append(1)\n    return len(calls)\n"
    result = forkserver.run_tests(program, [("once", "assert f() == 1\nassert len(calls) == 1")])
    assert result.all_passed, result.results


def test_other_exceptions_are_errors_with_type_and_line(forkserver: Sandbox) -> None:
    result = forkserver.run_tests(BUGGY_AVERAGE, [("empty", "average([])"), ("name", "undefined_function()")])
    empty, name = result.results
    assert empty.status == "error" and empty.message.startswith("ZeroDivisionError: division by zero")
    assert "line 5 of solution.py" in empty.message
    assert name.status == "error" and name.message.startswith("NameError")
    assert result.failed == ["empty", "name"] and result.errored == ["empty", "name"]


def test_tests_run_in_fresh_copies_of_the_namespace(forkserver: Sandbox) -> None:
    program = "items = []\ndef add(x):\n    items.append(x)\n    return len(items)\n"
    tests = [("first", "assert add(1) == 1"), ("second", "assert add(2) == 1"), ("third", "assert items == []")]
    assert forkserver.run_tests(program, tests).all_passed


def test_syntax_error_in_the_program_errors_every_test(forkserver: Sandbox) -> None:
    result = forkserver.run_tests("def average(nums)\n    return 0\n", AVERAGE_TESTS)
    assert [r.status for r in result.results] == ["error", "error"]
    assert result.error is not None and result.error.startswith("SyntaxError")
    assert all(r.message == result.error for r in result.results)


def test_program_crashing_on_import_errors_every_test(forkserver: Sandbox) -> None:
    result = forkserver.run_tests("import nonexistent_module_xyz\n", AVERAGE_TESTS)
    assert all(r.status == "error" for r in result.results)
    assert result.error is not None and "ModuleNotFoundError" in result.error


def test_endless_program_errors_every_test_as_timed_out(forkserver: Sandbox) -> None:
    result = forkserver.run_tests("while True:\n    pass\n", AVERAGE_TESTS, limits=Limits(cpu_s=1, wall_s=2))
    assert all(r.status == "error" and "timed out" in r.message for r in result.results)
    assert result.run.timed_out and result.error is not None


def test_one_endless_test_does_not_hide_the_others(forkserver: Sandbox) -> None:
    tests = [("loops", "while True:\n    pass"), *AVERAGE_TESTS, ("sleeps", "import time\ntime.sleep(60)")]
    started = time.monotonic()
    # The wall clock is generous so that even on a busy machine the loop meets its CPU limit first.
    result = forkserver.run_tests(FIXED_AVERAGE, tests, limits=Limits(cpu_s=1, wall_s=4))
    statuses = {r.name: (r.status, r.message) for r in result.results}
    assert statuses["loops"] == ("error", "timed out (CPU time limit)")
    assert statuses["sleeps"] == ("error", "timed out (wall-clock limit)")
    assert statuses["test_three"][0] == statuses["test_single"][0] == "passed"
    assert time.monotonic() - started < 15


def test_crashing_test_is_an_error(forkserver: Sandbox) -> None:
    tests = [("segv", "import ctypes\nctypes.string_at(0)"), *AVERAGE_TESTS]
    result = forkserver.run_tests(FIXED_AVERAGE, tests)
    assert result.results[0].status == "error" and "SIGSEGV" in result.results[0].message
    assert result.passed == ["test_three", "test_single"]


def test_test_that_exits_is_an_error(forkserver: Sandbox) -> None:
    result = forkserver.run_tests(FIXED_AVERAGE, [("exit", "import sys\nsys.exit(0)")])
    assert result.results[0].status == "error" and "SystemExit" in result.results[0].message


def test_test_with_a_syntax_error_is_an_error(forkserver: Sandbox) -> None:
    result = forkserver.run_tests(FIXED_AVERAGE, [("bad", "assert average([1) == 1"), *AVERAGE_TESTS])
    assert result.results[0].status == "error" and "SyntaxError" in result.results[0].message
    assert result.passed == ["test_three", "test_single"]


def test_test_output_goes_to_the_run_stdout(forkserver: Sandbox) -> None:
    result = forkserver.run_tests(FIXED_AVERAGE, [("talks", "print('value', average([2, 4]))")])
    assert result.all_passed and result.run.stdout == "value 3.0\n"


@dataclass
class BankTest:
    """Shaped like the problem bank's test records."""

    name: str
    code: str


def test_tests_may_be_tuples_test_records_or_objects(forkserver: Sandbox) -> None:
    tests: list[TestLike] = [
        ("a", "assert average([1]) == 1"),
        Test("b", "assert average([2]) == 2"),
        BankTest("c", "assert average([3]) == 3"),
    ]
    assert forkserver.run_tests(FIXED_AVERAGE, tests).passed == ["a", "b", "c"]


def test_no_tests_gives_an_empty_result(forkserver: Sandbox) -> None:
    result = forkserver.run_tests(FIXED_AVERAGE, [])
    assert result.results == [] and not result.all_passed and result.run.exit_code == 0


def test_ten_tests_run_in_one_sandboxed_process(forkserver: Sandbox) -> None:
    tests = [(f"t{i}", f"assert average([{i}, {i}]) == {i}") for i in range(10)]
    result = forkserver.run_tests(FIXED_AVERAGE, tests)
    assert result.passed == [f"t{i}" for i in range(10)]
    assert result.run.isolation == forkserver.run("pass").isolation


def test_module_level_run_tests() -> None:
    assert run_tests(FIXED_AVERAGE, AVERAGE_TESTS).all_passed


def test_run_tests_result_serialises(forkserver: Sandbox) -> None:
    result = forkserver.run_tests(BUGGY_AVERAGE, AVERAGE_TESTS)
    assert type(result).model_validate_json(result.model_dump_json()) == result


def test_bad_test_shape_is_a_caller_error(forkserver: Sandbox) -> None:
    with pytest.raises(ValueError):
        forkserver.run_tests(FIXED_AVERAGE, [("only-a-name",)])  # type: ignore[list-item]
