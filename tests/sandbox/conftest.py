"""Shared fixtures: sandboxes per backend, a canary secret, a loopback listener, leftover checks."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tutor.sandbox import Limits, Sandbox
from tutor.sandbox.child_isolation import UID_BASE

CANARY_ENV = "SOCRATIC_SANDBOX_CANARY"
CANARY = f"canary-{uuid.uuid4().hex}"
HAS_BWRAP = shutil.which("bwrap") is not None

# Each configuration the hostile suite runs against. "fallback" turns namespaces off to check that
# the in-process layers (unprivileged uid, seccomp, audit hook) still fail closed.
CONFIGS = [
    pytest.param("forkserver", id="forkserver"),
    pytest.param("process", id="process"),
    pytest.param("bwrap", id="bwrap", marks=pytest.mark.skipif(not HAS_BWRAP, reason="bwrap not installed")),
    pytest.param("fallback", id="fallback"),
]
NAMESPACED = [p for p in CONFIGS if p.id != "fallback"]

# Tight limits keep the suite fast: the endless programs each burn at most about a second.
HOSTILE_LIMITS = Limits(cpu_s=1, wall_s=1.5, memory_mb=256, file_size_kb=512, disk_mb=4, processes=8, output_kb=32)


@pytest.fixture(scope="session", autouse=True)
def canary_in_environment() -> Iterator[str]:
    """A dummy secret in the host's environment for the whole session, before any sandbox starts."""
    os.environ[CANARY_ENV] = CANARY
    yield CANARY
    os.environ.pop(CANARY_ENV, None)


def _make(config: str) -> Sandbox:
    if config == "fallback":
        return Sandbox(HOSTILE_LIMITS, "forkserver", namespaces="off")
    return Sandbox(HOSTILE_LIMITS, config)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sandboxes(canary_in_environment: str) -> Iterator[dict[str, Sandbox]]:
    made: dict[str, Sandbox] = {}
    yield made
    for box in made.values():
        box.close()


@pytest.fixture(params=CONFIGS)
def box(request: pytest.FixtureRequest, sandboxes: dict[str, Sandbox]) -> Sandbox:
    """A sandbox of each configuration (shared across the session: the fork server stays warm)."""
    config = request.param
    if config not in sandboxes:
        sandboxes[config] = _make(config)
    return sandboxes[config]


@pytest.fixture(params=NAMESPACED)
def ns_box(request: pytest.FixtureRequest, sandboxes: dict[str, Sandbox]) -> Sandbox:
    """Only the configurations with a private filesystem view."""
    config = request.param
    if config not in sandboxes:
        sandboxes[config] = _make(config)
    return sandboxes[config]


@pytest.fixture
def forkserver(sandboxes: dict[str, Sandbox]) -> Sandbox:
    if "forkserver" not in sandboxes:
        sandboxes["forkserver"] = _make("forkserver")
    return sandboxes["forkserver"]


@dataclass
class Listener:
    port: int
    accepted: list[str] = field(default_factory=list)


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A real TCP listener on a loopback port; records every connection it accepts."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    info = Listener(server.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, addr = server.accept()
            except OSError:
                continue
            info.accepted.append(str(addr))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield info
    stop.set()
    thread.join(2)
    server.close()


@pytest.fixture
def project_db(tmp_path: Path) -> Path:
    """A database file like the project's own, holding the canary."""
    path = tmp_path / "socratic.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table secrets (value text)")
        conn.execute("insert into secrets values (?)", (CANARY,))
    path.chmod(0o644)
    tmp_path.chmod(0o755)  # readable by anyone on the host: only the sandbox's own walls may stop it
    return path


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_bytes()
            except OSError:
                continue
            parents[int(entry)] = int(stat[stat.rfind(b")") + 2 :].split()[1])
    return parents


def _descendants(root: int, parents: dict[int, int]) -> list[int]:
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == pid]
        found += kids
        frontier += kids
    return found


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _sandbox_uid_processes() -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if UID_BASE <= os.stat(f"/proc/{entry}").st_uid < UID_BASE + 10_000_000:
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


def existing_processes() -> set[int]:
    """Processes that exist before a test: other suites' servers (a model server, another sandbox)."""
    return set(_sandbox_uid_processes()) | set(_descendants(os.getpid(), _parents()))


def leftovers(boxes: dict[str, Sandbox], wait_s: float = 3.0, baseline: set[int] | None = None) -> list[int]:
    """Processes a run left behind: any sandbox-uid process, or anything below us but fork servers.

    `baseline` holds processes that were already there before the run (started by other test modules in
    the same pytest process); they are not the run's leftovers.
    """
    servers = ({getattr(s._launcher, "pid", None) for s in boxes.values()} - {None}) | (baseline or set())
    deadline = time.monotonic() + wait_s
    while True:
        parents = _parents()
        # A fork server keeps a few runs ready; their processes are named so (and are not sandbox uids).
        idle = {p for p in _descendants(os.getpid(), parents) if _name(p) == "sandbox-idle"}
        stray = set(_sandbox_uid_processes()) - (baseline or set())
        stray |= {p for p in _descendants(os.getpid(), parents) if p not in servers | idle}
        if not stray or time.monotonic() > deadline:
            return sorted(stray)
        time.sleep(0.05)


@pytest.fixture
def no_leftovers(sandboxes: dict[str, Sandbox]) -> Iterator[None]:
    """Fails the test if any process of the run survives it."""
    before = existing_processes() - {getattr(s._launcher, "pid", None) for s in sandboxes.values()}
    yield
    assert leftovers(sandboxes, baseline=before) == []


def sandbox_uid_range() -> range:
    return range(UID_BASE, UID_BASE + 10_000_000)
