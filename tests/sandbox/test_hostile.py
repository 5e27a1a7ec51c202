"""Hostile programs: each must end with the right verdict and leave the host exactly as it was.

Every test runs against every sandbox configuration (fork server, cold process, bubblewrap, and the
namespace-less fallback), with a canary secret in the host's environment, and checks afterwards that
no process of the run survives (`no_leftovers`) and the sandbox still works (`still_works`).
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from tests.sandbox.conftest import CANARY, CANARY_ENV, HOSTILE_LIMITS, Listener
from tutor.sandbox import Sandbox

pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("no_leftovers")]


# For programs whose verdict is not the wall clock: a busy machine must not turn it into one.
PATIENT = HOSTILE_LIMITS.model_copy(update={"wall_s": 10.0})


def still_works(box: Sandbox) -> None:
    result = box.run("print(6 * 7)")
    assert result.ok and result.stdout == "42\n", result


def test_endless_loop_is_stopped_by_the_cpu_limit(box: Sandbox) -> None:
    # A generous wall clock, so that even on a busy machine the CPU limit is the one that fires.
    limits = box.limits.model_copy(update={"wall_s": 15.0})
    started = time.monotonic()
    result = box.run("while True:\n    pass\n", limits=limits)
    assert result.timed_out and result.limit_exceeded == "cpu"
    assert result.exit_code is None and result.signal in (signal.SIGXCPU, signal.SIGKILL)
    assert result.cpu_s > 0.5 and time.monotonic() - started < 15
    still_works(box)


def test_sleeping_forever_is_stopped_by_the_wall_clock(box: Sandbox) -> None:
    started = time.monotonic()
    result = box.run("import time\nprint('going to sleep', flush=True)\ntime.sleep(3600)\n")
    assert result.timed_out and result.limit_exceeded == "wall"
    assert result.stdout == "going to sleep\n"
    assert time.monotonic() - started < 5


def test_fork_bomb_hits_the_process_limit(box: Sandbox) -> None:
    result = box.run("import os\nwhile True:\n    os.fork()\n", limits=PATIENT)
    assert result.limit_exceeded == "processes", result
    assert not result.ok
    still_works(box)


def test_thread_bomb_hits_the_process_limit(box: Sandbox) -> None:
    code = "import threading, time\nwhile True:\n    threading.Thread(target=time.sleep, args=(60,)).start()\n"
    result = box.run(code)
    assert result.limit_exceeded == "processes", result
    assert result.timed_out  # Python waits for its threads at exit, until the wall clock stops it


def test_allocating_until_the_machine_swaps_hits_the_memory_limit(box: Sandbox) -> None:
    result = box.run("chunks = []\nwhile True:\n    chunks.append(bytearray(10_000_000))\n", limits=PATIENT)
    assert result.limit_exceeded == "memory", result
    assert "MemoryError" in result.stderr
    result = box.run("x = bytearray(10**12)\n", limits=PATIENT)
    assert result.limit_exceeded == "memory"
    still_works(box)


def test_printing_gigabytes_is_cut_at_the_output_cap(box: Sandbox) -> None:
    started = time.monotonic()
    result = box.run("line = 'x' * 9999\nwhile True:\n    print(line)\n")
    assert result.stdout_truncated and result.limit_exceeded == "output"
    assert len(result.stdout) == box.limits.output_kb * 1024
    assert time.monotonic() - started < 5


def test_flooding_stderr_is_cut_at_the_output_cap(box: Sandbox) -> None:
    result = box.run("import sys\nwhile True:\n    sys.stderr.write('e' * 4096)\n")
    assert result.stderr_truncated and result.limit_exceeded == "output"
    assert len(result.stderr) <= box.limits.output_kb * 1024


def test_one_huge_file_hits_the_file_size_limit(box: Sandbox) -> None:
    result = box.run("with open('big.bin', 'wb') as fh:\n    fh.write(b'0' * (50 << 20))\n", limits=PATIENT)
    assert result.limit_exceeded in ("file_size", "memory"), result
    assert not result.ok


def test_filling_the_disk_is_contained(box: Sandbox) -> None:
    code = (
        "import os\n"
        "for i in range(10_000):\n"
        "    with open(f'f{i}.bin', 'wb') as fh:\n"
        "        fh.write(b'0' * (400 << 10))\n"
    )
    result = box.run(code, limits=PATIENT)
    assert not result.ok
    # A private tmpfs runs out of space; without one the audit layer bounds the number of new files.
    assert result.limit_exceeded == "disk", result
    assert "No space left" in result.stderr


def test_writing_outside_the_working_directory_leaves_the_host_untouched(box: Sandbox, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    project_root = Path(__file__).resolve().parents[2]
    targets = [
        f"/tmp/escape-{tag}",
        f"/var/tmp/escape-{tag}",
        f"/dev/shm/escape-{tag}",
        str(project_root / f"escape-{tag}"),
        str(tmp_path / f"escape-{tag}"),
        f"/root/escape-{tag}",
        f"../escape-{tag}",
        f"/etc/escape-{tag}",
    ]
    code = (
        "import os\n"
        f"for path in {targets!r}:\n"
        "    try:\n"
        "        with open(path, 'w') as fh:\n"
        "            fh.write('escaped')\n"
        "    except OSError as exc:\n"
        "        print('refused', path, type(exc).__name__)\n"
    )
    box.run(code)
    for target in targets:
        host_path = Path(target) if target.startswith("/") else Path("/") / target.lstrip("./")
        assert not host_path.exists(), f"{target} was written on the host"
    assert not list(Path("/tmp").glob("socratic-sandbox-*")), "a working directory was left behind"


def test_environment_secrets_are_not_visible(box: Sandbox) -> None:
    assert os.environ[CANARY_ENV] == CANARY  # the host really holds the secret
    code = "import os\nprint(dict(os.environ))\nprint(open('/proc/self/environ', 'rb').read())\n"
    result = box.run(code)
    assert CANARY not in result.stdout and CANARY_ENV not in result.stdout
    assert "OPENAI" not in result.stdout and "TUTOR_" not in result.stdout


def test_other_processes_environments_are_not_readable(box: Sandbox) -> None:
    code = (
        "import os\n"
        f"pids = [p for p in os.listdir('/proc') if p.isdigit()] + ['{os.getpid()}', '{os.getppid()}', '1']\n"
        "for pid in pids:\n"
        "    try:\n"
        "        print(pid, open(f'/proc/{pid}/environ', 'rb').read())\n"
        "    except OSError as exc:\n"
        "        print(pid, 'refused', type(exc).__name__)\n"
    )
    result = box.run(code)
    assert CANARY not in result.stdout and CANARY not in result.stderr


def test_connecting_to_a_loopback_port_fails(box: Sandbox, listener: Listener) -> None:
    code = (
        "import socket\n"
        "for family, addr in ((socket.AF_INET, ('127.0.0.1', PORT)), (socket.AF_INET6, ('::1', PORT))):\n"
        "    try:\n"
        "        s = socket.socket(family, socket.SOCK_STREAM)\n"
        "        s.settimeout(1)\n"
        "        s.connect(addr)\n"
        "        print('CONNECTED', addr)\n"
        "    except OSError as exc:\n"
        "        print('refused', type(exc).__name__, exc)\n"
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "fd = libc.socket(2, 1, 0)\n"
        "print('raw socket fd', fd, ctypes.get_errno())\n"
    ).replace("PORT", str(listener.port))
    result = box.run(code)
    time.sleep(0.2)
    assert listener.accepted == []
    assert "CONNECTED" not in result.stdout
    assert "refused" in result.stdout, result
    if "seccomp" in result.isolation:
        assert "raw socket fd -1 1\n" in result.stdout  # EPERM from the kernel filter


def test_starting_a_shell_is_refused(box: Sandbox) -> None:
    tag = uuid.uuid4().hex
    code = (
        "import os, subprocess\n"
        "attempts = [\n"
        f"    lambda: os.system('echo pwned > /tmp/shell-{tag}'),\n"
        "    lambda: subprocess.run(['/bin/sh', '-c', 'echo pwned'], capture_output=True).stdout,\n"
        "    lambda: os.execv('/bin/sh', ['sh', '-c', 'echo pwned']),\n"
        "    lambda: os.posix_spawn('/bin/sh', ['sh', '-c', 'echo pwned'], {}),\n"
        "]\n"
        "for attempt in attempts:\n"
        "    try:\n"
        "        print('result', attempt())\n"
        "    except OSError as exc:\n"
        "        print('refused', type(exc).__name__)\n"
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "argv = (ctypes.c_char_p * 4)(b'sh', b'-c', b'echo pwned', None)\n"
        "print('raw execve', libc.execve(b'/bin/sh', argv, None))\n"
    )
    result = box.run(code)
    assert "pwned" not in result.stdout
    assert result.stdout.count("refused") == 4, result
    assert not Path(f"/tmp/shell-{tag}").exists()


def test_killing_the_parent_leaves_the_host_alive(box: Sandbox) -> None:
    code = (
        "import os, signal\n"
        f"for pid in (os.getppid(), {os.getpid()}, 1, -1, 0 - os.getpgrp()):\n"
        "    try:\n"
        "        os.kill(pid, signal.SIGKILL)\n"
        "        print('sent', pid)\n"
        "    except OSError as exc:\n"
        "        print('refused', pid, type(exc).__name__)\n"
    )
    result = box.run(code)
    assert result.exit_code == 0 or result.signal == signal.SIGKILL, result
    os.kill(os.getpid(), 0)  # we are alive
    still_works(box)


def test_a_detached_child_does_not_outlive_the_run(box: Sandbox) -> None:
    code = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(60)\n"
        "    os._exit(0)\n"
        "print('parent done')\n"
    )
    started = time.monotonic()
    result = box.run(code)
    assert result.ok and result.stdout == "parent done\n", result
    assert time.monotonic() - started < 3  # the run does not wait for the sleeper either
    # `no_leftovers` checks that the sleeper is gone.


def test_segfault_through_ctypes_is_reported_as_a_signal(box: Sandbox) -> None:
    result = box.run("import ctypes\nctypes.string_at(0)\n")
    assert result.signal == signal.SIGSEGV and result.exit_code is None
    assert result.summary() == "killed by SIGSEGV"
    still_works(box)


def test_endless_recursion_is_a_recursion_error(box: Sandbox) -> None:
    result = box.run("def f(n):\n    return f(n + 1)\nf(0)\n", limits=PATIENT)
    assert result.exit_code == 1 and "RecursionError" in result.stderr


def test_recursion_past_the_c_stack_dies_without_harming_the_host(box: Sandbox) -> None:
    code = "import sys\nsys.setrecursionlimit(10**7)\ndef f(n):\n    return f(n + 1) + 1\nf(0)\n"
    result = box.run(code)
    assert not result.ok
    assert result.signal == signal.SIGSEGV or "RecursionError" in result.stderr or result.limit_exceeded
    still_works(box)


def test_the_project_database_is_not_readable(ns_box: Sandbox, project_db: Path) -> None:
    project_file = Path(__file__).resolve().parents[2] / "pyproject.toml"
    code = (
        f"for path in ({str(project_db)!r}, {str(project_file)!r}):\n"
        "    try:\n"
        "        print(open(path, 'rb').read())\n"
        "    except OSError as exc:\n"
        "        print('refused', type(exc).__name__)\n"
    )
    result = ns_box.run(code)
    assert CANARY not in result.stdout
    assert result.stdout.count("refused") == 2, result


def test_the_project_database_is_not_readable_without_namespaces(
    sandboxes: dict[str, Sandbox], project_db: Path
) -> None:
    # Without a private root only the unprivileged uid stands in the way: the database must sit in a
    # directory other users cannot enter, as the data directory does by default.
    project_db.parent.chmod(0o700)
    box = sandboxes.get("fallback") or Sandbox(namespaces="off")
    sandboxes["fallback-db"] = box
    result = box.run(f"print(open({str(project_db)!r}, 'rb').read())\n")
    assert CANARY not in result.stdout
    assert "PermissionError" in result.stderr


def test_flooding_the_sandbox_event_pipe_is_harmless(box: Sandbox) -> None:
    code = (
        "import os\n"
        'chunk = b\'{"kind": "noise"}\\n\' * 4096\n'
        "for _ in range(600):  # about 40 MB, ten times what the supervisor keeps\n"
        "    os.write(3, chunk)\n"
        "print('done')\n"
    )
    result = box.run(code, limits=PATIENT)
    assert result.stdout == "done\n", result
    still_works(box)


def test_kernel_and_namespace_escapes_are_refused(box: Sandbox) -> None:
    code = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "print('unshare', libc.unshare(0x10000000 | 0x40000000))\n"
        "print('mount', libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))\n"
        "print('ptrace', libc.ptrace(16, 1, 0, 0))\n"
        "print('setuid', libc.setuid(0))\n"
    )
    result = box.run(code)
    assert result.stdout.splitlines() == ["unshare -1", "mount -1", "ptrace -1", "setuid -1"], result
