"""Closed-loop evaluation of what to practise next: targeted vs random vs fixed-order practice.

Each simulated student (a profile and a seed) practises `practice` problems under each policy, every one a
full tutored dialogue in which the student reads only the tutor's words and learns from them (its mastery
and misconceptions carry over from problem to problem, as a real student's would). The policies see only
what the tutor measured (its knowledge estimates from the dialogues) and the student's history:

- **targeted**: `tutor.practice.choose_next` (weakest measured concepts within reach, spaced);
- **random**: any problem not practised yet;
- **fixed**: the bank's order (difficulty, then id), as a worksheet would go.

Then a post-test on problems held back from practice for everyone: for every step, the probability that
the student's first answer is right, from its true (simulated) state: its mastery of the step's concepts,
lowered by a misconception it still holds that decides this step's answer. Reported per policy with
95% bootstrap intervals over students: post-test accuracy, the gain in true mastery of the post-test
concepts, and the share of practice problems solved; and the paired difference targeted - random.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from student_sim.bootstrap import mean_interval
from student_sim.cognition import CognitiveModel
from student_sim.profiles import StudentProfile
from student_sim.runner import DialogueLimits, DialogueRun, RunInfo, StopReason
from student_sim.state import StudentState
from student_sim.student import StudentSimulator
from tutor.agent import TutorAgent, TutorConfig
from tutor.models.scripted import ScriptedChatModel
from tutor.practice import Attempt, carry_mastery, choose_next, measured_mastery
from tutor.problems.schema import DebuggingProblem, Problem

POLICIES = ("targeted", "random", "fixed")
# Resamples per interval (scipy.stats.bootstrap's default, which the report used before).
RESAMPLES = 9999


@dataclass(frozen=True)
class LoopSettings:
    practice: int = 5  # problems practised per student and policy
    post_test: int = 8  # problems held back for the post-test
    max_turns: int = 10
    stuck_after: int = 4
    split_seed: int = 0


@dataclass
class StudentResult:
    profile_id: str
    seed: int
    policy: str
    practised: list[str] = field(default_factory=list)
    solved: int = 0
    pre_accuracy: float = 0.0
    post_accuracy: float = 0.0
    pre_mastery: float = 0.0
    post_mastery: float = 0.0


def split(problems: Sequence[Problem], settings: LoopSettings) -> tuple[list[Problem], list[Problem]]:
    """(practice pool, post-test set): the post-test problems are drawn once, with `split_seed`."""
    ordered = sorted((p for p in problems if not isinstance(p, DebuggingProblem)), key=lambda p: p.id)
    held = set(p.id for p in random.Random(settings.split_seed).sample(ordered, settings.post_test))
    return [p for p in ordered if p.id not in held], [p for p in ordered if p.id in held]


def learned(profile: StudentProfile, state: StudentState) -> StudentProfile:
    """The profile as the student is after a dialogue: its new mastery, its loosened misconceptions."""
    misconceptions = [
        m.model_copy(update={"strength": state.misconceptions.get(m.slug, m.strength)}) for m in profile.misconceptions
    ]
    return profile.model_copy(
        update={"mastery": {**profile.mastery, **state.mastery}, "misconceptions": misconceptions}
    )


def first_answer_accuracy(profile: StudentProfile, problems: Sequence[Problem]) -> float:
    """Mean P(right first answer) over the steps of `problems`, from the student's true state."""
    held = {m.slug: m.strength for m in profile.misconceptions}
    chances = []
    for problem in problems:
        model = CognitiveModel(problem, profile)
        state = model.initial_state(0)
        for step in problem.steps:  # type: ignore[union-attr]
            deciding = max((held.get(w.misconception, 0.0) for w in step.wrong_answers), default=0.0)
            chances.append(model.p_correct(step.id, state) * (1 - deciding))
    return float(np.mean(chances)) if chances else 0.0


def true_mastery(profile: StudentProfile, problems: Sequence[Problem]) -> float:
    """Mean true mastery of the concepts the problems exercise."""
    concepts = {c for p in problems for c in p.concepts} | {
        c for p in problems for s in getattr(p, "steps", ()) for c in s.concepts
    }
    return float(np.mean([profile.mastery_of(c) for c in sorted(concepts)])) if concepts else 0.0


class PracticeLoop:
    """Runs the three policies for a set of students over one practice pool and post-test."""

    def __init__(self, problems: Sequence[Problem], model: Any, sandbox: Any, settings: LoopSettings) -> None:
        self.pool, self.post = split(problems, settings)
        # No model: the scaffold's own words, no model call (the rule-based loop); else the model writes.
        self.config = TutorConfig(composition="scaffold" if model is None else "guided")
        self.model = model if model is not None else ScriptedChatModel(replies=["What do you notice?"])
        self.sandbox, self.settings = sandbox, settings

    def _pick(self, policy: str, measured: dict[str, float], history: list[Attempt], rng: random.Random) -> Problem:
        done = {a.problem_id for a in history}
        left = [p for p in self.pool if p.id not in done]
        if policy == "targeted":
            choice = choose_next(left, measured, history)
            if choice is not None:
                return choice.problem
        if policy == "random":
            return rng.choice(left)
        return min(left, key=lambda p: (p.difficulty or 3, p.id))

    def _dialogue(
        self, problem: Problem, profile: StudentProfile, seed: int, measured: dict[str, float]
    ) -> DialogueRun:
        agent = TutorAgent(problem, self.model, self.sandbox, self.config)
        limits = DialogueLimits(max_turns=self.settings.max_turns, stuck_after=self.settings.stuck_after)
        student = StudentSimulator(problem, profile, policy="rules")
        run = DialogueRun(problem, profile, _Carrying(agent, measured), student, seed, limits, RunInfo())
        run.start()
        for _ in range(limits.max_turns):
            run.step()
            if run.check_termination() is not None:
                break
        return run

    def run_student(self, profile: StudentProfile, seed: int, policy: str) -> StudentResult:
        result = StudentResult(profile.id, seed, policy)
        result.pre_accuracy = first_answer_accuracy(profile, self.post)
        result.pre_mastery = true_mastery(profile, self.post)
        rng, measured, history = random.Random(f"{profile.id}:{seed}"), {}, []  # type: ignore[var-annotated]
        for _ in range(min(self.settings.practice, len(self.pool))):
            problem = self._pick(policy, measured, history, rng)
            run = self._dialogue(problem, profile, seed, measured)
            solved = run.check_termination() == StopReason.SOLVED
            profile = learned(profile, run.student_state)
            measured.update(measured_mastery(run.tutor_state.knowledge))
            history.insert(0, Attempt(problem.id, solved))
            result.practised.append(problem.id)
            result.solved += int(solved)
        result.post_accuracy = first_answer_accuracy(profile, self.post)
        result.post_mastery = true_mastery(profile, self.post)
        return result


class _Carrying:
    """The tutor, its first state carrying what earlier dialogues measured about this student."""

    def __init__(self, agent: TutorAgent, measured: dict[str, float]) -> None:
        self.agent, self.measured = agent, measured

    def start(self) -> Any:
        opening, state = self.agent.start()
        return opening, carry_mastery(state, self.measured)

    def step(self, *args: Any, **kwargs: Any) -> Any:
        return self.agent.step(*args, **kwargs)


def mean_ci(values: Sequence[float], seed: int = 0) -> dict[str, float | None]:
    """Mean with a 95% percentile bootstrap interval (None where fewer than two values)."""
    if len(values) < 2:
        return {"mean": float(np.mean(values)) if values else None, "low": None, "high": None, "n": len(values)}
    interval = mean_interval(values, resamples=RESAMPLES, seed=seed)
    assert interval is not None  # two or more values always have a mean
    low, high = interval
    return {
        "mean": round(float(np.mean(values)), 4),
        "low": round(low, 4),
        "high": round(high, 4),
        "n": len(values),
    }


def summarize(results: Sequence[StudentResult]) -> dict[str, Any]:
    """Per policy: post-test accuracy, true mastery gain, practice solved share (with CIs); paired deltas."""
    by_policy = {p: [r for r in results if r.policy == p] for p in POLICIES}
    summary: dict[str, Any] = {}
    for policy, rows in by_policy.items():
        summary[policy] = {
            "post_test_accuracy": mean_ci([r.post_accuracy for r in rows]),
            "accuracy_gain": mean_ci([r.post_accuracy - r.pre_accuracy for r in rows]),
            "mastery_gain": mean_ci([r.post_mastery - r.pre_mastery for r in rows]),
            "practice_solved": mean_ci([r.solved / max(1, len(r.practised)) for r in rows]),
        }
    for other in ("random", "fixed"):
        pairs = {(r.profile_id, r.seed): r for r in by_policy[other]}
        deltas = [r.post_accuracy - pairs[(r.profile_id, r.seed)].post_accuracy for r in by_policy["targeted"]]
        summary[f"targeted_minus_{other}"] = {"post_test_accuracy": mean_ci(deltas)}
    return summary


def report_markdown(summary: dict[str, Any], meta: dict[str, Any]) -> str:
    """The closed-loop report as Markdown (figures with 95% bootstrap intervals over students)."""

    def cell(figure: dict[str, Any]) -> str:
        if figure["mean"] is None:
            return "-"
        if figure["low"] is None:
            return f"{figure['mean']:.3f}"
        return f"{figure['mean']:.3f} [{figure['low']:.3f}, {figure['high']:.3f}]"

    lines = [
        "# What to practise next: closed-loop evaluation",
        "",
        f"{meta['students']} simulated students ({meta['label']}), {meta['practice']} practice problems each per "
        f"policy from a pool of {meta['pool']}, post-test on {meta['post_test']} held-back problems. "
        "Mean [95% bootstrap interval] over students.",
        "",
        "| policy | post-test accuracy | accuracy gain | true mastery gain | practice solved |",
        "|---|---|---|---|---|",
    ]
    for policy in POLICIES:
        f = summary[policy]
        lines.append(
            f"| {policy} | {cell(f['post_test_accuracy'])} | {cell(f['accuracy_gain'])} | "
            f"{cell(f['mastery_gain'])} | {cell(f['practice_solved'])} |"
        )
    lines += ["", "Paired differences in post-test accuracy (same student, same seed):", ""]
    for other in ("random", "fixed"):
        lines.append(f"- targeted - {other}: {cell(summary[f'targeted_minus_{other}']['post_test_accuracy'])}")
    return "\n".join(lines) + "\n"


def accuracy_png(summary: dict[str, Any]) -> bytes:
    """Post-test accuracy per policy with its interval, as a PNG."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    means = [summary[p]["post_test_accuracy"]["mean"] or 0.0 for p in POLICIES]
    lows = [m - (summary[p]["post_test_accuracy"]["low"] or m) for p, m in zip(POLICIES, means, strict=True)]
    highs = [(summary[p]["post_test_accuracy"]["high"] or m) - m for p, m in zip(POLICIES, means, strict=True)]
    fig, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
    ax.bar(POLICIES, means, yerr=[lows, highs], capsize=6, color=["#6366f1", "#9ca3af", "#d1d5db"])
    ax.set_ylim(0, 1)
    ax.set_ylabel("P(right first answer), post-test")
    ax.set_title("Post-test accuracy after practice (95% CI)", fontsize=10)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    plt.close(fig)
    return buffer.getvalue()
