"""MathDial (JSONL, CC BY-SA 4.0): teacher-student dialogues on GSM8K-style problems.

Each line is one dialogue: `qid`, `scenario`, `question`, `ground_truth` (a worked solution whose last
number is the answer), `student_incorrect_solution`, `student_profile`, `teacher_described_confusion`,
`self-correctness`, `self-typical-confusion`, `self-typical-interactions` and `conversation` (turns
separated by `|EOM|`, teacher turns labelled `Teacher: (probing) ...`).

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
  written next to the output as `<output stem>.profiles.jsonl`: the profile text, incorrect solution,
  wrong answer, teacher confusion, self-assessments, and the conversation as turns with teacher moves
  (focus / probing / telling / generic). An unknown move or a teacher turn without one is noted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from tutor.problems.labelled import DialogueTurn, SelfCorrectness, StudentProfileSeed
from tutor.problems.schema import MAX_IMPORTED_STEPS

SOURCE = "mathdial"
LICENSE = "CC-BY-SA-4.0"
MISCONCEPTION = "mathdial-incorrect-solution"
MOVES = ("focus", "probing", "telling", "generic")
_TURN = re.compile(r"^\s*(teacher|student)\s*:\s*(?:\(\s*([A-Za-z _-]+?)\s*\)\s*)?(.*)$", re.I | re.S)
_ANSWER_ONLY = re.compile(r"^\s*(?:####|answer\s*:)?\s*\$?-?[\d,.]+\s*[.]?\s*$", re.I)
_CORRECTNESS: dict[str, SelfCorrectness] = {
    "yes": "yes",
    "yes, but i had to reveal the answer": "yes-after-reveal",
    "no": "no",
}
_TOLERANCE = 0.001


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
    for item in iter_jsonl(path):
        if isinstance(item, SkippedRecord):
            yield item
            continue
        ref, record = item
        try:
            dialogue = _read_dialogue(as_object(record), ref)
        except RecordError as exc:
            yield SkippedRecord(ref, exc.field, exc.reason)
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


def _read_dialogue(record: dict[str, Any], ref: str) -> _Dialogue:
    qid = record.get("qid")
    if qid is None or str(qid).strip() == "":
        raise RecordError("qid", "missing")
    question = required_text(record, "question")
    ground_truth = required_text(record, "ground_truth")
    final = last_number(ground_truth)
    if final is None:
        raise RecordError("ground_truth", "states no number, so there is no final answer")
    notes: list[str] = []
    problem_id = f"{SOURCE}-{slug(qid)}"
    incorrect = optional_text(record, "student_incorrect_solution")
    wrong = last_number(incorrect) if incorrect else None
    wrong_value = wrong.value if wrong is not None else None
    if incorrect is None:
        notes.append("no student_incorrect_solution")
    elif wrong_value is None:
        notes.append("the incorrect solution states no number: no wrong answer")
    elif abs(wrong_value - final.value) <= _TOLERANCE:
        notes.append("the incorrect solution ends on the right answer: not used as a wrong answer")
        wrong_value = None
    correctness_text = optional_text(record, "self-correctness")
    correctness = _CORRECTNESS.get(" ".join((correctness_text or "").lower().split()))
    if correctness_text and correctness is None:
        notes.append(f"self-correctness {correctness_text!r} is not one of Yes / Yes, but ... / No")
    scenario = record.get("scenario")
    profile = optional_text(record, "student_profile") or ""
    if not profile:
        notes.append("no student_profile text")
    seed = StudentProfileSeed(
        id=f"{problem_id}-d{ref.rsplit(':', 1)[-1]}",
        source=SOURCE,
        source_ref=ref,
        license=LICENSE,
        problem_id=problem_id,
        profile=profile,
        incorrect_solution=incorrect,
        wrong_answer=wrong_value,
        misconception=MISCONCEPTION if wrong_value is not None else None,
        teacher_confusion=optional_text(record, "teacher_described_confusion"),
        self_correctness=correctness,
        typical_confusion=_rating(record, "self-typical-confusion", notes),
        typical_interactions=_rating(record, "self-typical-interactions", notes),
        scenario=scenario if isinstance(scenario, int) and not isinstance(scenario, bool) else None,
        dialogue=_conversation(record.get("conversation"), notes),
        import_notes=tuple(notes),
    )
    return _Dialogue(ref, problem_id, question, ground_truth, final.value, seed)


def _rating(record: dict[str, Any], key: str, notes: list[str]) -> int | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    try:
        rating = int(str(value).strip())
    except ValueError:
        rating = 0
    if 1 <= rating <= 5:
        return rating
    notes.append(f"{key} {value!r} is not a rating 1..5")
    return None


def _conversation(value: Any, notes: list[str]) -> tuple[DialogueTurn, ...]:
    if value is None or value == "":
        notes.append("no conversation")
        return ()
    if not isinstance(value, str):
        raise RecordError(
            "conversation", f"expected one string with |EOM| separators, got {type(value).__name__}"
        )
    turns = []
    for k, part in enumerate(p for p in value.split("|EOM|") if p.strip()):
        match = _TURN.match(part)
        if match is None:
            raise RecordError("conversation", f"turn {k + 1} does not start with 'Teacher:' or 'Student:'")
        speaker, move, text = match.group(1).lower(), match.group(2), match.group(3).strip()
        if speaker == "student":  # a parenthesis opening a student turn is part of what they said
            turns.append(DialogueTurn(role="student", text=part.split(":", 1)[1].strip()))
            continue
        label = move.lower().strip() if move else None
        if label is None:
            notes.append(f"turn {k + 1}: teacher turn without a move label")
        elif label not in MOVES:
            notes.append(f"turn {k + 1}: unknown teacher move {move!r} (kept in the text)")
            text, label = f"({move}) {text}", None
        turns.append(DialogueTurn.model_validate({"role": "tutor", "text": text, "move": label}))
    return tuple(turns)


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
        confusion = (
            d.seed.teacher_confusion or "The MathDial student's incorrect solution ends on this number."
        )
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
