"""The `Sandbox`: one interface to run untrusted Python, whatever the backend."""

from __future__ import annotations

import posixpath
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

from tutor.errors import SandboxError
from tutor.sandbox.schema import ExecResult, Limits, Test, TestResult, TestRunResult
from tutor.sandbox.transport import BwrapLauncher, ColdLauncher, ForkServer, Launcher, RawOutcome, execute

Backend = Literal["auto", "forkserver", "process", "bwrap"]
NamespaceMode = Literal["auto", "require", "off"]
BACKENDS: tuple[str, ...] = ("auto", "forkserver", "process", "bwrap")


class _NamedTest(Protocol):
    name: str
    code: str


TestLike = Test | tuple[str, str] | _NamedTest


class Sandbox:
    """Runs untrusted Python in a separate, locked-down process; safe to share between threads.

    Args:
        limits: default limits of every run (a run may pass its own).
        backend: `forkserver` (warm, the default; `auto` means it), `process` (a cold interpreter per
            run) or `bwrap` (bubblewrap builds the namespaces; needs `bwrap` installed).
        namespaces: `auto` uses Linux namespaces where the kernel allows and falls back to the
            in-process layers (seccomp, audit hook), which fail closed; `require` raises
            `SandboxError` instead of falling back; `off` skips them (for tests of the fallback).
        python_paths: extra directories the program may import from (read-only), e.g. a
            site-packages holding pint. By default only the standard library is importable.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        backend: Backend = "auto",
        *,
        namespaces: NamespaceMode = "auto",
        python_paths: Sequence[str | Path] = (),
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown sandbox backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.limits = limits or Limits()
        self.backend: str = "forkserver" if backend == "auto" else backend
        self.namespaces = namespaces
        self.python_paths = tuple(str(Path(p).resolve()) for p in python_paths)
        self._launcher: Launcher | None = None
        self._lock = threading.Lock()
        if self.backend == "bwrap":
            self._launcher_for(self.limits)  # fail now, not at the first run, when bwrap is missing

    # -- public API ------------------------------------------------------------------------------------

    def run(
        self, code: str | Mapping[str, str], stdin: str = "", limits: Limits | None = None, *, entry: str = "main.py"
    ) -> ExecResult:
        """Run a program like `python main.py` and report what happened.

        Args:
            code: the program, or several files `{relative path: source}` with `entry` among them.
            stdin: text fed to the program's standard input.
            limits: limits for this run instead of the sandbox's default.
            entry: which file of `code` to run when it is a mapping.

        Raises:
            SandboxError: only when the sandbox itself is broken, never because the program failed.
            ValueError: for file names that are absolute, climb out with `..`, or a missing entry.
        """
        files = {entry: code} if isinstance(code, str) else dict(code)
        for name in files:
            _check_relative(name)
        if entry not in files:
            raise ValueError(f"entry file {entry!r} is not among the files given")
        lim = limits or self.limits
        request = {"kind": "run", "files": files, "entry": entry}
        raw = self._execute(request, stdin, lim, lim.wall_s)
        return self._result(raw, lim)

    def run_tests(self, program: str, tests: Sequence[TestLike], limits: Limits | None = None) -> TestRunResult:
        """Import `program` as module `solution`, then run each test snippet in a fresh copy of it.

        An `AssertionError` makes a test `failed` (message: the assertion's own message, else its text
        and the two compared values); any other exception makes it `error`. A syntax error in the
        program, or a failure while importing it, makes every test `error` with that reason. All tests
        run in one sandboxed process; each test has its own CPU and wall-clock budget (`limits`).
        """
        pairs = [_as_pair(t) for t in tests]
        lim = limits or self.limits
        request = {"kind": "tests", "program": program, "tests": pairs}
        raw = self._execute(request, "", lim, lim.wall_s * (len(pairs) + 1))
        run = self._result(raw, lim)
        return _test_results(pairs, raw.status.get("events", []), run)

    def close(self) -> None:
        """Stop the fork server, if one was started (runs in flight finish on their own)."""
        with self._lock:
            if self._launcher is not None:
                self._launcher.close()
                self._launcher = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------------------------

    def _launcher_for(self, limits: Limits) -> Launcher:
        if self.backend == "bwrap":
            # The tmpfs size is a bwrap argument, so each run's launcher carries its own limit.
            return BwrapLauncher(self.python_paths, limits.disk_mb << 20)
        with self._lock:
            if self._launcher is None:
                if self.backend == "forkserver":
                    config = {"namespaces": self.namespaces, "python_paths": list(self.python_paths)}
                    self._launcher = ForkServer(config)
                else:
                    self._launcher = ColdLauncher()
            return self._launcher

    def _execute(self, request: dict[str, Any], stdin: str, limits: Limits, budget_s: float) -> RawOutcome:
        request = {
            **request,
            "limits": limits.model_dump(),
            "namespaces": "inside" if self.backend == "bwrap" else self.namespaces,
            "python_paths": list(self.python_paths),
        }
        raw = execute(
            self._launcher_for(limits),
            request,
            stdin.encode("utf-8", "surrogateescape"),
            limits.output_kb << 10,
            budget_s,
        )
        if "error" in raw.status:
            raise SandboxError(str(raw.status["error"]), "this is a fault of the sandbox, not of the program")
        return raw

    def _result(self, raw: RawOutcome, limits: Limits) -> ExecResult:
        status = raw.status
        limit = status.get("limit")
        if raw.stdout_truncated or raw.stderr_truncated:
            limit = "output"
        return ExecResult(
            stdout=raw.stdout.decode("utf-8", "replace"),
            stderr=raw.stderr.decode("utf-8", "replace"),
            exit_code=status.get("exit_code"),
            signal=status.get("signal"),
            timed_out=bool(status.get("timed_out")),
            limit_exceeded=limit,
            stdout_truncated=raw.stdout_truncated,
            stderr_truncated=raw.stderr_truncated,
            duration_s=round(float(status.get("duration_s", 0.0)), 6),
            cpu_s=round(float(status.get("cpu_s", 0.0)), 4),
            isolation=list(status.get("isolation", [])),
            backend=self.backend,
        )


def _check_relative(name: str) -> None:
    norm = posixpath.normpath(name)
    if not name or name.startswith("/") or norm.startswith("..") or norm == ".":
        raise ValueError(f"file name {name!r} must be a relative path inside the working directory")


def _as_pair(test: TestLike) -> tuple[str, str]:
    if isinstance(test, tuple):
        if len(test) != 2:
            raise ValueError(f"a test is (name, code), got {len(test)} items")
        return str(test[0]), str(test[1])
    return str(test.name), str(test.code)


def _test_results(pairs: list[tuple[str, str]], events: list[dict[str, Any]], run: ExecResult) -> TestRunResult:
    """Match the harness's events to the tests; whatever did not report gets the run's reason."""
    reported = [e for e in events if e.get("kind") == "test"]
    program_error = next((str(e.get("message")) for e in events if e.get("kind") == "program"), None)
    results: list[TestResult] = []
    for i, (name, _) in enumerate(pairs):
        event = reported[i] if i < len(reported) and reported[i].get("name") == name else None
        if event is not None and event.get("status") in ("passed", "failed", "error"):
            message = str(event.get("message", ""))
            results.append(TestResult(name=name, status=event["status"], message=message))
        else:
            message = program_error or _why_unreported(run)
            results.append(TestResult(name=name, status="error", message=message))
    error = program_error
    if error is None and results and not reported:
        error = _why_unreported(run)
    return TestRunResult(results=results, run=run, error=error)


def _why_unreported(run: ExecResult) -> str:
    if run.limit_exceeded is not None or run.signal is not None:
        return run.summary()
    return f"the test run ended early ({run.summary()})"
