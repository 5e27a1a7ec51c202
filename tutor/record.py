"""The one record of a tutor turn, and the tutor's state between turns.

`TutorTurn` is what the UI shows, the store keeps, the generator exports and the evals score; it carries
everything needed to rescore a dialogue without calling a model. `TutorState` is what the tutor needs to
continue a session; both are pydantic so they serialise to JSON losslessly.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tutor.planning.knowledge import KnowledgeState
from tutor.planning.plan import PlanTree

AssessmentLabel = Literal["correct", "incorrect", "partially_correct", "unclear", "off_topic", "question", "none"]
EvidenceSource = Literal["rules", "execution", "model", "none"]
# Bridge (Wang et al., 2024) remediation taxonomy.
BridgeError = Literal["guess", "misinterpret", "careless", "right-idea", "imprecise", "diagnose", "not-applicable"]
BridgeStrategy = Literal[
    "explain_concept",
    "ask_question",
    "hint",
    "strategy",
    "worked_example",
    "correction",
    "similar_problem",
    "simplify",
    "affirm",
    "encourage",
]
BridgeIntention = Literal[
    "motivate",
    "elaborate",
    "correct",
    "hint_at_mistake",
    "clarify",
    "understand_topic",
    "diagnose",
    "support_thinking",
    "explain_mistake",
    "signal_goal",
]
# CLASS/SPOCK tutor actions and subproblem states.
ClassAction = Literal[
    "greet",
    "affirm_and_advance",
    "give_feedback",
    "give_hint",
    "re_ask",
    "teach",
    "answer_question",
    "redirect",
    "encourage",
    "confirm_solution",
    "review_code",
]
SubproblemState = Literal["in_progress", "completed", "all_completed"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Assessment(_Record):
    """How the student's message relates to the current plan node."""

    label: AssessmentLabel
    node_id: str | None = None
    misconception: str | None = None
    value: float | None = Field(None, description="The number the student committed to, if any.")
    evidence: str = Field("", description="Why, in one sentence.")
    source: EvidenceSource = Field("rules", description="What decided: rules, executed code/tests, or the model.")
    solved_problem: bool = Field(False, description="The message states the final answer / the code passes all tests.")


class HintGiven(_Record):
    """Which hint a debugging move conveys; for a validated one, the figures that accepted it."""

    bug_id: str
    level: Literal["pointer", "conceptual", "next_step"]
    text: str
    source: Literal["validated", "template"] = Field(description="A validated ladder's hint, or the generic template.")
    n1: int | None = Field(None, description="Simulated-student repairs that passed without the hint (same level).")
    n2: int | None = Field(None, description="... and with it.")
    attempts: int | None = Field(None, description="Repair attempts made with the hint.")
    attempts_without: int | None = Field(
        None, description="Repair attempts made without it (fewer than `attempts` when validation stopped early)."
    )
    student_model: str | None = Field(None, description="Spec of the simulated student that validated it.")
    hint_model: str | None = Field(None, description="Spec of the model that wrote it.")


class Decision(_Record):
    """The tutor's move, in both taxonomies (CLASS and Bridge)."""

    class_evaluation: AssessmentLabel
    class_action: ClassAction
    subproblem_state: SubproblemState
    bridge_error: BridgeError = "not-applicable"
    bridge_strategy: BridgeStrategy
    bridge_intention: BridgeIntention
    move_text: str = Field("", description="The scaffold content the reply must convey (hidden from the student).")
    hint: HintGiven | None = Field(None, description="Debugging: the ladder hint this move conveys, if any.")
    intervention: Literal["given", "held_back"] | None = Field(
        None, description="Under a hint budget: the planned hint or teaching was given, or held back (try first)."
    )
    p_unaided: float | None = Field(None, description="Under a hint budget: P(the student solves the step alone).")
    preempted: str | None = Field(
        None, description="The misconception the first question on the new step heads off (`tutor.preempt`)."
    )


class Repair(_Record):
    code: str
    error: str


class Soliloquy(_Record):
    """One 'do I need to calculate?' episode (Higgs code soliloquy), executed in the sandbox."""

    needed: bool
    decided_by: Literal["rules", "model"]
    reason: str
    purpose: str = ""
    code: str | None = None
    stdout: str | None = None
    ok: bool = False
    value: float | None = None
    repairs: list[Repair] = Field(default_factory=list)
    error: str | None = None


class GuardAttempt(_Record):
    text: str
    reasons: list[str]


class LeakVerdict(_Record):
    """What the reply's checks (the leak guard and the consistency check) decided about the outgoing reply."""

    passed: bool = Field(
        description="The text that went out passed every check; False only when no draft and no scaffold text "
        "passed and the last-resort question went out (still without the answer)."
    )
    checked: bool = Field(True, description="The checks ran (False for the assist baseline and with the guard off).")
    attempts: list[GuardAttempt] = Field(
        default_factory=list, description="Rejected drafts and why (leak, consistency or unreadable)."
    )
    fallback_used: bool = False
    reveal_allowed: bool = False


class ModelCall(_Record):
    purpose: str
    latency_s: float
    first_token_s: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    ok: bool = True
    error: str | None = None


class TestOutcome(_Record):
    __test__ = False
    name: str
    status: str
    message: str = ""


class TutorTurn(_Record):
    """One tutor turn, complete enough to show, store, export and rescore."""

    index: int
    student_message: str
    reply: str
    assessment: Assessment
    decision: Decision
    plan: PlanTree
    knowledge: KnowledgeState
    soliloquies: list[Soliloquy] = Field(default_factory=list)
    leak: LeakVerdict
    model_calls: list[ModelCall] = Field(default_factory=list)
    tests: list[TestOutcome] = Field(default_factory=list, description="Debugging: the student's code's test run.")
    resolved_bugs: list[str] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    solved: bool = False


class Message(_Record):
    role: Literal["student", "tutor"]
    content: str


class TutorState(_Record):
    """Everything the tutor carries from one turn to the next."""

    problem_id: str
    plan: PlanTree
    knowledge: KnowledgeState
    history: list[Message] = Field(default_factory=list)
    code: str | None = Field(None, description="Debugging: the student's current program.")
    failed_attempts: int = 0
    interventions: int = Field(0, description="Hints and teaching moves given under the hint budget so far.")
    misconceptions_seen: dict[str, int] = Field(
        default_factory=dict, description="Wrong answers per misconception slug so far (the forecast's evidence)."
    )
    turn_index: int = 0
    solved: bool = False
