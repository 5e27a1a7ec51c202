"""The one bootstrap helper: seeded, undefined draws left out, the same draws for objects and arrays."""

from __future__ import annotations

import numpy as np

from student_sim.bootstrap import bootstrap_interval, mean_interval, percentile_interval


def test_the_same_seed_gives_the_same_interval_and_another_seed_another():
    values = list(np.random.default_rng(0).normal(size=40))
    assert mean_interval(values, resamples=200, seed=3) == mean_interval(values, resamples=200, seed=3)
    assert mean_interval(values, resamples=200, seed=3) != mean_interval(values, resamples=200, seed=4)
    low, high = mean_interval(values) or (None, None)
    assert low is not None and high is not None and low < np.mean(values) < high


def test_an_object_statistic_and_its_vectorized_twin_see_the_same_paired_draws():
    a, b = [1, 0, 1, 1, 0, 1, 0, 1], [1, 1, 1, 1, 0, 1, 1, 1]
    on_lists = bootstrap_interval(lambda x, y: np.mean(y) - np.mean(x), a, b, paired=True, resamples=300)
    on_arrays = bootstrap_interval(
        lambda x, y: y.mean(axis=-1) - x.mean(axis=-1),
        np.array(a),
        np.array(b),
        paired=True,
        vectorized=True,
        resamples=300,
    )
    assert on_lists == on_arrays


def test_draws_where_the_statistic_is_undefined_are_left_out():
    # Undefined (None) on the draws that hold no zero: the interval comes from the other draws alone.
    def share_of_ones_given_a_zero(x: list[int]) -> float | None:
        return None if 0 not in x else x.count(1) / len(x)

    low, high = bootstrap_interval(share_of_ones_given_a_zero, [1, 1, 0], resamples=400) or (None, None)
    assert low is not None and high is not None and 0.0 <= low <= high < 1.0
    assert bootstrap_interval(lambda x: None, [1, 2, 3], resamples=50) is None


def test_no_interval_from_fewer_than_two_items():
    assert mean_interval([0.5]) is None
    assert bootstrap_interval(lambda x, y: 0.0, [1, 2], [3]) is None


def test_the_percentile_interval_ignores_nan_draws():
    assert percentile_interval([np.nan, 1.0, 2.0, 3.0], confidence=1.0) == (1.0, 3.0)
    assert percentile_interval([np.nan, np.nan]) is None
