"""The fidelity card: do the simulated students behave like the profiles say, and like real students?

A description of a set of generated dialogues (a `socratic generate` run folder, or one variant of an
eval run), never a grade of the tutor:

* Per profile: how often the student gives the wrong answer its misconception predicts on a step where
  that misconception applies (a step with a typical wrong answer under the same slug, or a wrong answer
  the profile binds to the problem), against the rate the profile states (`Misconception.strength`) and the
  rate its figures imply for a first answer ((1 - mastery of the step's concepts) x strength); the solve
  rate, student turns to solve, and the share of student turns that ask a question. What the student
  answered is read from its text with the project's answer checker (`tutor.problems.answers`), as the
  tutor reads it, not from the student's hidden record.
* Per dataset: the same aggregates beside MathDial's real teacher-student conversations: dialogue length,
  the share of teacher moves of each MathDial kind (our tutor's decision labels mapped by `MOVE_TABLE`),
  how often the student's first answer is the incorrect solution, the share of student turns asking.

`fidelity_for_run(run_dir)` computes the card from the folder's files (so a resumed run recomputes it),
`write_fidelity` writes `fidelity.json` and `fidelity.md` next to `dialogues.jsonl`, and
`render_fidelity_markdown` (`student_sim.fidelity_card`, with the card's records) gives the section an eval
report includes.
"""

from __future__ import annotations

import os
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from student_sim.dialogue import Dialogue, DialogueTurn
from student_sim.fidelity_card import (
    MOVE_TABLE,
    MOVES,
    OPENING,
    TELLING_STRATEGIES,
    DatasetFigures,
    FidelityCard,
    MathDialMove,
    MisconceptionFidelity,
    ProfileFidelity,
    render_fidelity_markdown,
)
from student_sim.profiles import Misconception, StudentProfile
from student_sim.runfolder import RunFolder
from tutor.errors import InputDataError
from tutor.files import atomic_write_text
from tutor.problems.answers import AnswerCheck, Verdict, check_answer, extract_numbers
from tutor.problems.importers.common import last_number
from tutor.problems.importers.mathdial import read_conversations
from tutor.problems.schema import DebuggingProblem, Step, WrongAnswer

FIDELITY_JSON = "fidelity.json"
FIDELITY_MD = "fidelity.md"
MATHDIAL_FILE = Path("mathdial") / "dev.jsonl"  # under TUTOR_REALDATA_DIR
_QUESTION = re.compile(r"(?:[^.!?\n]|(?<=\d)\.(?=\d))*\?")  # a decimal point ends no sentence
_WORD = re.compile(r"[A-Za-z]{2,}")


# ------------------------------------------------------------------------------------------ reading text


def asks_question(text: str) -> bool:
    """The message asks something: a sentence ending in `?` with words in it ("12?" is a hedge, not one)."""
    return any(len(_WORD.findall(q)) >= 2 for q in _QUESTION.findall(text))


def tutor_move(turn: DialogueTurn) -> MathDialMove | None:
    """The MathDial move of one of our tutor turns (`MOVE_TABLE`); None for a student turn."""
    if turn.role != "tutor":
        return None
    record = turn.tutor_turn()
    if record is None:
        return MOVE_TABLE[OPENING]
    decision = record.decision
    if decision.class_action == "answer_question" and decision.bridge_strategy in TELLING_STRATEGIES:
        return "telling"
    return MOVE_TABLE.get(decision.class_action, "generic")


@dataclass(frozen=True)
class _Answer:
    """A student turn read as an answer to a step."""

    turn: int
    step: Step
    check: AnswerCheck


def _answers(dialogue: Dialogue, problem: Any, extra: dict[str, tuple[WrongAnswer, ...]]) -> list[_Answer]:
    """Every student turn that answers a step (the checker finds a number or phrasing in it).

    The step is the one the student turn is recorded on, else the one the tutor had just asked about.
    """
    steps = {s.id: s for s in problem.steps}
    givens = [m.value for m in extract_numbers(problem.statement)]
    out: list[_Answer] = []
    asked = ""
    for turn in dialogue.turns:
        if turn.role == "tutor":
            asked = turn.node
            continue
        step = steps.get(turn.node or asked)
        if step is None or not turn.text.strip():
            continue
        wrong = (*extra.get(step.id, ()), *step.wrong_answers)
        check = check_answer(turn.text, step.answer, wrong, context_numbers=givens)
        if check.verdict is not Verdict.UNPARSEABLE:
            out.append(_Answer(turn.index, step, check))
    return out


def predicted(profile: StudentProfile, problem: Any, misconception: Misconception) -> dict[str, list[WrongAnswer]]:
    """Step id -> the wrong answers `misconception` predicts on that step of `problem` (steps where it
    applies only): the step's typical wrong answers with its slug, and wrong answers the profile binds to
    this problem (MathDial profiles; a bound answer without a step is the last step's)."""
    out: dict[str, list[WrongAnswer]] = {}
    if isinstance(problem, DebuggingProblem):
        return out
    last = problem.steps[-1].id
    for step in problem.steps:
        found = [w for w in step.wrong_answers if w.misconception == misconception.slug]
        for bound in misconception.wrong_answers:
            if bound.problem_id == problem.id and (bound.step or last) == step.id:
                found.append(
                    WrongAnswer(
                        value=bound.value,
                        text=bound.text,
                        misconception=misconception.slug,
                        description=misconception.description,
                        feedback="(bound by the profile)",
                    )
                )
        if found:
            out[step.id] = found
    return out


# ----------------------------------------------------------------------------------------- per profile


@dataclass
class _Tally:
    """Counts for one (profile, misconception) while the dialogues are read."""

    misconception: Misconception
    steps: set[str]
    implied: list[float]
    opportunities: int = 0
    first_hits: int = 0
    first_wrong: int = 0
    answers: int = 0
    hits: int = 0

    def add(self, profile: StudentProfile, problem: Any, steps: Iterable[str], answers: list[_Answer]) -> None:
        slug_ = self.misconception.slug
        for step_id in steps:
            on_step = [a for a in answers if a.step.id == step_id]
            self.steps.add(f"{problem.id}:{step_id}")
            if not on_step:
                continue
            self.opportunities += 1
            # A held misconception decides the answer on its step first (student_sim.cognition).
            self.implied.append(self.misconception.strength)
            self.first_hits += _hit(on_step[0], slug_)
            self.first_wrong += on_step[0].check.verdict is Verdict.INCORRECT
            self.answers += len(on_step)
            self.hits += sum(_hit(a, slug_) for a in on_step)

    def result(self) -> MisconceptionFidelity:
        return MisconceptionFidelity(
            slug=self.misconception.slug,
            stated_rate=self.misconception.strength,
            implied_first_rate=_round(statistics.fmean(self.implied)) if self.implied else None,
            steps=sorted(self.steps),
            opportunities=self.opportunities,
            first_hits=self.first_hits,
            first_wrong=self.first_wrong,
            answers=self.answers,
            hits=self.hits,
            first_rate=_ratio(self.first_hits, self.opportunities),
            rate_among_wrong=_ratio(self.first_hits, self.first_wrong),
            answer_rate=_ratio(self.hits, self.answers),
        )


def _hit(answer: _Answer, slug_: str) -> bool:
    wrong = answer.check.wrong_answer
    return answer.check.verdict is Verdict.INCORRECT and wrong is not None and wrong.misconception == slug_


def _ratio(k: int, n: int) -> float | None:
    return _round(k / n) if n else None


def _round(x: float) -> float:
    return round(x, 4)


def _turns_to_solve(dialogue: Dialogue) -> int | None:
    solved_at = dialogue.outcome.solved_turn
    if not dialogue.outcome.solved or solved_at is None or solved_at < 0:
        return None
    return sum(1 for t in dialogue.turns if t.role == "student" and t.index < solved_at)


def _profile_figures(profile: StudentProfile, dialogues: list[Dialogue]) -> ProfileFidelity:
    tallies = {m.slug: _Tally(m, set(), []) for m in profile.misconceptions}
    notes: list[str] = []
    debugging = 0
    for dialogue in dialogues:
        problem = dialogue.problem()
        if isinstance(problem, DebuggingProblem):
            debugging += 1
            continue
        per_slug = {m.slug: predicted(profile, problem, m) for m in profile.misconceptions}
        answers = _answers(dialogue, problem, _union(per_slug.values()))
        for slug_, steps in per_slug.items():
            tallies[slug_].add(profile, problem, steps, answers)
    if debugging and profile.misconceptions:
        notes.append(
            f"{debugging} debugging dialogue(s): misconceptions there show in explanations, which the answer "
            "checker does not read; not counted"
        )
    solve_turns = [n for d in dialogues if (n := _turns_to_solve(d)) is not None]
    students = [t for d in dialogues for t in d.turns if t.role == "student"]
    questions = sum(asks_question(t.text) for t in students)
    solved = sum(d.outcome.solved for d in dialogues)
    return ProfileFidelity(
        profile_id=profile.id,
        profile_name=profile.name,
        dialogues=len(dialogues),
        solved=solved,
        solve_rate=_round(solved / len(dialogues)),
        turns_to_solve_mean=_round(statistics.fmean(solve_turns)) if solve_turns else None,
        turns_to_solve_median=statistics.median(solve_turns) if solve_turns else None,
        student_turns=len(students),
        question_turns=questions,
        question_share=_ratio(questions, len(students)),
        misconceptions=[t.result() for t in tallies.values()],
        notes=notes,
    )


def _union(maps: Iterable[dict[str, list[WrongAnswer]]]) -> dict[str, tuple[WrongAnswer, ...]]:
    out: dict[str, list[WrongAnswer]] = {}
    for mapping in maps:
        for step_id, wrong in mapping.items():
            out.setdefault(step_id, []).extend(wrong)
    return {k: tuple(v) for k, v in out.items()}


# ----------------------------------------------------------------------------------------- per dataset


def _first_answer_is_wrong(dialogue: Dialogue) -> bool | None:
    """The student's first answer is a wrong answer its profile's misconceptions predict (None when no
    misconception of the profile applies to the problem, or the student never answered)."""
    problem = dialogue.problem()
    if isinstance(problem, DebuggingProblem):
        return None
    profile = dialogue.profile()
    per_slug = {m.slug: predicted(profile, problem, m) for m in profile.misconceptions}
    union = _union(per_slug.values())
    if not union:
        return None
    answers = _answers(dialogue, problem, union)
    if not answers:
        return None
    first = answers[0]
    return any(first.step.id in steps and _hit(first, slug_) for slug_, steps in per_slug.items())


def _move_counts(moves: Iterable[str | None]) -> tuple[dict[str, int], dict[str, float], int]:
    counts = Counter(m for m in moves if m is not None)
    total = sum(counts.values())
    full: dict[str, int] = {m: counts.get(m, 0) for m in MOVES}
    shares = {m: _round(n / total) if total else 0.0 for m, n in full.items()}
    return full, shares, total


def _lengths(values: Sequence[int]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return _round(statistics.fmean(values)), float(statistics.median(values))


def _figures(
    source: str,
    lengths: Sequence[int],
    moves: Iterable[str | None],
    firsts: Sequence[bool],
    student_texts: Sequence[str],
    solved: Sequence[bool],
    notes: list[str],
) -> DatasetFigures:
    """The same figures for both sides of the comparison, from the same kinds of counts."""
    mean, median = _lengths(lengths)
    counts, shares, total = _move_counts(moves)
    questions = sum(asks_question(text) for text in student_texts)
    return DatasetFigures(
        source=source,
        dialogues=len(lengths),
        turns_mean=mean,
        turns_median=median,
        teacher_turns=total,
        moves=counts,
        move_shares=shares,
        first_answer_incorrect=sum(firsts),
        first_answer_n=len(firsts),
        first_answer_incorrect_rate=_ratio(sum(firsts), len(firsts)),
        student_turns=len(student_texts),
        question_share=_ratio(questions, len(student_texts)),
        solve_rate=_ratio(sum(solved), len(solved)),
        notes=notes,
    )


def dataset_figures(dialogues: Sequence[Dialogue]) -> DatasetFigures:
    """Our side of the dataset comparison."""
    return _figures(
        "generated",
        [len(d.turns) for d in dialogues],
        (tutor_move(t) for d in dialogues for t in d.turns),
        [f for d in dialogues if (f := _first_answer_is_wrong(d)) is not None],
        [t.text for d in dialogues for t in d.turns if t.role == "student"],
        [d.outcome.solved for d in dialogues],
        [
            "teacher moves: our tutor's decision labels mapped to MathDial's moves (move table); the opening counts",
            "first answer: the first student message that answers a step, in dialogues where a misconception of "
            "the profile applies to the problem; it counts when it is a wrong answer that misconception predicts",
        ],
    )


# -------------------------------------------------------------------------------------------- MathDial

_SAME = 1e-3  # MathDial's numbers are written by people: a thousandth is the same number


def _states(text: str, value: float) -> bool:
    return any(abs(m.value - value) <= _SAME for m in extract_numbers(text))


def mathdial_figures(path: str | Path) -> DatasetFigures:
    """The reference side: MathDial's real conversations in `path` (read by the MathDial importer's own
    parser), in the units of `dataset_figures`.

    The first answer counts when the student's first turn states the last number of the record's
    `student_incorrect_solution` (records whose incorrect solution ends on the right answer, or on no
    number, are left out). MathDial's solve rate is the teacher's own `self-correctness` "Yes" (solved,
    without the answer revealed).

    Raises:
        InputDataError: the file cannot be read.
    """
    try:
        conversations, skipped = read_conversations(Path(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputDataError(f"{path}: cannot read the MathDial file: {exc}") from None
    unlabelled = sum(1 for c in conversations for t in c.turns if t.speaker == "teacher" and t.move is None)
    firsts: list[bool] = []
    for conv in conversations:
        wrong = last_number(conv.student_incorrect_solution or "")
        truth = last_number(conv.ground_truth)
        student = next((t for t in conv.turns if t.speaker == "student"), None)
        if wrong is None or student is None or (truth is not None and abs(wrong.value - truth.value) <= _SAME):
            continue
        firsts.append(_states(student.text, wrong.value))
    notes = [
        "MathDial solve rate: the teacher's self-correctness 'Yes' (not 'Yes, but I had to reveal the answer')",
        "MathDial first answer: the first student turn states the last number of the incorrect solution",
    ]
    if unlabelled:
        notes.append(f"MathDial: {unlabelled} teacher turn(s) without a move label are left out of the shares")
    if skipped:
        notes.append(f"MathDial: {len(skipped)} line(s) not read: " + "; ".join(r.describe() for r in skipped[:3]))
    return _figures(
        "mathdial",
        [len(c.turns) for c in conversations],
        (t.move for c in conversations for t in c.turns if t.speaker == "teacher"),
        firsts,
        [t.text for c in conversations for t in c.turns if t.speaker == "student"],
        [c.self_correctness == "yes" for c in conversations if c.self_correctness is not None],
        notes,
    )


# ---------------------------------------------------------------------------------------------- the card


def compute_fidelity(
    dialogues: Sequence[Dialogue],
    *,
    source: str = "",
    mathdial: str | Path | DatasetFigures | None = None,
) -> FidelityCard:
    """The fidelity card of `dialogues` (each carries its profile and problem), beside MathDial's real
    conversations when given: the file, or its figures already read (`mathdial_figures`) when several
    cards share them; else our side only, with a note.

    Raises:
        InputDataError: the MathDial file cannot be read.
    """
    by_profile: dict[str, list[Dialogue]] = {}
    profiles: dict[str, StudentProfile] = {}
    for dialogue in dialogues:
        by_profile.setdefault(dialogue.profile_id, []).append(dialogue)
        profiles.setdefault(dialogue.profile_id, dialogue.profile())
    notes = []
    reference = None
    if isinstance(mathdial, DatasetFigures):
        reference = mathdial
    elif mathdial is not None:
        reference = mathdial_figures(mathdial)
    else:
        notes.append("no MathDial reference: set TUTOR_REALDATA_DIR (its mathdial/dev.jsonl) or pass --mathdial PATH")
    accepted = sum(d.quality.passed for d in dialogues)
    return FidelityCard(
        source=source,
        dialogues=len(dialogues),
        accepted=accepted,
        rejected=len(dialogues) - accepted,
        profiles=[_profile_figures(profiles[pid], by_profile[pid]) for pid in sorted(by_profile)],
        ours=dataset_figures(dialogues),
        mathdial=reference,
        mathdial_path=str(mathdial) if mathdial is not None else "",
        notes=notes,
    )


def realdata_dir(explicit: str | Path | None = None) -> Path | None:
    """The folder of real public files (MathDial, Bridge, ...): `explicit`, else `$TUTOR_REALDATA_DIR`;
    None when neither names an existing folder."""
    value = explicit or os.environ.get("TUTOR_REALDATA_DIR")
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_dir() else None


def default_mathdial_path() -> Path | None:
    """`$TUTOR_REALDATA_DIR/mathdial/dev.jsonl` when that file exists."""
    root = realdata_dir()
    path = root / MATHDIAL_FILE if root else None
    return path if path is not None and path.is_file() else None


def fidelity_for_run(run_dir: str | Path, *, mathdial: str | Path | None = None) -> FidelityCard:
    """The card of a run folder's dialogues, accepted and rejected (the student's behaviour does not depend
    on the tutor passing the quality filters). `mathdial` defaults to `default_mathdial_path()`."""
    dialogues = RunFolder(run_dir).dialogues()
    return compute_fidelity(dialogues, source=str(run_dir), mathdial=mathdial or default_mathdial_path())


def write_fidelity(run_dir: str | Path, card: FidelityCard) -> tuple[Path, Path]:
    """Write `fidelity.json` and `fidelity.md` into the run folder (each replaced atomically)."""
    folder = Path(run_dir)
    out = []
    for name, text in ((FIDELITY_JSON, card.to_json()), (FIDELITY_MD, render_fidelity_markdown(card))):
        out.append(atomic_write_text(folder / name, text))
    return out[0], out[1]


def read_fidelity(run_dir: str | Path) -> FidelityCard | None:
    """The card a run folder holds (`fidelity.json`), or None when it has none."""
    path = Path(run_dir) / FIDELITY_JSON
    if not path.is_file():
        return None
    return FidelityCard.model_validate_json(path.read_text(encoding="utf-8"))


__all__ = [
    "MOVE_TABLE",
    "MOVES",
    "DatasetFigures",
    "FidelityCard",
    "MisconceptionFidelity",
    "ProfileFidelity",
    "asks_question",
    "compute_fidelity",
    "dataset_figures",
    "default_mathdial_path",
    "fidelity_for_run",
    "mathdial_figures",
    "predicted",
    "read_fidelity",
    "render_fidelity_markdown",
    "tutor_move",
    "write_fidelity",
]
