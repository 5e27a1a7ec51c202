"""The problem data must be found from an installed wheel, not only from a clone."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tutor.problems.bank import datasets_dir, problem_files

ROOT = Path(__file__).parents[2]


@pytest.mark.timeout(300)
def test_wheel_carries_the_datasets_and_the_bank_loads_from_it(tmp_path):
    if shutil.which("pip", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("pip is not available in this environment")
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            str(ROOT),
            "-w",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    root = datasets_dir()
    expected = problem_files(root / "problems") + problem_files(root / "toy")
    for path in expected:
        assert f"tutor_datasets/{path.relative_to(root).as_posix()}" in names
    assert "tutor_datasets/FORMAT.md" in names and "tutor_datasets/problem.schema.json" in names
    # Every source and resource file of the packages ships too: migrations, prompts, licences.
    for package in ("tutor", "student_sim", "evals"):
        for path in (ROOT / package).rglob("*"):
            if (
                path.is_file()
                and "__pycache__" not in path.parts
                and path.suffix in (".py", ".jinja", ".mako", ".md", ".txt")
            ):
                assert path.relative_to(ROOT).as_posix() in names, f"{path.relative_to(ROOT)} is missing from the wheel"
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from tutor.problems.bank import ProblemBank, datasets_dir;"
        "print(datasets_dir()); print(len(ProblemBank.load()))"
    )
    run = subprocess.run([sys.executable, "-I", "-c", probe, str(site)], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    where, count = run.stdout.split()
    assert Path(where) == site / "tutor_datasets"
    assert int(count) == len(expected)
