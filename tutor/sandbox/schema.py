"""The sandbox's data: limits going in, results coming out.

Results are pydantic models because they leave the process: they are stored with every tutor turn,
shown in the UI and exported with dialogues.
"""

from __future__ import annotations

import signal as _signal
from typing import ClassVar, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

LimitName = Literal["cpu", "wall", "memory", "output", "file_size", "disk", "processes"]
TestStatus = Literal["passed", "failed", "error"]


class Limits(BaseModel):
    """Resource limits of one run, with defaults sized for tutoring calculations and student exercises.

    In `run_tests` the limits apply to loading the program and again to each test, so one endless test
    costs its own budget and the others still report.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    cpu_s: float = Field(default=1.0, gt=0, le=600, description="CPU seconds (counted in whole seconds).")
    wall_s: float = Field(default=3.0, gt=0, le=3600, description="Wall-clock seconds, sleeping included.")
    memory_mb: int = Field(default=256, ge=64, le=65536, description="Address space of each process.")
    file_size_kb: int = Field(default=1024, ge=0, description="Largest file the program may write.")
    disk_mb: int = Field(default=8, ge=1, le=4096, description="All files together (namespace backends).")
    processes: int = Field(default=8, ge=1, le=4096, description="Processes and threads, program included.")
    open_files: int = Field(default=64, ge=16, le=65536)
    output_kb: int = Field(default=64, ge=1, le=1 << 20, description="Cap on each of stdout and stderr.")


class ExecResult(BaseModel):
    """What happened to one program. A failing program is a normal result, never an exception."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = Field(default=None, description="None when the program was killed by a signal.")
    signal: int | None = Field(default=None, description="Number of the signal that killed the program.")
    timed_out: bool = False
    limit_exceeded: LimitName | None = None
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    duration_s: float = 0.0
    cpu_s: float = 0.0
    isolation: list[str] = Field(default_factory=list, description="Isolation layers that were in force.")
    backend: str = ""

    @property
    def ok(self) -> bool:
        """The program ran to completion and exited 0 within every limit."""
        return self.exit_code == 0 and self.limit_exceeded is None and not self.timed_out

    @property
    def signal_name(self) -> str | None:
        if self.signal is None:
            return None
        try:
            return _signal.Signals(self.signal).name
        except ValueError:
            return f"signal {self.signal}"

    def summary(self) -> str:
        """One line for people: `exit 0`, `exit 1`, `killed by SIGSEGV`, `CPU time limit exceeded`..."""
        if self.limit_exceeded is not None:
            return _LIMIT_TEXT[self.limit_exceeded]
        if self.signal is not None:
            return f"killed by {self.signal_name}"
        return f"exit {self.exit_code}"


_LIMIT_TEXT: dict[str, str] = {
    "cpu": "timed out (CPU time limit exceeded)",
    "wall": "timed out (wall-clock limit exceeded)",
    "memory": "memory limit exceeded",
    "output": "output limit exceeded",
    "file_size": "file size limit exceeded",
    "disk": "disk space limit exceeded",
    "processes": "process limit exceeded",
}


class Test(NamedTuple):
    """One unit test: a snippet such as `assert average([1, 2, 3]) == 2.0`, run after the program."""

    name: str
    code: str


setattr(Test, "__test__", False)  # noqa: B010 - keeps pytest from collecting it as a test class


class TestResult(BaseModel):
    """Outcome of one test: `failed` is an assertion that did not hold, `error` anything else."""

    __test__: ClassVar[bool] = False
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    status: TestStatus
    message: str = ""


class TestRunResult(BaseModel):
    """All tests of one program, plus the run they came from."""

    __test__: ClassVar[bool] = False
    model_config = ConfigDict(extra="forbid", frozen=True)

    results: list[TestResult]
    run: ExecResult
    error: str | None = Field(default=None, description="Why every test errored (syntax error, timeout...).")

    @property
    def passed(self) -> list[str]:
        return [r.name for r in self.results if r.status == "passed"]

    @property
    def failed(self) -> list[str]:
        """Names of the tests that did not pass (failed or errored)."""
        return [r.name for r in self.results if r.status != "passed"]

    @property
    def errored(self) -> list[str]:
        return [r.name for r in self.results if r.status == "error"]

    @property
    def all_passed(self) -> bool:
        return bool(self.results) and all(r.status == "passed" for r in self.results)

    def by_name(self) -> dict[str, TestResult]:
        return {r.name: r for r in self.results}
