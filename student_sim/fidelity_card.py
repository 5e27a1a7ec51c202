"""The fidelity card's records and its Markdown section (computed by `student_sim.fidelity`).

`FidelityCard` is what `fidelity.json` holds; `render_fidelity_markdown` is `fidelity.md` and the section an
eval report includes. `MOVE_TABLE` maps our tutor's decision labels to MathDial's teacher moves: a
description of the data, not a grader. The fields are documented in `datasets/DIALOGUES.md`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MathDialMove = Literal["focus", "probing", "telling", "generic"]
MOVES: tuple[MathDialMove, ...] = ("focus", "probing", "telling", "generic")
OPENING = "(opening)"

# Our tutor's CLASS action -> the MathDial teacher move it is (Macina et al., 2023: focus = seek strategy,
# guide focus, recall information; probing = ask for an explanation, seek self-correction, perturb the
# question; telling = reveal strategy or answer; generic = greetings, praise, general talk). The opening
# has no decision record: it asks the first step's question, which is guiding focus.
MOVE_TABLE: dict[str, MathDialMove] = {
    OPENING: "focus",
    "greet": "generic",
    "affirm_and_advance": "focus",
    "give_feedback": "probing",
    "give_hint": "focus",
    "re_ask": "focus",
    "teach": "telling",
    "answer_question": "focus",
    "redirect": "focus",
    "encourage": "generic",
    "confirm_solution": "generic",
    "review_code": "probing",
}
# An answered question whose Bridge strategy explains or corrects reveals something: telling.
TELLING_STRATEGIES = frozenset({"explain_concept", "worked_example", "correction"})


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MisconceptionFidelity(_Record):
    """How often one misconception of a profile showed where it applies."""

    slug: str
    stated_rate: float = Field(description="The profile's `strength`: P(it decides the answer on a matching step).")
    implied_first_rate: float | None = Field(
        description="What the cognitive model implies for a first answer on a matching step (the strength: a "
        "held misconception decides first), averaged over opportunities."
    )
    steps: list[str] = Field(description="`problem_id:step` where it applies, in the dialogues.")
    opportunities: int = Field(description="(dialogue, step) pairs where the student answered such a step.")
    first_hits: int = Field(description="... whose first answer was the predicted wrong answer.")
    first_wrong: int = Field(description="... whose first answer was wrong (any wrong answer).")
    answers: int = Field(description="Every answer the student gave on such a step.")
    hits: int = Field(description="... that were the predicted wrong answer.")
    first_rate: float | None = None
    rate_among_wrong: float | None = Field(description="first_hits / first_wrong: comparable to `stated_rate`.")
    answer_rate: float | None = None


class ProfileFidelity(_Record):
    """One profile's figures over its dialogues."""

    profile_id: str
    profile_name: str
    dialogues: int
    solved: int
    solve_rate: float
    turns_to_solve_mean: float | None = Field(description="Student turns before the solving tutor turn.")
    turns_to_solve_median: float | None
    student_turns: int
    question_turns: int
    question_share: float | None
    misconceptions: list[MisconceptionFidelity]
    notes: list[str] = Field(default_factory=list)


class DatasetFigures(_Record):
    """Aggregates of one dataset (ours or MathDial's), in the same units."""

    source: str
    dialogues: int
    turns_mean: float | None = Field(description="Messages per dialogue, both speakers.")
    turns_median: float | None
    teacher_turns: int = Field(description="Teacher turns with a move (MathDial: labelled ones).")
    moves: dict[str, int] = Field(description="Teacher turns per MathDial move.")
    move_shares: dict[str, float]
    first_answer_incorrect: int = Field(description="Dialogues whose first student answer is the wrong answer.")
    first_answer_n: int = Field(description="Dialogues where that can be decided (see the notes).")
    first_answer_incorrect_rate: float | None
    student_turns: int
    question_share: float | None
    solve_rate: float | None = Field(default=None, description="Ours: solved without being told.")
    notes: list[str] = Field(default_factory=list)


class FidelityCard(_Record):
    """The fidelity card of one set of dialogues (see the module docstring)."""

    source: str = Field(description="Where the dialogues came from (a run folder), '' when not known.")
    dialogues: int
    accepted: int
    rejected: int
    profiles: list[ProfileFidelity]
    ours: DatasetFigures
    mathdial: DatasetFigures | None = None
    mathdial_path: str = ""
    move_table: dict[str, str] = Field(default_factory=lambda: dict[str, str](MOVE_TABLE))
    notes: list[str] = Field(default_factory=list)

    def to_json(self) -> str:
        """The card as indented JSON (what `fidelity.json` holds)."""
        return self.model_dump_json(indent=2) + "\n"


# ------------------------------------------------------------------------------------------- markdown


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _of(k: int, n: int) -> str:
    return "-" if n == 0 else f"{k}/{n} ({100 * k / n:.0f}%)"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def _steps(steps: Sequence[str]) -> str:
    shown = ", ".join(f"`{s}`" for s in steps[:4])
    return shown + (f" (+{len(steps) - 4})" if len(steps) > 4 else "") if steps else "-"


def _misconception_rows(card: FidelityCard) -> list[str]:
    rows = [
        "| profile | misconception | applies on | stated rate | implied first-answer rate | first answer shows it "
        "| among wrong first answers | all answers on the step |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in card.profiles:
        for m in p.misconceptions:
            rows.append(
                f"| {p.profile_id} | {m.slug} | {_steps(m.steps)} | {_pct(m.stated_rate)} "
                f"| {_pct(m.implied_first_rate)} | {_of(m.first_hits, m.opportunities)} "
                f"| {_of(m.first_hits, m.first_wrong)} | {_of(m.hits, m.answers)} |"
            )
    return rows if len(rows) > 2 else ["No profile in these dialogues holds a misconception."]


def _profile_rows(card: FidelityCard) -> list[str]:
    rows = [
        "| profile | dialogues | solved | student turns to solve (mean / median) | student turns asking a question |",
        "|---|---|---|---|---|",
    ]
    for p in card.profiles:
        rows.append(
            f"| {p.profile_id} | {p.dialogues} | {_of(p.solved, p.dialogues)} "
            f"| {_num(p.turns_to_solve_mean)} / {_num(p.turns_to_solve_median)} "
            f"| {_of(p.question_turns, p.student_turns)} |"
        )
    return rows


def _dataset_cells(d: DatasetFigures) -> list[str]:
    return [
        str(d.dialogues),
        f"{_num(d.turns_mean)} / {_num(d.turns_median)}",
        " / ".join(_pct(d.move_shares.get(m, 0.0)) for m in MOVES) + f" (n={d.teacher_turns})",
        _of(d.first_answer_incorrect, d.first_answer_n),
        f"{_pct(d.question_share)} (n={d.student_turns})",
        _pct(d.solve_rate),
    ]


def _dataset_rows(card: FidelityCard) -> list[str]:
    labels = [
        "dialogues",
        "messages per dialogue (mean / median)",
        "teacher moves: " + " / ".join(MOVES),
        "student's first answer is the incorrect solution",
        "student turns asking a question",
        "solved without being told",
    ]
    ours = _dataset_cells(card.ours)
    if card.mathdial is None:
        rows = ["| figure | generated |", "|---|---|"]
        return rows + [f"| {label} | {a} |" for label, a in zip(labels, ours, strict=True)]
    theirs = _dataset_cells(card.mathdial)
    rows = ["| figure | generated | MathDial |", "|---|---|---|"]
    return rows + [f"| {label} | {a} | {b} |" for label, a, b in zip(labels, ours, theirs, strict=True)]


def render_fidelity_markdown(card: FidelityCard, *, heading: str = "##") -> str:
    """The card as a Markdown section (`heading` is its level, sub-sections one deeper)."""
    sub = heading + "#"
    where = f" from `{card.source}`" if card.source else ""
    lines = [
        f"{heading} Simulated-student fidelity",
        "",
        f"{card.dialogues} dialogue(s){where}: {card.accepted} accepted, {card.rejected} rejected (both counted). "
        "What a student answered is read from its words with the project's answer checker.",
        "",
        f"{sub} Misconceptions where they apply",
        "",
        "Stated rate: the profile's `strength` (how likely the misconception decides the answer on a matching "
        "step). Implied first-answer rate: what the simulated student's rules give for a first answer there (the "
        "strength: a held misconception decides before mastery). "
        "Observed: per dialogue and step where the misconception applies and the student answered.",
        "",
        *_misconception_rows(card),
        "",
        f"{sub} Profiles",
        "",
        *_profile_rows(card),
        "",
        f"{sub} Beside real conversations (MathDial)",
        "",
        *_dataset_rows(card),
        "",
    ]
    if card.mathdial is not None:
        lines += [f"MathDial figures from `{card.mathdial_path}`.", ""]
    lines += [
        "Our tutor's decisions as MathDial teacher moves (a description of the data, not a grade):",
        "",
        "| our CLASS action | MathDial move |",
        "|---|---|",
        *(f"| {action} | {move} |" for action, move in card.move_table.items()),
        f"| answer_question with strategy {', '.join(sorted(TELLING_STRATEGIES))} | telling |",
        "",
    ]
    notes = [*card.notes, *card.ours.notes, *(card.mathdial.notes if card.mathdial else [])]
    notes += [f"{p.profile_id}: {n}" for p in card.profiles for n in p.notes]
    lines += [f"- {n}" for n in notes]
    return "\n".join(lines).rstrip() + "\n"
