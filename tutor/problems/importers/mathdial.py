"""MathDial (JSONL, CC BY-SA 4.0): teacher-student dialogues on GSM8K-style problems.

Each line is one dialogue: `qid`, `scenario`, `question`, `ground_truth` (a worked solution whose last
number is the answer), `student_incorrect_solution`, `student_profile`, `teacher_described_confusion`,
`self-correctness`, `self-typical-confusion`, `self-typical-interactions` and `conversation` (turns
separated by `|EOM|`, teacher turns labelled `Teacher: (probing) ...`).

Reading (`read_conversations`, also the importer's only parser): each line becomes a
`MathDialConversation` whose turns are (speaker, text, move). The real files vary:

* a student turn may open with the student's name instead of `Student:` (`Cody: Sure. I started ...`,
  the name being the first word of `student_profile`): it is the student's turn;
* a turn with no speaker prefix at all continues the turn before it (same speaker, text joined on a
  new line); a first turn without one is the teacher's (MathDial dialogues open with the teacher);
* the file may end inside a record (a truncated last line): that line is skipped as an upstream
  defect with its reason, in a strict import too (`SkippedRecord.defect`).

Mapping:

* one math problem per `qid` (several dialogues share a question): id `mathdial-<qid>`, statement =
  `question`, final answer = the last number of `ground_truth`;
* steps: each line of `ground_truth` that states a number, its last number the step's answer and its
  text, with that number blanked, the step question; a line that only repeats the answer is dropped; a
  last step is added when the lines do not end on the final answer; no line with a number -> one step;
* the last number of each dialogue's `student_incorrect_solution` becomes a wrong answer of the last
  step (misconception `mathdial-incorrect-solution`, description from the teacher's described
  confusion, a generic feedback question), unless it equals the right answer;
* MathDial has no hints, step programs, concepts or difficulty: `missing` says so;
* everything about the student goes to a `StudentProfileSeed` per dialogue (`tutor.problems.labelled`),
  written next to the output as `<output stem>.profiles.jsonl`: the profile text, incorrect solution
  (whole, and its last number as the wrong answer), teacher confusion, self-assessments, and the
  conversation as turns with the teacher's move per teacher turn (focus / probing / telling /
  generic). An unknown move or a teacher turn without one is noted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from tutor.problems.importers.base import (
    ImportedProblem,
    ImportOutcome,
    RecordError,
    SkippedRecord,
    build_problem,
)
from tutor.problems.importers.common import (
    as_object,
    blank_number,
    iter_jsonl,
    last_number,
    optional_text,
    required_text,
    slug,
    strip_calculator,
    title_of,
)
from tutor.problems.importers.records import ImportedRecord
from tutor.problems.labelled import LabelledTurn, SelfCorrectness, StudentProfileSeed, TeacherMove
from tutor.problems.schema import MAX_IMPORTED_STEPS

SOURCE = "mathdial"
LICENSE = "CC-BY-SA-4.0"
MISCONCEPTION = "mathdial-incorrect-solution"
MOVES: tuple[TeacherMove, ...] = ("focus", "probing", "telling", "generic")
_TURN = re.compile(r"^\s*(teacher|student)\s*:\s*(?:\(\s*([A-Za-z _-]+?)\s*\)\s*)?(.*)$", re.I | re.S)
_NAMED = re.compile(r"^\s*([A-Z][\w'.-]*(?: [A-Z][\w'.-]*)?)\s*:\s*(.*)$", re.S)
_FIRST_NAME = re.compile(r"^\s*([A-Z][\w'.-]*)")
_ANSWER_ONLY = re.compile(r"^\s*(?:####|answer\s*:)?\s*\$?-?[\d,.]+\s*[.]?\s*$", re.I)
_CORRECTNESS: dict[str, SelfCorrectness] = {
    "yes": "yes",
    "yes, but i had to reveal the answer": "yes-after-reveal",
    "no": "no",
}
_TOLERANCE = 0.001

Speaker = Literal["teacher", "student"]


class MathDialTurn(NamedTuple):
    """One turn of a MathDial conversation: who spoke, what they said, the teacher's move label."""

    speaker: Speaker
    text: str
    move: TeacherMove | None  # teacher turns only; None for the student or an unlabelled teacher turn


@dataclass(frozen=True)
class MathDialConversation:
    """One MathDial line as read from the file (no problem built yet).

    `ref` is `file:line`; `qid` the source's question id as text; the texts are stripped, absent ones
    None (`student_profile` is "" when blank); `notes` say what was read differently from the format.
    """

    ref: str
    qid: str
    scenario: int | None
    question: str
    ground_truth: str
    student_incorrect_solution: str | None
    student_profile: str
    teacher_described_confusion: str | None
    self_correctness: SelfCorrectness | None
    self_typical_confusion: int | None
    self_typical_interactions: int | None
    turns: tuple[MathDialTurn, ...]
    notes: tuple[str, ...] = ()

    @property
    def problem_id(self) -> str:
        """The id of the problem the importer makes of this question: `mathdial-<qid>`."""
        return f"{SOURCE}-{slug(self.qid)}"


def read_conversations(path: Path) -> tuple[list[MathDialConversation], list[SkippedRecord]]:
    """Every conversation of a MathDial JSONL file, and the lines that could not be read (with why).

    The importer reads the file through this same parser. A truncated last line is among the skipped
    records, marked `defect=True`.
    """
    conversations: list[MathDialConversation] = []
    skipped: list[SkippedRecord] = []
    for item in _iter_conversations(path):
        if isinstance(item, SkippedRecord):
            skipped.append(item)
        else:
            conversations.append(item)
    return conversations, skipped


def _iter_conversations(path: Path) -> Iterator[MathDialConversation | SkippedRecord]:
    for item in iter_jsonl(path):
        if isinstance(item, SkippedRecord):
            yield item
            continue
        ref, record = item
        try:
            yield parse_conversation(as_object(record), ref)
        except RecordError as exc:
            yield SkippedRecord(ref, exc.field, exc.reason)


@dataclass(frozen=True)
class _Dialogue:
    ref: str
    problem_id: str
    question: str
    ground_truth: str
    final: float
    seed: StudentProfileSeed


def import_mathdial(path: Path) -> Iterator[ImportOutcome]:
    """Yield one problem per question (`qid`) and one `StudentProfileSeed` per dialogue line."""
    by_problem: dict[str, list[_Dialogue]] = {}
    for item in _iter_conversations(path):
        if isinstance(item, SkippedRecord):
            yield item
            continue
        try:
            dialogue = _dialogue(item)
        except RecordError as exc:
            yield SkippedRecord(item.ref, exc.field, exc.reason)
            continue
        by_problem.setdefault(dialogue.problem_id, []).append(dialogue)
    for problem_id, dialogues in by_problem.items():
        try:
            problem = _problem(problem_id, dialogues)
        except RecordError as exc:
            for d in dialogues:
                yield SkippedRecord(d.ref, exc.field, exc.reason)
            continue
        yield ImportedProblem(problem, dialogues[0].ref)
        for d in dialogues:
            seed = d.seed
            if d.question != dialogues[0].question:
                note = f"the question differs from {dialogues[0].ref}'s; the problem uses that one"
                seed = seed.model_copy(update={"import_notes": (*seed.import_notes, note)})
            yield ImportedRecord(seed, d.ref)


def parse_conversation(record: dict[str, Any], ref: str) -> MathDialConversation:
    """One MathDial JSON object as a `MathDialConversation` (raises `RecordError` naming the field)."""
    qid = record.get("qid")
    if qid is None or str(qid).strip() == "":
        raise RecordError("qid", "missing")
    notes: list[str] = []
    correctness_text = optional_text(record, "self-correctness")
    correctness = _CORRECTNESS.get(" ".join((correctness_text or "").lower().split()))
    if correctness_text and correctness is None:
        notes.append(f"self-correctness {correctness_text!r} is not one of Yes / Yes, but ... / No")
    scenario = record.get("scenario")
    profile = optional_text(record, "student_profile") or ""
    return MathDialConversation(
        ref=ref,
        qid=str(qid).strip(),
        scenario=scenario if isinstance(scenario, int) and not isinstance(scenario, bool) else None,
        question=required_text(record, "question"),
        ground_truth=required_text(record, "ground_truth"),
        student_incorrect_solution=optional_text(record, "student_incorrect_solution"),
        student_profile=profile,
        teacher_described_confusion=optional_text(record, "teacher_described_confusion"),
        self_correctness=correctness,
        self_typical_confusion=_rating(record, "self-typical-confusion", notes),
        self_typical_interactions=_rating(record, "self-typical-interactions", notes),
        turns=_conversation(record.get("conversation"), _student_name(profile), notes),
        notes=tuple(notes),
    )


def _dialogue(conv: MathDialConversation) -> _Dialogue:
    """A conversation as what the importer needs: its final answer and the student seed."""
    final = last_number(conv.ground_truth)
    if final is None:
        raise RecordError("ground_truth", "states no number, so there is no final answer")
    notes = list(conv.notes)
    incorrect = conv.student_incorrect_solution
    wrong = last_number(incorrect) if incorrect else None
    wrong_value = wrong.value if wrong is not None else None
    if incorrect is None:
        notes.append("no student_incorrect_solution")
    elif wrong_value is None:
        notes.append("the incorrect solution states no number: no wrong answer")
    elif abs(wrong_value - final.value) <= _TOLERANCE:
        notes.append("the incorrect solution ends on the right answer: not used as a wrong answer")
        wrong_value = None
    if not conv.student_profile:
        notes.append("no student_profile text")
    if not conv.turns:
        notes.append("no conversation")
    seed = StudentProfileSeed(
        id=f"{conv.problem_id}-d{conv.ref.rsplit(':', 1)[-1]}",
        source=SOURCE,
        source_ref=conv.ref,
        license=LICENSE,
        problem_id=conv.problem_id,
        profile=conv.student_profile,
        incorrect_solution=incorrect,
        wrong_answer=wrong_value,
        misconception=MISCONCEPTION if wrong_value is not None else None,
        teacher_confusion=conv.teacher_described_confusion,
        self_correctness=conv.self_correctness,
        typical_confusion=conv.self_typical_confusion,
        typical_interactions=conv.self_typical_interactions,
        scenario=conv.scenario,
        dialogue=tuple(
            LabelledTurn(role="tutor" if t.speaker == "teacher" else "student", text=t.text, move=t.move)
            for t in conv.turns
        ),
        import_notes=tuple(notes),
    )
    return _Dialogue(conv.ref, conv.problem_id, conv.question, conv.ground_truth, final.value, seed)


def _rating(record: dict[str, Any], key: str, notes: list[str]) -> int | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    try:
        number = float(str(value).strip())  # the real files write 4.0
    except ValueError:
        number = 0.0
    if number.is_integer() and 1 <= number <= 5:
        return int(number)
    notes.append(f"{key} {value!r} is not a rating 1..5")
    return None


def _student_name(profile: str) -> str | None:
    """The student's name: the first word of the profile (`Cody is a 7th grade student ...`)."""
    m = _FIRST_NAME.match(profile)
    return m.group(1) if m else None


def _conversation(value: Any, name: str | None, notes: list[str]) -> tuple[MathDialTurn, ...]:
    if value is None or value == "":
        return ()
    if not isinstance(value, str):
        raise RecordError("conversation", f"expected one string with |EOM| separators, got {type(value).__name__}")
    turns: list[MathDialTurn] = []
    named = continued = 0
    for k, part in enumerate((p for p in value.split("|EOM|") if p.strip()), 1):
        match = _TURN.match(part)
        by_name = _NAMED.match(part) if match is None else None
        if (
            match is None
            and by_name is not None
            and name is not None
            and by_name.group(1).casefold() == name.casefold()
        ):
            named += 1
            turns.append(MathDialTurn("student", by_name.group(2).strip(), None))
        elif match is None and turns:
            continued += 1
            last = turns[-1]
            turns[-1] = last._replace(text=f"{last.text}\n{part.strip()}".strip())
        elif match is None:
            notes.append("turn 1 has no speaker: taken as the teacher's (MathDial dialogues open with the teacher)")
            turns.append(MathDialTurn("teacher", part.strip(), None))
        elif match.group(1).lower() == "student":  # a parenthesis opening a student turn is what they said
            turns.append(MathDialTurn("student", part.split(":", 1)[1].strip(), None))
        else:
            turns.append(_teacher_turn(k, match.group(2), match.group(3).strip(), notes))
    if named:
        notes.append(f"{named} student turn(s) open with the student's name {name!r} instead of 'Student:'")
    if continued:
        notes.append(f"{continued} turn(s) without a speaker prefix continue the turn before them")
    return tuple(turns)


def _teacher_turn(k: int, move: str | None, text: str, notes: list[str]) -> MathDialTurn:
    label = move.lower().strip() if move else None
    if label is None:
        notes.append(f"turn {k}: teacher turn without a move label")
    elif label not in MOVES:
        notes.append(f"turn {k}: unknown teacher move {move!r} (kept in the text)")
        text, label = f"({move}) {text}", None
    return MathDialTurn("teacher", text, label)  # type: ignore[arg-type]  # label is one of MOVES here


def _steps(ground_truth: str, question: str, final: float, notes: list[str]) -> list[dict[str, Any]]:
    lines = [" ".join(strip_calculator(ln).split()) for ln in ground_truth.splitlines()]
    steps: list[dict[str, Any]] = []
    for line in lines:
        if not line or _ANSWER_ONLY.match(line):
            continue
        mention = last_number(line)
        if mention is None:
            continue
        steps.append({"question": blank_number(line, mention), "answer": {"value": mention.value}})
    if not steps:
        notes.append("the worked solution has no step lines: one step, the whole question")
    elif abs(steps[-1]["answer"]["value"] - final) > _TOLERANCE:
        notes.append("the worked solution's lines do not end on the final answer: a last step was added")
    if not steps or abs(steps[-1]["answer"]["value"] - final) > _TOLERANCE:
        steps.append({"question": question, "answer": {"value": final}})
    if len(steps) > MAX_IMPORTED_STEPS:
        notes.append(f"{len(steps)} solution lines: only the last {MAX_IMPORTED_STEPS} are steps")
        steps = steps[-MAX_IMPORTED_STEPS:]
    for k, step in enumerate(steps, 1):
        step["id"] = f"s{k}"
    return steps


def _problem(problem_id: str, dialogues: list[_Dialogue]) -> Any:
    first = dialogues[0]
    notes = ["steps are the worked solution's lines, each with its result blanked; no hints or programs"]
    steps = _steps(first.ground_truth, first.question, first.final, notes)
    wrong_answers: list[dict[str, Any]] = []
    for d in dialogues:
        value = d.seed.wrong_answer
        if value is None or any(abs(w["value"] - value) <= _TOLERANCE for w in wrong_answers):
            continue
        confusion = d.seed.teacher_confusion or "The MathDial student's incorrect solution ends on this number."
        wrong_answers.append(
            {
                "value": value,
                "misconception": MISCONCEPTION,
                "description": confusion,
                "feedback": "How did you get that number? Walk me through your last step.",
            }
        )
    if wrong_answers:
        steps[-1]["wrong_answers"] = wrong_answers
        notes.append("wrong answers come from the students' incorrect solutions; their feedback is generic")
    missing = ["hints", "wrong_answers", "programs", "concepts", "difficulty"]
    if wrong_answers and len(steps) == 1:
        missing.remove("wrong_answers")
    data = {
        "id": problem_id,
        "domain": "math",
        "title": title_of(first.question),
        "statement": first.question,
        "source": SOURCE,
        "source_ref": first.ref,
        "license": LICENSE,
        "missing": missing,
        "import_notes": notes,
        "steps": steps,
        "final_answer": {"value": first.final},
    }
    return build_problem(data)
