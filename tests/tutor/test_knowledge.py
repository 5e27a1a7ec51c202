"""Bayesian knowledge tracing: the documented update, its direction and monotonicity."""

from __future__ import annotations

import pytest

from tutor.planning.knowledge import BKTParams, KnowledgeState

PARAMS = BKTParams(prior=0.3, guess=0.2, slip=0.1, transit=0.1)


def _by_formula(prior: float, correct: bool, p: BKTParams = PARAMS) -> float:
    """The module docstring's two moves, written out independently."""
    if correct:
        posterior = prior * (1 - p.slip) / (prior * (1 - p.slip) + (1 - prior) * p.guess)
    else:
        posterior = prior * p.slip / (prior * p.slip + (1 - prior) * (1 - p.guess))
    return posterior + (1 - posterior) * p.transit


def test_initial_state_holds_the_prior_for_every_concept():
    state = KnowledgeState.for_concepts(["b", "a", "a"], PARAMS)
    assert state.mastery == {"a": 0.3, "b": 0.3}
    assert state.observations == {"a": 0, "b": 0}
    assert state.get("unseen") == 0.3


@pytest.mark.parametrize("correct", [True, False])
def test_update_follows_the_documented_formula(correct: bool):
    state = KnowledgeState.for_concepts(["x"], PARAMS).update(["x"], "correct" if correct else "incorrect")
    assert state.mastery["x"] == pytest.approx(_by_formula(0.3, correct), abs=1e-4)
    assert state.observations["x"] == 1


def test_correct_raises_and_incorrect_lowers_mastery():
    state = KnowledgeState.for_concepts(["x"], PARAMS)
    assert state.update(["x"], "correct").get("x") > state.get("x")
    assert state.update(["x"], "incorrect").get("x") < state.get("x")


def test_repeated_correct_answers_raise_mastery_monotonically_towards_one():
    state = KnowledgeState.for_concepts(["x"], PARAMS)
    values = [state.get("x")]
    for _ in range(8):
        state = state.update(["x"], "correct")
        values.append(state.get("x"))
    assert values == sorted(values)
    assert 0.95 < values[-1] <= 1.0


def test_repeated_wrong_answers_keep_mastery_low_but_above_zero():
    state = KnowledgeState.for_concepts(["x"], PARAMS)
    for _ in range(8):
        state = state.update(["x"], "incorrect")
    # Each tutored opportunity still teaches with probability T, so the estimate settles above zero.
    assert PARAMS.transit * 0.9 < state.get("x") < 0.3


@pytest.mark.parametrize("evidence", ["correct", "incorrect"])
def test_update_is_monotone_in_the_prior(evidence):
    low = KnowledgeState(params=PARAMS, mastery={"x": 0.2}).update(["x"], evidence).get("x")
    high = KnowledgeState(params=PARAMS, mastery={"x": 0.7}).update(["x"], evidence).get("x")
    assert high > low


def test_only_the_observed_concepts_move_and_the_old_state_is_unchanged():
    state = KnowledgeState.for_concepts(["x", "y"], PARAMS)
    after = state.update(["x", "x"], "correct")
    assert after.get("y") == 0.3
    assert after.observations == {"x": 1, "y": 0}, "a concept named twice is one observation"
    assert state.get("x") == 0.3


def test_an_unseen_concept_starts_from_the_prior():
    after = KnowledgeState.for_concepts([], PARAMS).update(["new"], "correct")
    assert after.get("new") == pytest.approx(_by_formula(0.3, True), abs=1e-4)


def test_weakest_concept():
    state = KnowledgeState(params=PARAMS, mastery={"a": 0.8, "b": 0.1, "c": 0.5})
    assert state.weakest(["a", "b", "c"]) == "b"
    assert state.weakest([]) is None
