"""Curves, pooled metrics and bootstrap intervals over dialogue scores."""

from __future__ import annotations

from evals.aggregate import (
    METRICS,
    bootstrap_difference,
    pair_up,
    success_at_k,
    summarise,
    telling_at_k,
)
from evals.scores import DialogueScore


def score(
    i: int,
    *,
    success: int | None = None,
    telling: int | None = None,
    variant: str = "a",
    domain: str = "math",
    checked: int = 0,
    correct: int = 0,
    profile: str = "p",
) -> DialogueScore:
    return DialogueScore(
        dialogue_id=f"{variant}{i}",
        variant=variant,
        problem_id=f"prob-{i}",
        domain=domain,
        profile_id=profile,
        seed=0,
        status="max_turns",
        quality_passed=True,
        student_turns=6,
        tutor_turns=6,
        success_turn=success,
        telling_turn=telling,
        solved=success is not None and telling is None,
        leaked=telling is not None,
        numbers_checked=checked,
        numbers_correct=correct,
    )


def test_success_and_telling_curves_count_dialogues_within_k_turns():
    scores = [score(0, success=1), score(1, success=3), score(2, telling=0), score(3, success=4, telling=2)]
    assert success_at_k(scores, 4) == [0.25, 0.25, 0.5, 0.75]
    assert telling_at_k(scores, 4) == [0.25, 0.5, 0.5, 0.5]


def test_curves_never_decrease_and_end_at_the_overall_rate():
    scores = [score(i, success=(i % 5) + 1 if i % 3 else None) for i in range(30)]
    curve = success_at_k(scores, 6)
    assert curve == sorted(curve)
    assert curve[-1] == METRICS["success"].fn(scores)


def test_calculation_accuracy_pools_numbers_across_dialogues():
    scores = [score(0, checked=1, correct=0), score(1, checked=9, correct=9), score(2)]
    assert METRICS["calc_accuracy"].fn(scores) == 0.9  # not the mean of 0% and 100%


def test_a_metric_without_any_data_is_undefined_not_zero():
    assert METRICS["bugs_fixed"].fn([score(0)]) is None
    assert METRICS["calc_accuracy"].fn([score(0)]) is None


def test_summary_groups_by_variant_and_domain():
    scores = [score(0, success=1), score(1, variant="b", domain="debugging"), score(2, variant="b")]
    summary = summarise(scores, 3)
    assert set(summary["variants"]) == {"a", "b"}
    assert set(summary["by_domain"]) == {"a/math", "b/debugging", "b/math"}
    assert summary["variants"]["b"]["n"] == 2


def test_bootstrap_of_a_run_against_itself_is_exactly_zero():
    scores = [score(i, success=1 if i % 2 else None) for i in range(20)]
    d = bootstrap_difference(scores, scores, "success", samples=300)
    assert d.paired and d.diff == 0 and d.low == 0 and d.high == 0 and not d.significant


def test_a_large_paired_difference_has_an_interval_that_excludes_zero():
    a = [score(i, success=None) for i in range(30)]
    b = [score(i, success=2, variant="b") for i in range(30)]
    d = bootstrap_difference(a, b, "success", samples=500, seed=1)
    assert d.diff == 1.0 and d.low == 1.0 and d.significant


def test_bootstrap_is_reproducible_with_a_seed_and_varies_without_one():
    a = [score(i, success=1 if i % 3 else None) for i in range(25)]
    b = [score(i, success=1 if i % 2 else None, variant="b") for i in range(25)]
    first = bootstrap_difference(a, b, "success", samples=400, seed=7)
    again = bootstrap_difference(a, b, "success", samples=400, seed=7)
    other = bootstrap_difference(a, b, "success", samples=400, seed=8)
    assert (first.low, first.high) == (again.low, again.high)
    assert first.low <= first.diff <= first.high
    assert (first.low, first.high) != (other.low, other.high)


def test_runs_without_shared_keys_are_resampled_independently():
    a = [score(i, success=1) for i in range(10)]
    b = [score(i, success=None, variant="b", profile="someone-else") for i in range(12)]
    assert pair_up(a, b) is None
    d = bootstrap_difference(a, b, "success", samples=200)
    assert not d.paired and d.n_a == 10 and d.n_b == 12 and d.diff == -1.0


def test_pairing_keeps_only_dialogues_both_runs_have():
    a = [score(i, success=1) for i in range(5)]
    b = [score(i, success=1, variant="b") for i in range(3, 8)]
    pa, pb = pair_up(a, b)
    assert [s.problem_id for s in pa] == [s.problem_id for s in pb] == ["prob-3", "prob-4"]
