"""The IRT table of a cohort run (`irt.json`) and its report (`IRT.md`, `irt_vs_hand.png`).

Per problem and per step: 2PL difficulty and discrimination (`student_sim.irt`), the share of first
answers right, and the hand-written difficulty; the Spearman rank correlation of the fitted difficulties
with the hand labels; the fit's reliability. Every figure comes from rule-based simulated students.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from student_sim.cohort import Attempt, SteppedProblem
from student_sim.irt import DISCRIMINATION_BOUNDS, IrtFit, ItemFit, fit_2pl, response_matrix

LABEL = "rule-based simulated students (first answer per step, no tutoring); no real student answered"
TABLE = "irt.json"
REPORT = "IRT.md"
PLOT = "irt_vs_hand.png"


def fit_cohort(attempts: Sequence[Attempt], problems: Sequence[SteppedProblem]) -> tuple[IrtFit, IrtFit]:
    """Two fits on the same students: items = steps, and items = whole problems (every step right)."""
    students = sorted({a.student for a in attempts})
    step_items = [f"{p.id}/{s.id}" for p in problems for s in p.steps]
    problem_items = [p.id for p in problems]
    by_step: dict[tuple[str, str], bool] = {}
    by_problem: dict[tuple[str, str], bool] = {}
    known = set(problem_items)
    for a in attempts:
        if a.problem_id not in known:
            continue
        for r in a.responses:
            by_step[(f"{a.problem_id}/{r.step}", a.student)] = r.correct
        by_problem[(a.problem_id, a.student)] = all(r.correct for r in a.responses)
    steps = fit_2pl(response_matrix(by_step, step_items, students), step_items)
    whole = fit_2pl(response_matrix(by_problem, problem_items, students), problem_items)
    return steps, whole


def spearman(pairs: Sequence[tuple[float, float]]) -> dict[str, float | int | None]:
    """Spearman's rho with its p-value over (x, y) pairs (None with fewer than 3)."""
    from scipy.stats import spearmanr

    if len(pairs) < 3:
        return {"rho": None, "p_value": None, "n": len(pairs)}
    result = spearmanr([x for x, _ in pairs], [y for _, y in pairs])
    return {"rho": float(result.statistic), "p_value": float(result.pvalue), "n": len(pairs)}


def _item_json(item: ItemFit) -> dict[str, Any]:
    data: dict[str, Any] = {
        "difficulty": None if item.difficulty is None else round(item.difficulty, 4),
        "discrimination": None if item.discrimination is None else round(item.discrimination, 4),
        "p_correct": round(item.p_correct, 4),
        "responses": item.responses,
    }
    if item.note:
        data["not_fitted"] = item.note
    return data


def build_table(
    attempts: Sequence[Attempt], problems: Sequence[SteppedProblem], cohort: dict[str, Any]
) -> dict[str, Any]:
    """The IRT table: per problem (and its steps) parameters, correlations with the hand labels, reliability."""
    steps, whole = fit_cohort(attempts, problems)
    step_fit = {item.item: item for item in steps.items}
    table: dict[str, Any] = {}
    hand_vs_b, hand_vs_mean_b, hand_vs_p = [], [], []
    for problem, item in zip(problems, whole.items, strict=True):
        step_items = [step_fit[f"{problem.id}/{s.id}"] for s in problem.steps]
        fitted_b = [s.difficulty for s in step_items if s.difficulty is not None]
        mean_b = sum(fitted_b) / len(fitted_b) if fitted_b else None
        table[problem.id] = {
            **_item_json(item),
            "mean_step_difficulty": None if mean_b is None else round(mean_b, 4),
            "hand_difficulty": problem.difficulty,
            "steps": {s.id: _item_json(fit) for s, fit in zip(problem.steps, step_items, strict=True)},
        }
        if problem.difficulty is not None:
            if item.difficulty is not None:
                hand_vs_b.append((float(problem.difficulty), item.difficulty))
            if mean_b is not None:
                hand_vs_mean_b.append((float(problem.difficulty), mean_b))
            hand_vs_p.append((float(problem.difficulty), -item.p_correct))
    return {
        "label": LABEL,
        "model": "2PL, marginal maximum likelihood",
        "library": f"girth {version('girth')}",
        "cohort": {
            **cohort,
            "profiles": len({a.profile_id for a in attempts}),  # those that answered (domains may skip some)
            "students": steps.students,
            "attempts": len(attempts),
        },
        "reliability": {
            "steps": {
                "marginal": _round(steps.marginal_reliability),
                "split_half": _round(steps.split_half_reliability),
            },
            "problems": {
                "marginal": _round(whole.marginal_reliability),
                "split_half": _round(whole.split_half_reliability),
            },
        },
        "spearman_with_hand_difficulty": {
            "problem_difficulty": spearman(hand_vs_b),
            "mean_step_difficulty": spearman(hand_vs_mean_b),
            "share_wrong": spearman(hand_vs_p),
        },
        "items": {
            "steps": len(steps.items),
            "steps_not_fitted": sum(1 for i in steps.items if i.difficulty is None),
            "steps_discrimination_at_bounds": steps.at_bounds,
            "problems": len(whole.items),
            "problems_not_fitted": sum(1 for i in whole.items if i.difficulty is None),
            "problems_discrimination_at_bounds": whole.at_bounds,
        },
        "problems": table,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def write_calibration(table: dict[str, Any], out_dir: Path) -> list[Path]:
    """irt.json, IRT.md and the scatter plot of fitted against hand difficulty."""
    out_dir.mkdir(parents=True, exist_ok=True)
    table_path, report_path, plot_path = out_dir / TABLE, out_dir / REPORT, out_dir / PLOT
    table_path.write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    _plot(table, plot_path)
    report_path.write_text(render_report(table, plot_path.name), encoding="utf-8")
    return [table_path, report_path, plot_path]


def _plot(table: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = [
        (row["hand_difficulty"], row["difficulty"])
        for row in table["problems"].values()
        if row["hand_difficulty"] is not None and row["difficulty"] is not None
    ]
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter([x for x, _ in points], [y for _, y in points], alpha=0.6)
    ax.set_xlabel("hand-written difficulty (1-5)")
    ax.set_ylabel("2PL difficulty b (problem as one item)")
    ax.set_title("Simulated cohort (rule-based students)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def render_report(table: dict[str, Any], plot_name: str) -> str:
    """The Markdown report of an IRT table."""
    rel, rho, items, cohort = (
        table["reliability"],
        table["spearman_with_hand_difficulty"],
        table["items"],
        table["cohort"],
    )

    def corr(key: str) -> str:
        r = rho[key]
        return "-" if r["rho"] is None else f"{r['rho']:.3f} (p = {r['p_value']:.3g}, n = {r['n']})"

    hardest = sorted(
        ((pid, row) for pid, row in table["problems"].items() if row["difficulty"] is not None),
        key=lambda kv: -kv[1]["difficulty"],
    )
    rows = [
        f"| {pid} | {row['hand_difficulty']} | {row['difficulty']:.2f} | {row['discrimination']:.2f} | "
        f"{row['p_correct']:.2f} |"
        for pid, row in hardest
    ]
    return "\n".join(
        [
            "# Item calibration by a simulated cohort",
            "",
            f"**{table['label']}.** {cohort['students']} students ({cohort['profiles']} profiles x "
            f"{len(cohort['seeds'])} seeds), {cohort['attempts']} attempts, problems: {cohort['problems']}. "
            f"Fit: {table['model']} ({table['library']}).",
            "",
            f"Items: {items['steps']} steps ({items['steps_not_fitted']} answered the same by every student, not "
            f"fitted); {items['problems']} problems as one item each (right = every step right; "
            f"{items['problems_not_fitted']} not fitted). Discrimination on the edge of girth's search interval "
            f"{list(DISCRIMINATION_BOUNDS)} (a censored estimate): {items['steps_discrimination_at_bounds']} steps, "
            f"{items['problems_discrimination_at_bounds']} problems.",
            "",
            "| figure | steps as items | problems as items |",
            "| --- | --- | --- |",
            f"| marginal reliability (EAP) | {_fmt(rel['steps']['marginal'])} | {_fmt(rel['problems']['marginal'])} |",
            f"| split-half reliability (odd/even, Spearman-Brown) | {_fmt(rel['steps']['split_half'])} | "
            f"{_fmt(rel['problems']['split_half'])} |",
            "",
            "Spearman rank correlation with the hand-written difficulty (1-5):",
            "",
            f"* 2PL difficulty of the problem as one item: {corr('problem_difficulty')}",
            f"* mean 2PL difficulty of its steps: {corr('mean_step_difficulty')}",
            f"* share of students not solving it (classical, no IRT): {corr('share_wrong')}",
            "",
            f"![fitted against hand difficulty]({plot_name})",
            "",
            "What the simulated difficulty can and cannot see: the rule-based student gets a step right with "
            "probability = its mastery of the step's concepts, and gives a step's typical wrong answer when it "
            "holds that misconception. A step's fitted difficulty therefore reflects which concepts the profile "
            "library is weak on and which misconceptions it holds, not reading load or number size, which the "
            "hand labels weigh. A problem taken as one item is harder the more steps it has (every step must be "
            "right), which the hand labels also weigh.",
            "",
            "Reliability is of this cohort, not of a real class: the students of one profile share its masteries "
            "and differ only by seed, so abilities spread between profiles far more than within them, which "
            "raises both reliability figures.",
            "",
            "| problem | hand | b | a | share right |",
            "| --- | --- | --- | --- | --- |",
            *rows,
            "",
        ]
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
