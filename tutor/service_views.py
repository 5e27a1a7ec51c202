"""What a front end may show the acting user: sessions and turns shaped by role.

Students get their own progress (which step they are on, in plain words, and a mastery bar per concept)
and the dialogue itself. Everything the tutor keeps from them stays on the server: plan titles (a
debugging node's title is the exact fix), moves, the answer key, code soliloquies and their outputs, the
leak guard's verdicts and rejected drafts, the full turn records. Staff (teachers, researchers) get those
too, as records and as the rendered "tutor's thinking".

These views are built by `TutoringService` from the acting user's role, so nothing a student receives
(a Gradio update, an API response, a stored-session view, an export) can contain the hidden fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from tutor.agent import TurnDone
from tutor.planning.plan import PlanTree
from tutor.practice import answer_words, concept_words
from tutor.problems.schema import DebuggingProblem, Problem
from tutor.record import TutorState
from tutor.storage.views import MessageView, SessionView
from tutor.thinking import thinking_markdown

STAFF_ROLES = frozenset({"teacher", "researcher"})
StepStatus = Literal["done", "now", "to do"]
_LEAF_WORDS = {"understand": "say what goes wrong", "fix": "fix it in your code"}


@dataclass(frozen=True)
class StepProgress:
    """One step of the student's path, named without any of the problem's content."""

    label: str
    status: StepStatus


@dataclass(frozen=True)
class Progress:
    """A student's own progress: safe to show the student."""

    summary: str
    steps: tuple[StepProgress, ...]
    mastery: tuple[tuple[str, int], ...]
    solved: bool


@dataclass(frozen=True)
class ChatLine:
    """One transcript entry; `record` and `thinking` are filled for staff only."""

    role: Literal["student", "tutor"]
    text: str
    record: dict[str, Any] | None = None
    thinking: str | None = None


@dataclass(frozen=True)
class SessionPage:
    """A session as the acting user may see it. `thinking` (last turn's reasoning) and `problem_json` (the
    whole problem with its answer key) are None for students."""

    session_id: str
    owner: str
    problem_id: str
    domain: str
    title: str
    statement: str
    status: str
    debugging: bool
    code: str | None
    messages: tuple[ChatLine, ...]
    pending: str | None
    progress: Progress
    created_at: str = ""
    updated_at: str = ""
    thinking: str | None = None
    problem_json: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The page as a JSON object (the stored-session export)."""
        return asdict(self)


@dataclass(frozen=True)
class TurnResult:
    """The last item of a streamed turn: what the acting user may learn about it."""

    reply: str
    solved: bool
    model_trouble: bool
    progress: Progress
    record: dict[str, Any] | None = None
    thinking: str | None = None


def _steps(plan: PlanTree) -> tuple[list[StepProgress], str]:
    """The plan's leaves in plain words, and the sentence that says where the student is."""
    steps: list[StepProgress] = []
    bug_numbers = {n.id: i for i, n in enumerate((n for n in plan.nodes if n.kind == "bug"), start=1)}
    stepped = [n for n in plan.nodes if n.kind == "step"]
    where = ""
    for node in plan.nodes:
        if node.kind == "bug":
            continue
        if node.kind == "step":
            label = f"Step {stepped.index(node) + 1} of {len(stepped)}"
        else:
            label = f"Bug {bug_numbers.get(node.parent or '', 0)}: {_LEAF_WORDS[node.kind]}"
        status: StepStatus = "done" if node.status == "done" else "now" if node.id == plan.current else "to do"
        steps.append(StepProgress(label, status))
        if status == "now":
            where = (
                f"You are on step {label.split()[1]} of {len(stepped)}." if node.kind == "step" else f"Now: {label}."
            )
    if bug_numbers:
        fixed = sum(n.status == "done" for n in plan.nodes if n.kind == "bug")
        where = f"You have fixed {fixed} of {len(bug_numbers)} bugs. " + where
    return steps, where.strip() or "Every step is done: check your final answer."


def progress_of(state: TutorState, problem: Problem) -> Progress:
    """The student-safe progress for a tutor state on `problem`."""
    steps, where = _steps(state.plan)
    done = {n.ref for n in state.plan.nodes if n.status == "done"}
    keep_back = [] if state.solved else answer_words(problem, done)
    mastery = tuple(
        (concept_words(c, keep_back).capitalize(), max(0, min(100, round(float(v) * 100))))
        for c, v in sorted(state.knowledge.mastery.items())
    )
    summary = "You solved it! Well done." if state.solved else where
    return Progress(summary=summary, steps=tuple(steps), mastery=mastery, solved=state.solved)


def _line(message: MessageView, staff: bool) -> ChatLine:
    record = message.record if staff and message.record and "assessment" in message.record else None
    return ChatLine(
        role=message.role,  # type: ignore[arg-type]
        text=message.text,
        record=record,
        thinking=thinking_markdown(record) if record else None,
    )


def session_page(
    staff: bool, session: SessionView, problem: Problem, transcript: list[MessageView], pending: MessageView | None
) -> SessionPage:
    """The session for a staff member (`staff`) or for its student owner."""
    lines = tuple(_line(m, staff) for m in transcript)
    last = next((line.record for line in reversed(lines) if line.record), None)
    return SessionPage(
        session_id=session.id,
        owner=session.owner_username,
        problem_id=problem.id,
        domain=problem.domain,
        title=problem.title,
        statement=problem.statement,
        status=session.status,
        debugging=isinstance(problem, DebuggingProblem),
        code=session.code,
        messages=lines,
        pending=pending.text if pending is not None else None,
        progress=progress_of(TutorState.model_validate(session.state["tutor"]), problem),
        created_at=session.created_at.isoformat(),
        updated_at=session.updated_at.isoformat(),
        thinking=thinking_markdown(last) if staff else None,
        problem_json=problem.model_dump_json() if staff else None,
    )


def turn_result(staff: bool, done: TurnDone, problem: Problem) -> TurnResult:
    """The finished turn for a staff member (`staff`: with its record) or for the student."""
    record = done.turn.model_dump(mode="json") if staff else None
    return TurnResult(
        reply=done.turn.reply,
        solved=done.turn.solved,
        model_trouble=any(not c.ok for c in done.turn.model_calls),
        progress=progress_of(done.state, problem),
        record=record,
        thinking=thinking_markdown(done.turn) if staff else None,
    )
