"""Evaluation of the hint budget: the student-model policy against random, always and never, same budget.

As in the seed paper (a teacher that decides when to explain, under a budget, from a model of the student),
the comparison only means something where the students need help and the budget binds:

- **Students who need help**: the math profiles (rule-based, reading only the tutor's words), each on the
  bank's problems it is least likely to get right on its own (lowest expected share of right first answers
  from its true mastery and misconceptions), so most problems have a step the student cannot do alone.
- **A budget that binds**: every policy gets the same budget of interventions per problem; an "always"
  tutor with no budget is run as well, to show how many interventions the students would get uncapped.
- **A student model with something to know**: the tutor carries what it measured about the student from
  problem to problem (as persisted mastery would), so the student-model policy is not guessing from the prior.

Reported per policy and budget, with 95% bootstrap intervals over students: the share of problems solved,
interventions per problem, the gain in true mastery, the gain per intervention, the extra problems solved
per intervention against the same student with no help, and how well the tutor's P(unaided) tracks the
student's true chance of a right answer (the simulator knows it, the tutor does not).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

import numpy as np
from scipy import stats

from evals.practice_loop import first_answer_accuracy, learned, mean_ci, true_mastery
from evals.preempt_eval import preempt_markdown, summarize_preempt
from student_sim.cognition import CognitiveModel
from student_sim.profiles import StudentProfile
from student_sim.runner import DialogueLimits, DialogueRun, RunInfo, StopReason
from student_sim.state import StudentState
from student_sim.student import StudentSimulator
from tutor.agent import TutorAgent, TutorConfig
from tutor.hint_budget import BudgetPolicy, HintBudget
from tutor.models.scripted import ScriptedChatModel
from tutor.practice import carry_mastery, measured_mastery
from tutor.preempt import forecast_misconception
from tutor.problems.schema import DebuggingProblem, Problem

POLICIES: tuple[BudgetPolicy, ...] = get_args(BudgetPolicy)
UNCAPPED = "always_uncapped"  # the reference arm: every planned intervention given, no budget
NEEDS_HELP = 0.5  # a student whose true chance of a right next answer is below this needs help


@dataclass
class BudgetResult:
    profile_id: str
    seed: int
    policy: str
    budget: int | None
    problems: int = 0
    solved: int = 0
    interventions: int = 0
    pre_mastery: float = 0.0
    post_mastery: float = 0.0
    pre_accuracy: float = 0.0
    post_accuracy: float = 0.0
    # Per budget decision: (the tutor's P(unaided), the student's true P(right next), given?)
    decisions: list[tuple[float, float, bool]] = field(default_factory=list)
    # Per step the tutor opened: (forecast misconception, the first answer's misconception, first answer right)
    first_answers: list[tuple[str | None, str | None, bool]] = field(default_factory=list)

    @property
    def gain(self) -> float:
        return self.post_mastery - self.pre_mastery


def own_accuracy(problem: Problem, profile: StudentProfile) -> float:
    """The student's expected share of right first answers on the problem (lower: needs more help)."""
    return first_answer_accuracy(profile, [problem])


def hardest_for(profile: StudentProfile, problems: Sequence[Problem], n: int) -> list[Problem]:
    """The `n` word problems this student is least likely to answer right on its own (ties by id)."""
    pool: list[Problem] = [p for p in problems if not isinstance(p, DebuggingProblem) and p.domain in profile.domains]
    return sorted(pool, key=lambda p: (own_accuracy(p, profile), p.id))[:n]


def true_p_next(model: CognitiveModel, state: StudentState, step_id: str | None) -> float | None:
    """The student's true chance of a right answer on the step next (mastery, lowered by a misconception
    or false belief that still decides the step's answer), from the simulator's hidden state."""
    if step_id is None or step_id in state.answered:
        return None
    p = model.p_correct(step_id, state)
    if step_id in state.understood:
        return p
    step = next(s for s in model.problem.steps if s.id == step_id)  # type: ignore[union-attr]
    slugs = {w.misconception for w in step.wrong_answers}
    deciding = max((v for k, v in state.misconceptions.items() if k in slugs), default=0.0)
    beliefs = [state.beliefs.get(b.statement, 0.0) for b in model.profile.false_beliefs if b.misconception in slugs]
    deciding = max([deciding, *beliefs])
    return round(p * (1 - deciding), 4)


@dataclass
class _Carried:
    """What the tutor carries about the student from problem to problem (as persisted records would)."""

    mastery: dict[str, float] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)


class _FirstAnswers:
    """The student's first answer on each step the tutor opens with a question (after an advance), against
    the misconception the tutor forecasts for it at that moment (`tutor.preempt`, pre-empted or not)."""

    def __init__(self, problem: Problem) -> None:
        self.steps = {s.id: s for s in getattr(problem, "steps", ())}
        self.pending: dict[str, str | None] = {}
        self.rows: list[tuple[str | None, str | None, bool]] = []

    def tutor_opened(self, run: DialogueRun, before: str | None) -> None:
        node = run.tutor_state.plan.current_node
        if node is None or node.id == before or node.attempts or node.ref not in self.steps:
            return
        state = run.tutor_state
        forecast = forecast_misconception(self.steps[node.ref], state.knowledge, state.misconceptions_seen)
        self.pending[node.ref] = forecast.misconception if forecast else None

    def student_said(self, record: str) -> None:
        intent = json.loads(record)["intent"]
        ref = intent.get("node_ref")
        if intent.get("kind") == "answer" and ref in self.pending:
            wrong = intent.get("misconception") if intent.get("correct") is False else None
            self.rows.append((self.pending.pop(ref), wrong, intent.get("correct") is True))


def _dialogue(
    problem: Problem,
    profile: StudentProfile,
    seed: int,
    config: TutorConfig,
    sandbox: Any,
    carried: _Carried,
    max_turns: int,
) -> tuple[DialogueRun, bool, list[tuple[float, float, bool]], _FirstAnswers]:
    """One tutored dialogue, the tutor starting from what it carried; with every budget decision and the
    student's first answers on the steps the tutor opened."""
    agent = TutorAgent(problem, ScriptedChatModel(replies=["What do you notice?"]), sandbox, config)
    student = StudentSimulator(problem, profile, policy="rules")
    limits = DialogueLimits(max_turns=max_turns, stuck_after=max_turns)
    run = DialogueRun(problem, profile, agent, student, seed, limits, RunInfo())
    run.start()
    start = carry_mastery(run.tutor_state, carried.mastery)
    run.tutor_state = start.model_copy(update={"misconceptions_seen": dict(carried.seen)})
    decisions: list[tuple[float, float, bool]] = []
    first = _FirstAnswers(problem)
    stop = None
    for _ in range(run.limits.max_turns):
        before = run.tutor_state.plan.current_node
        run.step()
        first.student_said(run.turns[-2].student_record)
        first.tutor_opened(run, before.id if before else None)
        decision = run.tutor_turn.decision
        if decision.intervention is not None and decision.p_unaided is not None and before is not None:
            truth = true_p_next(student.cognition, run.student_state, before.ref)
            if truth is not None:
                decisions.append((decision.p_unaided, truth, decision.intervention == "given"))
        if (stop := run.check_termination()) is not None:
            break
    return run, stop == StopReason.SOLVED, decisions, first


def run_student(
    problems: Sequence[Problem],
    profile: StudentProfile,
    seed: int,
    budget: HintBudget | None,
    sandbox: Any,
    max_turns: int,
    *,
    preempt: bool = False,
) -> BudgetResult:
    """One student through `problems` under `budget` (None: no budget, no counting), learning from problem
    to problem; the tutor carries what it measured (scaffold replies, no model call). `preempt`: the tutor
    aims the first question on a step at the forecast misconception (no budget then)."""
    policy = budget.policy if budget is not None else ("preempt" if preempt else "no_budget")
    result = BudgetResult(profile.id, seed, policy, budget.per_problem if budget is not None else None)
    result.pre_mastery, result.pre_accuracy = true_mastery(profile, problems), first_answer_accuracy(profile, problems)
    config = TutorConfig(composition="scaffold", hint_budget=budget, preempt_misconception=preempt)
    carried = _Carried()
    for problem in problems:
        run, solved, decisions, first = _dialogue(problem, profile, seed, config, sandbox, carried, max_turns)
        result.problems += 1
        result.solved += int(solved)
        result.interventions += run.tutor_state.interventions
        result.decisions += decisions
        result.first_answers += first.rows
        carried.mastery.update(measured_mastery(run.tutor_state.knowledge))
        carried.seen = dict(run.tutor_state.misconceptions_seen)
        profile = learned(profile, run.student_state)
    result.post_mastery = true_mastery(profile, problems)
    result.post_accuracy = first_answer_accuracy(profile, problems)
    return result


def _paired_extra(rows: Sequence[BudgetResult], never: dict[tuple[str, int], BudgetResult]) -> list[float]:
    """Per student: problems solved beyond the same student with no help, per intervention given."""
    return [(r.solved - never[(r.profile_id, r.seed)].solved) / r.interventions for r in rows if r.interventions]


def _paired_solve_delta(rows: Sequence[BudgetResult], other: Sequence[BudgetResult]) -> list[float]:
    by_student = {(r.profile_id, r.seed): r for r in other}
    return [
        (r.solved - by_student[(r.profile_id, r.seed)].solved) / r.problems
        for r in rows
        if (r.profile_id, r.seed) in by_student
    ]


def arm_figures(rows: Sequence[BudgetResult], never: dict[tuple[str, int], BudgetResult]) -> dict[str, Any]:
    """One arm's figures (see the module docstring)."""
    decisions = [d for r in rows for d in r.decisions]
    given = [truth for _, truth, g in decisions if g]
    rho = stats.spearmanr([d[0] for d in decisions], [d[1] for d in decisions]) if len(decisions) > 2 else None
    return {
        "students": len(rows),
        "solve_rate": mean_ci([r.solved / r.problems for r in rows]),
        "interventions_per_problem": mean_ci([r.interventions / r.problems for r in rows]),
        "mastery_gain": mean_ci([r.gain for r in rows]),
        "accuracy_gain": mean_ci([r.post_accuracy - r.pre_accuracy for r in rows]),
        "gain_per_intervention": mean_ci([r.gain / r.interventions for r in rows if r.interventions]),
        "extra_solved_per_intervention": mean_ci(_paired_extra(rows, never)) if never else mean_ci([]),
        "given_when_needed": round(sum(t < NEEDS_HELP for t in given) / len(given), 4) if given else None,
        "decisions": len(decisions),
        "p_unaided_median": round(float(np.median([d[0] for d in decisions])), 4) if decisions else None,
        "p_unaided_vs_true_spearman": None if rho is None else round(float(rho.statistic), 4),
    }


def summarize(results: Sequence[BudgetResult]) -> dict[str, Any]:
    """Figures per arm and budget: `{budget: {policy: figures}}`, the uncapped and never arms apart, and
    the paired solve-rate differences student_model - always / random at each budget."""
    never_rows = [r for r in results if r.policy == "never"]
    never = {(r.profile_id, r.seed): r for r in never_rows}
    budgets = sorted({r.budget for r in results if r.budget is not None and r.policy != "never"})
    summary: dict[str, Any] = {"by_budget": {}, "never": arm_figures(never_rows, never) if never_rows else None}
    uncapped = [r for r in results if r.policy == "always" and r.budget is None]
    summary[UNCAPPED] = arm_figures(uncapped, never) if uncapped else None
    summary["preempt"] = summarize_preempt(results) if any(r.policy == "preempt" for r in results) else None
    for budget in budgets:
        rows: dict[str, list[BudgetResult]] = {
            p: [r for r in results if r.policy == p and r.budget == budget] for p in POLICIES if p != "never"
        }
        figures: dict[str, Any] = {p: arm_figures(v, never) for p, v in rows.items() if v}
        for other in ("always", "random"):
            if rows.get("student_model") and rows.get(other):
                delta = _paired_solve_delta(rows["student_model"], rows[other])
                figures[f"student_model_minus_{other}"] = {"solve_rate": mean_ci(delta)}
        summary["by_budget"][str(budget)] = figures
    return summary


def _cell(f: dict[str, Any] | None) -> str:
    if not f or f.get("mean") is None:
        return "-"
    return f"{f['mean']:.3f}" if f["low"] is None else f"{f['mean']:.3f} [{f['low']:.3f}, {f['high']:.3f}]"


def _row(name: str, f: dict[str, Any]) -> str:
    needed = "-" if f["given_when_needed"] is None else f"{f['given_when_needed']:.2f}"
    return (
        f"| {name} | {_cell(f['solve_rate'])} | {_cell(f['interventions_per_problem'])} | {_cell(f['mastery_gain'])} "
        f"| {_cell(f['gain_per_intervention'])} | {_cell(f['extra_solved_per_intervention'])} | {needed} |"
    )


_HEADER = [
    "| policy | solve rate | interventions per problem | true mastery gain | gain per intervention "
    "| extra solved per intervention | given when needed |",
    "|---|---|---|---|---|---|---|",
]


def _verdict(delta: dict[str, Any]) -> str:
    low, high = delta.get("low"), delta.get("high")
    if low is None or high is None:
        return "too few students to tell"
    if low > 0:
        return "better"
    if high < 0:
        return "worse"
    return "no difference the interval can resolve"


def _why_they_tie(summary: dict[str, Any], meta: dict[str, Any]) -> list[str]:
    """Where the student-model policy stands against always and random, and the figures that say why."""
    figures = summary["by_budget"].get(meta["budgets"][0]) if meta["budgets"] else None
    if not figures or not all(p in figures for p in ("student_model", "always", "random")):
        return []
    model, always, rand = figures["student_model"], figures["always"], figures["random"]
    median = model["p_unaided_median"]
    return [
        f"- **Why the policies come out alike (budget {meta['budgets'][0]}).** A budget decision arises only when "
        "help is due, that is after a wrong answer, a stuck turn or a request for the answer, so the chances to "
        "intervene are already chosen by need: the share of given interventions where the student truly needed "
        f"help is {model['given_when_needed']:.2f} (student_model), {always['given_when_needed']:.2f} (always) and "
        f"{rand['given_when_needed']:.2f} (random). Right after a wrong answer the tutor's P(unaided) is mostly "
        f"under the threshold {meta['threshold']:g} (median at a decision "
        f"{'-' if median is None else f'{median:.2f}'}), so the student-model policy spends about as often as "
        f"always ({_cell(model['interventions_per_problem'])} against {_cell(always['interventions_per_problem'])} "
        f"per problem); random spends a little less ({_cell(rand['interventions_per_problem'])}) for "
        f"{_cell(rand['gain_per_intervention'])} true mastery per intervention against "
        f"{_cell(model['gain_per_intervention'])}. The budget, not the policy, decides most of the solve rate here.",
    ]


def reading(summary: dict[str, Any], meta: dict[str, Any]) -> list[str]:
    """What the figures say, in sentences written from them (the limits follow in `LIMITS`)."""
    never, uncapped = summary["never"], summary[UNCAPPED]
    lines = [
        f"- **Help matters to these students.** With no help they solve {_cell(never['solve_rate'])} of their "
        f"problems; with every planned intervention {_cell(uncapped['solve_rate'])}.",
        f"- **The budget binds.** Uncapped, the tutor gives {_cell(uncapped['interventions_per_problem'])} "
        f"interventions per problem; the budgets compared allow {', '.join(meta['budgets'])}.",
    ]
    for budget, figures in summary["by_budget"].items():
        parts = []
        for other in ("always", "random"):
            delta = figures.get(f"student_model_minus_{other}", {}).get("solve_rate")
            if delta:
                parts.append(f"student_model - {other} {_cell(delta)} ({_verdict(delta)})")
        if parts:
            lines.append(f"- **Budget {budget}**, paired solve-rate differences per student: " + "; ".join(parts) + ".")
    lines += _why_they_tie(summary, meta)
    rho = never["p_unaided_vs_true_spearman"]
    if rho is not None:
        lines.append(
            f"- **How well the tutor knows the student.** Over every decision point with no help given (the never "
            f"arm, {never['decisions']} points), the tutor's P(unaided) and the student's true chance of a right "
            f"next answer have a rank correlation of {rho:.2f}: the student model orders students and steps only "
            "roughly, which bounds what spending by it can gain over spending at the first chance."
        )
    return lines


LIMITS = [
    "- These are rule-based simulated students, not real ones: a student learns only from tutor words that "
    "restate the step's authored hints or misconception feedback, and a held-back turn ('try first') is for it "
    "a fresh draw at its current chance, with no learning from trying and no cost in frustration. Real students "
    "may gain from trying first (or give up), which this simulation cannot show.",
    "- The tutor's student model is Bayesian knowledge tracing from a fixed prior, carried from problem to "
    "problem, and failures on the step; one wrong answer cannot tell a held misconception from a chance "
    "error, because the simulated student's chance errors are also the step's authored wrong answers.",
    "- 'Given when needed' is the share of given interventions where the student's true chance of a right "
    "next answer (from the simulator's hidden state) was under 0.5; 'extra solved per intervention' is, per "
    "student, the problems solved beyond the same student with no help, divided by the interventions given.",
    "- Each student works on the problems it is least likely to do alone, so the figures describe students "
    "who need help; on problems a student can do, a budget has little to decide. Students are profile x seed: "
    "the seeds of one profile are not independent, so the intervals are narrower than over new profiles.",
    "- Solving is the tutor's own verdict (every step answered right) within the turn limit.",
    "- The never arm still gains some true mastery: the rule-based student reads a step question that names the "
    "operation with the step's numbers ('altogether', 'each') as a hint when it is stuck, so asking the question "
    "again teaches it a little. Real questions may do that too, but the size is the simulator's.",
]


def report_markdown(summary: dict[str, Any], meta: dict[str, Any]) -> str:
    """The hint-budget report as Markdown (figures with 95% bootstrap intervals over students)."""
    lines = [
        "# The hint budget: when to intervene",
        "",
        f"{meta['students']} simulated students ({meta['label']}): {meta['profiles']} math profiles x "
        f"{meta['seeds']} seeds, each on the {meta['problems']} bank problems it is least likely to answer right on "
        f"its own (mean expected share of right first answers {meta['own_accuracy']:.2f}), at most "
        f"{meta['max_turns']} student turns per problem. Every policy gets the same budget of interventions per "
        "problem; an intervention is any move that carries help (a hint, misconception feedback, teaching). "
        "Mean [95% bootstrap interval] over students.",
        "",
        "## Without a budget",
        "",
        *_HEADER,
        _row("never (no help)", summary["never"]),
        _row("always, no budget", summary[UNCAPPED]),
    ]
    for budget, figures in summary["by_budget"].items():
        lines += ["", f"## Budget {budget} per problem", "", *_HEADER]
        lines += [_row(p, figures[p]) for p in POLICIES if p in figures]
    lines += ["", "## What the figures say", "", *reading(summary, meta), "", "## Limits", "", *LIMITS]
    if summary.get("preempt"):
        lines += ["", *preempt_markdown(summary["preempt"], _cell)]
    return "\n".join(lines) + "\n"


def budget_png(summary: dict[str, Any]) -> bytes:
    """Solve rate against the budget per policy (95% intervals), with the no-help and uncapped levels."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budgets = list(summary["by_budget"])
    fig, ax = plt.subplots(figsize=(5.5, 3.5), layout="constrained")
    for offset, (policy, color) in enumerate(
        (("student_model", "#6366f1"), ("random", "#f59e0b"), ("always", "#10b981"))
    ):
        figs = [summary["by_budget"][b][policy]["solve_rate"] for b in budgets]
        xs = [int(b) + (offset - 1) * 0.06 for b in budgets]
        means = [f["mean"] for f in figs]
        pairs = list(zip(means, figs, strict=True))
        errs = [[m - (f["low"] or m) for m, f in pairs], [(f["high"] or m) - m for m, f in pairs]]
        ax.errorbar(xs, means, yerr=errs, marker="o", capsize=4, label=policy, color=color)
    for key, label, style in (("never", "never (no help)", ":"), (UNCAPPED, "always, no budget", "--")):
        ax.axhline(summary[key]["solve_rate"]["mean"], linestyle=style, color="#6b7280", label=label)
    ax.set_xlabel("budget: interventions per problem")
    ax.set_ylabel("share of problems solved")
    ax.set_xticks([int(b) for b in budgets])
    ax.legend(fontsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    plt.close(fig)
    return buffer.getvalue()
