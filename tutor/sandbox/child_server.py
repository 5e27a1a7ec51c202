"""The fork server (stdlib only): a pre-started isolated interpreter that forks a supervisor per run.

It keeps a small pool of supervisors that have already entered fresh namespaces and built their private
root (`child_main.prepare`), so a run only pays for writing its files and forking the program. Requests
arrive as one SOCK_SEQPACKET message each, carrying the run's five pipe ends (SCM_RIGHTS); the server
hands them to a ready supervisor over that supervisor's own socket and starts a replacement.
"""

from __future__ import annotations

import os
import signal
import socket
import struct
from typing import Any

import child_main

POOL_SIZE = 2
_FD_COUNT = 5
_FD_BYTES = struct.calcsize(f"{_FD_COUNT}i")


def _receive_fds(sock: socket.socket) -> list[int] | None:
    """The fds of one message; None at end of file (the other side is gone)."""
    while True:
        try:
            msg, ancdata, _flags, _addr = sock.recvmsg(16, socket.CMSG_SPACE(_FD_BYTES))
            break
        except InterruptedError:
            continue
    if not msg:
        return None
    fds: list[int] = []
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += list(struct.unpack(f"{len(data) // 4}i", data[: len(data) - len(data) % 4]))
    return fds


def _ready_supervisor(channel: socket.socket, config: dict[str, Any]) -> None:
    """Prepare a run's world, wait for its fds, then supervise it. Runs in a forked child."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    prepared = child_main.prepare(config)
    fds = _receive_fds(channel)
    channel.close()
    if fds is None or len(fds) != _FD_COUNT:
        return
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    for fd in fds[:3]:
        os.close(fd)
    child_main.supervise(fds[3], fds[4], prepared)


class _Server:
    def __init__(self, host: socket.socket, config: dict[str, Any]) -> None:
        self.host = host
        self.config = config
        self.pool: list[socket.socket] = []

    def spawn(self) -> socket.socket:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            try:
                self.host.close()
                for other in self.pool:
                    other.close()
                ours.close()
                _ready_supervisor(theirs, self.config)
            finally:
                os._exit(0)
        theirs.close()
        return ours

    def dispatch(self, fds: list[int]) -> None:
        payload = struct.pack(f"{_FD_COUNT}i", *fds)
        for _ in range(POOL_SIZE + 2):
            channel = self.pool.pop(0) if self.pool else self.spawn()
            try:
                channel.sendmsg([b"r"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, payload)])
                return
            except OSError:
                continue  # that supervisor died while waiting: use another
            finally:
                channel.close()

    def loop(self) -> None:
        while len(self.pool) < POOL_SIZE:
            self.pool.append(self.spawn())
        self.host.sendall(b"R")
        while True:
            fds = _receive_fds(self.host)
            if fds is None:
                return
            if len(fds) == _FD_COUNT:
                self.dispatch(fds)
            for fd in fds:
                os.close(fd)
            while len(self.pool) < POOL_SIZE:
                self.pool.append(self.spawn())


def serve(sock_fd: int, config: dict[str, Any]) -> None:
    """Serve runs on `sock_fd` until the host closes it; `config` fixes namespaces and import paths."""
    child_main.preload()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps supervisors for us
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _Server(socket.socket(fileno=sock_fd), config).loop()
