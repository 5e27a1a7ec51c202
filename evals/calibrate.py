"""Judge calibration: run the judge on human-labelled tutor responses (MRBench format) and report how far
it agrees with the humans, per dimension: accuracy, macro-F1 and the confusion matrix.

    records = load_labelled("datasets/evals/calibration/mrbench_fixture.json")
    report = calibrate(records, Judge(model), judge_spec="local")
    print(render_markdown(report))

Conventions: only items a human labelled on a dimension count for it. A judge reply that could not be read
is the prediction `(none)`: it counts as wrong in accuracy, as a miss of the true class in F1, and has a
column of its own in the confusion matrix; `coverage` says how often the judge gave a label at all.
Macro-F1 averages the F1 of every label that occurs among the human or judge labels (as scikit-learn's
`f1_score(average="macro")` does), `(none)` excepted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evals.judge import Judge, JudgeInput
from evals.labels import DIMENSIONS, VOCABULARY, human_labels
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

    @property
    def coverage(self) -> float | None:
        return self.judged / self.n if self.n else None


def agreement(
    dimension: str, pairs: Sequence[tuple[str, str | None]], vocabulary: Sequence[str] = ()
) -> DimensionAgreement:
    """Accuracy, macro-F1 and confusion matrix of (human, judge) label pairs; judge None = unlabelled."""
    vocab = list(vocabulary or VOCABULARY.get(dimension, ()))
    for human, judged in pairs:  # labels outside the vocabulary still get a row/column
        for label in (human, judged):
            if label is not None and label not in vocab:
                vocab.append(label)
    columns = [*vocab, NONE]
    confusion = {h: dict.fromkeys(columns, 0) for h in vocab}
    for human, judged in pairs:
        confusion[human][judged if judged is not None else NONE] += 1
    n = len(pairs)
    judged_n = sum(1 for _, j in pairs if j is not None)
    correct = sum(1 for h, j in pairs if h == j)
    present = [c for c in vocab if any(h == c or j == c for h, j in pairs)]
    f1: dict[str, float] = {}
    for c in present:
        tp = sum(1 for h, j in pairs if h == c and j == c)
        predicted = sum(1 for _, j in pairs if j == c)
        actual = sum(1 for h, _ in pairs if h == c)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1[c] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return DimensionAgreement(
        dimension=dimension,
        labels=tuple(vocab),
        n=n,
        judged=judged_n,
        accuracy=correct / n if n else None,
        macro_f1=sum(f1.values()) / len(f1) if f1 else None,
        f1=f1,
        confusion=confusion,
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


def calibrate(
    records: Sequence[LabelledTutorResponse],
    judge: Judge,
    *,
    judge_spec: str = "",
    data: str = "",
    skipped: Sequence[str] = (),
    done: Mapping[str, dict[str, str] | None] | None = None,
    on_item: Callable[[CalibrationItem], None] | None = None,
) -> CalibrationReport:
    """Judge every record and measure agreement per dimension (see the module docstring).

    Args:
        done: judge labels already obtained (a resumed calibration), by record id; those records are not
            judged again (None: the judge's reply was unreadable).
        on_item: called with each newly judged item (to save it as it comes).
    """
    items: list[CalibrationItem] = []
    done = done or {}
    for record in records:
        if record.id in done:
            labels = done[record.id]
            error = "" if labels is not None else "unreadable judge reply (earlier run)"
            items.append(CalibrationItem(record.id, human_labels(record.labels), labels, error))
            continue
        verdict = judge.judge(
            JudgeInput(
                history=record.history_text,
                response=record.response,
                problem=record.topic or "",
                solution=record.ground_truth_solution or "",
            )
        )
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
        pairs = [(h, i.judge[d] if i.judge else None) for i in items if (h := i.human.get(d)) is not None]
        if pairs:
            out.append(agreement(d, pairs))
    return out


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def render_markdown(report: CalibrationReport) -> str:
    """The agreement table and one confusion matrix per dimension, as Markdown."""
    lines = [
        f"# Judge calibration: `{report.judge_spec}` on `{report.data}`",
        "",
        f"{len(report.items)} labelled responses; the judge's reply was unreadable for {report.unlabelled}."
        + (f" {len(report.skipped)} record(s) of the file were skipped." if report.skipped else ""),
        "",
        "| Dimension | Human-labelled | Judge coverage | Accuracy | Macro-F1 |",
        "|---|---:|---:|---:|---:|",
    ]
    for d in report.dimensions:
        f1 = "-" if d.macro_f1 is None else f"{d.macro_f1:.2f}"
        lines.append(f"| {d.dimension} | {d.n} | {_pct(d.coverage)} | {_pct(d.accuracy)} | {f1} |")
    lines += ["", "Rows: human label; columns: judge label.", ""]
    for d in report.dimensions:
        columns = [*d.labels, NONE]
        lines += [
            f"### {d.dimension}",
            "",
            "| human \\ judge | " + " | ".join(columns) + " |",
            "|---|" + "---:|" * len(columns),
        ]
        for h in d.labels:
            lines.append(f"| {h} | " + " | ".join(str(d.confusion[h][c]) for c in columns) + " |")
        lines.append("")
    return "\n".join(lines)


__all__ = [
    "NONE",
    "CalibrationItem",
    "CalibrationReport",
    "DimensionAgreement",
    "agreement",
    "agreement_table",
    "calibrate",
    "load_labelled",
    "render_markdown",
]
