"""Precision and coverage of hint validation over its knobs, computed from stored records without a model.

For each knob setting (alpha, beta) or threshold, every problem's stored trials are decided again in order
(`decide_from_records`); the first accepted trial is the hint that problem would get.

- coverage  = problems that get a hint / problems that needed one (a failing test was found);
- precision = hints that are truly useful / hints given that have a usefulness judgement.

"Truly useful" is a human label when the record carries one (`TrialRecord.label_useful`), else a proxy
measured apart from the decision: a held-out batch of with-hint repair attempts (`HintConfig.holdout`,
different seeds from the validation attempts) succeeds at a rate >= `useful_level` (default 0.5). A hint
with neither is left out of the precision denominator and counted in `unjudged`.

A problem is `undetermined` at a setting when its stored attempts cannot settle it there: an early-stopped
validation read under a stricter rule, or all stored trials rejected while the generator stopped early
(a later trial might have been accepted). Such problems are left out of both ratios and counted. Records
made with `HintConfig(full=True)` (CLI: `--curve-data`) settle every setting.

    points = curve_points(records, mode="gpt4hints")
    plot_curve(points, Path("curve.png"))        # the evals reuse this
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from student_sim.hint_validation import Mode, ValidationConfig, decide_from_records
from student_sim.hints import HintRecord, TrialRecord
from tutor.errors import InputDataError

ALPHAS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
BETAS = (0.0, 0.1, 0.25, 0.4, 0.6, 1.0)
THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


class CurvePoint(BaseModel):
    """Precision and coverage at one knob setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Mode
    alpha: float | None = None
    beta: float | None = None
    threshold: float | None = None
    problems: int = Field(description="Problems that needed a hint and are settled at this setting.")
    covered: int = Field(description="Of those, problems that get an accepted hint.")
    judged: int = Field(description="Covered problems whose hint has a usefulness judgement.")
    useful: int = Field(description="Judged hints that are truly useful.")
    unjudged: int = 0
    undetermined: int = 0
    coverage: float | None = None
    precision: float | None = None

    @property
    def label(self) -> str:
        if self.mode == "pyfixv":
            return f"t={self.threshold:g}"
        return f"a={self.alpha:g},b={self.beta:g}"


def truly_useful(trial: TrialRecord, useful_level: float = 0.5) -> bool | None:
    """The ground truth for precision: the human label, else the held-out success rate, else None."""
    if trial.label_useful is not None:
        return trial.label_useful
    if trial.validation is None or not trial.validation.holdout:
        return None
    held = trial.validation.holdout
    return sum(a.success for a in held) / len(held) >= useful_level - 1e-9


class Slot(NamedTuple):
    """One place a hint is handed out (a problem, or one level of a bug's ladder): its trials in the order
    they were written, and whether the writer used its whole trial budget (else a later trial might have
    been accepted where every stored one is rejected)."""

    trials: Sequence[Any]  # each has `.validation: ValidationRecord | None`
    exhausted: bool


def record_slot(record: HintRecord) -> Slot:
    return Slot(record.trials, record.config.full or len(record.trials) >= record.config.max_trials)


def _outcome(slot: Slot, config: ValidationConfig) -> Any:
    """The trial this setting would hand out, None for no hint, or "undetermined"."""
    for trial in slot.trials:
        if trial.validation is None:
            continue  # no hint came back: a rejected trial under any knobs
        decision = decide_from_records(trial.validation, config)
        if decision is None:
            return "undetermined"
        if decision:
            return trial
    return None if slot.exhausted else "undetermined"


def curve_point(records: Sequence[HintRecord], config: ValidationConfig, useful_level: float = 0.5) -> CurvePoint:
    """Precision and coverage of `records` when validated with `config` (same n as the records)."""
    slots = [record_slot(r) for r in records if r.status != "no_failing_test"]
    return slots_point(slots, config, lambda trial: truly_useful(trial, useful_level))


def slots_point(slots: Sequence[Slot], config: ValidationConfig, judge: Callable[[Any], bool | None]) -> CurvePoint:
    """Precision and coverage over hint slots; `judge` says whether a handed-out trial is truly useful
    (None: no judgement)."""
    problems = covered = judged = useful = unjudged = undetermined = 0
    for slot in slots:
        outcome = _outcome(slot, config)
        if outcome == "undetermined":
            undetermined += 1
            continue
        problems += 1
        if outcome is None:
            continue
        covered += 1
        verdict = judge(outcome)
        if verdict is None:
            unjudged += 1
        else:
            judged += 1
            useful += verdict
    return CurvePoint(
        mode=config.mode,
        alpha=config.alpha if config.mode == "gpt4hints" else None,
        beta=config.beta if config.mode == "gpt4hints" else None,
        threshold=config.threshold if config.mode == "pyfixv" else None,
        problems=problems,
        covered=covered,
        judged=judged,
        useful=useful,
        unjudged=unjudged,
        undetermined=undetermined,
        coverage=covered / problems if problems else None,
        precision=useful / judged if judged else None,
    )


def records_n(records: Iterable[HintRecord]) -> int:
    """The attempts per arm the records were validated with (one value, or InputDataError)."""
    ns = {t.validation.config.n for r in records for t in r.trials if t.validation is not None}
    if len(ns) != 1:
        raise InputDataError(
            f"the records hold validations with n in {sorted(ns) or 'nothing'}",
            "a curve needs records validated with one n (and at least one validation)",
        )
    return ns.pop()


def curve_points(
    records: Sequence[HintRecord],
    mode: Mode = "gpt4hints",
    *,
    alphas: Sequence[float] = ALPHAS,
    betas: Sequence[float] = BETAS,
    thresholds: Sequence[float] = THRESHOLDS,
    useful_level: float = 0.5,
) -> list[CurvePoint]:
    """Points over a grid of (alpha, beta) for `gpt4hints`, or of thresholds for `pyfixv`."""
    configs = knob_settings(records_n(records), mode, alphas=alphas, betas=betas, thresholds=thresholds)
    return [curve_point(records, c, useful_level) for c in configs]


def knob_settings(
    n: int,
    mode: Mode,
    *,
    alphas: Sequence[float] = ALPHAS,
    betas: Sequence[float] = BETAS,
    thresholds: Sequence[float] = THRESHOLDS,
) -> list[ValidationConfig]:
    """The grid of a curve: (alpha, beta) for `gpt4hints`, thresholds for `pyfixv`."""
    if mode == "pyfixv":
        return [ValidationConfig(mode="pyfixv", n=n, threshold=t) for t in thresholds]
    return [ValidationConfig(n=n, alpha=a, beta=b) for b in betas for a in alphas]


def write_points(points: Sequence[CurvePoint], path: Path) -> Path:
    """The points as JSON (a list of objects)."""
    path.write_text(json.dumps([p.model_dump() for p in points], indent=2) + "\n", encoding="utf-8")
    return path


def _is_paper_default(p: CurvePoint) -> bool:
    if p.mode == "pyfixv":
        return p.threshold == 0.5
    return (p.alpha, p.beta) == (0.5, 0.25)


def plot_curve(points: Sequence[CurvePoint], path: Path, title: str | None = None) -> Path:
    """Precision against coverage, one line per beta (gpt4hints, along alpha) or along the threshold
    (pyfixv); the paper's default setting is ringed. Points without precision or coverage are skipped."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on servers and in tests
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    try:
        groups: dict[str, list[tuple[CurvePoint, float, float]]] = {}
        for p in points:
            if p.precision is None or p.coverage is None:
                continue
            key = "threshold" if p.mode == "pyfixv" else f"beta={p.beta:g}"
            groups.setdefault(key, []).append((p, p.coverage, p.precision))
        for key, members in groups.items():
            ax.plot([x for _, x, _ in members], [y for _, _, y in members], marker="o", ms=3, label=key)
            for p, x, y in members:
                if p.mode == "pyfixv":
                    ax.annotate(f"{p.threshold:g}", (x, y), fontsize=7)
                if _is_paper_default(p):
                    ax.scatter([x], [y], s=120, facecolors="none", edgecolors="black", label="default", zorder=3)
        ax.set_xlabel("coverage (problems given a hint)")
        ax.set_ylabel("precision (hints truly useful)")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(True, alpha=0.3)
        ax.set_title(title or f"Hint validation: precision vs coverage ({points[0].mode if points else ''})")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="lower left")
        fig.tight_layout()
        fig.savefig(path, dpi=120)
    finally:
        plt.close(fig)
    return path
