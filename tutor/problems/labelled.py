"""Records from public datasets that are not problems: labelled tutor responses and student seeds.

Three kinds, told apart by their `record` field, one JSON object per line of a `.jsonl` file:

- `LabelledTutorResponse` (MRBench, BEA 2025): one tutor's reply to a dialogue history, with the human
  labels on up to 8 dimensions. The evals calibrate the LLM judge against these.
- `RemediationExample` (Bridge): a history ending on a student's mistake, a novice tutor's reply, the
  expert's reply(s) and the expert's decision (error, strategy, intention).
- `StudentProfileSeed` (MathDial, Socratic Debugging Benchmark): what a simulated student can be built
  from: the persona text, an incorrect solution and its wrong answer, the reference dialogue.

Importers write these; `read_labelled_jsonl` reads them back. Label values are normalised to the small
vocabularies below; the source's own wording is kept next to the normalised value where it can differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from tutor.errors import InputDataError, validation_problem
from tutor.problems.schema import SLUG_PATTERN

Role = Literal["tutor", "student"]
TeacherMove = Literal["focus", "probing", "telling", "generic"]
Level = Literal["Yes", "To some extent", "No"]
Revealing = Literal["revealed-correct", "revealed-incorrect", "not-revealed"]
Tone = Literal["Encouraging", "Neutral", "Offensive"]
SelfCorrectness = Literal["yes", "yes-after-reveal", "no"]

# The fixed label sets of Bridge (design.md); anything else is `other`, with the source text kept.
BridgeError = Literal["guess", "misinterpret", "careless", "right-idea", "imprecise", "diagnose", "other"]
BridgeStrategy = Literal[
    "explain-concept",
    "ask-question",
    "hint",
    "strategy",
    "worked-example",
    "correction",
    "similar-problem",
    "simplify",
    "affirm",
    "encourage",
    "other",
]
BridgeIntention = Literal[
    "motivate",
    "elaborate",
    "correct",
    "hint-at-mistake",
    "clarify",
    "understand-topic",
    "diagnose",
    "support-thinking",
    "explain-mistake",
    "signal-goal",
    "other",
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabelledTurn(_Record):
    """One turn of a reference dialogue or a dialogue history."""

    role: Role = Field(description="`tutor` (teacher, instructor, assistant) or `student` (user).")
    text: str = Field(description="What was said (may be empty when the turn only shows code).")
    move: TeacherMove | None = Field(default=None, description="MathDial's teacher-move label, when given.")
    alternatives: tuple[str, ...] = Field(default=(), description="Other acceptable phrasings of this turn.")
    code: str | None = Field(default=None, description="The student's updated program shown with this turn.")


class _Imported(_Record):
    id: str = Field(min_length=1, description="Stable id of the record inside the imported file.")
    source: str = Field(pattern=SLUG_PATTERN, description="The dataset, e.g. `mrbench`, `bridge`.")
    source_ref: str = Field(description="Where the record came from: `file:line` or `file:item`.")
    license: str = Field(min_length=1, description="The dataset's license.")
    import_notes: tuple[str, ...] = Field(default=(), description="What the importer could not map faithfully.")


# ------------------------------------------------------------------------------------------- MRBench


class ResponseLabels(_Record):
    """MRBench's human labels on one tutor response; None where the file has no label."""

    mistake_identification: Level | None = None
    mistake_location: Level | None = None
    revealing_of_the_answer: Revealing | None = None
    providing_guidance: Level | None = None
    actionability: Level | None = None
    coherence: Level | None = None
    tutor_tone: Tone | None = None
    humanlikeness: Level | None = None


class LabelledTutorResponse(_Imported):
    """One tutor's reply to a dialogue history, with human labels (MRBench, BEA 2025)."""

    record: Literal["tutor-response"] = "tutor-response"
    conversation_id: str = Field(description="The source's conversation id (several tutors share one).")
    origin: str | None = Field(default=None, description="Where the dialogue came from (`MathDial`, `Bridge`).")
    split: str | None = None
    topic: str | None = None
    ground_truth_solution: str | None = None
    history_text: str = Field(description="The history exactly as the source gives it.")
    history: tuple[LabelledTurn, ...] = Field(description="The history split into turns (may be empty).")
    tutor: str = Field(min_length=1, description="Who wrote the response (a model name, `Expert`, ...).")
    response: str = Field(min_length=1, description="The tutor's reply being judged.")
    labels: ResponseLabels = Field(description="The human labels, normalised.")


# -------------------------------------------------------------------------------------------- Bridge


class ExpertResponse(_Record):
    """One of the expert's replies in a Bridge item."""

    text: str = Field(min_length=1)
    is_revised: bool | None = Field(default=None, description="Bridge's `is_revised` flag, when given.")


class RemediationLabels(_Record):
    """The expert's decision: the student's error, the strategy and the intention behind the reply."""

    error: BridgeError
    error_text: str = Field(description="The source's wording of the error label.")
    strategy: BridgeStrategy
    strategy_text: str
    intention: BridgeIntention
    intention_text: str


class RemediationExample(_Imported):
    """A Bridge item: a history ending on a mistake, a novice reply, the expert reply(s) and labels."""

    record: Literal["remediation"] = "remediation"
    conversation_id: str = Field(description="Bridge's `c_id`; several experts may label the same segment.")
    topic: str | None = None
    history: tuple[LabelledTurn, ...] = Field(min_length=1, description="`c_h`, one turn per chat message.")
    novice_response: tuple[LabelledTurn, ...] = Field(
        min_length=1, description="The novice tutor's reply (`c_r`), one turn per chat message."
    )
    expert_responses: tuple[ExpertResponse, ...] = Field(description="The expert's reply(s) (`c_r_`).")
    revision: tuple[LabelledTurn, ...] = Field(
        default=(), description="`c_revision`: the expert's reply and the conversation that follows it."
    )
    labels: RemediationLabels

    @property
    def last_student_message(self) -> str:
        """The student's last words in the history (the message the expert's decision answers)."""
        return next((t.text for t in reversed(self.history) if t.role == "student"), "")


# ----------------------------------------------------------------------------------- student seeds


class StudentProfileSeed(_Imported):
    """What a simulated student can be built from, taken from one public dialogue.

    MathDial gives a persona, an incorrect solution (its last number is the wrong answer), the teacher's
    description of the confusion, and the dialogue with teacher-move labels. The Socratic Debugging
    Benchmark gives a student description and the reference dialogue (with alternatives and code).
    """

    record: Literal["student-seed"] = "student-seed"
    problem_id: str = Field(description="The imported problem this student works on.")
    profile: str = Field(description="The persona text (may be empty when the source leaves it blank).")
    incorrect_solution: str | None = None
    wrong_answer: float | None = Field(default=None, description="The incorrect solution's final number.")
    misconception: str | None = Field(default=None, pattern=SLUG_PATTERN, description="Slug for `wrong_answer`.")
    teacher_confusion: str | None = Field(default=None, description="The teacher's words for the confusion.")
    self_correctness: SelfCorrectness | None = Field(
        default=None, description="Did the student end correct: yes, yes after the tutor revealed it, no."
    )
    typical_confusion: int | None = Field(default=None, ge=1, le=5)
    typical_interactions: int | None = Field(default=None, ge=1, le=5)
    scenario: int | None = None
    dialogue: tuple[LabelledTurn, ...] = Field(default=(), description="The reference dialogue.")


LabelledRecord = Annotated[
    LabelledTutorResponse | RemediationExample | StudentProfileSeed, Field(discriminator="record")
]
LABELLED_ADAPTER: TypeAdapter[LabelledTutorResponse | RemediationExample | StudentProfileSeed] = TypeAdapter(
    LabelledRecord
)
AnyLabelled = LabelledTutorResponse | RemediationExample | StudentProfileSeed


def read_labelled_jsonl(path: str | Path) -> list[AnyLabelled]:
    """Read a `.jsonl` of labelled records (any mix of the three kinds).

    Raises:
        InputDataError: unreadable file, bad JSON, or a record that does not fit (naming line and field).
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputDataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    records: list[AnyLabelled] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(LABELLED_ADAPTER.validate_json(line))
        except ValidationError as exc:
            if '"record"' not in line:
                raise InputDataError(
                    f"{path}: line {n}: not a labelled record (no `record` field)",
                    hint="labelled records and problems go to different files",
                ) from None
            raise InputDataError(f"{path}: line {n}: {validation_problem(exc)}") from None
    return records
