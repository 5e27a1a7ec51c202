"""Calibrated item parameters of the bank: `datasets/calibration/irt.json` (written by
`socratic cohort simulate`), read back for problem selection.

The table comes from rule-based simulated students, not real ones; each entry says so in `source`. A
problem or step the fit could not place (every simulated student answered it alike) has no parameters
and is left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tutor.errors import InputDataError
from tutor.problems.bank import datasets_dir

TABLE = Path("calibration") / "irt.json"


@dataclass(frozen=True)
class Calibrated:
    """2PL parameters of one item: difficulty b (ability scale, higher = harder) and discrimination a."""

    difficulty: float
    discrimination: float
    p_correct: float


@dataclass(frozen=True)
class CalibrationTable:
    """Per problem (as one item) and per (problem, step) parameters, and where they come from."""

    source: str
    problems: dict[str, Calibrated]
    steps: dict[tuple[str, str], Calibrated]

    def difficulty(self, problem_id: str) -> float | None:
        """The problem's calibrated difficulty, None when it was not calibrated."""
        item = self.problems.get(problem_id)
        return item.difficulty if item is not None else None


def load_calibration(path: str | Path | None = None) -> CalibrationTable | None:
    """The table at `path` (default: the bundled one); None when there is no table.

    Raises:
        InputDataError: the file exists but is not an IRT table.
    """
    path = Path(path) if path is not None else datasets_dir() / TABLE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        problems: dict[str, Calibrated] = {}
        steps: dict[tuple[str, str], Calibrated] = {}
        for pid, row in data["problems"].items():
            if (item := _item(row)) is not None:
                problems[pid] = item
            for sid, step_row in row.get("steps", {}).items():
                if (step := _item(step_row)) is not None:
                    steps[(pid, sid)] = step
        return CalibrationTable(str(data["label"]), problems, steps)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise InputDataError(f"{path}: not an IRT table ({type(exc).__name__}: {exc})") from None


def _item(row: dict[str, object]) -> Calibrated | None:
    b, a, p = row.get("difficulty"), row.get("discrimination"), row.get("p_correct")
    if not isinstance(b, int | float) or not isinstance(a, int | float):
        return None
    return Calibrated(float(b), float(a), float(p) if isinstance(p, int | float) else float("nan"))
