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
from typing import Any, Literal, Protocol

from student_sim.checks import quality_check, states_solution, student_stated_solution
from student_sim.dialogue import Dialogue, DialogueTurn, Outcome, Provenance, Status
from student_sim.profiles import StudentProfile
from student_sim.provenance import canonical_json, config_hash, job_id, versions
from student_sim.reading import Screen
from student_sim.student import AnyProblem, StudentSimulator
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
    limits = limits or DialogueLimits()
    info = info or RunInfo()
    started = time.perf_counter()
    turns: list[DialogueTurn] = []

    def add(turn: DialogueTurn) -> None:
        turns.append(turn)
        if on_turn is not None:
            on_turn(turn)

    opening, tutor_state = tutor.start()
    node = tutor_state.plan.current_node
    add(DialogueTurn(index=0, role="tutor", text=opening, node=node.ref if node else ""))
    state = student.start(seed)
    message, screen = opening, Screen()
    resolved: set[str] = set()
    leak_turn: int | None = 0 if states_solution(opening, problem) else None
    reveal_allowed = False
    student_said_it = False
    solved_turn: int | None = None
    stalled = 0
    status: Status = "max_turns"
    reason = f"no solution within {limits.max_turns} student turns"
    for _ in range(limits.max_turns):
        student_turn, state = student.step(message, state, screen=screen)
        add(
            DialogueTurn(
                index=len(turns),
                role="student",
                text=student_turn.text,
                code=student_turn.code or "",
                node=student_turn.intent.node_ref or "",
                student_record=student_turn.model_dump_json(),
            )
        )
        student_said_it = student_said_it or student_stated_solution(student_turn.text, problem)
        before = tutor_state.plan.current
        tutor_turn, tutor_state = tutor.step(student_turn.text, tutor_state, code=student_turn.code)
        newly_fixed = set(tutor_turn.resolved_bugs) - resolved
        resolved |= newly_fixed
        node = tutor_turn.plan.current_node
        index = len(turns)
        add(
            DialogueTurn(
                index=index,
                role="tutor",
                text=tutor_turn.reply,
                node=node.ref if node else "",
                tutor_record=tutor_turn.model_dump_json(),
            )
        )
        if leak_turn is None and not student_said_it:
            # Read from the words by the telling detector, not the tutor's own guard verdict.
            if states_solution(tutor_turn.reply, problem, resolved):
                leak_turn, reveal_allowed = index, tutor_turn.leak.reveal_allowed
        if tutor_turn.solved or tutor_state.solved:
            solved_turn, status, reason = index, "solved", "the tutor counts the problem solved"
            break
        progressed = tutor_state.plan.current != before or tutor_turn.assessment.label == "correct" or bool(newly_fixed)
        stalled = 0 if progressed else stalled + 1
        if stalled >= limits.stuck_after:
            status, reason = "stuck", f"no progress in {stalled} tutor turns (at {tutor_state.plan.current})"
            break
        # The student reads the words and, for debugging, the test results of its own program: no labels.
        message, screen = tutor_turn.reply, _screen(tutor_turn)
    if leak_turn is not None:
        status = "answer_leaked"
        reason = f"tutor message {leak_turn} states the answer before the student did; then: {reason}"
    outcome = Outcome(
        status=status,
        solved=solved_turn is not None and leak_turn is None,
        leaked=leak_turn is not None,
        reveal_allowed=reveal_allowed,
        leak_turn=-1 if leak_turn is None else leak_turn,
        solved_turn=-1 if solved_turn is None else solved_turn,
        tutor_turns=sum(1 for t in turns if t.role == "tutor"),
        student_turns=sum(1 for t in turns if t.role == "student"),
        reason=reason,
    )
    config = info.config or {"max_turns": limits.max_turns, "stuck_after": limits.stuck_after}
    cfg_hash = config_hash(config)
    provenance = Provenance(
        job_id=info.job_id or job_id(problem.id, profile.id, seed, cfg_hash),
        tutor_model=info.tutor_model,
        student_model=info.student_model or "",
        student_policy=info.student_policy,
        seed=seed,
        max_turns=limits.max_turns,
        config_hash=cfg_hash,
        config=canonical_json(config),
        versions=versions(),
        created_at=datetime.now(UTC).replace(microsecond=0),
        duration_s=round(time.perf_counter() - started, 3),
    )
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
        turns=turns,
        outcome=outcome,
        quality=quality_check(turns, outcome),
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


__all__ = ["DialogueLimits", "RunInfo", "TutorLike", "run_dialogue", "transcript"]
