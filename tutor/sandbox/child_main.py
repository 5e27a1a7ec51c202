"""Entry point of the sandbox side (stdlib only): the per-run supervisor, init and program processes.

Started by the host as `python -I -S -B -c <bootstrap> server|supervise ...` with an empty environment
(`server` is the fork server of `child_server`). Process tree of one run:

    supervisor (A)    enters fresh namespaces and a private root before the request (the fork server
                      keeps a few such ready), then enforces the wall clock and reports one JSON status
      init (B)        pid 1 of the run's pid namespace: mounts /proc, starts the program, reaps
        program (C)   rlimits, unprivileged uid, seccomp, audit hook; runs the harness

When B exits, the kernel kills everything left in its pid namespace: no orphan survives a run. Without
namespaces, A and B are child subreapers and sweep their descendants instead.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import socket
import struct
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import child_harness
import child_isolation as iso

_SETUP_TIMEOUT_S = 10.0
_WORKDIR_IN_NS = "/tmp/work"
_DEFAULT_DISK_BYTES = 8 << 20  # the private /tmp is resized once the request gives the real limit
_EVENTS_CAP = 4 << 20  # bytes of harness events kept per run (a test result is at most 4 KB)

# Imported once in the fork server so a run neither pays for nor needs file access to the usual modules.
PRELOAD = (
    "math",
    "cmath",
    "fractions",
    "decimal",
    "statistics",
    "random",
    "itertools",
    "functools",
    "collections",
    "re",
    "string",
    "datetime",
    "heapq",
    "bisect",
    "copy",
    "operator",
    "typing",
    "dataclasses",
    "enum",
    "textwrap",
    "unittest",
    "contextlib",
    "abc",
    "numbers",
    "array",
    "pprint",
    "time",
    "unicodedata",
    "locale",
    "encodings.idna",
    "hashlib",
    "base64",
    "csv",
    "inspect",
    "tokenize",
    "shutil",
    "tempfile",
    "subprocess",
    "struct",
    "io",
    "glob",
    "pathlib",
)


class SetupError(Exception):
    """The sandbox could not be built as requested: reported to the host as an infrastructure failure."""


def preload() -> None:
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass


# --- small helpers ------------------------------------------------------------------------------------


def _read_exact(fd: int, n: int, deadline: float) -> bytes:
    data = b""
    while len(data) < n:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise SetupError("the host did not send the request in time")
        chunk = os.read(fd, n - len(data))
        if not chunk:
            raise SetupError("the host closed the request pipe early")
        data += chunk
    return data


def _read_request(fd: int) -> dict[str, Any]:
    deadline = time.monotonic() + _SETUP_TIMEOUT_S
    (size,) = struct.unpack("!I", _read_exact(fd, 4, deadline))
    request = json.loads(_read_exact(fd, size, deadline))
    if not isinstance(request, dict):
        raise SetupError("malformed request")
    return request


def _send_go(sock: socket.socket, request: dict[str, Any]) -> None:
    """Hand a request and our stdio (fds 0-2) down to a waiting process of the chain."""
    body = json.dumps(request).encode()
    fds = struct.pack("3i", 0, 1, 2)
    sock.sendmsg([struct.pack("!I", len(body))], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
    sock.sendall(body)


def _receive_go(sock: socket.socket) -> dict[str, Any]:
    """Wait for the request; install the received stdio as fds 0-2. Exits quietly at end of file."""
    header, ancdata, _flags, _addr = sock.recvmsg(4, socket.CMSG_SPACE(struct.calcsize("3i")))
    if len(header) < 4:
        os._exit(0)  # the pool is shutting down: this run never came
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            for target, fd in enumerate(struct.unpack("3i", data[:12])):
                os.dup2(fd, target)
                os.close(fd)
    (size,) = struct.unpack("!I", header)
    body = b""
    while len(body) < size:
        chunk = sock.recv(size - len(body))
        if not chunk:
            os._exit(0)
        body += chunk
    request = json.loads(body)
    if not isinstance(request, dict):
        raise SetupError("malformed hand-over")
    return request


def _write_files(workdir: str, files: dict[str, str], owner: int | None) -> None:
    for name, content in files.items():
        path = os.path.join(workdir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(content)
        if owner is not None:
            os.chown(path, owner, owner)
            parent = os.path.dirname(path)
            while parent != workdir and parent.startswith(workdir):
                os.chown(parent, owner, owner)
                parent = os.path.dirname(parent)


def _readonly_paths(extra: list[str]) -> list[str]:
    """What the program may read: system libraries, the interpreter, and requested import paths."""
    candidates = [
        "/usr",
        "/lib",
        "/lib64",
        "/lib32",
        "/bin",
        "/sbin",
        sys.base_prefix,
        sys.base_exec_prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
        *extra,
    ]
    chosen: list[str] = []
    for path in candidates:
        path = os.path.normpath(path)
        if not os.path.lexists(path):
            continue
        if any(path == c or path.startswith(c.rstrip("/") + "/") for c in chosen if not os.path.islink(c)):
            continue
        chosen.append(path)
    return chosen


# --- C: the program ---------------------------------------------------------------------------------------


def _program_process(plan: dict[str, Any], events_w: int, go: socket.socket) -> None:
    """Wait for the request, lock this process down, then hand over to the harness. Never returns."""
    try:
        os.setsid()
        # Events on fd 3, the hand-over socket on 4, nothing else: go through high numbers first, as
        # either may currently sit on 3 or 4.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in (events_w, go.detach())]
        os.dup2(high[0], 3)
        os.dup2(high[1], 4)
        os.closerange(5, 65536)
        go = socket.socket(fileno=4)
        iso.set_parent_death_signal(signal.SIGKILL)
        req = _receive_go(go)
        go.close()
        iso.set_process_name("sandbox-run")
        plan = {**plan, "workdir": req["workdir"]}
        limits = req["limits"]
        layers = []
        nproc = limits["processes"]
        if plan["uid"] is None and not plan["userns"] and plan["mode"] != "inside":
            nproc += iso.count_user_processes(os.getuid())  # RLIMIT_NPROC counts every process of our uid
        iso.apply_rlimits(
            limits["cpu_s"], limits["memory_mb"] << 20, limits["file_size_kb"] << 10, nproc, limits["open_files"]
        )
        layers.append("rlimits")
        if plan["uid"] is not None:
            iso.drop_privileges(plan["uid"])
            layers.append("unprivileged-uid")
        elif plan["userns"]:
            iso.drop_all_capabilities()
        iso.set_parent_death_signal(signal.SIGKILL)  # reset by the uid switch, so set it after
        os.chdir(plan["workdir"])
        os.umask(0o022)
        seccomp = False
        if iso.seccomp_supported():
            try:
                iso.install_seccomp()
                seccomp = True
                layers += ["no-new-privs", "seccomp"]
            except OSError:
                pass
        # Fail closed: with neither a network namespace nor the kernel filter, the in-interpreter layer
        # must also refuse ctypes, or a program could call socket(2) directly.
        private_root = plan["pidns"] or plan["mode"] == "inside"
        max_files = max(16, (limits["disk_mb"] << 10) // max(limits["file_size_kb"], 1))
        iso.install_audit_hook(
            block_ctypes=not seccomp and not plan["netns"],
            write_root=None if private_root else os.path.realpath(plan["workdir"]),
            max_new_files=max_files,
        )
        layers.append("audit-hook")
        child_harness.setup_process(3, plan["workdir"], req.get("python_paths", []))
        child_harness.emit({"kind": "isolation", "layers": layers})
    except BaseException:  # noqa: BLE001 - any failure here is the sandbox's, not the program's
        child_harness._EVENTS_FD = 3
        child_harness.emit({"kind": "setup_error", "message": traceback.format_exc(limit=3)[-1500:]})
        os._exit(125)
    # Not before: an idle process of the pool must not look like a sandboxed program to anyone.
    if req["kind"] == "tests":
        child_harness.run_tests(plan["workdir"], req["program"], [tuple(t) for t in req["tests"]], limits["wall_s"])
    else:
        child_harness.run_program(plan["workdir"], req["entry"])
    os._exit(0)  # unreachable: the harness always exits


# --- B: init of the run -------------------------------------------------------------------------------------


def _init_process(plan: dict[str, Any], events_w: int, info_w: int, go: socket.socket) -> None:
    """Init of the run: start the program process, hand it the request, report its exit. Never returns.

    Everything up to the program's fork happens before the request arrives (the fork server keeps such
    chains ready), so a run only pays for resizing /tmp, writing its files and two hand-overs.
    """
    try:
        iso.close_fds_except({0, 1, 2, events_w, info_w, go.fileno()})  # above all the host's status pipe
        iso.set_parent_death_signal(signal.SIGKILL)  # if the supervisor dies, the whole run dies
        if plan["pidns"] and plan["userns"]:
            # In a user namespace the root must be built here, see build_private_root.
            iso.build_private_root(plan["readonly"], _DEFAULT_DISK_BYTES, _owner(plan), plan["workdir"], with_proc=True)
        elif plan["pidns"]:
            iso.mount_proc()
        else:
            iso.become_subreaper()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        child = os.fork()
        if child == 0:
            ours.close()
            go.close()
            os.close(info_w)
            _program_process(plan, events_w, theirs)
        theirs.close()
        os.close(events_w)
        req = _receive_go(go)
        iso.set_process_name("sandbox-init")
        _prepare_workdir(plan, req)
        _send_go(ours, req)
        os.write(info_w, f"started {child}\n".encode())
        while True:
            pid, status, usage = os.wait4(-1, 0)
            if pid == child:
                break
        cpu = usage.ru_utime + usage.ru_stime
        os.write(info_w, f"exit {status} {cpu:.4f}\n".encode())
        if not plan["pidns"]:
            try:
                os.killpg(child, signal.SIGKILL)
            except OSError:
                pass
            iso.kill_descendants()
    except BaseException:  # noqa: BLE001 - reported to the supervisor as a setup failure
        msg = traceback.format_exc(limit=3)[-1500:].replace("\n", " | ")
        try:
            os.write(info_w, f"error {msg}\n".encode())
        except OSError:
            pass
        os._exit(125)
    os._exit(0)


# --- A: supervisor ------------------------------------------------------------------------------------------


@dataclass
class Prepared:
    """A run made ready before its request: namespaces, private root, init and program processes waiting."""

    plan: dict[str, Any] = field(default_factory=dict)
    layers: list[str] = field(default_factory=list)
    error: str | None = None
    init: int = 0
    go: socket.socket | None = None  # to init
    events_r: int = -1
    info_r: int = -1


def prepare(config: dict[str, Any]) -> Prepared:
    """Do everything that does not depend on the request; errors are kept for the request to report.

    With namespaces this process moves into fresh pid (for its children), mount, network, ipc and uts
    namespaces and pivots into the private root; init and the program process are forked and wait.
    """
    try:
        iso.set_parent_death_signal(signal.SIGKILL)
        iso.set_process_name("sandbox-idle")
        plan, layers = _plan(config)
        if plan["pidns"] and not plan["userns"]:
            iso.build_private_root(
                plan["readonly"], _DEFAULT_DISK_BYTES, _owner(plan), plan["workdir"], with_proc=False
            )
        if plan["pidns"]:
            iso.set_hostname("sandbox")
        events_r, events_w = os.pipe()
        info_r, info_w = os.pipe()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        init = os.fork()
        if init == 0:
            ours.close()
            _init_process(plan, events_w, info_w, theirs)
        theirs.close()
        os.close(events_w)
        os.close(info_w)
        return Prepared(plan, layers, None, init, ours, events_r, info_r)
    except BaseException as exc:  # noqa: BLE001 - reported when a request arrives
        return Prepared(error=f"{type(exc).__name__}: {exc}")


def _plan(config: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Enter the namespaces if wanted and possible; decide the layout."""
    mode = config.get("namespaces", "auto")
    root = os.geteuid() == 0
    layers = ["process", "isolated-python", "empty-env", "fresh-workdir"]
    plan: dict[str, Any] = {
        "mode": mode,
        "pidns": False,
        "netns": False,
        "userns": False,
        "uid": None,
        "readonly": [],
        "workdir": _WORKDIR_IN_NS,
        "tmpdir": None,
    }
    if mode in ("auto", "require"):
        readonly = _readonly_paths(config.get("python_paths", []))  # before the mount namespace
        flags = iso.CLONE_NEWPID | iso.CLONE_NEWNS | iso.CLONE_NEWNET | iso.CLONE_NEWIPC | iso.CLONE_NEWUTS
        try:
            if root:
                iso.unshare(flags)
            else:
                iso.enter_user_namespace(flags)
                plan["userns"] = True
                layers.append("user-ns")
            plan.update(pidns=True, netns=True, readonly=readonly)
            layers += ["pid-ns", "mount-ns", "net-ns", "ipc-ns", "uts-ns", "private-root"]
        except OSError as exc:
            if mode == "require":
                raise SetupError(f"namespaces are unavailable ({exc}) and were required") from exc
    if mode == "inside":  # bubblewrap built the namespaces and the filesystem view already
        plan.update(netns=True)
        layers = ["bwrap", *layers, "pid-ns", "mount-ns", "net-ns", "ipc-ns", "uts-ns", "private-root"]
        if not root:
            layers.append("user-ns")
    if root and not plan["userns"]:
        # Inside bubblewrap our pid is namespaced (not unique), so the host chose the uid.
        plan["uid"] = int(config["uid"]) if mode == "inside" else iso.UID_BASE + os.getpid()
    if not plan["pidns"] and mode != "inside":
        iso.become_subreaper()
        layers.append("subreaper")
        if plan["uid"] is not None:
            preload()  # the unprivileged uid may not be able to read the interpreter's own files
    return plan, layers


def _owner(plan: dict[str, Any]) -> int:
    return plan["uid"] if plan["uid"] is not None else 0


def _prepare_workdir(plan: dict[str, Any], req: dict[str, Any]) -> None:
    """The run's part of the filesystem (in init): the sized /tmp, the workdir and the program's files."""
    workdir = req["workdir"]
    if plan["pidns"]:
        iso.remount_tmp(req["limits"]["disk_mb"] << 20)
    elif plan["mode"] == "inside":
        os.makedirs(workdir, exist_ok=True)
    files = dict(req.get("files", {}))
    if req["kind"] == "tests":
        files["solution.py"] = req["program"]
    owner = plan["uid"]
    _write_files(workdir, files, owner)
    if owner is not None:
        os.chown(workdir, owner, owner)  # last: under bwrap we may not write there after


def _classify(
    status: int | None, cpu: float, limits: dict[str, Any], killed_for: str | None, events: list[dict[str, Any]]
) -> dict[str, Any]:
    exit_code = sig = None
    if status is not None:
        if os.WIFEXITED(status):
            exit_code = os.WEXITSTATUS(status)
        elif os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
    cpu_hit = sig == signal.SIGXCPU or (sig == signal.SIGKILL and killed_for is None and cpu >= limits["cpu_s"] * 0.9)
    timed_out = killed_for == "wall" or cpu_hit
    # The first limit the program ran into is the cause: a thread bomb that then waits for its threads
    # until the wall clock is a process-limit verdict (and also timed out).
    limit = next((e.get("which") for e in events if e.get("kind") == "limit"), None)
    if limit is None:
        limit = "cpu" if cpu_hit else killed_for
    return {"exit_code": exit_code, "signal": sig, "limit": limit, "timed_out": timed_out}


def supervise(ctl_fd: int, status_fd: int, prepared: Prepared | None = None) -> None:
    """Run one request end to end and write its JSON status to `status_fd`. Never raises.

    `prepared` comes from the fork server's pool; a cold supervisor prepares after reading the request.
    """
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    report: dict[str, Any]
    plan: dict[str, Any] = {}
    try:
        iso.set_parent_death_signal(signal.SIGKILL)
        req = _read_request(ctl_fd)
        if prepared is None:
            prepared = prepare(req)
        if prepared.error is not None:
            raise SetupError(f"the sandbox could not be built: {prepared.error}")
        iso.set_process_name("sandbox-super")
        plan = prepared.plan
        if not plan["pidns"] and plan["mode"] != "inside":
            # Created only now, so that an idle supervisor in the pool leaves nothing on the host.
            plan["tmpdir"] = plan["workdir"] = tempfile.mkdtemp(prefix="socratic-sandbox-")
        report = _supervise_run(req, prepared, ctl_fd)
    except BaseException as exc:  # noqa: BLE001 - the host turns this into SandboxError
        report = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc(limit=4)[-2000:]}
    if plan.get("tmpdir"):
        import shutil

        shutil.rmtree(plan["tmpdir"], ignore_errors=True)
    try:
        os.write(status_fd, json.dumps(report).encode())
    except OSError:
        pass
    os.close(status_fd)


def _supervise_run(req: dict[str, Any], prepared: Prepared, ctl_fd: int) -> dict[str, Any]:
    plan, init, events_r, info_r = prepared.plan, prepared.init, prepared.events_r, prepared.info_r
    limits = req["limits"]
    budget = limits["wall_s"] * (1 + len(req.get("tests", [])))
    started = time.monotonic()
    assert prepared.go is not None
    try:
        _send_go(prepared.go, {**req, "workdir": plan["workdir"]})
    except OSError:
        pass  # init died while waiting: its report (or silence) on the info pipe says why
    prepared.go.close()
    events_buf, info_buf = b"", b""
    program_start: float | None = None
    deadline = started + _SETUP_TIMEOUT_S
    killed_for: str | None = None
    # Only init holds the info pipe (the program closes it first thing), so its end of file means
    # init is gone: no pidfd needed, which keeps older kernels supported.
    watched = [ctl_fd, events_r, info_r]
    init_done = False
    while not init_done:
        timeout = max(0.0, deadline - time.monotonic())
        ready = select.select(watched, [], [], timeout)[0]
        if not ready:
            killed_for = "wall" if program_start is not None else "setup"
            os.kill(init, signal.SIGKILL)
            break
        for fd in ready:
            if fd == ctl_fd:
                # The host asked to stop (output cap) or went away: either way, end the run.
                data = os.read(ctl_fd, 64)
                killed_for = "output" if data else "host"
                os.kill(init, signal.SIGKILL)
                init_done = True
            elif fd == events_r:
                chunk = os.read(events_r, 65536)
                if chunk:
                    # The program can write here too: keep what fits, so it cannot exhaust our memory.
                    events_buf += chunk[: max(0, _EVENTS_CAP - len(events_buf))]
                else:
                    watched.remove(events_r)
            elif fd == info_r:
                chunk = os.read(info_r, 4096)
                info_buf += chunk
                if not chunk:
                    init_done = True
                elif program_start is None and info_buf.startswith(b"started"):
                    program_start = time.monotonic()
                    deadline = program_start + budget
    os.waitpid(init, 0)
    ended = time.monotonic()
    if not plan["pidns"]:
        iso.kill_descendants()
    events_buf += _drain(events_r)[: max(0, _EVENTS_CAP - len(events_buf))]
    info_buf += _drain(info_r)
    return _build_report(
        plan, prepared.layers, limits, events_buf, info_buf, killed_for, (ended - (program_start or started))
    )


def _drain(fd: int) -> bytes:
    """Read what is left in a pipe; every writer is dead by now, so EOF comes at once."""
    data = b""
    while select.select([fd], [], [], 1.0)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk[: max(0, _EVENTS_CAP - len(data))]
    os.close(fd)
    return data


def _build_report(
    plan: dict[str, Any],
    layers: list[str],
    limits: dict[str, Any],
    events_buf: bytes,
    info_buf: bytes,
    killed_for: str | None,
    duration: float,
) -> dict[str, Any]:
    events = []
    for line in events_buf.decode("utf-8", "replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    status: int | None = None
    cpu = 0.0
    for line in info_buf.decode("utf-8", "replace").splitlines():
        word, _, rest = line.partition(" ")
        if word == "exit":
            raw_status, raw_cpu = rest.split()
            status, cpu = int(raw_status), float(raw_cpu)
        elif word == "error":
            raise SetupError(f"the sandbox could not start the program: {rest}")
    # The program can write to the event pipe too, but only after the first "isolation" event: later
    # setup events are forgeries and must neither raise on the host nor add layers.
    locked = False
    for event in events:
        if locked:
            continue
        if event.get("kind") == "setup_error":
            raise SetupError(f"the sandbox could not lock the program down: {event.get('message')}")
        if event.get("kind") == "isolation":
            layers = layers + [str(x) for x in event.get("layers", [])]
            locked = True
    if killed_for == "setup":
        raise SetupError("the sandbox did not start the program in time")
    if killed_for == "host":
        raise SetupError("the host closed the control pipe")
    verdict = _classify(status, cpu, limits, killed_for, events)
    tests = [e for e in events if e.get("kind") in ("test", "program")]
    return {**verdict, "cpu_s": cpu, "duration_s": duration, "isolation": layers, "events": tests}


def main(argv: list[str]) -> None:
    if argv[0] == "server":
        import child_server

        child_server.serve(int(argv[1]), json.loads(argv[2]))
    elif argv[0] == "supervise":
        supervise(int(argv[1]), int(argv[2]))
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")
