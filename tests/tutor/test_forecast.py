"""The misconception forecaster and the error-pattern candidate generator (pure functions)."""

from __future__ import annotations

import pytest

from tutor.planning.error_patterns import generate_wrong_answers, parse_solution, run_chain
from tutor.planning.forecast import (
    ForecastWeights,
    WrongCandidate,
    forecast_wrong_answers,
    rank_of,
    step_candidates,
)
from tutor.problems import toy_bank

SPOONS = "Julia bought a package of spoons. Her husband bought 5 more. She used 3. She had 12 left. How many?"
SOLUTION = ["The total number of spoons was 12+3=15 spoons.", "Julia's package contained 15-5=10 spoons."]


def test_a_worked_solution_parses_into_a_chain_with_references():
    steps = parse_solution(SOLUTION)
    assert [s.result for s in steps] == [15, 10]
    assert [o.value for o in steps[1].operands] == [15, 5] and steps[1].operands[0].ref == 0
    assert run_chain(steps) == 10


def test_words_between_the_numbers_and_unicode_operators_are_read():
    steps = parse_solution(["3 bids * $50 per bid = $150", "$3,650 × 0.1 = $365", "She has 7 left"])
    assert (steps[0].ops, steps[1].ops) == (("*",), ("*",))
    assert steps[1].operands[0].value == 3650 and steps[2].operands == () and steps[2].result == 7


def test_an_error_early_in_the_chain_runs_through_to_the_final_answer():
    produced = generate_wrong_answers(SPOONS, parse_solution(SOLUTION))
    by_slug = {(g.misconception, g.value) for g in produced}
    # 12 - 3 = 9 instead of 12 + 3, then 9 - 5 = 4: the MathDial student's answer, from the right solution.
    assert ("wrong-operation", 4.0) in by_slug
    assert ("forgot-step", 15.0) in by_slug
    assert all(abs(g.value - 10) > 1e-6 for g in produced)  # the right answer is never a candidate


def test_no_solution_no_candidates():
    assert generate_wrong_answers(SPOONS, []) == []


def _candidates() -> list[WrongCandidate]:
    return [
        WrongCandidate("wrong-operation", value=4.0),
        WrongCandidate("arithmetic-slip", value=11.0),
        WrongCandidate("arithmetic-slip", value=9.0),
        WrongCandidate("forgot-step", value=15.0),
    ]


def test_probabilities_sum_to_one_and_a_pattern_spreads_over_its_candidates():
    ranked = forecast_wrong_answers(_candidates())
    assert abs(sum(a.probability for a in ranked) - 1) < 1e-9
    # Uniform patterns: the single-candidate patterns (1/3 each) outrank each of the two slips (1/6 each).
    assert [a.value for a in ranked[:2]] == [4.0, 15.0] and ranked[2].probability == pytest.approx(1 / 6)


def test_a_held_misconception_moves_its_answer_to_the_top():
    ranked = forecast_wrong_answers(_candidates(), held={"forgot-step": 0.9})
    assert ranked[0].value == 15.0 and ranked[0].misconceptions == ("forgot-step",)
    assert rank_of(ranked, 15.0) == 1 and rank_of(ranked, 99.0) is None


def test_mastery_tilts_between_slips_and_conceptual_errors():
    weights = ForecastWeights(held_weight=0.0, mastery_weight=3.0)
    strong = forecast_wrong_answers(_candidates(), mastery=0.95, weights=weights)
    weak = forecast_wrong_answers(_candidates(), mastery=0.05, weights=weights)
    assert "arithmetic-slip" in strong[0].misconceptions
    assert "arithmetic-slip" not in weak[0].misconceptions


def test_priors_rank_patterns_and_the_same_answer_from_two_patterns_adds_up():
    candidates = [*_candidates(), WrongCandidate("forgot-step", value=4.0)]
    ranked = forecast_wrong_answers(candidates, priors={"wrong-operation": 0.1, "forgot-step": 0.8})
    assert ranked[0].value == 4.0 and set(ranked[0].misconceptions) == {"wrong-operation", "forgot-step"}


def test_an_authored_step_gives_its_wrong_answers_as_candidates():
    step = toy_bank().get("toy-math-pencils").steps[0]
    candidates = step_candidates(step)
    assert [(c.value, c.misconception) for c in candidates] == [(7.4, "wrong-operation"), (28.0, "decimal-point-error")]
    assert forecast_wrong_answers([]) == []


def test_a_mentioned_number_lifts_the_candidates_whose_error_involves_it():
    candidates = [
        WrongCandidate("used-wrong-quantity", value=12.0, uses=(4.0, 3.0)),
        WrongCandidate("used-wrong-quantity", value=20.0, uses=(4.0, 5.0)),
    ]
    weights = ForecastWeights(mention_weight=3.0)
    assert forecast_wrong_answers(candidates, weights=weights)[0].value == 12.0  # a tie keeps the order
    lifted = forecast_wrong_answers(candidates, mentioned=[5.0], weights=weights)
    assert lifted[0].value == 20.0 and lifted[0].probability == pytest.approx(0.8)
    assert forecast_wrong_answers(candidates, mentioned=[5.0])[0].value == 12.0  # off by default
