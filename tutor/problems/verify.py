"""Self-checks of a problem that need execution (the structural ones are in `schema.py`).

Math and physics: every step program prints its step's answer; the right answer, as written, is
accepted by the answer checker; every typical wrong answer is rejected AND recognised as itself (so it
lies outside the tolerance and is not shadowed by another wrong answer).

Debugging: the fixed program passes every test; the buggy one fails at least one; with every patch
applied all tests pass; with all patches but one applied, exactly that bug's `breaks_tests` fail.

Programs run in the project sandbox (`tutor.sandbox`); a plain subprocess with a timeout stands in
where that package is absent (problem files are our own data, not untrusted input).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tutor.errors import InputDataError
from tutor.problems.answers import AnswerCheck, Verdict, check_numeric, check_text, normalise_text
from tutor.problems.bank import load_problem_file
from tutor.problems.numbers import extract_numbers
from tutor.problems.schema import AnyProblem, DebuggingProblem, NumericAnswer, SteppedProblem, TextAnswer, WrongAnswer

DEFAULT_TIMEOUT_S = 10.0
TestStatus = Literal["passed", "failed", "error"]


@dataclass(frozen=True)
class CheckResult:
    """One self-check: its name (`step s1: program`), whether it held, and why not."""

    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class VerifyReport:
    """All self-checks of one problem (or one file that did not load)."""

    problem_id: str
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)
    path: Path | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.ok]

    def summary(self) -> str:
        """One line per failure, or `ok (N checks)`."""
        if self.ok:
            return f"ok ({len(self.checks)} checks)"
        return "\n".join(f"{c.name}: {c.detail}" for c in self.failures)


# -------------------------------------------------------------------------------------- execution


@dataclass(frozen=True)
class _Run:
    stdout: str
    stderr: str
    exit_code: int | None
    timed_out: bool


_TEST_RUNNER = r"""
import json, sys, types
payload = json.loads(sys.stdin.read())
mod = types.ModuleType("solution")
sys.modules["solution"] = mod
try:
    exec(compile(payload["program"], "solution.py", "exec"), mod.__dict__)
    load_error = None
except BaseException as exc:
    load_error = f"{type(exc).__name__}: {exc}"
results = []
for name, code in payload["tests"]:
    if load_error:
        results.append([name, "error", "the program failed: " + load_error])
        continue
    ns = dict(mod.__dict__)
    try:
        exec(compile(code, name, "exec"), ns)
        results.append([name, "passed", ""])
    except AssertionError as exc:
        results.append([name, "failed", str(exc) or "assertion failed"])
    except BaseException as exc:
        results.append([name, "error", f"{type(exc).__name__}: {exc}"])
print("\n@@RESULTS@@" + json.dumps(results))
"""


def _sandbox_module():  # type: ignore[no-untyped-def]
    """`tutor.sandbox` when it provides the API used here, else None (then a plain subprocess runs)."""
    try:
        import tutor.sandbox as sandbox
    except ImportError:
        return None
    needed = ("Limits", "run", "run_tests")
    return sandbox if all(hasattr(sandbox, name) for name in needed) else None


def _subprocess(args: list[str], stdin: str, timeout_s: float) -> _Run:
    try:
        done = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return _Run(out, "", None, True)
    return _Run(done.stdout, done.stderr, done.returncode, False)


def run_program(code: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> _Run:
    """Run a program; stdout, stderr, exit code, timeout flag."""
    sandbox = _sandbox_module()
    if sandbox is not None:
        result = sandbox.run(code, limits=sandbox.Limits(cpu_s=timeout_s, wall_s=timeout_s))
        return _Run(result.stdout, result.stderr, result.exit_code, result.timed_out)
    return _subprocess([sys.executable, "-I", "-c", code], "", timeout_s)


def run_tests(
    program: str, tests: Sequence[tuple[str, str]], timeout_s: float = DEFAULT_TIMEOUT_S
) -> dict[str, tuple[TestStatus, str]]:
    """Run `program` as module `solution`, then each test in a fresh copy of its namespace."""
    sandbox = _sandbox_module()
    if sandbox is not None:
        limits = sandbox.Limits(cpu_s=timeout_s, wall_s=timeout_s)
        outcome = sandbox.run_tests(program, list(tests), limits=limits)
        return {r.name: (r.status, r.message or "") for r in outcome.results}
    payload = json.dumps({"program": program, "tests": list(tests)})
    run = _subprocess([sys.executable, "-I", "-c", _TEST_RUNNER], payload, timeout_s)
    marker = run.stdout.rfind("@@RESULTS@@")
    if run.timed_out or marker < 0:
        why = "timed out" if run.timed_out else f"the test runner crashed: {run.stderr.strip()[-300:]}"
        return {name: ("error", why) for name, _ in tests}
    return {name: (status, msg) for name, status, msg in json.loads(run.stdout[marker + len("@@RESULTS@@") :])}


# ------------------------------------------------------------------------------------- math/physics


def _render(value: float, unit: str | None) -> str:
    return f"{value:.12g} {unit}" if unit else f"{value:.12g}"


def _printed_value(line: str) -> float | None:
    try:
        return float(line)
    except ValueError:
        mentions = extract_numbers(line)
        return mentions[0].value if len(mentions) == 1 else None


def _check_program(
    step_name: str, step_program: str, answer: NumericAnswer | TextAnswer, timeout_s: float
) -> CheckResult:
    name = f"{step_name}: program"
    run = run_program(step_program, timeout_s)
    if run.timed_out:
        return CheckResult(name, False, f"timed out after {timeout_s:g} s")
    if run.exit_code != 0:
        return CheckResult(name, False, f"exit code {run.exit_code}: {run.stderr.strip()[-300:]}")
    lines = [ln.strip() for ln in run.stdout.splitlines() if ln.strip()]
    if not lines:
        return CheckResult(name, False, "printed nothing")
    last = lines[-1]
    if isinstance(answer, TextAnswer):
        forms = {normalise_text(t) for t in (answer.text, *answer.accept)}
        ok = normalise_text(last) in forms
        return CheckResult(name, ok, "" if ok else f"printed {last!r}, the answer is {answer.text!r}")
    value = _printed_value(last)
    if value is None:
        return CheckResult(name, False, f"last line {last!r} is not a number")
    ok = abs(value - answer.value) <= answer.tolerance + 1e-9 * max(1.0, abs(answer.value))
    detail = "" if ok else f"printed {value:g}, the answer is {answer.value:g} (tolerance {answer.tolerance:g})"
    return CheckResult(name, ok, detail)


def _check_answers(
    step_name: str, answer: NumericAnswer | TextAnswer, wrong_answers: Sequence[WrongAnswer]
) -> list[CheckResult]:
    """The right answer as written is accepted; each wrong answer is rejected and recognised as itself."""

    def judge(said_value: float | None, said_text: str | None, unit: str | None) -> tuple[str, AnswerCheck]:
        if isinstance(answer, NumericAnswer):
            said = _render(said_value or 0.0, unit)
            return said, check_numeric(said, answer, wrong_answers)
        said = said_text or ""
        return said, check_text(said, answer, wrong_answers)

    if isinstance(answer, NumericAnswer):
        said, got = judge(answer.value, None, answer.unit)
    else:
        said, got = judge(None, answer.text, None)
    checks = [
        CheckResult(
            f"{step_name}: answer accepted",
            got.verdict is Verdict.CORRECT,
            f"{said!r} is judged {got.verdict.value}: {got.reason}",
        )
    ]
    for i, wrong in enumerate(wrong_answers):
        name = f"{step_name}: wrong_answers[{i}]"
        unit = wrong.unit or (answer.unit if isinstance(answer, NumericAnswer) else None)
        said, got = judge(wrong.value, wrong.text, unit)
        if got.verdict is Verdict.CORRECT:
            checks.append(CheckResult(name, False, f"{said!r} is accepted as right (inside the tolerance?)"))
        elif got.wrong_answer is not wrong:
            other = got.wrong_answer.misconception if got.wrong_answer else "nothing"
            checks.append(CheckResult(name, False, f"{said!r} is recognised as {other}, not {wrong.misconception}"))
        else:
            checks.append(CheckResult(name, True))
    return checks


def _verify_stepped(problem: SteppedProblem, timeout_s: float) -> list[CheckResult]:
    checks: list[CheckResult] = []
    for step in problem.steps:
        label = f"step {step.id}"
        if step.program is not None:
            checks.append(_check_program(label, step.program, step.answer, timeout_s))
        checks += _check_answers(label, step.answer, step.wrong_answers)
    checks += _check_answers("final_answer", problem.final_answer, ())
    return checks


# ---------------------------------------------------------------------------------------- debugging


def _verify_debugging(problem: DebuggingProblem, timeout_s: float) -> list[CheckResult]:
    tests = [(t.name, t.code) for t in problem.tests]
    cache: dict[str, dict[str, tuple[TestStatus, str]]] = {}

    def failing(code: str) -> dict[str, str]:
        if code not in cache:
            cache[code] = run_tests(code, tests, timeout_s)
        return {name: f"{status}: {msg}" for name, (status, msg) in cache[code].items() if status != "passed"}

    def describe(fails: dict[str, str]) -> str:
        return "; ".join(f"{name} {why}"[:200] for name, why in fails.items())

    if problem.fixed_code is None:  # an imported fix kept in words (`patch` missing): only the buggy code runs
        return [CheckResult("buggy_code fails a test", bool(failing(problem.buggy_code)), "every test passes")]
    checks = []
    fails = failing(problem.fixed_code)
    checks.append(CheckResult("fixed_code passes every test", not fails, describe(fails)))
    fails = failing(problem.buggy_code)
    checks.append(CheckResult("buggy_code fails a test", bool(fails), "every test passes"))
    fails = failing(problem.patched_code())
    checks.append(CheckResult("all patches applied pass every test", not fails, describe(fails)))
    for bug in problem.bugs:
        others = [b.id for b in problem.bugs if b.id != bug.id]
        fails = failing(problem.patched_code(others))
        expected = set(bug.breaks_tests)
        ok = set(fails) == expected
        detail = "" if ok else f"fail: {sorted(fails)}, breaks_tests says {sorted(expected)}"
        checks.append(CheckResult(f"bug {bug.id}: only this bug left breaks exactly breaks_tests", ok, detail))
    return checks


# ------------------------------------------------------------------------------------------- public


def verify_problem(problem: AnyProblem, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> VerifyReport:
    """Run every execution check on one problem."""
    if isinstance(problem, DebuggingProblem):
        checks = _verify_debugging(problem, timeout_s)
    else:
        checks = _verify_stepped(problem, timeout_s)
    return VerifyReport(problem.id, tuple(checks))


def verify_file(path: str | Path, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> VerifyReport:
    """Load one problem file and verify it; a file that does not load is one failed `schema` check."""
    path = Path(path)
    try:
        problem = load_problem_file(path)
    except InputDataError as exc:
        return VerifyReport(path.stem, (CheckResult("schema", False, exc.message),), path)
    report = verify_problem(problem, timeout_s=timeout_s)
    return VerifyReport(report.problem_id, (CheckResult("schema", True), *report.checks), path)
