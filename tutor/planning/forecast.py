"""Misconception forecasting: which wrong answer a given student is most likely to give on a step.

The forecast is a mixture over error patterns (misconception slugs). Each candidate wrong answer comes
from one pattern (a step's authored `wrong_answers`, or `tutor.planning.error_patterns` for a worked
solution); a pattern that yields n candidates spreads its weight evenly over them, so a pattern that could
produce anything does not drown one that produces a single, telling number:

    P(answer) ∝ Σ_pattern  w(pattern) · [pattern yields answer] / n(pattern)
    w(pattern) = prior(pattern) · (1 + held_weight · held(pattern)) · tilt(pattern, mastery)

and a candidate whose error involves a number said about the student's thinking ("divided by 3 instead of
4") counts (1 + mention_weight) times.

`held` is how firmly the student holds each misconception (0..1, from its profile: misconceptions, false
beliefs, what a teacher said); `prior` is how often each pattern explains real wrong answers (uniform when
not given); the mastery tilt makes slips likelier for a student who knows the concepts and conceptual
errors likelier for one who does not. Pure functions over tutor-level inputs, so the tutor can call it to
aim its first question at the forecast misconception.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tutor.problems.schema import Step

SLIP = "arithmetic-slip"


@dataclass(frozen=True)
class WrongCandidate:
    """A wrong answer a student could give (a number, or a text for text steps) and the pattern behind it."""

    misconception: str
    value: float | None = None
    text: str | None = None
    detail: str = ""
    uses: tuple[float, ...] = ()  # numbers the error brings in or works on

    @property
    def key(self) -> str:
        """What makes two candidates the same answer: the rounded number or the normalised text."""
        return f"{round(self.value, 4):g}" if self.value is not None else (self.text or "").strip().casefold()


@dataclass(frozen=True)
class ForecastedAnswer:
    """One ranked answer: the value or text, its probability, and the patterns that yield it."""

    value: float | None
    text: str | None
    probability: float
    misconceptions: tuple[str, ...]


@dataclass(frozen=True)
class ForecastWeights:
    """How much the student model moves the forecast away from the priors.

    The defaults are what the MathDial evaluation fitted (`socratic cohort forecast-eval`): a held
    misconception counts, prior mastery and mentioned numbers did not improve the fit there.
    """

    held_weight: float = 3.0  # a fully held misconception weighs (1 + held_weight) times its prior
    mastery_weight: float = 0.0  # exponent of the mastery tilt; 0 ignores mastery
    mention_weight: float = 0.0  # a candidate whose error involves a mentioned number weighs (1 + this) times more


def step_candidates(step: Step) -> list[WrongCandidate]:
    """A step's authored typical wrong answers as candidates."""
    return [
        WrongCandidate(misconception=w.misconception, value=w.value, text=w.text, detail=w.description)
        for w in step.wrong_answers
    ]


def forecast_wrong_answers(
    candidates: Sequence[WrongCandidate],
    *,
    held: Mapping[str, float] | None = None,
    mastery: float = 0.5,
    priors: Mapping[str, float] | None = None,
    weights: ForecastWeights | None = None,
    mentioned: Sequence[float] = (),
) -> list[ForecastedAnswer]:
    """The distinct candidate answers, most likely first (ties keep the candidates' order).

    Args:
        candidates: the wrong answers to rank; the same answer may come from several patterns.
        held: misconception slug -> how firmly the student holds it (0..1).
        mastery: P(the student knows the step's concepts), 0..1.
        priors: slug -> how often the pattern explains wrong answers (default: uniform); a slug missing
            from given priors gets the smallest given prior.
        weights: how strongly `held`, `mastery` and `mentioned` move the forecast.
        mentioned: numbers said about this student's thinking (by the student, or a teacher describing
            its confusion): a candidate whose error involves one of them weighs more.
    """
    if not candidates:
        return []
    weights = weights or ForecastWeights()
    held = held or {}
    per_pattern: dict[str, int] = defaultdict(int)
    for candidate in candidates:
        per_pattern[candidate.misconception] += 1
    pattern_weight = {
        slug: _pattern_weight(slug, held, mastery, priors, weights) / count for slug, count in per_pattern.items()
    }
    score: dict[str, float] = {}
    first: dict[str, WrongCandidate] = {}
    slugs: dict[str, list[str]] = defaultdict(list)
    for candidate in candidates:
        key = candidate.key
        first.setdefault(key, candidate)
        boost = 1.0 + weights.mention_weight * _mentions(candidate, mentioned)
        score[key] = score.get(key, 0.0) + pattern_weight[candidate.misconception] * boost
        if candidate.misconception not in slugs[key]:
            slugs[key].append(candidate.misconception)
    total = sum(score.values()) or 1.0
    order = {key: i for i, key in enumerate(first)}
    ranked = sorted(score, key=lambda k: (-score[k], order[k]))
    return [ForecastedAnswer(first[k].value, first[k].text, score[k] / total, tuple(slugs[k])) for k in ranked]


def _mentions(candidate: WrongCandidate, mentioned: Sequence[float]) -> bool:
    return any(abs(u - m) <= 1e-6 * max(1.0, abs(m)) for u in candidate.uses for m in mentioned)


def _pattern_weight(
    slug: str,
    held: Mapping[str, float],
    mastery: float,
    priors: Mapping[str, float] | None,
    weights: ForecastWeights,
) -> float:
    prior = 1.0 if priors is None else priors.get(slug, min(priors.values(), default=1.0))
    belief = 1.0 + weights.held_weight * min(1.0, max(0.0, held.get(slug, 0.0)))
    mastery = min(0.99, max(0.01, mastery))
    tilt_base = 2 * mastery if slug == SLIP else 2 * (1 - mastery)
    return max(prior, 1e-9) * belief * math.pow(tilt_base, weights.mastery_weight)


def rank_of(forecast: Sequence[ForecastedAnswer], value: float, tolerance: float = 0.01) -> int | None:
    """1-based rank of the answer equal to `value` (within `tolerance`), or None when it is not forecast."""
    for index, answer in enumerate(forecast, 1):
        if answer.value is not None and abs(answer.value - value) <= tolerance:
            return index
    return None
