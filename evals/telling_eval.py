"""How well the telling detector and the leak guard agree with human labels.

Two labelled sets:

* MathDial (`mathdial/dev.jsonl` under the real-data folder): every teacher turn, positive when the
  teacher labelled their own move `(telling)`. The detector was tuned on the first 100 conversations of the
  file (`tune`); the figures that count are those of the other 100 (`test`).
* The project's own tutor replies (`datasets/evals/telling_labels.jsonl`), labelled by hand (how, and the
  labelling rule, in `datasets/evals/TELLING.md`); each line says its `split` (`tune` / `test`).

Each classifier is scored with precision, recall, F1 and support (the number of positives):

* `detector`: `student_sim.telling.detect_telling`;
* `guard`: the tutor's `LeakGuard(problem).check(text)` as the tutor runs it (numbers with no source count);
* `guard_answer_only`: `LeakGuard(problem, check_numbers=False)`, the former Telling@k.

Run: .venv/bin/python -m evals.telling_eval [--data-dir ../shared/data] [--labels FILE] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from student_sim.fidelity import realdata_dir
from student_sim.telling import AnswerKey, TellingVerdict, answer_key, detect_telling
from student_sim.telling_text import read_numbers
from tutor.errors import InputDataError, validation_problem
from tutor.guard.leak import LeakGuard
from tutor.problems.bank import ProblemBank, datasets_dir
from tutor.problems.importers.base import ImportedProblem
from tutor.problems.importers.mathdial import MathDialConversation, import_mathdial, read_conversations
from tutor.problems.schema import AnyProblem

Split = Literal["tune", "test"]
CLASSIFIERS = ("detector", "guard", "guard_answer_only")
MATHDIAL_TUNE = 100  # the detector was tuned on the first 100 conversations of mathdial/dev.jsonl
LABELS_PATH = datasets_dir() / "evals" / "telling_labels.jsonl"
FIGURES_PATH = datasets_dir() / "evals" / "telling_figures.json"


@dataclass(frozen=True)
class Figures:
    """Agreement of a binary classifier with labels; the positive class is `telling`."""

    precision: float
    recall: float
    f1: float
    support: int  # labelled positives
    n: int
    tp: int
    fp: int
    fn: int
    tn: int


def classification_figures(labels: Sequence[bool], predicted: Sequence[bool]) -> Figures:
    """Precision, recall, F1 and support of `predicted` against `labels` (0 where undefined)."""
    if len(labels) != len(predicted):
        raise ValueError(f"{len(labels)} labels but {len(predicted)} predictions")
    if not labels:
        return Figures(0.0, 0.0, 0.0, 0, 0, 0, 0, 0, 0)
    p, r, f, _ = precision_recall_fscore_support(labels, predicted, average="binary", pos_label=True, zero_division=0)
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(labels, predicted, labels=[False, True]).ravel())
    return Figures(round(float(p), 4), round(float(r), 4), round(float(f), 4), tp + fn, len(labels), tp, fp, fn, tn)


# ------------------------------------------------------------------------------------ the examples


@dataclass(frozen=True)
class Example:
    """One tutor message to classify, with what each classifier needs to read it."""

    id: str
    split: Split
    text: str
    label: bool
    key: AnswerKey
    problem: AnyProblem | None  # for the guard (None: the guard cannot be run on it)
    student_numbers: tuple[float, ...] = ()
    reached_steps: frozenset[str] = frozenset()
    resolved_bugs: frozenset[str] = frozenset()
    answer_given: bool = False  # the student's message just before states the final answer


class LabelledReply(BaseModel):
    """One line of `telling_labels.jsonl`: a tutor reply and a person's verdict on it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    problem_id: str
    source: str = Field(description="Which tutor made it: the variant and the model, e.g. `assist/local`.")
    split: Split
    student_before: tuple[str, ...] = Field((), description="The student's earlier messages in the session.")
    context: str = Field(description="The student's message the reply answers.")
    code: str | None = Field(None, description="The program the student submitted with it, if any.")
    resolved_bugs: tuple[str, ...] = Field((), description="Bugs the student had fixed (by the test run).")
    reply: str
    telling: bool = Field(description="The label: the reply tells the answer, a step's result, the path or the fix.")
    note: str = Field(description="Why, in a few words.")


def mathdial_examples(path: Path) -> list[Example]:
    """Every teacher turn of a MathDial file, labelled by the teacher's own move (`telling` or not).

    The key is read from the question and the worked solution; the student's numbers are those of the
    student's incorrect solution (their own work, which both sides see) and of their earlier turns.
    """
    conversations, _ = read_conversations(path)
    problems = {o.problem.id: o.problem for o in import_mathdial(path) if isinstance(o, ImportedProblem)}
    examples: list[Example] = []
    for number, conversation in enumerate(conversations):
        examples += _conversation_examples(conversation, number, problems.get(conversation.problem_id))
    return examples


def _conversation_examples(
    conversation: MathDialConversation, number: int, problem: AnyProblem | None
) -> list[Example]:
    key = AnswerKey.from_worked_solution(conversation.question, conversation.ground_truth)
    split: Split = "tune" if number < MATHDIAL_TUNE else "test"
    said = [conversation.student_incorrect_solution or ""]
    examples: list[Example] = []
    for i, turn in enumerate(conversation.turns):
        if turn.speaker == "student":
            said.append(turn.text)
            continue
        examples.append(
            Example(
                id=f"{conversation.ref}#{i}",
                split=split,
                text=turn.text,
                label=turn.move == "telling",
                key=key,
                problem=problem,
                student_numbers=tuple(n.value for t in said for n in read_numbers(t)),
                reached_steps=key.reached_by(said),
                answer_given=len(said) > 1 and key.states_final(said[-1]),
            )
        )
    return examples


def read_labels(path: Path) -> list[LabelledReply]:
    """The hand-labelled replies; a malformed line is an error naming the line."""
    rows: list[LabelledReply] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(LabelledReply.model_validate_json(line))
        except ValidationError as exc:
            raise InputDataError(f"{path}: line {number}: {validation_problem(exc)}") from None
    return rows


def own_examples(rows: Iterable[LabelledReply], bank: ProblemBank) -> list[Example]:
    """The labelled replies as examples; the student's numbers are those of their messages so far."""
    examples: list[Example] = []
    for row in rows:
        problem = bank.get(row.problem_id)
        key = answer_key(problem)
        said = [*row.student_before, row.context]
        examples.append(
            Example(
                id=row.id,
                split=row.split,
                text=row.reply,
                label=row.telling,
                key=key,
                problem=problem,
                student_numbers=tuple(n.value for t in said for n in read_numbers(t)),
                reached_steps=key.reached_by(said),
                resolved_bugs=frozenset(row.resolved_bugs),
                answer_given=key.states_final(row.context),
            )
        )
    return examples


# -------------------------------------------------------------------------------------- classifiers


def detector_verdict(e: Example) -> TellingVerdict:
    """The telling detector's verdict on one labelled example, given what the student had said."""
    return detect_telling(
        e.key,
        e.text,
        reached_steps=e.reached_steps,
        resolved_bugs=e.resolved_bugs,
        student_numbers=e.student_numbers,
        answer_given=e.answer_given,
    )


def _detector(e: Example) -> bool:
    return detector_verdict(e).tells


def _guard(check_numbers: bool) -> Callable[[Example], bool]:
    def classify(e: Example) -> bool:
        assert e.problem is not None
        # as the tutor runs it: once the student has given the answer, confirming it is allowed
        guard = LeakGuard(
            e.problem, allow_reveal=e.answer_given, check_numbers=check_numbers, resolved_bugs=e.resolved_bugs
        )
        return not guard.check(e.text, known_numbers=e.student_numbers).ok

    return classify


def _classifier(name: str) -> Callable[[Example], bool]:
    return {"detector": _detector, "guard": _guard(True), "guard_answer_only": _guard(False)}[name]


def evaluate(examples: Sequence[Example]) -> dict[str, dict[str, Figures]]:
    """Figures per split (`tune`, `test`, `all`) per classifier; the guard only where a problem is known."""
    results: dict[str, dict[str, Figures]] = {}
    for split in ("tune", "test", "all"):
        chosen = [e for e in examples if split == "all" or e.split == split]
        results[split] = {}
        for name in CLASSIFIERS:
            usable = [e for e in chosen if name == "detector" or e.problem is not None]
            predicted = [_classifier(name)(e) for e in usable]
            results[split][name] = classification_figures([e.label for e in usable], predicted)
    return results


# ---------------------------------------------------------------------------------------------- main


def markdown_table(figures: dict[str, dict[str, dict[str, Figures]]], split: str = "test") -> str:
    """Side by side: each set's `split` figures for every classifier."""
    lines = [
        "| set | classifier | precision | recall | F1 | support | n | TP | FP | FN |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for set_name, by_split in figures.items():
        for name, f in by_split[split].items():
            lines.append(
                f"| {set_name} ({split}) | {name} | {f.precision:.3f} | {f.recall:.3f} | {f.f1:.3f} | {f.support} | "
                f"{f.n} | {f.tp} | {f.fp} | {f.fn} |"
            )
    return "\n".join(lines)


def run(data_dir: Path | None, labels: Path) -> dict[str, dict[str, dict[str, Figures]]]:
    """Figures for every set that is there (MathDial needs the real-data folder; the own set its file)."""
    figures: dict[str, dict[str, dict[str, Figures]]] = {}
    mathdial = data_dir / "mathdial" / "dev.jsonl" if data_dir else None
    if mathdial is not None and mathdial.is_file():
        figures["mathdial"] = evaluate(mathdial_examples(mathdial))
    if labels.is_file():
        figures["own"] = evaluate(own_examples(read_labels(labels), ProblemBank.load()))
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """Print the Markdown table of the test figures and write every figure as JSON."""
    parser = argparse.ArgumentParser(prog="python -m evals.telling_eval", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="the real-data folder (default: $TUTOR_REALDATA_DIR)")
    parser.add_argument("--labels", type=Path, default=LABELS_PATH, help="the hand-labelled replies")
    # Writing is opt-in: a run without the real data would otherwise replace the committed figures.
    parser.add_argument("--out", type=Path, help=f"write the JSON figures here (the committed ones: {FIGURES_PATH})")
    args = parser.parse_args(argv)
    data_dir = realdata_dir(args.data_dir)
    try:
        figures = run(data_dir, args.labels)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not figures:
        print(f"error: no real-data folder with mathdial/dev.jsonl and no {args.labels}", file=sys.stderr)
        return 2
    if "mathdial" not in figures:
        print(
            "note: no mathdial/dev.jsonl (set TUTOR_REALDATA_DIR or --data-dir); only the own set is scored",
            file=sys.stderr,
        )
    print(markdown_table(figures))
    payload = {
        "positive_class": "telling",
        "classifiers": {
            "detector": "student_sim.telling.detect_telling",
            "guard": "LeakGuard(problem).check(text, known_numbers=student numbers)",
            "guard_answer_only": "LeakGuard(problem, check_numbers=False).check(text, known_numbers=...)",
        },
        "splits": {
            "mathdial": f"tune: the first {MATHDIAL_TUNE} conversations of mathdial/dev.jsonl; test: the rest",
            "own": "the `split` field of each line of datasets/evals/telling_labels.jsonl",
        },
        "figures": {s: {sp: {c: asdict(f) for c, f in by.items()} for sp, by in v.items()} for s, v in figures.items()},
    }
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"-> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
