"""The student side of misconception forecasting: what a profile (and what a teacher said) tells the
forecaster in `tutor.planning.forecast`.

`held_misconceptions` turns a profile into `slug -> strength`: its misconceptions and false beliefs as
held, plus the error patterns its persona text and a teacher's description of the confusion point at
(a few word cues, `TEXT_CUES`). A misconception bound to particular wrong answers (MathDial's incorrect
solution) is left out: it names the answer to forecast, not a tendency.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from student_sim.profiles import StudentProfile
from tutor.planning.forecast import ForecastedAnswer, ForecastWeights, forecast_wrong_answers, step_candidates
from tutor.problems.answers import extract_numbers
from tutor.problems.schema import Step

PERSONA_STRENGTH = 0.6  # a persona says what the student tends to do
CONFUSION_STRENGTH = 0.9  # a teacher's description says what this student did on this problem
TEXT_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (slug, re.compile(pattern, re.I))
    for slug, pattern in (
        (
            "wrong-operation",
            r"\boperation|\b(add|subtract|multipl|divid)\w* (instead|rather)|instead of (add|subtract|multipl|divid)",
        ),
        ("reversed-order", r"\border\b|backwards?|revers"),
        ("forgot-step", r"\bforg[eo]t|\bstop(s|ped)?\b|\bskip|final step|last step|incomplete|missed"),
        (
            "used-wrong-quantity",
            r"relevant|wrong (number|quantity|value|starting)|misread|misinterpret|misunderst|what the problem is",
        ),
        ("extra-step", r"unnecessary|extra|double[- ]?count|overcomplicat|twice"),
        ("unit-conversion", r"\bunits?\b|conver|minutes|hours"),
        ("percent-as-number", r"percent|%"),
        ("arithmetic-slip", r"miscalcul|calculation|arithmetic|careless|computation|rounding"),
        ("combined-given-numbers", r"guess|underlying ideas|principles|conceptual"),
    )
)


def text_cues(text: str | None) -> set[str]:
    """The error patterns a persona or a teacher's description points at."""
    if not text:
        return set()
    return {slug for slug, pattern in TEXT_CUES if pattern.search(text)}


def held_misconceptions(
    profile: StudentProfile, confusion: str | None = None, *, persona_strength: float = PERSONA_STRENGTH
) -> dict[str, float]:
    """slug -> how firmly the student holds it: the profile's unbound misconceptions and false beliefs,
    its persona's cues (`persona_strength`) and the teacher's described confusion (CONFUSION_STRENGTH)."""
    held: dict[str, float] = {}

    def hold(slugs: Iterable[str], strength: float) -> None:
        for slug in slugs:
            held[slug] = max(held.get(slug, 0.0), strength)

    for mis in profile.misconceptions:
        if not mis.wrong_answers:
            hold([mis.slug], mis.strength)
    for belief in profile.false_beliefs:
        hold([belief.misconception], belief.strength)
    hold(text_cues(profile.persona), persona_strength)
    hold(text_cues(confusion), CONFUSION_STRENGTH)
    return held


def mentioned_numbers(text: str | None) -> tuple[float, ...]:
    """The numbers a description of the student's thinking names ("divided by 3 instead of 4" -> 3, 4)."""
    return tuple(m.value for m in extract_numbers(text)) if text else ()


def step_mastery(profile: StudentProfile, step: Step, problem_concepts: Iterable[str] = ()) -> float:
    """P(the student knows the step's concepts): the mean of their masteries (the problem's concepts when
    the step names none, the profile's default when neither does)."""
    concepts = tuple(step.concepts) or tuple(problem_concepts)
    if not concepts:
        return profile.default_mastery
    return sum(profile.mastery_of(c) for c in concepts) / len(concepts)


def forecast_step(
    profile: StudentProfile,
    step: Step,
    *,
    problem_concepts: Iterable[str] = (),
    confusion: str | None = None,
    weights: ForecastWeights | None = None,
) -> list[ForecastedAnswer]:
    """The step's authored wrong answers ranked for this student (most likely first)."""
    return forecast_wrong_answers(
        step_candidates(step),
        held=held_misconceptions(profile, confusion),
        mastery=step_mastery(profile, step, problem_concepts),
        weights=weights,
        mentioned=mentioned_numbers(confusion),
    )
