"""Score records: one `DialogueScore` per dialogue (a line of `scores.jsonl`), with a `TurnScore` per
tutor message. Everything here is computed from the stored dialogue by `evals.metrics` without a model,
except the judge's labels, which come from the run's `judge.jsonl` cache.

Turn counting follows MathDial: k counts student turns. A tutor message's `k` is the number of student
turns before it (the opening is k = 0); a student turn's k is its own number (the first is k = 1).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from evals.labels import JudgeLabels

METRICS_VERSION = "2"  # 2: Telling@k by the independent detector; the guard verdict kept beside it


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TurnScore(_Model):
    """The scores of one tutor message."""

    index: int = Field(description="Position of the message in the dialogue (DialogueTurn.index).")
    k: int = Field(description="Student turns before this message (0 = the opening).")
    asks_question: bool = Field(description="The reply asks the student something (a '?' outside code).")
    tells: bool = Field(
        description="Tells the student the final answer, a step's result, the solution path or an open bug's fix "
        "before the student found it (the independent detector, `student_sim.telling`)."
    )
    tell_reasons: list[str] = Field(default_factory=list)
    guard_tells: bool = Field(
        False, description="The tutor's own leak guard (answer and fix checks, numbers aside) flags the message: data."
    )
    guard_reasons: list[str] = Field(default_factory=list)
    numbers_stated: int = Field(0, description="Numbers in the reply, small counting words (0..10) aside.")
    numbers_quoted: int = Field(0, description="Of those, numbers the student said before (not checked).")
    numbers_correct: int = Field(
        0, description="Checked numbers backed by the answer key, executed code or true arithmetic."
    )
    numbers_wrong: list[str] = Field(
        default_factory=list, description="Checked numbers with no such backing, as written."
    )
    targets_open_bug: bool | None = Field(
        None,
        description="Debugging, while a bug is open: the reply points at an open bug (line, code, names).",
    )
    states_fix: bool | None = Field(None, description="Debugging: the reply states an open bug's fix or fixed code.")
    judge: JudgeLabels | None = Field(None, description="The judge's labels, when judged and readable.")
    judge_error: str = Field("", description="Why a judged turn has no labels (unreadable judge reply).")


class DialogueScore(_Model):
    """Every metric of one dialogue; aggregated by `evals.aggregate`."""

    metrics_version: str = METRICS_VERSION
    dialogue_id: str
    variant: str
    problem_id: str
    domain: str
    profile_id: str
    seed: int
    status: str = Field(description="The dialogue's own outcome status (solved, answer_leaked, stuck, max_turns).")
    quality_passed: bool
    student_turns: int
    tutor_turns: int = Field(description="Tutor messages after the opening.")
    success_turn: int | None = Field(
        None, description="First k at which the student states the final answer / the code passes all tests."
    )
    telling_turn: int | None = Field(None, description="First k at which the tutor tells (the detector).")
    guard_telling_turn: int | None = Field(None, description="First k at which the leak guard flags a message.")
    reveal_allowed: bool = Field(False, description="The teacher's policy allowed revealing at that turn.")
    solved: bool = Field(description="Success without being told first.")
    leaked: bool = Field(description="The tutor told (telling_turn is set).")
    turns_to_solve: int | None = Field(None, description="success_turn of a solved dialogue.")
    question_share: float | None = Field(None, description="Share of tutor turns that ask a question.")
    numbers_stated: int = 0
    numbers_checked: int = 0
    numbers_correct: int = 0
    calc_accuracy: float | None = Field(None, description="numbers_correct / numbers_checked.")
    misconceptions_shown: list[str] = Field(default_factory=list, description="Misconceptions the student showed.")
    misconceptions_resolved: list[str] = Field(
        default_factory=list, description="Those later followed by a right answer on the same step/bug."
    )
    misconception_resolution: float | None = None
    mastery_before: float | None = Field(None, description="The simulated student's mean mastery at the start.")
    mastery_after: float | None = None
    mastery_gain: float | None = None
    bugs_total: int | None = None
    bugs_fixed: int | None = None
    tests_total: int | None = None
    tests_passed: int | None = Field(None, description="Tests the student's last program passed.")
    open_bug_targeting: float | None = Field(None, description="Share of turns with an open bug that target one.")
    fix_statements: int | None = Field(None, description="Tutor turns that state an open bug's fix.")
    judged_turns: int = 0
    model_calls: int = 0
    output_tokens: int = 0
    tutor_model_s: float = 0.0
    duration_s: float = 0.0
    turns: list[TurnScore] = Field(default_factory=list)

    @property
    def pair_key(self) -> tuple[str, str, int]:
        """What pairs two runs' dialogues for a paired comparison."""
        return (self.problem_id, self.profile_id, self.seed)


__all__ = ["METRICS_VERSION", "DialogueScore", "TurnScore"]
