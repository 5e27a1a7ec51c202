"""Judge calibration: run a judge on human-labelled tutor responses (MRBench format) and report how far
it agrees with the humans, per dimension: accuracy, macro-F1, Cohen's kappa and the confusion matrix.

    records, skipped = load_labelled("datasets/evals/calibration/mrbench_fixture.json")
    report = calibrate(records, Judge(model), judge_spec="local")
    print(render_markdown(report))

`evals.calibration_suite` runs this on a held-out half of the BEA 2025 dev set for several judges at once,
beside the majority-class baseline.

Conventions: only items a human labelled on a dimension count for it. A judge reply that could not be read
(or a dimension the judge does not label) is the prediction `(none)`: it counts as wrong in accuracy and
kappa, as a miss of the true class in F1, and has a column of its own in the confusion matrix; `coverage`
says how often the judge gave a label at all. Macro-F1 averages the F1 of every label that occurs among the
human or judge labels, `(none)` excepted. The statistics are scikit-learn's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, f1_score

from evals.judge import JudgeInput, JudgeLike, JudgeVerdict
from evals.labels import DIMENSIONS, VOCABULARY, JudgeLabels, human_labels
from tutor.errors import InputDataError
from tutor.problems.importers.base import SkippedRecord
from tutor.problems.importers.mrbench import import_mrbench
from tutor.problems.importers.records import ImportedRecord
from tutor.problems.labelled import LabelledTutorResponse, read_labelled_jsonl

NONE = "(none)"


@dataclass(frozen=True)
class DimensionAgreement:
    """Agreement of judge and humans on one dimension."""

    dimension: str
    labels: tuple[str, ...]  # the rows/columns of the confusion matrix, `(none)` last among columns
    n: int  # items with a human label
    judged: int  # of those, items the judge labelled
    accuracy: float | None
    macro_f1: float | None
    f1: dict[str, float]  # per label
    confusion: dict[str, dict[str, int]]  # human label -> judge label -> count
    kappa: float | None = None  # Cohen's kappa; None when undefined (fewer than 2 items)

    @property
    def coverage(self) -> float | None:
        return self.judged / self.n if self.n else None


def agreement(
    dimension: str, pairs: Sequence[tuple[str, str | None]], vocabulary: Sequence[str] = ()
) -> DimensionAgreement:
    """Accuracy, macro-F1, Cohen's kappa and confusion matrix of (human, judge) label pairs (judge None =
    unlabelled)."""
    vocab = list(vocabulary or VOCABULARY.get(dimension, ()))
    for human, judged in pairs:  # labels outside the vocabulary still get a row/column
        for label in (human, judged):
            if label is not None and label not in vocab:
                vocab.append(label)
    columns = [*vocab, NONE]
    truth = [h for h, _ in pairs]
    predicted = [NONE if j is None else j for _, j in pairs]
    n = len(pairs)
    if not n:
        return DimensionAgreement(
            dimension, tuple(vocab), 0, 0, None, None, {}, {h: dict.fromkeys(columns, 0) for h in vocab}
        )
    matrix = confusion_matrix(truth, predicted, labels=columns)
    present = [c for c in vocab if c in truth or c in predicted]
    scores = f1_score(truth, predicted, labels=present, average=None, zero_division=0.0)
    kappa = cohen_kappa_score(truth, predicted, labels=columns) if n > 1 else None
    return DimensionAgreement(
        dimension=dimension,
        labels=tuple(vocab),
        n=n,
        judged=sum(1 for p in predicted if p != NONE),
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(scores.mean()) if present else None,
        f1={c: float(v) for c, v in zip(present, scores, strict=True)},
        confusion={h: {c: int(matrix[i][k]) for k, c in enumerate(columns)} for i, h in enumerate(vocab)},
        kappa=None if kappa is None or kappa != kappa else float(kappa),  # NaN: one class only on both sides
    )


@dataclass(frozen=True)
class CalibrationItem:
    """One labelled response with the judge's verdict."""

    id: str
    human: dict[str, str | None]
    judge: dict[str, str] | None
    error: str = ""


@dataclass(frozen=True)
class CalibrationReport:
    data: str
    judge_spec: str
    items: list[CalibrationItem]
    dimensions: list[DimensionAgreement]
    skipped: list[str] = field(default_factory=list)

    @property
    def unlabelled(self) -> int:
        return sum(1 for i in self.items if i.judge is None)

    def to_json(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "judge": self.judge_spec,
            "items": len(self.items),
            "unlabelled": self.unlabelled,
            "skipped": self.skipped,
            "dimensions": [{**asdict(d), "coverage": d.coverage} for d in self.dimensions],
            "verdicts": [asdict(i) for i in self.items],
        }


def load_labelled(path: str | Path) -> tuple[list[LabelledTutorResponse], list[str]]:
    """Labelled tutor responses from an MRBench/BEA JSON list or the importer's `.jsonl`, and the
    descriptions of records that did not fit (skipped).

    Raises:
        InputDataError: no such file, or not a single usable record in it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: no such file", "give an MRBench-format JSON list or an imported .jsonl")
    skipped: list[str] = []
    records: list[LabelledTutorResponse] = []
    if path.suffix == ".jsonl":
        records = [r for r in read_labelled_jsonl(path) if isinstance(r, LabelledTutorResponse)]
    else:
        for outcome in import_mrbench(path):
            if isinstance(outcome, SkippedRecord):
                skipped.append(outcome.describe())
            elif isinstance(outcome, ImportedRecord) and isinstance(outcome.record, LabelledTutorResponse):
                records.append(outcome.record)
    if not records:
        why = f" ({skipped[0]})" if skipped else ""
        raise InputDataError(
            f"{path}: no labelled tutor responses{why}",
            "see docs of the MRBench format in datasets/evals/README.md",
        )
    return records, skipped


def judge_input(record: LabelledTutorResponse) -> JudgeInput:
    """What a judge is shown of a labelled response: the history, the reply, the topic and the solution."""
    return JudgeInput(
        history=record.history_text,
        response=record.response,
        problem=record.topic or "",
        solution=record.ground_truth_solution or "",
    )


class MajorityJudge:
    """The majority-class baseline: per dimension, the human label most frequent in the training records
    (ties: the first in the vocabulary), whatever the reply."""

    def __init__(self, records: Sequence[LabelledTutorResponse]) -> None:
        self.labels: dict[str, str] = {}
        for d in DIMENSIONS:
            counts = Counter(lab for r in records if (lab := getattr(r.labels, d)) is not None)
            if counts:
                order = {v: k for k, v in enumerate(VOCABULARY[d])}
                self.labels[d] = min(counts, key=lambda lab: (-counts[lab], order.get(lab, len(order))))

    def judge(self, item: JudgeInput) -> JudgeVerdict:
        return JudgeVerdict(JudgeLabels.model_validate(self.labels))


def calibrate(
    records: Sequence[LabelledTutorResponse],
    judge: JudgeLike,
    *,
    judge_spec: str = "",
    data: str = "",
    skipped: Sequence[str] = (),
    done: Mapping[str, dict[str, str] | None] | None = None,
    on_item: Callable[[CalibrationItem], None] | None = None,
) -> CalibrationReport:
    """Judge every record and measure agreement per dimension (see the module docstring).

    A judge with `judge_many(items)` (the learned judge) labels all records in one call.

    Args:
        done: judge labels already obtained (a resumed calibration), by record id; those records are not
            judged again (None: the judge's reply was unreadable).
        on_item: called with each newly judged item (to save it as it comes).
    """
    done = done or {}
    todo = [r for r in records if r.id not in done]
    many = getattr(judge, "judge_many", None)
    batch = dict(zip((r.id for r in todo), many([judge_input(r) for r in todo]), strict=True)) if many else {}
    items: list[CalibrationItem] = []
    for record in records:
        if record.id in done:
            labels = done[record.id]
            error = "" if labels is not None else "unreadable judge reply (earlier run)"
            items.append(CalibrationItem(record.id, human_labels(record.labels), labels, error))
            continue
        verdict = batch[record.id] if many else judge.judge(judge_input(record))
        item = CalibrationItem(
            id=record.id,
            human=human_labels(record.labels),
            judge=verdict.labels.as_dict() if verdict.labels is not None else None,
            error=verdict.error,
        )
        items.append(item)
        if on_item is not None:
            on_item(item)
    return CalibrationReport(data, judge_spec, items, agreement_table(items), list(skipped))


def agreement_table(items: Sequence[CalibrationItem]) -> list[DimensionAgreement]:
    """One `DimensionAgreement` per dimension that has human labels."""
    out = []
    for d in DIMENSIONS:
        pairs = [(h, i.judge.get(d) if i.judge else None) for i in items if (h := i.human.get(d)) is not None]
        if pairs:
            out.append(agreement(d, pairs))
    return out


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def confusion_markdown(d: DimensionAgreement, title: str) -> list[str]:
    """One confusion matrix as Markdown lines (rows: human label; columns: judge label)."""
    columns = [*d.labels, NONE]
    lines = [title, "", "| human \\ judge | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    lines += [f"| {h} | " + " | ".join(str(d.confusion[h][c]) for c in columns) + " |" for h in d.labels]
    return [*lines, ""]


def render_markdown(report: CalibrationReport) -> str:
    """The agreement table and one confusion matrix per dimension, as Markdown."""
    lines = [
        f"# Judge calibration: `{report.judge_spec}` on `{report.data}`",
        "",
        f"{len(report.items)} labelled responses; the judge's reply was unreadable for {report.unlabelled}."
        + (f" {len(report.skipped)} record(s) of the file were skipped." if report.skipped else ""),
        "",
        "| Dimension | Human-labelled | Judge coverage | Accuracy | Macro-F1 | Cohen's kappa |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for d in report.dimensions:
        lines.append(
            f"| {d.dimension} | {d.n} | {_pct(d.coverage)} | {_pct(d.accuracy)} | {_num(d.macro_f1)} "
            f"| {_num(d.kappa)} |"
        )
    lines += ["", "Rows: human label; columns: judge label.", ""]
    for d in report.dimensions:
        lines += confusion_markdown(d, f"### {d.dimension}")
    return "\n".join(lines)


__all__ = [
    "NONE",
    "CalibrationItem",
    "CalibrationReport",
    "DimensionAgreement",
    "agreement",
    "agreement_table",
    "MajorityJudge",
    "calibrate",
    "confusion_markdown",
    "judge_input",
    "load_labelled",
    "render_markdown",
]
