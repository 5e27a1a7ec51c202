"""Dependencies run one way: tutor <- student_sim <- evals, with app.py, ui/ and socratic_cli.py on top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "tutor": {"student_sim", "evals", "app", "ui", "socratic_cli"},
    "student_sim": {"evals", "app", "ui", "socratic_cli"},
    "evals": {"app", "ui", "socratic_cli"},
    # The web app's tabs sit on top, beside app.py; they import nothing from the research packages either,
    # except student_sim's background runs, which the Research tab starts.
    "ui": {"evals", "app", "socratic_cli"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downwards(package):
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        bad = _imports(path) & FORBIDDEN[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_datasets_folder_holds_no_python():
    # A datasets/__init__.py would shadow Hugging Face `datasets`.
    assert list((ROOT / "datasets").rglob("*.py")) == []
