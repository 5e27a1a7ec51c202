"""Precision/coverage from stored hint records, without a model."""

from __future__ import annotations

import json

import pytest

from student_sim.hint_curve import (
    Slot,
    curve_point,
    curve_points,
    knob_settings,
    plot_curve,
    slots_point,
    truly_useful,
    write_points,
)
from student_sim.hint_validation import AttemptRecord, ValidationConfig, run_validation
from student_sim.hints import HintConfig, HintRecord, ModelsUsed, TrialRecord
from tutor.errors import InputDataError

N = 10


def counts(k: int, n: int = N) -> list[bool]:
    return [i < k for i in range(n)]


def record(
    pid: str,
    n1: int,
    n2: int,
    held: int,
    *,
    full: bool = True,
    label: bool | None = None,
    n: int = N,
    max_trials: int = 3,
    mode: str = "gpt4hints",
) -> HintRecord:
    """A one-trial record whose student solves n1/n without, n2/n with, held/n in the holdout batch."""
    table = {"without": counts(n1, n), "with": counts(n2, n), "holdout": counts(held, n)}

    def attempt(arm: str, index: int) -> AttemptRecord:
        return AttemptRecord(arm=arm, index=index, seed=index, success=table[arm][index])

    rule = ValidationConfig(n=n, mode=mode)
    validation = run_validation(attempt, rule, holdout=n if full else 0, full=full)
    config = HintConfig(validation=rule, full=full, max_trials=max_trials)
    trial = TrialRecord(trial=0, seed=1, explanation="e", hint="h", validation=validation, label_useful=label)
    return HintRecord(
        problem_id=pid,
        status="ok",
        buggy_code="x = 1\n",
        trials=(trial,),
        accepted=validation.accepted,
        config=config,
        models=ModelsUsed(hint="h", student="s"),
    )


@pytest.fixture
def three() -> list[HintRecord]:
    return [
        record("p1", 0, 8, 9),  # clearly helps, and the held-out batch agrees
        record("p2", 2, 5, 2),  # passes the default rule on n2/n = 0.5, but the held-out batch fails
        record("p3", 5, 4, 5),  # makes things worse: rejected under any knobs
    ]


def test_paper_defaults_cover_two_problems_and_one_hint_is_truly_useful(three):
    point = curve_point(three, ValidationConfig())
    assert (point.problems, point.covered, point.judged, point.useful) == (3, 2, 2, 1)
    assert point.coverage == pytest.approx(2 / 3) and point.precision == pytest.approx(0.5)


def test_slots_take_the_first_trial_a_setting_accepts_and_an_outside_judgement(three):
    # one ladder level with two trials (p2's hint, then p1's), another with p3's only and budget left
    level = Slot([three[1].trials[0], three[0].trials[0]], exhausted=True)
    open_level = Slot([three[2].trials[0]], exhausted=False)
    verdicts = {id(three[1].trials[0]): False, id(three[0].trials[0]): True}
    loose, strict = knob_settings(N, "pyfixv", thresholds=(0.5, 0.8))
    at_loose = slots_point([level, open_level], loose, lambda trial: verdicts[id(trial)])
    assert (at_loose.problems, at_loose.covered, at_loose.useful, at_loose.undetermined) == (1, 1, 0, 1)
    at_strict = slots_point([level], strict, lambda trial: verdicts[id(trial)])
    assert (at_strict.covered, at_strict.useful, at_strict.precision) == (1, 1, 1.0)


def test_stricter_knobs_trade_coverage_for_precision(three):
    point = curve_point(three, ValidationConfig(alpha=0.6, beta=0.4))
    assert point.coverage == pytest.approx(1 / 3) and point.precision == 1.0


def test_pyfixv_threshold_sweep_is_monotone_in_coverage(three):
    points = curve_points(three, "pyfixv")
    coverages = [p.coverage for p in points]
    assert coverages == sorted(coverages, reverse=True)
    by_t = {p.threshold: p for p in points}
    assert by_t[0.5].covered == 2 and by_t[0.9].covered == 0 and by_t[0.0].covered == 3


def test_a_human_label_wins_over_the_held_out_proxy(three):
    labelled = [*three[:1], record("p2", 2, 5, 2, label=True), three[2]]
    assert truly_useful(labelled[1].trials[0]) is True
    assert curve_point(labelled, ValidationConfig()).precision == 1.0


def test_hints_without_any_judgement_are_left_out_of_precision():
    early = [record("p1", 0, 8, 9, full=False)]
    point = curve_point(early, ValidationConfig())
    assert point.covered == 1 and point.judged == 0 and point.unjudged == 1 and point.precision is None


def test_early_stopped_records_are_undetermined_where_they_cannot_decide():
    # Accepted early by pyfixv (the without arm never sampled), one trial of three: a rule that reads n1
    # cannot be decided from it, nor a stricter threshold (if it rejected, a later trial never written
    # might have been accepted). The complete record decides everywhere.
    early = [record("p1", 0, 10, 0, full=False, mode="pyfixv"), record("p2", 0, 10, 0, full=True)]
    assert early[0].trials[0].validation.done_without == 0
    for strict in (ValidationConfig(), ValidationConfig(mode="pyfixv", threshold=1.0)):
        point = curve_point(early, strict)
        assert point.undetermined == 1 and point.problems == 1
    assert curve_point(early, ValidationConfig(mode="pyfixv")).undetermined == 0


def test_records_of_different_n_cannot_share_a_curve(three):
    with pytest.raises(InputDataError):
        curve_points([*three, record("p4", 0, 3, 3, n=4)])


def test_the_plot_and_its_points_are_written(tmp_path, three):
    points = curve_points(three)
    png = plot_curve(points, tmp_path / "curve.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(write_points(points, tmp_path / "curve.json").read_text())
    assert len(data) == len(points) and {"alpha", "beta", "precision", "coverage"} <= set(data[0])
    assert plot_curve(curve_points(three, "pyfixv"), tmp_path / "t.png").stat().st_size > 1000
