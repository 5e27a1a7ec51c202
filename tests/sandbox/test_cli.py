"""`socratic sandbox run FILE`."""

from __future__ import annotations

from pathlib import Path

import pytest

from socratic_cli import main

pytestmark = pytest.mark.timeout(60)


def test_run_prints_output_and_verdict(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    program = tmp_path / "calc.py"
    program.write_text("import sys\nprint(7 * 1.2 / 3, sys.stdin.read().strip())\n")
    stdin = tmp_path / "in.txt"
    stdin.write_text("given\n")
    assert main(["sandbox", "run", str(program), "--stdin", str(stdin)]) == 0
    out, err = capfd.readouterr()
    assert out == f"{7 * 1.2 / 3} given\n"
    assert "exit 0" in err and "isolation:" in err


def test_run_exit_code_follows_the_program(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    program = tmp_path / "fail.py"
    program.write_text("raise SystemExit(4)\n")
    assert main(["sandbox", "run", str(program)]) == 4
    program.write_text("while True:\n    pass\n")
    assert main(["sandbox", "run", str(program), "--cpu", "1", "--wall", "15", "--json"]) == 1
    assert '"limit_exceeded": "cpu"' in capfd.readouterr().out


def test_missing_file_is_a_one_line_error(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "run", str(tmp_path / "nope.py")]) == 1
    err = capfd.readouterr().err
    assert "cannot read" in err and "Traceback" not in err
