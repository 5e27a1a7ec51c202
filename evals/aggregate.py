"""Aggregating dialogue scores: the named metrics, Success@k / Telling@k curves, groups, bootstrap CIs.

Every metric is a pure function of a list of `DialogueScore`s, so the same definition serves the tables,
the plots and the bootstrap (which recomputes it on resampled lists). Ratios of counts are pooled over
dialogues (calculation accuracy = all correct numbers / all checked numbers); per-dialogue quantities are
averaged over the dialogues that have them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from evals.labels import DIMENSIONS, GOOD
from evals.scores import DialogueScore
from student_sim.bootstrap import bootstrap_interval

Scores = Sequence[DialogueScore]
MetricFn = Callable[[Scores], float | None]


@dataclass(frozen=True)
class Metric:
    """A named metric over a group of dialogues."""

    name: str
    label: str
    fn: MetricFn
    higher_is_better: bool = True
    percent: bool = True  # shown as a percentage
    domains: tuple[str, ...] = ()  # only meaningful for these domains (empty: all)


def _share(scores: Scores, test: Callable[[DialogueScore], bool]) -> float | None:
    return sum(1 for s in scores if test(s)) / len(scores) if scores else None


def _mean(values: Iterable[float | int | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _ratio(num: Iterable[int | None], den: Iterable[int | None]) -> float | None:
    top = sum(n or 0 for n in num)
    bottom = sum(d or 0 for d in den)
    return top / bottom if bottom else None


def _judge_good(dimension: str) -> MetricFn:
    def share(scores: Scores) -> float | None:
        # A judge that does not label this dimension (the learned judge: 4 of 8) leaves it None: not counted.
        labels = [getattr(t.judge, dimension) for s in scores for t in s.turns if t.judge is not None and t.k > 0]
        labels = [label for label in labels if label is not None]
        if not labels:
            return None
        return sum(1 for label in labels if label == GOOD[dimension]) / len(labels)

    return share


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("success", "Success@N", lambda s: _share(s, lambda d: d.success_turn is not None)),
        Metric("solve_rate", "Solved without telling", lambda s: _share(s, lambda d: d.solved)),
        Metric(
            "leak_rate",
            "Leak rate (Telling@N)",
            lambda s: _share(s, lambda d: d.leaked),
            higher_is_better=False,
        ),
        Metric(
            "turns_to_solve",
            "Turns to solve",
            lambda s: _mean(d.turns_to_solve for d in s),
            higher_is_better=False,
            percent=False,
        ),
        Metric("question_share", "Turns asking a question", lambda s: _mean(d.question_share for d in s)),
        Metric(
            "calc_accuracy",
            "Numbers correct",
            lambda s: _ratio((d.numbers_correct for d in s), (d.numbers_checked for d in s)),
        ),
        Metric(
            "misconception_resolution",
            "Misconceptions resolved",
            lambda s: _ratio((len(d.misconceptions_resolved) for d in s), (len(d.misconceptions_shown) for d in s)),
        ),
        Metric("mastery_gain", "Mastery gain", lambda s: _mean(d.mastery_gain for d in s), percent=False),
        Metric(
            "bugs_fixed",
            "Bugs fixed",
            lambda s: _ratio((d.bugs_fixed for d in s), (d.bugs_total for d in s)),
            domains=("debugging",),
        ),
        Metric(
            "tests_passing",
            "Tests passing",
            lambda s: _ratio((d.tests_passed for d in s), (d.tests_total for d in s)),
            domains=("debugging",),
        ),
        Metric(
            "open_bug_targeting",
            "Turns targeting an open bug",
            lambda s: _mean(d.open_bug_targeting for d in s),
            domains=("debugging",),
        ),
        Metric(
            "fix_statements",
            "Turns stating a fix",
            lambda s: _ratio(
                (d.fix_statements for d in s),
                (d.tutor_turns + 1 if d.fix_statements is not None else 0 for d in s),
            ),
            higher_is_better=False,
            domains=("debugging",),
        ),
        Metric(
            "model_calls",
            "Model calls / dialogue",
            lambda s: _mean(d.model_calls for d in s),
            higher_is_better=False,
            percent=False,
        ),
        Metric(
            "tutor_model_s",
            "Tutor model s / dialogue",
            lambda s: _mean(d.tutor_model_s for d in s),
            higher_is_better=False,
            percent=False,
        ),
        *[
            Metric(f"judge_{dim}", f"Judge: {dim.replace('_', ' ')} = {GOOD[dim]}", _judge_good(dim))
            for dim in DIMENSIONS
        ],
    ]
}
HEADLINE = (
    "success",
    "solve_rate",
    "leak_rate",
    "turns_to_solve",
    "question_share",
    "calc_accuracy",
    "misconception_resolution",
    "mastery_gain",
)
DEBUGGING = ("bugs_fixed", "tests_passing", "open_bug_targeting", "fix_statements")


def success_at_k(scores: Scores, k_max: int) -> list[float]:
    """Success@k for k = 1..k_max: the share of dialogues where the student had it within k turns."""
    n = len(scores)
    return [
        sum(1 for s in scores if s.success_turn is not None and s.success_turn <= k) / n if n else 0.0
        for k in range(1, k_max + 1)
    ]


def telling_at_k(scores: Scores, k_max: int) -> list[float]:
    """Telling@k for k = 1..k_max: the share where the tutor told first within k turns (opening included)."""
    n = len(scores)
    return [
        sum(1 for s in scores if s.telling_turn is not None and s.telling_turn <= k) / n if n else 0.0
        for k in range(1, k_max + 1)
    ]


def group(scores: Scores, *keys: str) -> dict[tuple[str, ...], list[DialogueScore]]:
    """Scores grouped by the named attributes, in first-seen order."""
    out: dict[tuple[str, ...], list[DialogueScore]] = {}
    for s in scores:
        out.setdefault(tuple(str(getattr(s, k)) for k in keys), []).append(s)
    return out


def metric_values(scores: Scores, names: Iterable[str] = tuple(METRICS)) -> dict[str, float | None]:
    return {name: METRICS[name].fn(scores) for name in names}


def summarise(scores: Scores, k_max: int) -> dict[str, object]:
    """Every metric and curve, per variant and per (variant, domain): the run's `summary.json`."""

    def block(items: Scores) -> dict[str, object]:
        return {
            "n": len(items),
            "metrics": metric_values(items),
            "success_at_k": success_at_k(items, k_max),
            "telling_at_k": telling_at_k(items, k_max),
        }

    return {
        "k_max": k_max,
        "dialogues": len(scores),
        "variants": {v: block(items) for (v,), items in group(scores, "variant").items()},
        "by_domain": {f"{v}/{d}": block(items) for (v, d), items in group(scores, "variant", "domain").items()},
    }


# ------------------------------------------------------------------------------------------ bootstrap


@dataclass(frozen=True)
class Difference:
    """B minus A on one metric, with a bootstrap confidence interval."""

    metric: str
    a: float | None
    b: float | None
    diff: float | None
    low: float | None
    high: float | None
    paired: bool
    n_a: int
    n_b: int

    @property
    def significant(self) -> bool:
        """The interval excludes zero."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


def pair_up(a: Scores, b: Scores) -> tuple[list[DialogueScore], list[DialogueScore]] | None:
    """The dialogues of A and B that share (problem, profile, seed), in matching order; None when none do.

    A key seen twice on one side (not expected in one variant) keeps its first dialogue.
    """
    index_b: dict[tuple[str, str, int], DialogueScore] = {}
    for s in b:
        index_b.setdefault(s.pair_key, s)
    seen: set[tuple[str, str, int]] = set()
    pa: list[DialogueScore] = []
    pb: list[DialogueScore] = []
    for s in a:
        if s.pair_key in index_b and s.pair_key not in seen:
            seen.add(s.pair_key)
            pa.append(s)
            pb.append(index_b[s.pair_key])
    return (pa, pb) if pa else None


def bootstrap_difference(
    a: Scores, b: Scores, metric: str, *, samples: int = 2000, seed: int = 0, confidence: float = 0.95
) -> Difference:
    """B - A on `metric` with a percentile bootstrap interval (seeded).

    Paired by (problem, profile, seed) when the two share any such key (the unpaired dialogues are left
    out, so both sides describe the same population); otherwise A and B are resampled independently.
    Resamples on which the metric is undefined (no debugging dialogue drawn, say) are skipped; there is no
    interval when a side has fewer than two dialogues.
    """
    fn = METRICS[metric].fn
    paired = pair_up(a, b)
    if paired is not None:
        a, b = paired
    value_a, value_b = fn(a), fn(b)
    diff = None if value_a is None or value_b is None else value_b - value_a
    interval = None
    if diff is not None:

        def difference(ra: list[DialogueScore], rb: list[DialogueScore]) -> float | None:
            va, vb = fn(ra), fn(rb)
            return None if va is None or vb is None else vb - va

        interval = bootstrap_interval(
            difference, a, b, paired=paired is not None, resamples=samples, seed=seed, confidence=confidence
        )
    low, high = interval or (None, None)
    return Difference(metric, value_a, value_b, diff, low, high, paired is not None, len(a), len(b))


__all__ = [
    "DEBUGGING",
    "HEADLINE",
    "METRICS",
    "Difference",
    "Metric",
    "bootstrap_difference",
    "group",
    "metric_values",
    "pair_up",
    "success_at_k",
    "summarise",
    "telling_at_k",
]
