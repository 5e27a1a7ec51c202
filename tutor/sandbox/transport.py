"""Host side of a run: start the sandbox process, feed it, collect its output under caps.

Each run gets five fresh pipes: stdin, stdout and stderr of the program, a control pipe (the request
goes down it; one more byte, or closing it, stops the run) and a status pipe (one JSON report comes
back). The three launchers differ only in how the supervisor process comes to life:

- `ForkServer`: a pre-started isolated interpreter keeps a few runs ready (namespaces entered, private
  root built, processes forked and waiting) and hands each request's fds to one of them over a Unix
  socket (SCM_RIGHTS). Warm: no interpreter start-up and no fork before the program starts.
- `ColdLauncher`: a fresh `python -I -S` per run.
- `BwrapLauncher`: a fresh `bwrap ... python -I -S` per run; bubblewrap builds the namespaces.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tutor.errors import SandboxError
from tutor.sandbox.child_isolation import UID_BASE

RUNTIME_DIR = str(Path(__file__).resolve().parent)
# The program never sees this path: the harness rebuilds sys.path before running it.
_BOOTSTRAP = "import sys; sys.path.insert(0, {dir!r}); import child_main; child_main.main(sys.argv[1:])"
_START_TIMEOUT_S = 20.0
_SETUP_GRACE_S = 12.0  # the supervisor's own setup timeout (10 s) plus slack


def python_executable() -> str:
    """The real interpreter behind this one: with `-I -S` it ignores the virtualenv and its packages."""
    return os.path.realpath(sys.executable)


def _python_command(*args: str) -> list[str]:
    return [python_executable(), "-I", "-S", "-B", "-c", _BOOTSTRAP.format(dir=RUNTIME_DIR), *args]


@dataclass(frozen=True)
class ChildFds:
    """The ends of the five pipes that belong to the sandbox side."""

    stdin: int
    stdout: int
    stderr: int
    ctl: int
    status: int

    def all(self) -> tuple[int, int, int, int, int]:
        return (self.stdin, self.stdout, self.stderr, self.ctl, self.status)


class Handle(Protocol):
    extra: dict[str, Any]  # added to the request (what only the launcher knows, e.g. the run's uid)

    def wait(self) -> None: ...


class Launcher(Protocol):
    name: str

    def launch(self, fds: ChildFds) -> Handle: ...

    def close(self) -> None: ...


class _NoHandle:
    extra: dict[str, Any] = {}

    def wait(self) -> None:
        return None


class _PopenHandle:
    def __init__(self, proc: subprocess.Popen[bytes], extra: dict[str, Any] | None = None) -> None:
        self.proc = proc
        self.extra = extra or {}

    def wait(self) -> None:
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ColdLauncher:
    """A fresh interpreter per run (the baseline the fork server is measured against)."""

    name = "process"

    def launch(self, fds: ChildFds) -> Handle:
        return _PopenHandle(_spawn(_python_command("supervise", str(fds.ctl), str(fds.status)), fds))

    def close(self) -> None:
        return None


def _spawn(cmd: list[str], fds: ChildFds) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            cmd,
            stdin=fds.stdin,
            stdout=fds.stdout,
            stderr=fds.stderr,
            pass_fds=(fds.ctl, fds.status),
            env={},
            cwd="/",
            start_new_session=True,
        )
    except OSError as exc:
        raise SandboxError(f"cannot start the sandbox process: {exc}") from exc


class BwrapLauncher:
    """Bubblewrap builds the namespaces and a minimal read-only filesystem; our runtime runs inside."""

    name = "bwrap"

    def __init__(self, python_paths: tuple[str, ...], disk_bytes: int) -> None:
        self.bwrap = shutil.which("bwrap")
        if self.bwrap is None:
            raise SandboxError("bubblewrap is not installed", "install it (apt-get install bubblewrap)")
        self.python_paths = python_paths
        self.disk_bytes = disk_bytes

    def command(self, ctl: int, status: int) -> list[str]:
        assert self.bwrap is not None
        cmd = [
            self.bwrap,
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent",
            "--new-session",
            "--hostname",
            "sandbox",
            "--clearenv",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(max(self.disk_bytes, 65536)),
            "--tmpfs",
            "/tmp",
            "--chdir",
            "/",
        ]
        if os.geteuid() == 0:
            # As root, skip the user namespace: it would map the program to host root, which the
            # kernel exempts from RLIMIT_NPROC. Keep just the capabilities our runtime needs to switch
            # the program to its own unprivileged uid (the switch drops them).
            cmd += [
                "--cap-drop",
                "ALL",
                "--cap-add",
                "CAP_SETUID",
                "--cap-add",
                "CAP_SETGID",
                "--cap-add",
                "CAP_CHOWN",
                "--cap-add",
                "CAP_KILL",
            ]
        else:
            cmd += ["--unshare-user"]
        seen: list[str] = []
        made: set[str] = set()
        for path in (
            "/usr",
            "/lib",
            "/lib64",
            "/lib32",
            "/bin",
            "/sbin",
            sys.base_prefix,
            os.path.dirname(python_executable()),
            RUNTIME_DIR,
            *self.python_paths,
        ):
            if not os.path.lexists(path) or any(path == s or path.startswith(s + "/") for s in seen):
                continue
            if os.path.islink(path):
                cmd += ["--symlink", os.readlink(path), path]
                continue
            # bwrap creates missing parents as 0700 (e.g. /root for a pyenv interpreter), which the
            # program's unprivileged uid could not traverse.
            for parent in reversed(Path(path).parents[:-1]):
                if str(parent) not in made:
                    made.add(str(parent))
                    cmd += ["--perms", "0755", "--dir", str(parent)]
            cmd += ["--ro-bind", path, path]
            seen.append(path)
        return [*cmd, *_python_command("supervise", str(ctl), str(status))]

    def launch(self, fds: ChildFds) -> Handle:
        proc = _spawn(self.command(fds.ctl, fds.status), fds)
        # bwrap's host pid is unique while the run lives, so it makes a unique uid for the program.
        return _PopenHandle(proc, {"uid": UID_BASE + proc.pid} if os.geteuid() == 0 else {})

    def close(self) -> None:
        return None


class ForkServer:
    """A pre-started isolated interpreter that forks one supervisor per run (see `child_server`).

    Thread-safe: each request is a single SOCK_SEQPACKET message (atomic, fds attached), so concurrent
    callers never interleave. Restarted once if it died. It exits by itself when the host process goes
    away, because its end of the socket then reads EOF.
    """

    name = "forkserver"

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config  # namespaces and import paths: fixed for the server's pre-built sandboxes
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None

    def _start(self) -> None:
        host, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._proc = subprocess.Popen(
                _python_command("server", str(child.fileno()), json.dumps(self.config)),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(child.fileno(),),
                env={},
                cwd="/",
                start_new_session=True,
            )
        except OSError as exc:
            host.close()
            raise SandboxError(f"cannot start the sandbox fork server: {exc}") from exc
        finally:
            child.close()
        host.settimeout(_START_TIMEOUT_S)
        try:
            ready = host.recv(1)
        except OSError:
            ready = b""
        if ready != b"R":
            self._proc.kill()
            err = self._proc.communicate(timeout=5)[1].decode("utf-8", "replace")[-800:]
            host.close()
            self._proc = None
            raise SandboxError(f"the sandbox fork server did not start: {err.strip() or 'no output'}")
        assert self._proc.stderr is not None
        self._proc.stderr.close()  # nothing is written there once it is up
        host.settimeout(None)
        self._sock = host

    def launch(self, fds: ChildFds) -> Handle:
        payload = struct.pack("5i", *fds.all())
        with self._lock:
            for attempt in (1, 2):
                if self._sock is None:
                    self._start()
                assert self._sock is not None
                try:
                    self._sock.sendmsg([b"r"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, payload)])
                    return _NoHandle()
                except OSError as exc:
                    self._stop()
                    if attempt == 2:
                        raise SandboxError(f"the sandbox fork server is gone: {exc}") from exc
        raise AssertionError("unreachable")

    def _stop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)  # it exits on EOF; runs in flight finish on their own
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def close(self) -> None:
        with self._lock:
            self._stop()


@dataclass(frozen=True)
class RawOutcome:
    """Everything the host collected about one run, before it becomes an ExecResult."""

    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    status: dict[str, Any]


def execute(launcher: Launcher, request: dict[str, Any], stdin: bytes, output_cap: int, budget_s: float) -> RawOutcome:
    """Run one request through `launcher` and collect output (each stream capped at `output_cap`)."""
    pipes = [os.pipe() for _ in range(5)]
    (in_r, in_w), (out_r, out_w), (err_r, err_w), (ctl_r, ctl_w), (st_r, st_w) = pipes
    child = ChildFds(in_r, out_w, err_w, ctl_r, st_w)
    host_ends = [in_w, out_r, err_r, ctl_w, st_r]
    handle: Handle | None = None
    try:
        handle = launcher.launch(child)
    except BaseException:
        for fd in host_ends:
            os.close(fd)
        raise
    finally:
        for fd in child.all():
            os.close(fd)
    try:
        return _collect(in_w, out_r, err_r, ctl_w, st_r, {**request, **handle.extra}, stdin, output_cap, budget_s)
    finally:
        handle.wait()


def _collect(
    in_w: int,
    out_r: int,
    err_r: int,
    ctl_w: int,
    st_r: int,
    request: dict[str, Any],
    stdin: bytes,
    output_cap: int,
    budget_s: float,
) -> RawOutcome:
    body = json.dumps(request).encode()
    collector = _Collector(in_w, out_r, err_r, ctl_w, st_r, output_cap)
    try:
        collector.loop(struct.pack("!I", len(body)) + body, stdin, budget_s)
    finally:
        collector.close_all()
    try:
        status = json.loads(bytes(collector.status) or b"null")
    except ValueError:
        status = None
    if not isinstance(status, dict):
        tail = bytes(collector.stderr[-600:]).decode("utf-8", "replace").strip()
        raise SandboxError(f"the sandbox ended without a report{': ' + tail if tail else ''}")
    return RawOutcome(
        bytes(collector.stdout), bytes(collector.stderr), collector.truncated[out_r], collector.truncated[err_r], status
    )


class _Collector:
    """One select loop: write the request and stdin, read stdout/stderr under the cap, read the report."""

    def __init__(self, in_w: int, out_r: int, err_r: int, ctl_w: int, st_r: int, output_cap: int) -> None:
        self.in_w, self.out_r, self.err_r, self.ctl_w, self.st_r = in_w, out_r, err_r, ctl_w, st_r
        self.cap = output_cap
        self.stdout, self.stderr, self.status = bytearray(), bytearray(), bytearray()
        self.truncated = {out_r: False, err_r: False}
        self.open = {in_w, out_r, err_r, ctl_w, st_r}
        self.sel = selectors.DefaultSelector()
        self.pending: dict[int, bytes] = {}

    def close(self, fd: int) -> None:
        self.unwatch(fd)
        if fd in self.open:
            self.open.discard(fd)
            os.close(fd)

    def unwatch(self, fd: int) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.sel.unregister(fd)

    def close_all(self) -> None:
        for fd in list(self.open):
            self.close(fd)
        self.sel.close()

    def loop(self, request: bytes, stdin: bytes, budget_s: float) -> None:
        for fd, data in ((self.ctl_w, request), (self.in_w, stdin)):
            os.set_blocking(fd, False)
            self.pending[fd] = data
            self.sel.register(fd, selectors.EVENT_WRITE)
        for fd in (self.out_r, self.err_r, self.st_r):
            self.sel.register(fd, selectors.EVENT_READ)
        deadline = time.monotonic() + budget_s + _SETUP_GRACE_S
        report_at: float | None = None
        stopped = False
        while {self.out_r, self.err_r, self.st_r} & self.open:
            now = time.monotonic()
            if report_at is not None and now - report_at > 0.5:
                return  # the report is in; a straggler holding stdout open is not our problem
            if now > deadline:
                if stopped:
                    raise SandboxError("the sandbox did not report within its time budget")
                self.close(self.ctl_w)  # the supervisor reads EOF and kills the run
                stopped, deadline = True, now + 3.0
                continue
            for key, _ in self.sel.select(timeout=min(0.5, max(0.0, deadline - now))):
                fd = int(key.fd)  # type: ignore[arg-type]
                if fd in self.pending:
                    self._write_some(fd)
                elif self._read_some(fd) and fd == self.st_r:
                    report_at = time.monotonic()

    def _write_some(self, fd: int) -> None:
        data = self.pending[fd]
        try:
            written = os.write(fd, data[:65536]) if data else 0
        except BlockingIOError:
            return
        except OSError:  # the reader is gone (the program ended without reading all its stdin)
            written = len(data)
        self.pending[fd] = data[written:]
        if not self.pending[fd]:
            del self.pending[fd]
            if fd == self.ctl_w:
                self.unwatch(fd)  # stays open: closing it would stop the run
            else:
                self.close(fd)

    def _read_some(self, fd: int) -> bool:
        """Read one chunk; True at end of file."""
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return False
        if not chunk:
            self.close(fd)
            return True
        if fd == self.st_r:
            self.status += chunk
            return False
        buf = self.stdout if fd == self.out_r else self.stderr
        room = self.cap - len(buf)
        if len(chunk) <= room:
            buf += chunk
            return False
        buf += chunk[: max(room, 0)]
        if not self.truncated[fd]:
            self.truncated[fd] = True
            if self.ctl_w in self.open:
                with contextlib.suppress(OSError):
                    os.write(self.ctl_w, b"K")  # the supervisor kills the run
        return False
