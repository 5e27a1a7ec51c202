"""Evaluation of the hint budget: the student-model policy against random, always and never, same budget.

Every simulated student (profile x seed; rule-based, reading only the tutor's words) works through the same
problems once per policy, with the same budget of interventions per problem. Reported per policy, with 95%
bootstrap intervals over students: the share of problems solved, the interventions given per problem, the
student's true mastery gain over the problems' concepts, and the gain per intervention (the seed paper's
measure of a teacher's help well spent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, get_args

from evals.practice_loop import learned, mean_ci, true_mastery
from student_sim.profiles import StudentProfile
from student_sim.runner import DialogueLimits, DialogueRun, RunInfo, StopReason
from student_sim.student import StudentSimulator
from tutor.agent import TutorAgent, TutorConfig
from tutor.hint_budget import BudgetPolicy, HintBudget
from tutor.models.scripted import ScriptedChatModel
from tutor.problems.schema import Problem

POLICIES: tuple[BudgetPolicy, ...] = get_args(BudgetPolicy)


@dataclass
class BudgetResult:
    profile_id: str
    seed: int
    policy: str
    problems: int = 0
    solved: int = 0
    interventions: int = 0
    pre_mastery: float = 0.0
    post_mastery: float = 0.0

    @property
    def gain(self) -> float:
        return self.post_mastery - self.pre_mastery


def run_student(
    problems: Sequence[Problem], profile: StudentProfile, seed: int, budget: HintBudget, sandbox: Any, max_turns: int
) -> BudgetResult:
    """One student through `problems` under `budget` (scaffold replies, no model call)."""
    result = BudgetResult(profile.id, seed, budget.policy, pre_mastery=true_mastery(profile, problems))
    model = ScriptedChatModel(replies=["What do you notice?"])
    config = TutorConfig(composition="scaffold", hint_budget=budget)
    for problem in problems:
        agent = TutorAgent(problem, model, sandbox, config)
        student = StudentSimulator(problem, profile, policy="rules")
        limits = DialogueLimits(max_turns=max_turns, stuck_after=max_turns)
        run = DialogueRun(problem, profile, agent, student, seed, limits, RunInfo())
        run.start()
        stop = None
        for _ in range(max_turns):
            run.step()
            if (stop := run.check_termination()) is not None:
                break
        result.problems += 1
        result.solved += int(stop == StopReason.SOLVED)
        result.interventions += run.tutor_state.interventions
        profile = learned(profile, run.student_state)
    result.post_mastery = true_mastery(profile, problems)
    return result


def summarize(results: Sequence[BudgetResult]) -> dict[str, Any]:
    """Per policy: solve rate, interventions per problem, mastery gain and gain per intervention, with CIs."""
    summary: dict[str, Any] = {}
    for policy in POLICIES:
        rows = [r for r in results if r.policy == policy]
        spent = [r for r in rows if r.interventions]
        summary[policy] = {
            "solve_rate": mean_ci([r.solved / r.problems for r in rows]),
            "interventions_per_problem": mean_ci([r.interventions / r.problems for r in rows]),
            "mastery_gain": mean_ci([r.gain for r in rows]),
            "gain_per_intervention": mean_ci([r.gain / r.interventions for r in spent]),
        }
    return summary


def report_markdown(summary: dict[str, Any], meta: dict[str, Any]) -> str:
    def cell(f: dict[str, Any]) -> str:
        if f["mean"] is None:
            return "-"
        return f"{f['mean']:.3f}" if f["low"] is None else f"{f['mean']:.3f} [{f['low']:.3f}, {f['high']:.3f}]"

    lines = [
        "# The hint budget: when to intervene",
        "",
        f"{meta['students']} simulated students ({meta['label']}), {meta['problems']} problems each, a budget of "
        f"{meta['budget']} interventions per problem for every policy. Mean [95% bootstrap interval] over students.",
        "",
        "| policy | solve rate | interventions per problem | true mastery gain | gain per intervention |",
        "|---|---|---|---|---|",
    ]
    for policy in POLICIES:
        f = summary[policy]
        lines.append(
            f"| {policy} | {cell(f['solve_rate'])} | {cell(f['interventions_per_problem'])} | "
            f"{cell(f['mastery_gain'])} | {cell(f['gain_per_intervention'])} |"
        )
    return "\n".join(lines) + "\n"
