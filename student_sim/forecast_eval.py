"""Misconception forecasting measured on real MathDial conversations (`socratic cohort forecast-eval`).

Each MathDial conversation gives a question, its worked right solution, the student's persona, the
teacher's description of the student's confusion and a typical confusion rating, and the student's
incorrect solution. The target is the incorrect solution's final number. The candidates are generated
from the question and the right solution alone (`tutor.planning.error_patterns`); the incorrect solution
feeds nothing but the score. Ranked by:

* `uniform`: every error pattern weighs the same (no data, no student);
* `frequency` (the baseline): patterns weighted by how often they explain the wrong answers of the
  training questions;
* `student model`: the frequency weights moved by the profile (persona cues, teacher's confusion cues,
  prior mastery, the numbers the teacher's description names) through `tutor.planning.forecast`, with
  weights fitted on the training questions;
* `peers` (a reference, not a forecaster of the same kind): the wrong answers other real students gave
  on the same question, most frequent first; it needs those students and covers only repeated questions.

Folds are grouped by question (no question in both training and test). Intervals are percentile
bootstrap intervals resampling questions (conversations on one question are not independent).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

from student_sim.bootstrap import bootstrap_interval
from student_sim.forecast import held_misconceptions, mentioned_numbers
from student_sim.profiles import StudentProfile, from_mathdial
from tutor.planning.error_patterns import generate_wrong_answers, parse_solution
from tutor.planning.forecast import (
    ForecastedAnswer,
    ForecastWeights,
    WrongCandidate,
    forecast_wrong_answers,
    rank_of,
)
from tutor.problems.importers.common import last_number
from tutor.problems.importers.mathdial import MathDialConversation, read_conversations

TOLERANCE = 0.01  # a student's 10.00 is the candidate 10; money rounds to cents
FOLDS = 5
BOOTSTRAP = 2000
SEED = 0
HELD_GRID = (0.0, 1.0, 3.0, 10.0)
MASTERY_GRID = (0.0, 1.0)
PERSONA_GRID = (0.0, 0.6)
MENTION_GRID = (0.0, 3.0, 10.0)  # how firmly a persona cue counts (a teacher's confusion cue: 0.9)
METHODS = ("uniform", "frequency", "student model", "peers")
LABEL = "real data: MathDial conversations (student persona, teacher-described confusion, incorrect solution)"


@dataclass(frozen=True)
class Case:
    """One conversation, as the forecaster sees it, plus the target it is scored on."""

    ref: str
    qid: str
    target: float
    candidates: tuple[WrongCandidate, ...]
    profile: StudentProfile
    confusion: str | None
    mastery: float
    patterns: frozenset[str] = field(default_factory=frozenset)  # patterns that yield the target

    @property
    def covered(self) -> bool:
        return bool(self.patterns)

    def held(self, persona_strength: float) -> dict[str, float]:
        return held_misconceptions(self.profile, self.confusion, persona_strength=persona_strength)


def solution_lines(ground_truth: str) -> list[str]:
    """The lines of a worked solution, without a last line that only repeats the answer."""
    lines = [line for line in ground_truth.splitlines() if line.strip()]
    if len(lines) > 1 and last_number(lines[-1]) is not None and len(lines[-1].strip()) <= 16:
        lines = lines[:-1]
    return lines


def case_of(conv: MathDialConversation) -> Case | None:
    """The conversation as a forecasting case; None when its incorrect solution shows no wrong number."""
    wrong = last_number(conv.student_incorrect_solution or "")
    truth = last_number(conv.ground_truth)
    if wrong is None or truth is None or abs(wrong.value - truth.value) <= TOLERANCE:
        return None
    generated = generate_wrong_answers(conv.question, parse_solution(solution_lines(conv.ground_truth)))
    candidates = tuple(WrongCandidate(g.misconception, value=g.value, detail=g.detail, uses=g.uses) for g in generated)
    # The profile is built without the incorrect solution: it must not carry the target.
    record = {
        "student_profile": conv.student_profile or "A student.",
        "question": conv.question,
        "ground_truth": conv.ground_truth,
        "self-typical-confusion": conv.self_typical_confusion,
    }
    profile = from_mathdial(record, profile_id=f"mathdial-case-{conv.qid}")
    hits = frozenset(c.misconception for c in candidates if abs((c.value or 0) - wrong.value) <= TOLERANCE)
    return Case(
        ref=conv.ref,
        qid=conv.qid,
        target=wrong.value,
        candidates=candidates,
        profile=profile,
        confusion=conv.teacher_described_confusion,
        mastery=profile.default_mastery,
        patterns=hits,
    )


def load_cases(path: Path) -> list[Case]:
    """Every conversation of a MathDial file with a wrong final number, as a case."""
    conversations, _ = read_conversations(path)
    return [case for conv in conversations if (case := case_of(conv)) is not None]


def fit_priors(cases: Sequence[Case]) -> dict[str, float]:
    """P(pattern): each covered target credits the patterns that yield it equally (add-one smoothed)."""
    credit: dict[str, float] = defaultdict(float)
    for case in cases:
        for slug in case.patterns:
            credit[slug] += 1 / len(case.patterns)
    slugs = {c.misconception for case in cases for c in case.candidates}
    total = sum(credit.values()) + len(slugs)
    return {slug: (credit[slug] + 1) / total for slug in sorted(slugs)}


@dataclass(frozen=True)
class Fit:
    """What one fold learns from its training questions."""

    priors: dict[str, float]
    weights: ForecastWeights
    persona_strength: float

    def as_json(self) -> dict[str, Any]:
        return {
            "held_weight": self.weights.held_weight,
            "mastery_weight": self.weights.mastery_weight,
            "mention_weight": self.weights.mention_weight,
            "persona_strength": self.persona_strength,
            "priors": self.priors,
        }


def _forecast(case: Case, fit: Fit | None, *, with_student: bool) -> list[ForecastedAnswer]:
    if fit is None:  # uniform: no priors, no student
        return forecast_wrong_answers(case.candidates, weights=ForecastWeights(0.0, 0.0))
    if not with_student:
        return forecast_wrong_answers(case.candidates, priors=fit.priors, weights=ForecastWeights(0.0, 0.0))
    return forecast_wrong_answers(
        case.candidates,
        held=case.held(fit.persona_strength),
        mastery=case.mastery,
        priors=fit.priors,
        weights=fit.weights,
        mentioned=mentioned_numbers(case.confusion),
    )


def _log_likelihood(cases: Sequence[Case], fit: Fit) -> float:
    total = 0.0
    for case in cases:
        if case.covered:
            forecast = _forecast(case, fit, with_student=True)
            p = next((a.probability for a in forecast if abs((a.value or 0) - case.target) <= TOLERANCE), 0.0)
            total += math.log(max(p, 1e-12))
    return total


def fit_fold(cases: Sequence[Case]) -> Fit:
    """Priors from the training targets, then the grid point with the highest likelihood of them."""
    priors = fit_priors(cases)
    grid = [
        Fit(priors, ForecastWeights(h, m, n), p)
        for h, m, n, p in product(HELD_GRID, MASTERY_GRID, MENTION_GRID, PERSONA_GRID)
    ]
    return max(grid, key=lambda fit: _log_likelihood(cases, fit))


def question_folds(cases: Sequence[Case], folds: int = FOLDS) -> list[list[int]]:
    """Case indices per fold, whole questions per fold (questions dealt round-robin in sorted order)."""
    qids = sorted({c.qid for c in cases})
    fold_of = {qid: k % folds for k, qid in enumerate(qids)}
    return [[i for i, c in enumerate(cases) if fold_of[c.qid] == k] for k in range(folds)]


def cross_validated_ranks(cases: Sequence[Case], folds: int = FOLDS) -> tuple[dict[str, list[int | None]], list[Fit]]:
    """The target's rank per case and method (None: not in the list), each fold fitted on the others."""
    ranks: dict[str, list[int | None]] = {m: [None] * len(cases) for m in METHODS}
    fits: list[Fit] = []
    for test in question_folds(cases, folds):
        held_out = set(test)
        fit = fit_fold([c for i, c in enumerate(cases) if i not in held_out])
        fits.append(fit)
        for i in test:
            case = cases[i]
            ranks["uniform"][i] = rank_of(_forecast(case, None, with_student=False), case.target, TOLERANCE)
            ranks["frequency"][i] = rank_of(_forecast(case, fit, with_student=False), case.target, TOLERANCE)
            ranks["student model"][i] = rank_of(_forecast(case, fit, with_student=True), case.target, TOLERANCE)
    ranks["peers"] = peer_ranks(cases)
    return ranks, fits


def peer_ranks(cases: Sequence[Case]) -> list[int | None]:
    """Rank of the target among the wrong answers of the other conversations on the same question."""
    by_question: dict[str, list[int]] = defaultdict(list)
    for i, case in enumerate(cases):
        by_question[case.qid].append(i)
    ranks: list[int | None] = []
    for i, case in enumerate(cases):
        counts: Counter[float] = Counter(round(cases[j].target, 2) for j in by_question[case.qid] if j != i)
        ordered = [value for value, _ in counts.most_common()]
        found = next((k for k, v in enumerate(ordered, 1) if abs(v - case.target) <= TOLERANCE), None)
        ranks.append(found)
    return ranks


def _hits(ranks: Sequence[int | None], k: int) -> np.ndarray:
    return np.array([r is not None and r <= k for r in ranks], dtype=float)


def cluster_bootstrap(
    values: dict[str, np.ndarray], groups: Sequence[str], *, samples: int = BOOTSTRAP, seed: int = SEED
) -> dict[str, tuple[float, float] | None]:
    """95% percentile intervals of each mean, resampling whole groups (questions) with replacement.

    Every key is resampled with the same seed over the same groups, so all see the same draws."""
    names = sorted(set(groups))
    members = [np.array([i for i, g in enumerate(groups) if g == name]) for name in names]

    def interval(array: np.ndarray) -> tuple[float, float] | None:
        def mean_of(chosen: list[np.ndarray]) -> float:
            return float(array[np.concatenate(chosen)].mean())

        return bootstrap_interval(mean_of, members, resamples=samples, seed=seed)

    return {key: interval(array) for key, array in values.items()}


def evaluate(path: Path, *, folds: int = FOLDS, samples: int = BOOTSTRAP, seed: int = SEED) -> dict[str, Any]:
    """Top-1 / top-3 accuracy of each method with cluster-bootstrap intervals, and the paired differences
    of the student model over the frequency baseline."""
    cases = load_cases(path)
    if len(cases) < folds:
        raise ValueError(f"{path}: {len(cases)} usable conversations, fewer than {folds} folds")
    ranks, fitted = cross_validated_ranks(cases, folds)
    arrays: dict[str, np.ndarray] = {}
    for method in METHODS:
        for k in (1, 3):
            arrays[f"{method} top-{k}"] = _hits(ranks[method], k)
    for k in (1, 3):
        arrays[f"student model - frequency top-{k}"] = arrays[f"student model top-{k}"] - arrays[f"frequency top-{k}"]
    arrays["coverage"] = np.array([c.covered for c in cases], dtype=float)
    intervals = cluster_bootstrap(arrays, [c.qid for c in cases], samples=samples, seed=seed)
    figures = {
        key: {"value": float(a.mean()), "ci95": None if (ci := intervals[key]) is None else list(ci)}
        for key, a in arrays.items()
    }
    sizes = [len({c.key for c in case.candidates}) for case in cases]
    return {
        "label": LABEL,
        "source": str(path.name),
        "conversations": len(cases),
        "questions": len({c.qid for c in cases}),
        "folds": folds,
        "bootstrap": {"samples": samples, "seed": seed, "resampled": "questions"},
        "candidates": {
            "what": "wrong final answers generated from the question and the right worked solution by the error "
            "patterns of tutor.planning.error_patterns; the incorrect solution feeds none of them",
            "mean_per_conversation": float(np.mean(sizes)),
            "max_per_conversation": int(max(sizes)),
            "patterns_yielding_target": dict(Counter(s for c in cases for s in c.patterns).most_common()),
        },
        "peers_available": sum(1 for c in cases if sum(o.qid == c.qid for o in cases) > 1),
        "distinct_wrong_per_question": _distinct_wrong(cases),
        "figures": figures,
        "fitted_per_fold": [fit.as_json() for fit in fitted],
    }


def _distinct_wrong(cases: Sequence[Case]) -> str:
    values: dict[str, set[float]] = defaultdict(set)
    for case in cases:
        values[case.qid].add(round(case.target, 2))
    counts = Counter(len(v) for v in values.values())
    return ", ".join(f"{n} question(s) with {k} distinct wrong answer(s)" for k, n in sorted(counts.items()))


def render_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: what was measured, on what, and the figures with their intervals."""
    f = report["figures"]

    def cell(key: str) -> str:
        value, (low, high) = f[key]["value"], f[key]["ci95"]
        return f"{value:.3f} [{low:.3f}, {high:.3f}]"

    rows = [f"| {m} | {cell(f'{m} top-1')} | {cell(f'{m} top-3')} |" for m in METHODS]
    diffs = [
        f"| student model - frequency | {cell('student model - frequency top-1')} | "
        f"{cell('student model - frequency top-3')} |"
    ]
    patterns = ", ".join(f"{k} {v}" for k, v in report["candidates"]["patterns_yielding_target"].items())
    fitted = "; ".join(
        f"fold {i + 1}: held_weight {w['held_weight']:g}, mastery_weight {w['mastery_weight']:g}, "
        f"mention_weight {w['mention_weight']:g}, "
        f"persona_strength {w['persona_strength']:g}"
        for i, w in enumerate(report["fitted_per_fold"])
    )
    return "\n".join(
        [
            "# Misconception forecasting on MathDial",
            "",
            f"**{report['label']}.** {report['conversations']} conversations on {report['questions']} questions "
            f"({report['source']}); {report['folds']} folds grouped by question; 95% intervals from "
            f"{report['bootstrap']['samples']} bootstrap resamples of questions.",
            "",
            "Target: the last number of the student's incorrect solution. Inputs: the question, its right worked "
            "solution, the student's persona, the teacher's described confusion, the typical-confusion rating.",
            "",
            f"**Candidates:** {report['candidates']['what']}. Mean "
            f"{report['candidates']['mean_per_conversation']:.1f} distinct candidates per conversation (max "
            f"{report['candidates']['max_per_conversation']}); the target is among them in "
            f"{cell('coverage')} of conversations (the ceiling of every generated-candidate method).",
            "",
            "| method | top-1 accuracy [95% CI] | top-3 accuracy [95% CI] |",
            "| --- | --- | --- |",
            *rows,
            *diffs,
            "",
            "* uniform: every error pattern weighs the same; frequency (the baseline): patterns weighted by how "
            "often they explain the training questions' wrong answers; student model: the frequency weights "
            "moved by persona and confusion cues, prior mastery and the numbers the teacher's description names "
            "(`tutor.planning.forecast`, weights fitted "
            "on the training questions, persona cues' strength too).",
            "* peers (a lookup, not a forecast): the wrong answers of the other conversations on the same "
            "question. MathDial gives every question one incorrect solution, shared by all its conversations "
            f"({report['distinct_wrong_per_question']}), so this only shows that the same wrong answer recurs; "
            f"{report['peers_available']} conversations have another on their question. For the same reason "
            "the unit of evidence is the question: folds and bootstrap resamples are whole questions.",
            f"* Patterns that yield the target (a target may come from several): {patterns}.",
            f"* Fitted: {fitted}.",
            "",
            "Regenerate: `socratic cohort forecast-eval` (needs the MathDial file; `TUTOR_REALDATA_DIR`).",
            "",
        ]
    )


def write_report(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """`forecast_mathdial.json` and `.md` in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "forecast_mathdial.json", out_dir / "forecast_mathdial.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return json_path, md_path
