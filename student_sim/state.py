"""The simulated student's records: what it perceives of a tutor turn, what it decides, what it carries.

`TutorMessage` is the student's view of one tutor turn: the text, plus which plan node the tutor is asking
about and which kind of move it made. A human student reads that from the words; the simulation takes it
from the tutor's turn record so that the cognitive model's decisions do not hinge on parsing prose.
`StudentTurn` is one student turn (text, code, the decision behind it, how it was worded) and
`StudentState` everything the student carries between turns; both are pydantic so they serialise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tutor.planning.plan import PlanTree
from tutor.record import Message, ModelCall, TutorTurn

IntentKind = Literal["answer", "explain", "fix", "question", "dont_know", "off_topic", "acknowledge"]
IntentSource = Literal[
    "mastery", "misconception", "false_belief", "understood", "told", "slip", "chance", "none"
]
Policy = Literal["rules", "llm"]

# Bridge strategies that count as help with the point the student is stuck on.
HINT_MOVES = frozenset({"hint", "strategy", "simplify", "similar_problem", "correction", "ask_question"})
TEACH_MOVES = frozenset({"explain_concept", "worked_example"})


@dataclass(frozen=True)
class TutorMessage:
    """What the student perceives of one tutor turn.

    Attributes:
        text: the tutor's words.
        node_kind: `step`, `understand`, `fix` (or `bug`) for the node the tutor now asks about; None
            when the plan is done or unknown.
        node_ref: the step id or bug id of that node.
        strategy: the tutor's Bridge strategy (`hint`, `explain_concept`, ...), when known.
        taught: the tutor made a teaching move (CLASS action `teach`).
        misconception: the misconception the tutor diagnosed in the student's last answer, if any.
        failing_tests: tests the student's last program failed (debugging).
        resolved_bugs: bugs the tutor counts as fixed.
        solved: the tutor considers the problem solved.
    """

    text: str
    node_kind: str | None = None
    node_ref: str | None = None
    strategy: str | None = None
    taught: bool = False
    misconception: str | None = None
    failing_tests: tuple[str, ...] = ()
    resolved_bugs: tuple[str, ...] = ()
    solved: bool = False

    @classmethod
    def from_turn(cls, turn: TutorTurn) -> TutorMessage:
        """The student's view of a full tutor turn record."""
        node = turn.plan.current_node
        return cls(
            text=turn.reply,
            node_kind=node.kind if node else None,
            node_ref=node.ref if node else None,
            strategy=turn.decision.bridge_strategy,
            taught=turn.decision.class_action == "teach",
            misconception=turn.assessment.misconception,
            failing_tests=tuple(t.name for t in turn.tests if t.status != "passed"),
            resolved_bugs=tuple(turn.resolved_bugs),
            solved=turn.solved,
        )

    @classmethod
    def opening(cls, text: str, plan: PlanTree) -> TutorMessage:
        """The student's view of the tutor's first message, given the tutor's initial plan."""
        node = plan.current_node
        return cls(text=text, node_kind=node.kind if node else None, node_ref=node.ref if node else None)

    @property
    def helps(self) -> bool:
        """A hint or teaching move (something a student can learn from)."""
        return self.taught or self.strategy in HINT_MOVES or self.strategy in TEACH_MOVES

    @property
    def teaches(self) -> bool:
        return self.taught or self.strategy in TEACH_MOVES


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Intent(_Record):
    """What the cognitive model decided the student does this turn (before it is worded)."""

    kind: IntentKind
    node_ref: str | None = Field(default=None, description="The step or bug the student is working on.")
    correct: bool | None = Field(default=None, description="For answers/explanations/fixes: is it right?")
    value: float | None = Field(default=None, description="The number the student gives (numeric answers).")
    unit: str | None = None
    answer_text: str | None = Field(default=None, description="The text answer, or the explanation of a bug.")
    misconception: str | None = Field(default=None, description="The misconception behind a wrong answer.")
    source: IntentSource = "none"
    p_correct: float | None = Field(
        default=None, description="The probability of a right answer it was drawn with."
    )


class VoiceAttempt(_Record):
    """A draft the voice rejected, and why."""

    text: str
    reasons: list[str]


class VoiceRecord(_Record):
    """How the utterance was worded."""

    policy: Policy
    attempts: list[VoiceAttempt] = Field(default_factory=list, description="Rejected drafts.")
    fallback_used: bool = Field(default=False, description="The rule-based wording replaced failed drafts.")
    role_breaks: int = Field(default=0, description="Drafts rejected for speaking as the tutor.")
    model_calls: list[ModelCall] = Field(default_factory=list)


class StudentTurn(_Record):
    """One student turn."""

    index: int
    text: str
    code: str | None = Field(
        default=None, description="Debugging: the program the student submits with the turn."
    )
    intent: Intent
    learned: dict[str, float] = Field(
        default_factory=dict, description="Mastery gained from this tutor turn."
    )
    voice: VoiceRecord


class StudentState(_Record):
    """Everything the student carries from one turn to the next."""

    profile_id: str
    problem_id: str
    seed: int
    turn: int = 0
    mastery: dict[str, float] = Field(default_factory=dict, description="Current P(knows) per concept.")
    beliefs: dict[str, float] = Field(
        default_factory=dict, description="False belief statement -> how firmly it is still held."
    )
    understood: list[str] = Field(
        default_factory=list, description="Step/bug ids the student has understood."
    )
    answered: list[str] = Field(default_factory=list, description="Steps answered right.")
    failures: dict[str, int] = Field(default_factory=dict, description="Wrong answers per step/bug.")
    stuck_on: str | None = Field(default=None, description="The step/bug of the student's last wrong answer.")
    last_intent: IntentKind | None = None
    code: str | None = Field(default=None, description="Debugging: the student's current program.")
    history: list[Message] = Field(default_factory=list)
