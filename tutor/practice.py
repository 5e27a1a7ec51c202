"""What to practise next: a problem that targets the student's weakest concepts, within reach, not too soon.

Pure functions over the student's mastery (concept -> 0..1, only measured concepts) and their history of
sessions (problem, when, solved or not). The rules, in order:

1. **Not done, not just seen**: problems the student solved are out, and so is any problem opened in their
   last `RECENT_PROBLEMS` sessions.
2. **Ready** (the zone of proximal development): a problem at most one level above the hardest problem the
   student has solved (level 2 when they solved none), by its calibrated level when one is given, else its
   hand-written difficulty (3 when it has none).
3. **Weakest first, spaced**: the score is the mean weakness (1 - mastery; unmeasured concepts count at the
   BKT prior) of the problem's concepts, each concept weighted down to `SPACING_WEIGHT` when the student
   practised it in their last `SPACING_SESSIONS` sessions, so practice interleaves concepts instead of
   drilling one. Ties go to the easier problem, then to the id.

The choice carries its reason in words a student understands, and the figures behind it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tutor.planning.knowledge import BKTParams, KnowledgeState
from tutor.problems.schema import DebuggingProblem, Problem, TextAnswer
from tutor.record import TutorState

RECENT_PROBLEMS = 3
SPACING_SESSIONS = 2
SPACING_WEIGHT = 0.5
DEFAULT_LEVEL = 3


@dataclass(frozen=True)
class Attempt:
    """One of the student's sessions, newest first in the history passed in."""

    problem_id: str
    solved: bool


@dataclass(frozen=True)
class Choice:
    """The problem to practise next, why, and the figures behind the choice."""

    problem: Problem
    reason: str
    targets: tuple[tuple[str, float], ...]  # (concept, mastery) the problem exercises, weakest first
    details: dict[str, Any] = field(default_factory=dict)


def answer_words(problem: Problem, done: Iterable[str] = ()) -> list[str]:
    """Text answers (and accepted phrasings) of the steps not in `done`, lower case: words a student must not
    be shown before they reach them, e.g. as the name of a concept ("constant acceleration")."""
    if isinstance(problem, DebuggingProblem):
        return []
    finished = set(done)
    words: list[str] = []
    for step in problem.steps:
        if step.id not in finished and isinstance(step.answer, TextAnswer):
            words += [w.lower() for w in (step.answer.text, *step.answer.accept) if len(w.strip()) >= 4]
    return words


def concept_words(concept: str, keep_back: Iterable[str] = ()) -> str:
    """A concept slug in plain words, or a neutral phrase when the words would tell an answer kept back."""
    words = concept.replace("-", " ").replace("_", " ").strip()
    if any(re.search(rf"\b{re.escape(w)}\b", words.lower()) for w in keep_back):
        return "an idea you will name yourself"
    return words


def carry_mastery(state: TutorState, measured: Mapping[str, float]) -> TutorState:
    """A new session's tutor state, its knowledge starting from what earlier sessions measured (the prior
    for concepts never measured)."""
    known = {c: measured[c] for c in state.knowledge.mastery if c in measured}
    if not known:
        return state
    knowledge = state.knowledge.model_copy(update={"mastery": {**state.knowledge.mastery, **known}})
    return state.model_copy(update={"knowledge": knowledge})


def measured_mastery(knowledge: KnowledgeState) -> dict[str, float]:
    """The concepts a knowledge state has evidence on, with their estimates."""
    return {c: v for c, v in knowledge.mastery.items() if knowledge.observations.get(c)}


def level_of(problem: Problem, calibrated: Mapping[str, float] | None = None) -> float:
    """The problem's level: calibrated (1..5) when known, else the hand-written difficulty, else 3."""
    if calibrated and problem.id in calibrated:
        return float(calibrated[problem.id])
    return float(problem.difficulty or DEFAULT_LEVEL)


def _concepts(problem: Problem) -> tuple[str, ...]:
    return tuple(sorted(set(problem.concepts))) or (problem.domain,)


def _ceiling(history: Sequence[Attempt], by_id: Mapping[str, Problem], calibrated: Mapping[str, float] | None) -> float:
    solved = [level_of(by_id[a.problem_id], calibrated) for a in history if a.solved and a.problem_id in by_id]
    return (max(solved) if solved else 1.0) + 1.0


def _recent_concepts(history: Sequence[Attempt], by_id: Mapping[str, Problem]) -> set[str]:
    return {c for a in history[:SPACING_SESSIONS] if a.problem_id in by_id for c in _concepts(by_id[a.problem_id])}


def _score(problem: Problem, mastery: Mapping[str, float], recent: set[str], prior: float) -> float:
    weights = [(1.0 - mastery.get(c, prior)) * (SPACING_WEIGHT if c in recent else 1.0) for c in _concepts(problem)]
    return sum(weights) / len(weights)


def _reason(problem: Problem, targets: Sequence[tuple[str, float]], measured: set[str], level: float) -> str:
    keep_back = answer_words(problem)
    weak = [(concept_words(c, keep_back), v) for c, v in targets if c in measured][:2]
    new = [concept_words(c, keep_back) for c, _ in targets if c not in measured][:2]
    parts = []
    if weak:
        named = " and ".join(f"{name} ({round(v * 100)}%)" for name, v in weak)
        parts.append(f"It practises {named}, where you have the most to gain")
    if new:
        parts.append(("and it" if weak else "It") + f" starts you on {' and '.join(new)}")
    return f"{', '.join(parts)}; level {level:g} of 5, within your reach."


def choose_next(
    problems: Iterable[Problem],
    mastery: Mapping[str, float],
    history: Sequence[Attempt],
    *,
    calibrated: Mapping[str, float] | None = None,
    params: BKTParams | None = None,
) -> Choice | None:
    """The best problem to practise next (None when nothing is left within reach)."""
    pool = list(problems)
    by_id = {p.id: p for p in pool}
    prior = (params or BKTParams()).prior
    solved = {a.problem_id for a in history if a.solved}
    seen = {a.problem_id for a in history[:RECENT_PROBLEMS]}
    ceiling = _ceiling(history, by_id, calibrated)
    recent = _recent_concepts(history, by_id)
    ready = [p for p in pool if p.id not in solved | seen and level_of(p, calibrated) <= ceiling]
    if not ready:
        return None
    best = min(ready, key=lambda p: (-_score(p, mastery, recent, prior), level_of(p, calibrated), p.id))
    targets = tuple(sorted(((c, mastery.get(c, prior)) for c in _concepts(best)), key=lambda cv: cv[1]))
    details = {
        "score": round(_score(best, mastery, recent, prior), 4),
        "level": level_of(best, calibrated),
        "ceiling": ceiling,
        "candidates": len(ready),
        "spaced_concepts": sorted(recent & set(_concepts(best))),
        "targets": {c: round(v, 4) for c, v in targets},
    }
    return Choice(best, _reason(best, targets, set(mastery), level_of(best, calibrated)), targets, details)
