"""The ui/ package stays small: one module per tab, no function over 60 lines."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "ui"
MAX_LINES = 60


def test_no_function_in_the_ui_package_is_longer_than_60_lines():
    too_long = []
    for path in sorted(UI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_LINES:
                    too_long.append(f"{path.name}:{node.lineno} {node.name} ({length} lines)")
    assert len(list(UI.glob("*.py"))) >= 5  # the tabs are there to be measured
    assert too_long == []
