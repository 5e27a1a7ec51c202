"""Pre-empting the forecast misconception, measured with rule-based simulated students.

The same students and problems as the hint-budget evaluation, tutored with no budget, once as usual and
once with `TutorConfig.preempt_misconception` (the first question on a step heads off the misconception the
tutor forecasts, `tutor.preempt`). On every step the tutor opens with a forecast, in both arms: is the
student's first answer the forecast wrong answer, and is it right? Per student, then the mean with a 95%
bootstrap interval over students; the paired difference (pre-empt - not) is per student too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from evals.practice_loop import mean_ci


class BudgetResult(Protocol):
    """What this needs of `evals.hint_budget_eval.BudgetResult` (which imports this module)."""

    profile_id: str
    seed: int
    policy: str
    problems: int
    solved: int
    first_answers: list[tuple[str | None, str | None, bool]]


ARMS = ("no_budget", "preempt")


def _forecast_steps(r: BudgetResult) -> list[tuple[str | None, str | None, bool]]:
    return [row for row in r.first_answers if row[0] is not None]


def _share(r: BudgetResult, which: str) -> float | None:
    rows = _forecast_steps(r)
    if not rows:
        return None
    if which == "forecast_given":
        return sum(wrong == forecast for forecast, wrong, _ in rows) / len(rows)
    return sum(right for _, _, right in rows) / len(rows)


def summarize_preempt(results: Sequence[BudgetResult]) -> dict[str, Any]:
    """Per arm: forecast steps, the share of them answered first with the forecast wrong answer, the share
    answered right, the solve rate; and the paired differences pre-empt - no pre-empt."""
    by_arm = {arm: {(r.profile_id, r.seed): r for r in results if r.policy == arm} for arm in ARMS}
    summary: dict[str, Any] = {}
    for arm, rows in by_arm.items():
        summary[arm] = {
            "forecast_steps": sum(len(_forecast_steps(r)) for r in rows.values()),
            "steps_opened": sum(len(r.first_answers) for r in rows.values()),
            "forecast_given": mean_ci([v for r in rows.values() if (v := _share(r, "forecast_given")) is not None]),
            "first_right": mean_ci([v for r in rows.values() if (v := _share(r, "first_right")) is not None]),
            "solve_rate": mean_ci([r.solved / r.problems for r in rows.values()]),
        }
    off, on = by_arm["no_budget"], by_arm["preempt"]
    wrong = [(f, w) for r in off.values() for f, w, right in _forecast_steps(r) if not right and w is not None]
    # The tutor-side forecast's top-1 hit rate on the first answers that were a known wrong answer (no pre-empt).
    summary["forecast_top1_on_wrong"] = round(sum(f == w for f, w in wrong) / len(wrong), 4) if wrong else None
    summary["wrong_first_answers"] = len(wrong)
    for which in ("forecast_given", "first_right"):
        deltas = []
        for key, r in on.items():
            a, b = _share(r, which), _share(off[key], which) if key in off else None
            if a is not None and b is not None:
                deltas.append(a - b)
        summary[f"preempt_minus_no_preempt_{which}"] = mean_ci(deltas)
    return summary


def preempt_markdown(summary: dict[str, Any], cell: Any) -> list[str]:
    """The report's section on the pre-empt (`cell` formats a mean with its interval)."""
    lines = [
        "## Pre-empting the forecast misconception (no budget)",
        "",
        "The same students, tutored with no budget, as usual and with the first question on each step aimed at "
        "the misconception the tutor forecasts (`TutorConfig.preempt_misconception`). Counted on the steps the "
        "tutor opens after an advance with a forecast (it forecasts only from misconceptions it has seen the "
        "student show, in this or an earlier problem).",
        "",
        "| tutor | steps opened (with a forecast) | first answer is the forecast wrong answer | first answer right "
        "| solve rate |",
        "|---|---|---|---|---|",
    ]
    for arm, name in zip(ARMS, ("as usual", "pre-empting"), strict=True):
        f = summary[arm]
        lines.append(
            f"| {name} | {f['steps_opened']} ({f['forecast_steps']}) | {cell(f['forecast_given'])} "
            f"| {cell(f['first_right'])} | {cell(f['solve_rate'])} |"
        )
    given = summary["preempt_minus_no_preempt_forecast_given"]
    right = summary["preempt_minus_no_preempt_first_right"]
    top1 = summary["forecast_top1_on_wrong"]
    lines += [
        "",
        f"Paired per student, pre-empting - as usual: forecast wrong answer given {cell(given)}, first answer right "
        f"{cell(right)}. Without the pre-empt, the tutor's forecast names the misconception of "
        f"{'-' if top1 is None else f'{top1:.2f}'} of the {summary['wrong_first_answers']} first answers that were a "
        "known wrong answer (top-1; its only evidence is the misconceptions it saw earlier).",
        "",
        "What this can and cannot show: the rule-based student, reading a question that restates a "
        "misconception's authored feedback, loosens that misconception by its learning rate before it answers, "
        "so an effect here is partly built into the simulator; whether a real student's first answer changes "
        "is not shown. The two arms' dialogues diverge after the first pre-empt, so later steps are opened in "
        "different states (the comparison is per student, not per step). The flag stays off by default until "
        "it is measured with real students or a model-voiced student.",
    ]
    return lines
