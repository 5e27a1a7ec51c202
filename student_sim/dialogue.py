"""The dialogue record: problem, profile, every turn with the tutor's full turn record, outcome, quality
verdict and provenance. One JSON object per line in `dialogues.jsonl` / `rejected.jsonl`.

Hugging Face `datasets.load_dataset("json", ...)` fixes a column's type from the first rows it reads and
casts the rest to it, so every column must have one non-null type in every row: records whose shape
depends on the turn (the tutor's `TutorTurn`, the student's `StudentTurn`, the problem and the profile) are
stored as JSON strings, absent strings are `""` and absent turn indexes `-1`, never null.
`DialogueTurn.tutor_turn()` and friends parse them back. The JSON Schema ships as
`datasets/dialogue.schema.json` (`socratic dialogues schema` rewrites it); `datasets/DIALOGUES.md` documents
the fields.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from student_sim.profiles import StudentProfile
from student_sim.state import StudentTurn
from tutor.files import atomic_write_text
from tutor.problems.schema import PROBLEM_ADAPTER
from tutor.record import TutorTurn

SCHEMA_VERSION = "1.0"
# "in_progress": a live session from the app, exported before it ended.
Status = Literal["solved", "answer_leaked", "stuck", "max_turns", "in_progress"]
RejectReason = Literal["leak", "role_break", "loop", "empty_turn"]
REJECT_REASONS: tuple[RejectReason, ...] = ("leak", "role_break", "loop", "empty_turn")


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DialogueTurn(_Record):
    """One message of the dialogue. Absent values are empty strings, never null (see the module docstring)."""

    index: int = Field(description="Position in the dialogue, from 0 (the tutor's opening).")
    role: Literal["tutor", "student"]
    text: str
    code: str = Field(default="", description="Student turns: the program submitted with the message ('' if none).")
    node: str = Field(
        default="", description="The plan node (step or bug id) the tutor asks about / the student works on."
    )
    tutor_record: str = Field(
        default="",
        description="Tutor turns after the opening: `tutor.record.TutorTurn` as JSON ('' otherwise).",
    )
    student_record: str = Field(
        default="", description="Student turns: `student_sim.state.StudentTurn` as JSON ('' otherwise)."
    )

    def tutor_turn(self) -> TutorTurn | None:
        """The tutor's full turn record, parsed."""
        return TutorTurn.model_validate_json(self.tutor_record) if self.tutor_record else None

    def student_turn(self) -> StudentTurn | None:
        """The student's turn record, parsed."""
        return StudentTurn.model_validate_json(self.student_record) if self.student_record else None


class Outcome(_Record):
    """How the dialogue ended. `status` is decided from the tutor's state and the guard, not from text."""

    status: Status
    solved: bool = Field(description="The student reached the answer (or passing code) without being told.")
    leaked: bool = Field(description="A tutor message stated the final answer or a fix before the student did.")
    reveal_allowed: bool = Field(default=False, description="The teacher's policy allowed revealing at that point.")
    leak_turn: int | None = Field(default=None, description="Index of the first tutor message that stated it.")
    solved_turn: int | None = Field(default=None, description="Index of the tutor turn that counted it solved.")
    tutor_turns: int
    student_turns: int
    reason: str = Field(default="", description="Why the dialogue ended, in words.")


class QualityCheck(_Record):
    """The generator's quality filters; a dialogue that fails any goes to `rejected.jsonl`.

    One boolean per filter rather than a list of reasons: an empty list has no element type, which breaks
    Hugging Face's schema inference on files where the first rows all passed.
    """

    passed: bool
    leak: bool = False
    role_break: bool = False
    loop: bool = False
    empty_turn: bool = False
    details: str = Field(default="", description="What the failed checks saw, '; '-separated.")

    @property
    def reasons(self) -> list[RejectReason]:
        """The names of the failed filters."""
        return [r for r in REJECT_REASONS if getattr(self, r)]


class Versions(_Record):
    package: str
    python: str
    langchain_core: str
    llama_cpp: str
    schema_version: str = SCHEMA_VERSION


class Provenance(_Record):
    """Everything needed to say how the dialogue was made, and to make it again."""

    job_id: str
    tutor_model: str = Field(description="The tutor's model spec.")
    student_model: str = Field(default="", description="The student's model spec (llm policy; '' for rules).")
    student_policy: Literal["rules", "llm", "human"] = Field(description="human: a session from the app.")
    seed: int
    max_turns: int
    config_hash: str = Field(description="Hash of the generation config (models, policy, limits, tutor config).")
    config: str = Field(description="That config, as JSON.")
    versions: Versions
    created_at: datetime = Field(description="UTC time the dialogue finished, ISO 8601.")
    duration_s: float


class Dialogue(_Record):
    """One tutor x simulated-student dialogue on one problem."""

    schema_version: str = SCHEMA_VERSION
    id: str = Field(description="Stable id: the job id (problem, profile, seed, config hash).")
    problem_id: str
    domain: Literal["math", "physics", "debugging"]
    problem_title: str
    problem_statement: str
    problem_json: str = Field(description="The full problem, as JSON.")
    profile_id: str
    profile_name: str
    profile_json: str = Field(description="The full student profile, as JSON.")
    turns: list[DialogueTurn]
    outcome: Outcome
    quality: QualityCheck
    provenance: Provenance

    def profile(self) -> StudentProfile:
        return StudentProfile.model_validate_json(self.profile_json)

    def problem(self) -> Any:
        """The problem, parsed (a MathProblem, PhysicsProblem or DebuggingProblem)."""
        return PROBLEM_ADAPTER.validate_json(self.problem_json)

    def to_json_line(self) -> str:
        """One line of a `.jsonl` file (no newline inside)."""
        return self.model_dump_json()


def read_dialogues(path: str | Path) -> list[Dialogue]:
    """Every dialogue in a `.jsonl` file (a torn last line from a crash is skipped)."""
    out: list[Dialogue] = []
    text = Path(path).read_text(encoding="utf-8")
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if not line.strip():
            continue
        if n == len(lines) - 1 and not text.endswith("\n"):
            break  # unterminated last line: a write that did not finish
        out.append(Dialogue.model_validate_json(line))
    return out


def dialogue_json_schema() -> dict[str, Any]:
    """The JSON Schema of one dialogue line, as committed in `datasets/dialogue.schema.json`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Dialogue",
        "description": "One tutor x simulated-student dialogue (a line of dialogues.jsonl); see datasets/DIALOGUES.md.",
        **Dialogue.model_json_schema(),
    }


def render_dialogue_schema() -> str:
    return json.dumps(dialogue_json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_dialogue_schema(path: Path) -> Path:
    return atomic_write_text(path, render_dialogue_schema())
