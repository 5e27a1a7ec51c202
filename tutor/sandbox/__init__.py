"""Running untrusted Python: the tutor's calculations, student programs and unit tests.

    from tutor.sandbox import Sandbox, Limits

    with Sandbox() as box:
        result = box.run("print(7 * 1.2 / 3)")          # ExecResult: stdout, exit_code, timed_out...
        tests = box.run_tests(program, [("t1", "assert f(1) == 2")])   # TestRunResult

Every run is a separate process in fresh Linux namespaces (pid, mount, network, ipc, uts) with a private
read-only root, an unprivileged uid, rlimits, a seccomp filter and an audit hook; `ExecResult.isolation`
says which layers were in force. A failing program is data; only a broken sandbox raises
`tutor.errors.SandboxError`. The module-level `run` and `run_tests` share one default sandbox.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Mapping, Sequence

from tutor.sandbox.sandbox import BACKENDS, Backend, NamespaceMode, Sandbox, TestLike
from tutor.sandbox.schema import ExecResult, LimitName, Limits, Test, TestResult, TestRunResult, TestStatus

__all__ = [
    "BACKENDS",
    "Backend",
    "ExecResult",
    "LimitName",
    "Limits",
    "NamespaceMode",
    "Sandbox",
    "Test",
    "TestLike",
    "TestResult",
    "TestRunResult",
    "TestStatus",
    "default_sandbox",
    "run",
    "run_tests",
]

_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The shared sandbox behind `run` and `run_tests` (fork server backend, default limits)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
            atexit.register(_default.close)
        return _default


def run(code: str | Mapping[str, str], stdin: str = "", limits: Limits | None = None) -> ExecResult:
    """Run a program in the default sandbox; see `Sandbox.run`."""
    return default_sandbox().run(code, stdin, limits)


def run_tests(program: str, tests: Sequence[TestLike], limits: Limits | None = None) -> TestRunResult:
    """Run unit-test snippets against a program in the default sandbox; see `Sandbox.run_tests`."""
    return default_sandbox().run_tests(program, tests, limits)
