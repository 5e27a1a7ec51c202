"""`Sandbox.run`: ordinary programs behave as under `python main.py`, failures are data."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tutor.errors import SandboxError
from tutor.sandbox import ExecResult, Limits, Sandbox, run, transport

pytestmark = pytest.mark.timeout(60)


def test_tiny_calculation_prints_its_result(forkserver: Sandbox) -> None:
    result = forkserver.run("print(7 * 1.2 / 3)")
    assert result.ok and result.stdout == f"{7 * 1.2 / 3}\n" and result.stderr == ""
    assert result.exit_code == 0 and result.signal is None and not result.timed_out
    assert 0 < result.duration_s < 5


def test_stdin_reaches_the_program(forkserver: Sandbox) -> None:
    code = "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))"
    result = forkserver.run(code, stdin="1 2 3\n4")
    assert result.stdout == "10\n"


def test_large_stdin_is_fed_without_deadlock(forkserver: Sandbox) -> None:
    data = "x" * 300_000 + "\n"
    result = forkserver.run("import sys\nprint(len(sys.stdin.read()))", stdin=data)
    assert result.stdout == f"{len(data)}\n"


def test_program_ignoring_its_stdin_still_finishes(forkserver: Sandbox) -> None:
    assert forkserver.run("print('hi')", stdin="y" * 500_000).stdout == "hi\n"


def test_input_without_stdin_is_an_eof_error(forkserver: Sandbox) -> None:
    result = forkserver.run("input()")
    assert result.exit_code == 1 and "EOFError" in result.stderr


def test_exit_codes_pass_through(forkserver: Sandbox) -> None:
    assert forkserver.run("import sys\nsys.exit(3)").exit_code == 3
    assert forkserver.run("raise SystemExit").exit_code == 0
    result = forkserver.run("import sys\nsys.exit('bad input')")
    assert result.exit_code == 1 and "bad input" in result.stderr


def test_uncaught_exception_is_a_failed_run_with_a_clean_traceback(forkserver: Sandbox) -> None:
    result = forkserver.run("x = 1\nprint('before')\n1 / 0\n")
    assert result.exit_code == 1 and not result.ok and result.summary() == "exit 1"
    assert result.stdout == "before\n"
    assert 'main.py", line 3' in result.stderr and "ZeroDivisionError" in result.stderr
    assert "child_harness" not in result.stderr  # the sandbox's own frames are not shown
    assert "1 / 0" in result.stderr  # the source line is shown, as Python would


def test_unicode_output_survives(forkserver: Sandbox) -> None:
    assert forkserver.run("print('π ≈ 3.14 ✓')").stdout == "π ≈ 3.14 ✓\n"


def test_program_cannot_forge_a_sandbox_failure(forkserver: Sandbox) -> None:
    code = (
        "import os\n"
        'os.write(3, b\'{"kind": "setup_error", "message": "forged"}\\n\')\n'
        'os.write(3, b\'{"kind": "isolation", "layers": ["forged-layer"]}\\n\')\n'
        "print('done')"
    )
    result = forkserver.run(code)
    assert result.stdout == "done\n" and "forged-layer" not in result.isolation


def test_syntax_error_is_reported_like_python(forkserver: Sandbox) -> None:
    result = forkserver.run("def f(:\n    pass\n")
    assert result.exit_code == 1 and "SyntaxError" in result.stderr


def test_main_block_runs(forkserver: Sandbox) -> None:
    assert forkserver.run("if __name__ == '__main__':\n    print('main')").stdout == "main\n"


def test_several_files_import_each_other(forkserver: Sandbox) -> None:
    files = {
        "main.py": "from pkg.helper import twice\nprint(twice(21))",
        "pkg/__init__.py": "",
        "pkg/helper.py": "def twice(x):\n    return 2 * x\n",
    }
    assert forkserver.run(files).stdout == "42\n"


def test_files_are_readable_and_writable_in_the_working_directory(forkserver: Sandbox) -> None:
    code = "open('out.txt', 'w').write('saved')\nprint(open('data.txt').read(), open('out.txt').read())"
    assert forkserver.run({"main.py": code, "data.txt": "given"}).stdout == "given saved\n"


def test_each_run_starts_in_a_fresh_directory(forkserver: Sandbox) -> None:
    forkserver.run("open('left.txt', 'w').write('x')")
    result = forkserver.run("import os\nprint(sorted(os.listdir('.')))")
    assert result.stdout == "['main.py']\n"


@pytest.mark.parametrize("name", ["/etc/passwd", "../up.py", "a/../../b.py", ""])
def test_file_names_must_stay_inside_the_working_directory(forkserver: Sandbox, name: str) -> None:
    with pytest.raises(ValueError):
        forkserver.run({"main.py": "print(1)", name: "x"})


def test_missing_entry_file_is_a_caller_error(forkserver: Sandbox) -> None:
    with pytest.raises(ValueError, match="entry"):
        forkserver.run({"helper.py": "x = 1"})


def test_standard_library_is_importable(forkserver: Sandbox) -> None:
    code = (
        "import math, fractions, decimal, statistics, json, re, collections, itertools, datetime\n"
        "import xml.dom.minidom, difflib, zlib, sqlite3\n"
        "print(math.isqrt(17), fractions.Fraction(1, 3) * 3, statistics.mean([1, 2, 3]))"
    )
    result = forkserver.run(code)
    assert result.stdout == "4 1 2\n", result.stderr


def test_project_packages_are_not_importable(forkserver: Sandbox) -> None:
    result = forkserver.run("import tutor")
    assert result.exit_code == 1 and "ModuleNotFoundError" in result.stderr


def test_python_paths_make_extra_packages_importable(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    tmp_path.chmod(0o755)
    (lib / "units_helper.py").write_text("FACTOR = 1000\n")
    with Sandbox(python_paths=[lib]) as box:
        assert box.run("import units_helper\nprint(units_helper.FACTOR)").stdout == "1000\n"


def test_limits_can_be_set_per_run(forkserver: Sandbox) -> None:
    code = "import time\ntime.sleep(0.6)\nprint('done')"
    assert forkserver.run(code, limits=Limits(wall_s=0.3)).limit_exceeded == "wall"
    assert forkserver.run(code, limits=Limits(wall_s=2)).stdout == "done\n"


def test_default_limits_suit_tutoring() -> None:
    limits = Limits()
    assert limits.cpu_s == 1 and 2 <= limits.wall_s <= 5
    assert 256 <= limits.memory_mb <= 512 and limits.processes <= 16 and limits.output_kb <= 1024


def test_limits_reject_unknown_fields() -> None:
    with pytest.raises(ValueError):
        Limits(cpu=1)  # type: ignore[call-arg]


def test_isolation_layers_are_reported(forkserver: Sandbox) -> None:
    layers = forkserver.run("pass").isolation
    for layer in ("process", "isolated-python", "empty-env", "rlimits", "seccomp", "audit-hook"):
        assert layer in layers
    if os.geteuid() == 0:
        for layer in ("pid-ns", "mount-ns", "net-ns", "private-root", "unprivileged-uid"):
            assert layer in layers


def test_fallback_reports_no_namespaces_and_still_blocks_the_network() -> None:
    code = "import socket\ntry:\n    socket.socket()\nexcept OSError as e:\n    print('blocked', e)"
    with Sandbox(namespaces="off") as box:
        result = box.run(code)
    assert "net-ns" not in result.isolation and "private-root" not in result.isolation
    assert "seccomp" in result.isolation and "audit-hook" in result.isolation
    assert result.stdout.startswith("blocked")


def test_results_round_trip_through_json(forkserver: Sandbox) -> None:
    result = forkserver.run("print('x')")
    again = ExecResult.model_validate(json.loads(result.model_dump_json()))
    assert again == result


def test_concurrent_runs_from_threads_get_their_own_results(forkserver: Sandbox) -> None:
    results: dict[int, ExecResult] = {}

    def work(i: int) -> None:
        results[i] = forkserver.run(f"import sys\nprint({i} * {i}, sys.stdin.read())", stdin=str(i))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert {i: r.stdout for i, r in results.items()} == {i: f"{i * i} {i}\n" for i in range(12)}


def test_module_level_run_uses_a_shared_sandbox() -> None:
    assert run("print(2 + 2)").stdout == "4\n"


def test_fork_server_is_restarted_when_it_died() -> None:
    with Sandbox() as box:
        assert box.run("print(1)").ok
        launcher = box._launcher
        assert isinstance(launcher, transport.ForkServer) and launcher.pid is not None
        os.kill(launcher.pid, signal.SIGKILL)
        os.waitpid(launcher.pid, 0)
        assert box.run("print(2)").stdout == "2\n"


def test_closed_sandbox_starts_again_on_demand() -> None:
    box = Sandbox()
    box.close()
    assert box.run("print(1)").stdout == "1\n"
    box.close()
    assert box.run("print(2)").stdout == "2\n"
    box.close()


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="backend"):
        Sandbox(backend="docker")  # type: ignore[arg-type]


def test_broken_interpreter_raises_sandbox_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "python_executable", lambda: "/nonexistent/python3")
    with pytest.raises(SandboxError):
        Sandbox(backend="process").run("print(1)")
    with pytest.raises(SandboxError):
        Sandbox(backend="forkserver").run("print(1)")


def _can_fake_unprivileged_host() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    # The sandbox then needs a user namespace of its own, nested: some hosts (AppArmor) forbid that.
    probe = subprocess.run(
        ["unshare", "--user", "--map-user=1000", "--map-group=1000", "unshare", "--user", "--pid", "--fork", "true"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    not _can_fake_unprivileged_host(), reason="needs root, unshare --map-user and nested user namespaces"
)
def test_unprivileged_host_isolates_with_a_user_namespace() -> None:
    # The host process runs as uid 1000 without capabilities, like a web app under its own user.
    script = (
        "import os\n"
        "from tutor.sandbox import Limits, Sandbox\n"
        "assert os.geteuid() == 1000\n"
        "with Sandbox() as box:\n"
        "    code = 'import socket\\ntry:\\n    socket.socket()\\nexcept OSError as e:\\n    print(e)'\n"
        "    print(box.run(code).model_dump_json())\n"
        "    print(box.run('while True: pass', limits=Limits(wall_s=15)).model_dump_json())\n"
    )
    proc = subprocess.run(
        ["unshare", "--user", "--map-user=1000", "--map-group=1000", sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stderr
    network, loop = (ExecResult.model_validate_json(line) for line in proc.stdout.splitlines())
    for layer in ("user-ns", "pid-ns", "net-ns", "private-root", "seccomp"):
        assert layer in network.isolation
    assert network.stdout == "network access is disabled in the sandbox\n"
    assert loop.limit_exceeded == "cpu"
