"""`run_dialogue`: one tutor x one simulated student on one problem, until solved, stuck or out of turns.

The same function serves the UI's demo, the generator and the evals. The tutor is anything with the
`TutorAgent` shape (`start()`, `step(message, state, code=)`); the student is a `StudentSimulator`.
The outcome comes from the tutor's state (solved), the guard's verdicts and an independent text check
(leaks), and the plan (stuck), never from a model's opinion.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from student_sim.checks import quality_check, states_solution, student_stated_solution
from student_sim.dialogue import Dialogue, DialogueTurn, Outcome, Provenance, Status
from student_sim.profiles import StudentProfile
from student_sim.provenance import canonical_json, config_hash, job_id, versions
from student_sim.reading import Screen
from student_sim.state import StudentState
from student_sim.student import StudentSimulator
from tutor.problems.schema import AnyProblem
from tutor.record import TutorState, TutorTurn


class TutorLike(Protocol):
    """The tutor's shape (`tutor.agent.TutorAgent`)."""

    def start(self) -> tuple[str, TutorState]: ...

    def step(
        self, student_message: str, state: TutorState, *, code: str | None = None
    ) -> tuple[TutorTurn, TutorState]: ...


@dataclass(frozen=True)
class DialogueLimits:
    """When a dialogue stops without being solved.

    Attributes:
        max_turns: student turns at most (each is answered by a tutor turn).
        stuck_after: consecutive tutor turns without progress (same plan node, no right answer, no
            newly fixed bug) after which the dialogue counts as stuck.
    """

    max_turns: int = 12
    stuck_after: int = 6


@dataclass(frozen=True)
class RunInfo:
    """What the provenance of a dialogue records about how it was run."""

    tutor_model: str = "unknown"
    student_model: str | None = None
    student_policy: Literal["rules", "llm"] = "rules"
    config: dict[str, Any] = field(default_factory=dict)
    job_id: str | None = None


TurnCallback = Callable[[DialogueTurn], None]


class StopReason(StrEnum):
    """Why the turn loop ended; it is the outcome's status unless the tutor leaked the answer."""

    SOLVED = "solved"
    STUCK = "stuck"
    MAX_TURNS = "max_turns"


def run_dialogue(
    problem: AnyProblem,
    profile: StudentProfile,
    *,
    tutor: TutorLike,
    student: StudentSimulator,
    seed: int,
    limits: DialogueLimits | None = None,
    info: RunInfo | None = None,
    on_turn: TurnCallback | None = None,
) -> Dialogue:
    """Run one dialogue and return its full record (the quality verdict included).

    Args:
        problem, profile: what is tutored, and who the student is.
        tutor: a `TutorAgent` (or anything of its shape) for `problem`.
        student: a `StudentSimulator` for `problem` and `profile`.
        seed: the student's seed (and the dialogue's, in its provenance).
        limits: max turns and the stuck rule.
        info: model specs, policy and config for the provenance.
        on_turn: called with each turn as it happens (for live display).

    Model and sandbox faults propagate (a `TutorError`); a dialogue that merely goes badly is data.
    """
    run = DialogueRun(problem, profile, tutor, student, seed, limits or DialogueLimits(), info or RunInfo(), on_turn)
    run.start()
    stop = StopReason.MAX_TURNS
    for _ in range(run.limits.max_turns):
        run.step()
        if (reason := run.check_termination()) is not None:
            stop = reason
            break
    return run.finalize(stop)


class DialogueRun:
    """One dialogue in progress: `start()`, then `step()` per student turn while `check_termination()`
    says go on, then `finalize(stop)` for the record. `run_dialogue` drives it."""

    # Set by start() and step().
    tutor_state: TutorState
    tutor_turn: TutorTurn
    student_state: StudentState
    message: str  # what the student reads next
    screen: Screen  # what its screen shows next

    def __init__(
        self,
        problem: AnyProblem,
        profile: StudentProfile,
        tutor: TutorLike,
        student: StudentSimulator,
        seed: int,
        limits: DialogueLimits,
        info: RunInfo,
        on_turn: TurnCallback | None = None,
    ) -> None:
        self.problem, self.profile, self.tutor, self.student = problem, profile, tutor, student
        self.seed, self.limits, self.info, self.on_turn = seed, limits, info, on_turn
        self.turns: list[DialogueTurn] = []
        self.resolved: set[str] = set()  # bugs the tutor counts fixed so far
        self.leak_turn: int | None = None  # the tutor message that first states the solution
        self.reveal_allowed = False
        self.student_said_it = False
        self.solved_turn: int | None = None
        self.stalled = 0  # consecutive tutor turns without progress
        self._started = 0.0

    def _add(self, turn: DialogueTurn) -> None:
        self.turns.append(turn)
        if self.on_turn is not None:
            self.on_turn(turn)

    def start(self) -> None:
        """The tutor's opening; the student's starting state."""
        self._started = time.perf_counter()
        opening, self.tutor_state = self.tutor.start()
        node = self.tutor_state.plan.current_node
        self._add(DialogueTurn(index=0, role="tutor", text=opening, node=node.ref if node else ""))
        self.leak_turn = 0 if states_solution(opening, self.problem) else None
        self.student_state = self.student.start(self.seed)
        self.message, self.screen = opening, Screen()

    def step(self) -> None:
        """One student turn and the tutor's answer to it."""
        student_turn, self.student_state = self.student.step(self.message, self.student_state, screen=self.screen)
        self._add(
            DialogueTurn(
                index=len(self.turns),
                role="student",
                text=student_turn.text,
                code=student_turn.code or "",
                node=student_turn.intent.node_ref or "",
                student_record=student_turn.model_dump_json(),
            )
        )
        self.student_said_it = self.student_said_it or student_stated_solution(student_turn.text, self.problem)
        before = self.tutor_state.plan.current
        self.tutor_turn, self.tutor_state = self.tutor.step(student_turn.text, self.tutor_state, code=student_turn.code)
        newly_fixed = set(self.tutor_turn.resolved_bugs) - self.resolved
        self.resolved |= newly_fixed
        node = self.tutor_turn.plan.current_node
        index = len(self.turns)
        self._add(
            DialogueTurn(
                index=index,
                role="tutor",
                text=self.tutor_turn.reply,
                node=node.ref if node else "",
                tutor_record=self.tutor_turn.model_dump_json(),
            )
        )
        self._check_leak(index)
        moved_on = self.tutor_state.plan.current != before
        progressed = moved_on or self.tutor_turn.assessment.label == "correct" or bool(newly_fixed)
        self.stalled = 0 if progressed else self.stalled + 1
        # The student reads the words and, for debugging, the test results of its own program: no labels.
        self.message, self.screen = self.tutor_turn.reply, _screen(self.tutor_turn)

    def _check_leak(self, index: int) -> None:
        # Read from the words by the telling detector, not the tutor's own guard verdict.
        if self.leak_turn is None and not self.student_said_it:
            if states_solution(self.tutor_turn.reply, self.problem, self.resolved):
                self.leak_turn, self.reveal_allowed = index, self.tutor_turn.leak.reveal_allowed

    def check_termination(self) -> StopReason | None:
        """Solved (by the tutor's state), stuck (no progress for `stuck_after` turns), or None: go on."""
        if self.tutor_turn.solved or self.tutor_state.solved:
            self.solved_turn = len(self.turns) - 1
            return StopReason.SOLVED
        if self.stalled >= self.limits.stuck_after:
            return StopReason.STUCK
        return None

    def _reason(self, stop: StopReason) -> str:
        return {
            StopReason.SOLVED: "the tutor counts the problem solved",
            StopReason.STUCK: f"no progress in {self.stalled} tutor turns (at {self.tutor_state.plan.current})",
            StopReason.MAX_TURNS: f"no solution within {self.limits.max_turns} student turns",
        }[stop]

    def outcome(self, stop: StopReason) -> Outcome:
        """How it ended; a leak overrides the stop reason (the status says the tutor told)."""
        status: Status = stop.value
        reason = self._reason(stop)
        if self.leak_turn is not None:
            status = "answer_leaked"
            reason = f"tutor message {self.leak_turn} states the answer before the student did; then: {reason}"
        return Outcome(
            status=status,
            solved=self.solved_turn is not None and self.leak_turn is None,
            leaked=self.leak_turn is not None,
            reveal_allowed=self.reveal_allowed,
            leak_turn=-1 if self.leak_turn is None else self.leak_turn,
            solved_turn=-1 if self.solved_turn is None else self.solved_turn,
            tutor_turns=sum(1 for t in self.turns if t.role == "tutor"),
            student_turns=sum(1 for t in self.turns if t.role == "student"),
            reason=reason,
        )

    def provenance(self) -> Provenance:
        config = self.info.config or {"max_turns": self.limits.max_turns, "stuck_after": self.limits.stuck_after}
        cfg_hash = config_hash(config)
        return Provenance(
            job_id=self.info.job_id or job_id(self.problem.id, self.profile.id, self.seed, cfg_hash),
            tutor_model=self.info.tutor_model,
            student_model=self.info.student_model or "",
            student_policy=self.info.student_policy,
            seed=self.seed,
            max_turns=self.limits.max_turns,
            config_hash=cfg_hash,
            config=canonical_json(config),
            versions=versions(),
            created_at=datetime.now(UTC).replace(microsecond=0),
            duration_s=round(time.perf_counter() - self._started, 3),
        )

    def finalize(self, stop: StopReason) -> Dialogue:
        """The dialogue's record: turns, outcome, quality verdict and provenance."""
        outcome, provenance, problem, profile = self.outcome(stop), self.provenance(), self.problem, self.profile
        return Dialogue(
            id=provenance.job_id,
            problem_id=problem.id,
            domain=problem.domain,
            problem_title=problem.title,
            problem_statement=problem.statement,
            problem_json=problem.model_dump_json(),
            profile_id=profile.id,
            profile_name=profile.name,
            profile_json=profile.model_dump_json(),
            turns=self.turns,
            outcome=outcome,
            quality=quality_check(self.turns, outcome),
            provenance=provenance,
        )


def _screen(turn: TutorTurn) -> Screen:
    """What the student's screen shows after its program ran (nothing when it sent no code)."""
    if not turn.tests:
        return Screen()
    failing = tuple(t.name for t in turn.tests if t.status != "passed")
    return Screen(failing_tests=failing, all_passed=not failing)


def transcript(dialogue: Dialogue) -> str:
    """The dialogue as plain text, one `Tutor:`/`Student:` line per message (for logs and the CLI)."""
    lines = []
    for turn in dialogue.turns:
        who = "Tutor" if turn.role == "tutor" else "Student"
        lines.append(f"{who}: {turn.text}")
        if turn.code:
            lines.append("  [code]\n" + "\n".join("    " + ln for ln in turn.code.splitlines()))
    lines.append(f"-- {dialogue.outcome.status}: {dialogue.outcome.reason}")
    return "\n".join(lines)


__all__ = ["DialogueLimits", "DialogueRun", "RunInfo", "StopReason", "TutorLike", "run_dialogue", "transcript"]
