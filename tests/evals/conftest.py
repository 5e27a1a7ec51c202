"""Hand-built dialogues for the metric tests, and shared pieces for the eval tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from student_sim.checks import quality_check
from student_sim.dialogue import Dialogue, DialogueTurn, Outcome, Provenance
from student_sim.profiles import StudentProfile
from student_sim.provenance import versions
from student_sim.state import Intent, StudentTurn, VoiceRecord
from tutor.planning.knowledge import KnowledgeState
from tutor.planning.plan import PlanTree
from tutor.problems import toy_bank
from tutor.record import Assessment, Decision, LeakVerdict, ModelCall, Soliloquy, TestOutcome, TutorTurn
from tutor.sandbox import Sandbox

PROFILE = StudentProfile(
    id="hand-built",
    name="Hana",
    persona="A student written for the tests.",
    default_mastery=0.5,
    mastery={"subtraction": 0.2},
)


@dataclass
class T:
    """A tutor message of a hand-built dialogue (`record=False` for the opening, which has none)."""

    text: str
    record: bool = True
    resolved: tuple[str, ...] = ()
    tests: tuple[tuple[str, str], ...] = ()  # (name, status)
    soliloquy_value: float | None = None
    leak_checked: bool = True
    focus: str | None = None  # the plan node the tutor turns to (a bug or step id)
    assessment: Assessment = field(default_factory=lambda: Assessment(label="none"))


@dataclass
class S:
    """A student message; `intent` gives it a simulated student's record."""

    text: str
    code: str = ""
    intent: Intent | None = None
    learned: dict[str, float] = field(default_factory=dict)


def _tutor_record(problem, index: int, t: T) -> TutorTurn:
    plan = PlanTree.for_problem(problem)
    if t.focus is not None:
        plan = plan.model_copy(update={"current": next(n.id for n in plan.nodes if n.ref == t.focus)})
    return TutorTurn(
        index=index,
        student_message="",
        reply=t.text,
        assessment=t.assessment,
        decision=Decision(
            class_evaluation="none",
            class_action="give_hint",
            subproblem_state="in_progress",
            bridge_strategy="hint",
            bridge_intention="support_thinking",
        ),
        plan=plan,
        knowledge=KnowledgeState.for_concepts(problem.concepts),
        soliloquies=[Soliloquy(needed=True, decided_by="rules", reason="test", ok=True, value=t.soliloquy_value)]
        if t.soliloquy_value is not None
        else [],
        leak=LeakVerdict(passed=True, checked=t.leak_checked),
        model_calls=[ModelCall(purpose="reply", latency_s=0.5, output_tokens=10)],
        tests=[TestOutcome(name=n, status=s) for n, s in t.tests],
        resolved_bugs=list(t.resolved),
    )


def make_dialogue(
    problem_id: str,
    messages: list[T | S],
    *,
    seed: int = 0,
    profile: StudentProfile = PROFILE,
    dialogue_id: str = "d1",
) -> Dialogue:
    """A dialogue record built by hand: the messages alternate as given, starting with the tutor's opening."""
    problem = toy_bank().get(problem_id)
    turns: list[DialogueTurn] = []
    k = 0
    for i, m in enumerate(messages):
        if isinstance(m, S):
            k += 1
            record = ""
            if m.intent is not None:
                record = StudentTurn(
                    index=k,
                    text=m.text,
                    code=m.code or None,
                    intent=m.intent,
                    learned=m.learned,
                    voice=VoiceRecord(policy="rules"),
                ).model_dump_json()
            turns.append(DialogueTurn(index=i, role="student", text=m.text, code=m.code, student_record=record))
        else:
            record = _tutor_record(problem, k, m).model_dump_json() if m.record else ""
            turns.append(DialogueTurn(index=i, role="tutor", text=m.text, tutor_record=record))
    outcome = Outcome(
        status="max_turns",
        solved=False,
        leaked=False,
        tutor_turns=sum(t.role == "tutor" for t in turns),
        student_turns=k,
    )
    return Dialogue(
        id=dialogue_id,
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
        provenance=Provenance(
            job_id=dialogue_id,
            tutor_model="hand",
            student_policy="rules",
            seed=seed,
            max_turns=6,
            config_hash="0",
            config="{}",
            versions=versions(),
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
            duration_s=1.0,
        ),
    )


@pytest.fixture(scope="session")
def sandbox():
    with Sandbox() as box:
        yield box
