"""The simulated student's records: what it decides and what it carries between turns.

What the student perceives of a tutor turn is the text alone (`student_sim.reading`). `StudentTurn` is one
student turn (text, code, the decision behind it, how it was worded) and `StudentState` everything the
student carries between turns; both are pydantic so they serialise.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tutor.record import Message, ModelCall

IntentKind = Literal["answer", "explain", "fix", "question", "dont_know", "off_topic", "acknowledge"]
IntentSource = Literal["mastery", "misconception", "false_belief", "understood", "told", "slip", "chance", "none"]
Policy = Literal["rules", "llm"]


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
    p_correct: float | None = Field(default=None, description="The probability of a right answer it was drawn with.")


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
    code: str | None = Field(default=None, description="Debugging: the program the student submits with the turn.")
    intent: Intent
    learned: dict[str, float] = Field(default_factory=dict, description="Mastery gained from this tutor turn.")
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
    misconceptions: dict[str, float] = Field(
        default_factory=dict, description="Misconception slug -> P(it decides a matching step's answer) now."
    )
    understood: list[str] = Field(default_factory=list, description="Step/bug ids the student has understood.")
    answered: list[str] = Field(default_factory=list, description="Steps answered right.")
    failures: dict[str, int] = Field(default_factory=dict, description="Wrong answers per step/bug.")
    stuck_on: str | None = Field(default=None, description="The step/bug of the student's last wrong answer.")
    last_intent: IntentKind | None = None
    code: str | None = Field(default=None, description="Debugging: the student's current program.")
    history: list[Message] = Field(default_factory=list)
