"""Judges against human labels they were not tuned on: the calibration run of `socratic eval calibrate`.

The labelled file is split by conversation (`evals.calibration_split`). On the calibration half the
majority-class baseline takes its labels and the learned judge is trained; on the test half both are
measured, and the LLM judges on a seeded sample of it (an LLM judge on the bundled model takes seconds per
response). Every judge is set beside the majority baseline on the same items: macro-F1 difference with a
paired, seeded bootstrap 95% interval, and beside the best published BEA 2025 figures.

    suite = run_suite(records, data="mrbench_v3_devset.json", llm_judges={"local": Judge(model)}, sample_size=80)
    print(render_suite_markdown(suite))

`judge_calibration(spec)` reads the committed figures of a judge (`datasets/evals/calibration/bea2025-dev/`),
for eval reports to print next to the scores that judge gave.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evals.calibrate import (
    NONE,
    CalibrationItem,
    CalibrationReport,
    MajorityJudge,
    calibrate,
    confusion_markdown,
)
from evals.calibration_split import SEED, split_for, subsample
from evals.config import evals_dir
from evals.judge import JudgeLike, is_learned
from student_sim.bootstrap import bootstrap_interval
from tutor.problems.labelled import LabelledTutorResponse

MAJORITY = "majority"
LEARNED = "learned"
RESULTS = Path("calibration") / "bea2025-dev" / "calibration.json"  # under datasets/evals/
BOOTSTRAP = 2000
# Best macro-F1 of the BEA 2025 shared task, 3-class "exact" tracks, on the official test set (Kochmar et al.
# 2025, "Findings of the BEA 2025 Shared Task", arXiv:2507.10579). The findings give the best of the four
# pedagogical tracks as ranging from 58.34 (guidance) to 71.81 (mistake identification).
PUBLISHED_BEST: dict[str, float] = {"mistake_identification": 0.7181, "providing_guidance": 0.5834}
PUBLISHED_NOTE = (
    "best BEA 2025 shared-task macro-F1 (3-class exact track, official test set; Kochmar et al. 2025, "
    "arXiv:2507.10579); those systems were trained on the whole dev set and scored on another set, so the "
    "figures are a reference, not a like-for-like comparison"
)


@dataclass(frozen=True)
class JudgeRun:
    """One judge on one subset: `test` (the whole test half) or `sample` (the LLM judges' sample of it)."""

    judge: str
    subset: str
    report: CalibrationReport


@dataclass(frozen=True)
class Comparison:
    """A judge against the majority baseline on one dimension, on the same items."""

    judge: str
    subset: str
    dimension: str
    n: int
    accuracy: float | None
    macro_f1: float | None
    kappa: float | None
    majority_accuracy: float | None
    majority_macro_f1: float | None
    delta_macro_f1: float | None
    ci95: tuple[float, float] | None  # paired bootstrap interval of delta_macro_f1
    published_best_macro_f1: float | None

    @property
    def beats_majority(self) -> bool:
        """Higher macro-F1 than the majority baseline on the same items."""
        return self.delta_macro_f1 is not None and self.delta_macro_f1 > 0

    @property
    def clearly_beats_majority(self) -> bool:
        """Beats it with the whole bootstrap interval above zero."""
        return self.ci95 is not None and self.ci95[0] > 0


@dataclass(frozen=True)
class CalibrationSuite:
    """Every judge run of one calibration, and each judge against the majority baseline."""

    data: str
    split: str
    seed: int
    halves: dict[str, dict[str, int]]  # half -> {"conversations", "responses"}
    sample_size: int  # responses of the test half the LLM judges saw (0: no LLM judge)
    runs: list[JudgeRun]
    comparisons: list[Comparison]
    learned_info: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Figures of every run; per-response verdicts only for the LLM judges (slow to redo)."""
        runs = []
        for r in self.runs:
            entry: dict[str, Any] = {
                "judge": r.judge,
                "subset": r.subset,
                "items": len(r.report.items),
                "unlabelled": r.report.unlabelled,
                "dimensions": [{**asdict(d), "coverage": d.coverage} for d in r.report.dimensions],
            }
            if r.judge not in (MAJORITY, LEARNED):
                entry["verdicts"] = [asdict(i) for i in r.report.items]
            runs.append(entry)
        return {
            "data": self.data,
            "split": self.split,
            "seed": self.seed,
            "halves": self.halves,
            "sample_size": self.sample_size,
            "published_best_macro_f1": PUBLISHED_BEST,
            "published_note": PUBLISHED_NOTE,
            "learned_judge": self.learned_info,
            "comparisons": [
                {**asdict(c), "beats_majority": c.beats_majority, "clearly_beats_majority": c.clearly_beats_majority}
                for c in self.comparisons
            ],
            "runs": runs,
            "skipped": self.skipped,
        }


def bootstrap_delta(
    human: Sequence[str],
    judge: Sequence[str],
    baseline: Sequence[str],
    *,
    samples: int = BOOTSTRAP,
    seed: int = SEED,
) -> tuple[float, float] | None:
    """Paired percentile bootstrap 95% interval of macro-F1(judge) - macro-F1(baseline) over items (None for
    fewer than two items).

    The label set of each macro average is fixed to the labels present in the full sample (as the point
    estimate uses), so every resample averages over the same classes.
    """
    codes = {c: k for k, c in enumerate(sorted(set(human) | set(judge) | set(baseline)))}
    h, j, b = (np.array([codes[x] for x in seq]) for seq in (human, judge, baseline))

    def macro(hs: np.ndarray, pred: np.ndarray, present: set[str]) -> np.ndarray:
        f1 = []
        for label in sorted(present - {NONE}):
            c = codes[label]
            tp = ((hs == c) & (pred == c)).sum(axis=-1)
            denom = (pred == c).sum(axis=-1) + (hs == c).sum(axis=-1)
            f1.append(np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0))
        return np.mean(f1, axis=0)

    def delta(hs: np.ndarray, js: np.ndarray, bs: np.ndarray) -> np.ndarray:
        return macro(hs, js, set(human) | set(judge)) - macro(hs, bs, set(human) | set(baseline))

    return bootstrap_interval(delta, h, j, b, paired=True, vectorized=True, resamples=samples, seed=seed)


def _labels(report: CalibrationReport, dimension: str) -> tuple[list[str], list[str]]:
    pairs = [
        (h, (i.judge or {}).get(dimension) or NONE) for i in report.items if (h := i.human.get(dimension)) is not None
    ]
    return [h for h, _ in pairs], [j for _, j in pairs]


def compare(run: JudgeRun, majority: JudgeRun, *, seed: int = SEED) -> list[Comparison]:
    """The judge of `run` against the majority run on the same items, per dimension."""
    base = {d.dimension: d for d in majority.report.dimensions}
    out = []
    for d in run.report.dimensions:
        m = base.get(d.dimension)
        human, judged = _labels(run.report, d.dimension)
        _, baseline = _labels(majority.report, d.dimension)
        delta = None if m is None or d.macro_f1 is None or m.macro_f1 is None else d.macro_f1 - m.macro_f1
        ci = bootstrap_delta(human, judged, baseline, seed=seed) if delta is not None and len(human) > 1 else None
        out.append(
            Comparison(
                judge=run.judge,
                subset=run.subset,
                dimension=d.dimension,
                n=d.n,
                accuracy=d.accuracy,
                macro_f1=d.macro_f1,
                kappa=d.kappa,
                majority_accuracy=m.accuracy if m else None,
                majority_macro_f1=m.macro_f1 if m else None,
                delta_macro_f1=delta,
                ci95=ci,
                published_best_macro_f1=PUBLISHED_BEST.get(d.dimension),
            )
        )
    return out


def run_suite(
    records: Sequence[LabelledTutorResponse],
    *,
    data: str,
    llm_judges: Mapping[str, JudgeLike] | None = None,
    learned: bool = True,
    sample_size: int | None = 80,
    seed: int = SEED,
    skipped: Sequence[str] = (),
    done: Mapping[str, Mapping[str, dict[str, str] | None]] | None = None,
    on_item: Callable[[str, CalibrationItem], None] | None = None,
) -> CalibrationSuite:
    """Split, train, judge and compare (see the module docstring).

    Args:
        llm_judges: judges by spec, run on `sample_size` responses of the test half (None: all of it).
        done: per LLM judge spec, labels already obtained by record id (a resumed calibration).
        on_item: called with (spec, item) for each newly judged response of an LLM judge.
    """
    split, how = split_for((r.conversation_id for r in records), seed)
    calibration, test = split.partition(records)
    majority = MajorityJudge(calibration)
    runs = [JudgeRun(MAJORITY, "test", calibrate(test, majority, judge_spec=MAJORITY, data=data))]
    learned_judge = None
    info: dict[str, Any] = {}
    if learned:
        from evals.learned_judge import train_learned_judge

        learned_judge = train_learned_judge(calibration, seed=seed, info={"split": how, "seed": seed})
        info = learned_judge.info
        runs.append(JudgeRun(LEARNED, "test", calibrate(test, learned_judge, judge_spec=LEARNED, data=data)))
    sample = subsample(test, sample_size, seed) if llm_judges else []
    if llm_judges:
        runs.append(JudgeRun(MAJORITY, "sample", calibrate(sample, majority, judge_spec=MAJORITY, data=data)))
        if learned_judge is not None:
            runs.append(JudgeRun(LEARNED, "sample", calibrate(sample, learned_judge, judge_spec=LEARNED, data=data)))
        for spec, judge in llm_judges.items():

            def save(item: CalibrationItem, spec: str = spec) -> None:
                if on_item is not None:
                    on_item(spec, item)

            report = calibrate(sample, judge, judge_spec=spec, data=data, done=(done or {}).get(spec), on_item=save)
            runs.append(JudgeRun(spec, "sample", report))
    baselines = {r.subset: r for r in runs if r.judge == MAJORITY}
    comparisons = [c for r in runs if r.judge != MAJORITY for c in compare(r, baselines[r.subset], seed=seed)]
    halves = {
        "calibration": {"conversations": len(split.calibration), "responses": len(calibration)},
        "test": {"conversations": len(split.test), "responses": len(test)},
    }
    return CalibrationSuite(data, how, seed, halves, len(sample), runs, comparisons, info, list(skipped))


# --------------------------------------------------------------------------------------------- Markdown


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _subset(suite: CalibrationSuite, subset: str) -> str:
    test = suite.halves["test"]["responses"]
    return f"test half, {test} responses" if subset == "test" else f"seeded sample of {suite.sample_size}"


def verdict_lines(suite: CalibrationSuite) -> list[str]:
    """One plain sentence per judge: on which dimensions it beats the majority baseline (macro-F1)."""
    lines = []
    for judge, subset in dict.fromkeys((c.judge, c.subset) for c in suite.comparisons):
        mine = [c for c in suite.comparisons if (c.judge, c.subset) == (judge, subset)]
        beats = [c for c in mine if c.beats_majority]
        lose = [c for c in mine if not c.beats_majority]

        def show(cs: list[Comparison]) -> str:
            return ", ".join(
                f"{c.dimension} ({_num(c.macro_f1)} vs {_num(c.majority_macro_f1)}"
                + (
                    ""
                    if not c.beats_majority or c.ci95 is None
                    else ", 95% interval above 0"
                    if c.clearly_beats_majority
                    else ", but the 95% interval includes 0"
                )
                + ")"
                for c in cs
            )

        text = f"- `{judge}` ({_subset(suite, subset)}): "
        text += f"beats the majority baseline on {show(beats)}" if beats else "beats the majority baseline on none"
        text += f"; does not on {show(lose)}." if lose else "."
        lines.append(text)
    return lines


def _comparison_row(c: Comparison) -> str:
    ci = f" [{c.ci95[0]:+.2f}, {c.ci95[1]:+.2f}]" if c.ci95 else ""
    delta = "-" if c.delta_macro_f1 is None else f"{c.delta_macro_f1:+.2f}{ci}"
    return (
        f"| {c.dimension} | {c.judge} ({c.subset}) | {c.n} | {_num(c.accuracy)} | {_num(c.macro_f1)} | "
        f"{_num(c.kappa)} | {delta} | {_num(c.published_best_macro_f1)} |"
    )


def render_suite_markdown(suite: CalibrationSuite) -> str:
    """The calibration as Markdown: the plain verdicts, the figures per dimension, the confusion matrices."""
    cal, test = suite.halves["calibration"], suite.halves["test"]
    lines = [
        f"# Judge calibration on `{suite.data}`",
        "",
        f"Split by conversation, {suite.split}: calibration half {cal['conversations']} conversations / "
        f"{cal['responses']} responses (the majority baseline's labels, the learned judge's training data); test "
        f"half {test['conversations']} conversations / {test['responses']} responses (every figure below)."
        + (
            f" LLM judges: a seeded sample of {suite.sample_size} test responses, beside the other judges on the "
            "same sample."
            if suite.sample_size
            else ""
        ),
        "",
        "## Which judge beats the majority baseline (macro-F1, same items)",
        "",
        *verdict_lines(suite),
        "",
        "## Per dimension",
        "",
        "Δ: macro-F1 minus the majority baseline's on the same items, paired bootstrap 95% interval. "
        f"Published: {PUBLISHED_NOTE}.",
        "",
        "| Dimension | Judge | Items | Accuracy | Macro-F1 | Cohen's kappa | Δ macro-F1 [95% CI] | Published best |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in suite.runs:
        if r.judge != MAJORITY:
            continue
        for d in r.report.dimensions:
            lines.append(
                f"| {d.dimension} | majority ({r.subset}) | {d.n} | {_num(d.accuracy)} | {_num(d.macro_f1)} | "
                f"{_num(d.kappa)} | | {_num(PUBLISHED_BEST.get(d.dimension))} |"
            )
            for c in suite.comparisons:
                if (c.subset, c.dimension) == (r.subset, d.dimension):
                    lines.append(_comparison_row(c))
    lines += ["", "## Confusion matrices (rows: human label; columns: judge label)", ""]
    for r in suite.runs:
        if r.judge == MAJORITY:
            continue
        for d in r.report.dimensions:
            lines += confusion_markdown(d, f"### `{r.judge}` ({r.subset}): {d.dimension}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------- stored figures


def judge_key(spec: str) -> str:
    """The name a judge's figures are stored under: `learned` for any learned-judge spec, else the spec."""
    return LEARNED if is_learned(spec) else spec


def judge_calibration(judge_spec: str, path: str | Path | None = None) -> dict[str, Any] | None:
    """The committed calibration figures of a judge on the BEA 2025 dev test half, or None when that judge
    was not calibrated.

    Returns `{"judge", "data", "subset", "items", "source", "dimensions": {dimension: {"accuracy",
    "macro_f1", "kappa", "majority_accuracy", "majority_macro_f1", "delta_macro_f1", "ci95",
    "beats_majority", "published_best_macro_f1"}}}`; the whole test half when the judge ran on it, else
    the LLM sample.
    """
    path = Path(path) if path is not None else evals_dir() / RESULTS
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    key = judge_key(judge_spec)
    mine = [c for c in stored.get("comparisons", []) if c.get("judge") == key]
    if not mine:
        return None
    subset = "test" if any(c["subset"] == "test" for c in mine) else mine[0]["subset"]
    fields = ("accuracy", "macro_f1", "kappa", "majority_accuracy", "majority_macro_f1", "delta_macro_f1")
    dims = {
        c["dimension"]: {
            **{f: c.get(f) for f in fields},
            "ci95": c.get("ci95"),
            "beats_majority": c.get("beats_majority"),
            "published_best_macro_f1": c.get("published_best_macro_f1"),
        }
        for c in mine
        if c["subset"] == subset
    }
    items = max(c["n"] for c in mine if c["subset"] == subset)
    return {
        "judge": key,
        "data": stored.get("data"),
        "subset": subset,
        "items": items,
        "source": str(path),
        "dimensions": dims,
    }


__all__ = [
    "LEARNED",
    "MAJORITY",
    "PUBLISHED_BEST",
    "CalibrationSuite",
    "Comparison",
    "JudgeRun",
    "bootstrap_delta",
    "compare",
    "judge_calibration",
    "judge_key",
    "render_suite_markdown",
    "run_suite",
    "verdict_lines",
]
