"""What runs inside the sandboxed process once isolation is in place (stdlib only).

Two entry points: `run_program` behaves like `python main.py`; `run_tests` imports a program as the module
`solution` and runs each test snippet in a forked copy of that module, so tests cannot see each other's
side effects and one endless test does not hide the others. Results go to the supervisor as JSON lines on
an inherited pipe (`events_fd`). The program could write to that pipe too: that would only falsify its own
result, never reach the host.
"""

from __future__ import annotations

import ast
import atexit
import errno
import io
import json
import linecache
import os
import select
import signal
import sys
import threading
import time
import traceback
import types
from typing import Any

_MAX_MESSAGE = 1500
_REAL_FORK = os.fork  # the harness forks for tests with this; the program gets the reporting wrapper
_HARNESS_PID = 0
_EVENTS_FD = -1


def emit(event: dict[str, Any]) -> None:
    """Send one event line; writes up to PIPE_BUF bytes are atomic, so events never interleave."""
    line = (json.dumps(event, ensure_ascii=True)[:4000] + "\n").encode()
    try:
        os.write(_EVENTS_FD, line)
    except OSError:
        pass


def _limit_of(exc: BaseException) -> str | None:
    """Which resource limit an uncaught exception means, if any."""
    if isinstance(exc, MemoryError):
        return "memory"
    if isinstance(exc, OSError):
        if exc.errno == errno.EFBIG:
            return "file_size"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return "disk"
    if isinstance(exc, RuntimeError) and "can't start new thread" in str(exc):
        return "processes"
    return None


def _guard_fork() -> None:
    """Report process-limit hits from any descendant: a fork bomb ends as data, not as a mystery."""

    def fork() -> int:
        try:
            return _REAL_FORK()
        except BlockingIOError as exc:
            emit({"kind": "limit", "which": "processes"})
            raise exc from None

    os.fork = fork  # type: ignore[assignment]


def setup_process(events_fd: int, workdir: str, extra_paths: list[str]) -> None:
    """Fresh stdio objects on fds 0-2, a clean `sys.path`, no inherited exit handlers."""
    global _HARNESS_PID, _EVENTS_FD
    _HARNESS_PID = os.getpid()
    _EVENTS_FD = events_fd
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8", errors="replace")
    sys.stdout = io.TextIOWrapper(
        io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
    )
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
    )
    for name in ("stdin", "stdout", "stderr"):
        setattr(sys, f"__{name}__", getattr(sys, name))
    stdlib = [p for p in sys.path if p.startswith(sys.base_prefix) or p.startswith(sys.prefix)]
    sys.path[:] = [workdir, *stdlib, *extra_paths]
    sys.argv = ["main.py"]
    atexit._clear()
    linecache.clearcache()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    _guard_fork()


def _finish(code: int) -> None:
    """Interpreter-shutdown steps a forked process would otherwise skip (threads, atexit, buffers)."""
    try:
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
    except BaseException:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    os._exit(code)


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _print_exception(exc: BaseException) -> None:
    """Like Python's own report, minus the sandbox's own frames (harness, audit hook)."""
    report = traceback.TracebackException.from_exception(exc)
    seen: set[int] = set()
    todo = [report]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        item.stack[:] = [f for f in item.stack if not f.filename.startswith(_RUNTIME_DIR)]
        todo += [x for x in (item.__cause__, item.__context__) if x is not None]
    sys.stderr.write("".join(report.format()))


def _report_uncaught(exc: BaseException) -> None:
    # The limit event goes first: after a MemoryError even formatting the traceback may fail.
    which = _limit_of(exc)
    if which is not None:
        emit({"kind": "limit", "which": which})
    try:
        _print_exception(exc)
    except BaseException:
        os.write(2, f"{type(exc).__name__}\n".encode())


def _leave_if_forked_copy() -> None:
    """A process forked by the program must not fall through into the rest of the harness."""
    if os.getpid() != _HARNESS_PID:
        _finish(0)


def run_program(workdir: str, entry: str) -> None:
    """Execute `entry` as `__main__`, the way `python entry` would, and exit with its status."""
    path = os.path.join(workdir, entry)
    code = 0
    try:
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
        compiled = compile(source, path, "exec", dont_inherit=True)
        main = types.ModuleType("__main__")
        main.__file__ = path
        main.__builtins__ = __builtins__  # type: ignore[attr-defined]
        sys.modules["__main__"] = main
        exec(compiled, main.__dict__)
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException as exc:  # noqa: BLE001 - every failure of the program is its result
        _report_uncaught(exc)
        code = 1
    # Processes the program forked end here too, with the same semantics as the original.
    _finish(code)


# --- unit tests ---------------------------------------------------------------------------------------


def _short(value: object) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # noqa: BLE001 - a broken __repr__ must not hide the assertion
        text = f"<repr failed: {type(exc).__name__}>"
    return text if len(text) <= 200 else text[:197] + "..."


def _assert_message(source: str, left: object, right: object) -> str:
    return f"{source} (left: {_short(left)}, right: {_short(right)})"


class _AssertRewriter(ast.NodeTransformer):
    """Give bare asserts a message: the assert's own text and, for one comparison, both values.

    `assert f(x) == 2` becomes `l = f(x); r = 2; if not (l == r): raise AssertionError(msg(...))`, so each
    side is still evaluated exactly once and in order.
    """

    def __init__(self, source: str) -> None:
        self.source = source

    def visit_Assert(self, node: ast.Assert) -> Any:
        if node.msg is not None:
            return node
        text = ast.get_source_segment(self.source, node) or ast.unparse(node)
        test = node.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            left, right = ast.Name("__sbx_left__", ast.Load()), ast.Name("__sbx_right__", ast.Load())
            message: ast.expr = ast.Call(
                ast.Name("__sbx_assert_message__", ast.Load()), [ast.Constant(text), left, right], []
            )
            stmts: list[ast.stmt] = [
                ast.Assign([ast.Name("__sbx_left__", ast.Store())], test.left),
                ast.Assign([ast.Name("__sbx_right__", ast.Store())], test.comparators[0]),
            ]
            condition: ast.expr = ast.Compare(left, test.ops, [right])
        else:
            message, stmts, condition = ast.Constant(text), [], test
        error = ast.Call(ast.Name("AssertionError", ast.Load()), [message], [])
        stmts.append(ast.If(ast.UnaryOp(ast.Not(), condition), [ast.Raise(error, None)], []))
        for stmt in stmts:
            ast.copy_location(stmt, node)
        return stmts


def _compile_test(name: str, source: str) -> types.CodeType:
    filename = f"<test {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    tree = ast.parse(source, filename)
    tree = ast.fix_missing_locations(_AssertRewriter(source).visit(tree))
    return compile(tree, filename, "exec", dont_inherit=True)


def _where(exc: BaseException) -> str:
    """`line N of solution.py` for the innermost frame in the program or a test, when there is one."""
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        name = os.path.basename(frame.filename)
        if name == "solution.py" or frame.filename.startswith("<test "):
            return f" (line {frame.lineno} of {name.strip('<>')})"
    return ""


def _describe_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return (text + _where(exc))[:_MAX_MESSAGE]


def _run_one_test(namespace: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    try:
        compiled = _compile_test(name, source)
    except SyntaxError as exc:
        return {"status": "error", "message": f"SyntaxError in test: {exc.msg} (line {exc.lineno})"}
    namespace["__sbx_assert_message__"] = _assert_message
    try:
        exec(compiled, namespace)
    except AssertionError as exc:
        message = str(exc) or source.strip()
        return {"status": "failed", "message": message[:_MAX_MESSAGE]}
    except SystemExit as exc:
        return {"status": "error", "message": f"SystemExit: {exc.code} (the test stopped the program)"}
    except BaseException as exc:  # noqa: BLE001 - any other failure is the test's result
        which = _limit_of(exc)
        if which is not None:
            emit({"kind": "limit", "which": which})
        return {"status": "error", "message": _describe_error(exc)}
    return {"status": "passed", "message": ""}


def _wait_with_budget(pid: int, budget_s: float) -> tuple[int | None, bool]:
    """Wait for `pid` at most `budget_s`; returns (wait status or None, timed out)."""
    deadline = time.monotonic() + budget_s
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = -1
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status, False
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                return os.waitpid(pid, 0)[1], True
            if pidfd >= 0:
                select.select([pidfd], [], [], left)
            else:
                time.sleep(min(left, 0.005))
    finally:
        if pidfd >= 0:
            os.close(pidfd)


def _test_in_fork(module: types.ModuleType, name: str, source: str, budget_s: float) -> dict[str, Any]:
    read_end, write_end = os.pipe()
    try:
        pid = _REAL_FORK()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return _run_one_test(dict(module.__dict__), name, source)  # no process left: run in place
    if pid == 0:
        me = os.getpid()
        os.close(read_end)
        result = _run_one_test(module.__dict__, name, source)
        if os.getpid() != me:  # a process the test forked
            _finish(0)
        os.write(write_end, json.dumps(result).encode())
        _finish(0)
    os.close(write_end)
    status, timed_out = _wait_with_budget(pid, budget_s)
    with os.fdopen(read_end, "rb") as fh:
        raw = fh.read()
    if raw:
        result = json.loads(raw)
        return result if isinstance(result, dict) else {"status": "error", "message": "garbled result"}
    return {"status": "error", "message": _why_test_died(status, timed_out)}


def _why_test_died(status: int | None, timed_out: bool) -> str:
    if timed_out:
        return "timed out (wall-clock limit)"
    if status is not None and os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return "timed out (CPU time limit)"
        return f"crashed: killed by {signal.Signals(sig).name}"
    if status is not None and os.WIFEXITED(status):
        return f"the test ended the process (exit code {os.WEXITSTATUS(status)})"
    return "the test produced no result"


def run_tests(workdir: str, program: str, tests: list[tuple[str, str]], budget_s: float) -> None:
    """Import `program` as `solution`, then run each test snippet in a forked copy of its namespace."""
    path = os.path.join(workdir, "solution.py")
    try:
        compiled = compile(program, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        _print_exception(exc)
        emit(
            {
                "kind": "program",
                "status": "error",
                "message": f"SyntaxError: {exc.msg} (line {exc.lineno} of solution.py)",
            }
        )
        _finish(1)
    module = types.ModuleType("solution")
    module.__file__ = path
    module.__builtins__ = __builtins__  # type: ignore[attr-defined]
    sys.modules["solution"] = module
    try:
        exec(compiled, module.__dict__)
    except BaseException as exc:  # noqa: BLE001 - a program that fails on import fails every test
        _leave_if_forked_copy()
        _report_uncaught(exc)
        prefix = "the program stopped while loading" if isinstance(exc, SystemExit) else "the program failed"
        emit({"kind": "program", "status": "error", "message": f"{prefix}: {_describe_error(exc)}"})
        _finish(1)
    _leave_if_forked_copy()
    for name, source in tests:
        result = _test_in_fork(module, name, source, budget_s)
        emit({"kind": "test", "name": name, **result})
    _finish(0)
