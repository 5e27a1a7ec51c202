"""Reading the bank's calibrated item parameters back."""

from __future__ import annotations

import json

import pytest

from tutor.errors import InputDataError
from tutor.problems.bank import ProblemBank
from tutor.problems.calibrated import load_calibration


def test_the_bundled_table_covers_the_math_and_physics_bank():
    table = load_calibration()
    assert table is not None and "simulated" in table.source
    stepped = [p for p in ProblemBank.load(()) if p.domain != "debugging" and not p.id.startswith("toy-")]
    assert {p.id for p in stepped} == set(table.problems)
    assert all(table.difficulty(p.id) is not None for p in stepped)
    some = stepped[0]
    assert (some.id, some.steps[0].id) in table.steps or len(table.steps) >= 190
    assert table.difficulty("no-such-problem") is None


def test_a_missing_table_is_none_and_a_broken_one_is_a_clear_error(tmp_path):
    assert load_calibration(tmp_path / "none.json") is None
    broken = tmp_path / "irt.json"
    broken.write_text('{"problems": []}', encoding="utf-8")
    with pytest.raises(InputDataError, match="not an IRT table"):
        load_calibration(broken)


def test_unfitted_items_are_left_out(tmp_path):
    path = tmp_path / "irt.json"
    row = {
        "difficulty": None,
        "discrimination": None,
        "p_correct": 1.0,
        "steps": {"s1": {"difficulty": 0.5, "discrimination": 1.2, "p_correct": 0.4}},
    }
    path.write_text('{"label": "x", "problems": {"p": ' + json.dumps(row) + "}}", encoding="utf-8")
    table = load_calibration(path)
    assert table is not None and table.problems == {} and table.steps[("p", "s1")].difficulty == 0.5
