"""Bridge decision agreement: the tutor's remediation decision scored against Bridge's expert labels.

Bridge (Wang et al., 2024) gives, for a student's mistake in a real tutoring chat, the decision an expert
took: the error (`guess`, `misinterpret`, ...), the strategy (`ask-question`, `hint`, ...) and the
intention (`hint-at-mistake`, `understand-topic`, ...). The tutor labels every move it makes in the same
taxonomy (`Decision.bridge_error|strategy|intention`, decided by rules in `tutor.policy`). Here the
tutor's policy meets the same situations the experts saw:

    records = load_bridge([Path("train.json")])           # Bridge JSON lists or imported .jsonl files
    result = bridge_agreement(records)
    print(render_bridge_markdown(result))

The situation, per record, is what the tutor can know from the conversation. Bridge has no problem
statement and no answer key, so the tutor gets a one-step math problem built from the record: the
statement is the lesson topic and the tutor's messages of the history, the step's question is the
tutor's last message, and the step's answer is unknown. An unknown answer is represented by a number no
student writes (the largest float), so any number the student commits to is assessed as wrong, which
is what Bridge records are: segments where the student made a mistake. The student's messages since the
tutor's last message are then assessed and decided in order, exactly as `TutorAgent` does with the
model switched off (rules, and the student's own arithmetic run in the sandbox), and the decision on the
last one is the tutor's decision. No model is called.

Limitations, shown in the report: with no scaffold (no typical wrong answers, no other steps) the
policy cannot recognise a misinterpretation or a right idea, so some expert labels are out of its reach;
the report lists them as coverage (expert labels the tutor never produced). Labels are compared
as they are: the expert's free-text `other` and the tutor's `not-applicable` (no error diagnosed) are
labels of their own, never counted as agreement.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, get_args

from sklearn.metrics import cohen_kappa_score, confusion_matrix

from tutor.assess import assess_stepped
from tutor.errors import InputDataError, SandboxError, TutorError
from tutor.planning.plan import PlanTree
from tutor.policy import decide
from tutor.problems.importers.bridge import import_bridge
from tutor.problems.importers.records import ImportedRecord
from tutor.problems.labelled import (
    BridgeError,
    BridgeIntention,
    BridgeStrategy,
    RemediationExample,
    read_labelled_jsonl,
)
from tutor.problems.schema import MathProblem
from tutor.soliloquy.soliloquy import Soliloquist

DIMENSIONS = ("error", "strategy", "intention")
NO_ERROR = "not-applicable"  # the tutor's error label when it diagnoses no mistake
UNKNOWN_ANSWER = sys.float_info.max  # "the answer is unknown": no student writes this number
VOCABULARY: dict[str, tuple[str, ...]] = {
    "error": (*get_args(BridgeError), NO_ERROR),
    "strategy": get_args(BridgeStrategy),
    "intention": get_args(BridgeIntention),
}
SETUP = (
    "Each record's situation is the conversation up to the student's last message. The tutor gets a one-step "
    "problem built from it (statement: the lesson topic and the tutor's messages; question: the tutor's last "
    "message; answer: unknown, so any number the student commits to is wrong, as Bridge records are the "
    "student's mistakes). The student's messages since the tutor's last one are assessed and decided by the "
    "tutor's rules (`tutor.assess`, `tutor.policy`), with the student's arithmetic run in the sandbox; no model "
    "is called. Without a scaffold (typical wrong answers, other steps) the policy cannot recognise a "
    "misinterpretation or a right idea: expert labels the tutor never produced are listed under coverage."
)


@dataclass(frozen=True)
class TutorLabels:
    """The tutor's decision on one record, in Bridge's label names, and its assessment of the message."""

    error: str
    strategy: str
    intention: str
    assessment: str = ""


Decider = Callable[[RemediationExample], TutorLabels]


@dataclass(frozen=True)
class LabelAgreement:
    """Agreement of the tutor with the experts on one label (error, strategy or intention)."""

    dimension: str
    n: int
    labels: tuple[str, ...]  # rows (expert) and columns (tutor) of the confusion matrix
    accuracy: float
    kappa: float | None  # Cohen's kappa; None when undefined (one label only on both sides)
    majority_label: str  # the expert's most frequent label
    majority_accuracy: float  # accuracy of always answering it (its kappa is 0)
    confusion: dict[str, dict[str, int]]  # expert label -> tutor label -> count
    expert_counts: dict[str, int]
    tutor_counts: dict[str, int]
    never_produced: tuple[str, ...]  # expert labels the tutor never gave on these records

    @property
    def coverage(self) -> float:
        """Share of records whose expert label the tutor gave at least once (the reachable ceiling)."""
        missing = sum(self.expert_counts.get(label, 0) for label in self.never_produced)
        return (self.n - missing) / self.n if self.n else 0.0

    def recall(self, label: str) -> float | None:
        """Share of the records the experts gave `label` on which the tutor gave it too."""
        total = self.expert_counts.get(label, 0)
        return self.confusion[label][label] / total if total else None


@dataclass(frozen=True)
class BridgeItem:
    """One record: the expert's labels and the tutor's."""

    id: str
    source_ref: str
    message: str
    expert: dict[str, str]
    tutor: dict[str, str]
    assessment: str


@dataclass(frozen=True)
class BridgeAgreement:
    """The tutor's decision labels against Bridge's expert labels, per label."""

    n: int
    dimensions: tuple[LabelAgreement, ...]
    items: tuple[BridgeItem, ...]
    assessments: dict[str, int]  # how the tutor assessed the student's last message
    arithmetic_checked: bool  # the student's arithmetic was run (a sandbox was available)
    setup: str = SETUP

    def dimension(self, name: str) -> LabelAgreement:
        return next(d for d in self.dimensions if d.dimension == name)

    def to_json(self) -> dict[str, Any]:
        """Everything in the report, plus each record's labels, as JSON-ready data."""
        return {
            "n": self.n,
            "setup": self.setup,
            "arithmetic_checked": self.arithmetic_checked,
            "assessments": self.assessments,
            "dimensions": [{**asdict(d), "coverage": d.coverage} for d in self.dimensions],
            "items": [asdict(i) for i in self.items],
        }


# ---------------------------------------------------------------------------------------- the tutor


def situation(example: RemediationExample) -> tuple[MathProblem, list[str]]:
    """The one-step problem the tutor can know from the conversation, and the student's messages since the
    tutor's last message (oldest first; at least one, possibly empty)."""
    history = example.history
    last_tutor = max((i for i, t in enumerate(history) if t.role == "tutor"), default=-1)
    told = [t.text for t in history[: last_tutor + 1] if t.role == "tutor" and t.text]
    topic = example.topic or "a math lesson"
    question = told[-1] if told else f"What do you know about {topic}?"
    unknown = {"value": UNKNOWN_ANSWER}
    problem = MathProblem.model_validate(
        {
            "id": "bridge-situation",
            "title": topic,
            "statement": "\n".join([f"Lesson: {topic}", *told]),
            "domain": "math",
            "source": "bridge",
            "license": "MIT",
            "missing": ["hints", "wrong_answers", "programs", "concepts", "difficulty"],
            "steps": [{"id": "s1", "question": question, "answer": unknown}],
            "final_answer": unknown,
        }
    )
    messages = [t.text for t in history[last_tutor + 1 :] if t.role == "student"]
    return problem, messages or [example.last_student_message]


def bridge_name(label: str) -> str:
    """A tutor label in Bridge's spelling (`hint_at_mistake` -> `hint-at-mistake`)."""
    return label.replace("_", "-")


def tutor_decider(soliloquist: Soliloquist | None = None) -> Decider:
    """The tutor's rules as a `Decider` (see the module docstring); `soliloquist` runs the student's
    arithmetic (None: not checked, as with a tutor whose soliloquy is switched off)."""

    def decide_record(example: RemediationExample) -> TutorLabels:
        problem, messages = situation(example)
        plan = PlanTree.for_problem(problem)
        for message in messages:
            assessment = assess_stepped(message, problem, plan, soliloquist).assessment
            move = decide(assessment, problem, plan, message, allow_reveal=False)
            for update in move.updates:
                plan = plan.apply(update)
        d = move.decision
        return TutorLabels(
            error=bridge_name(d.bridge_error),
            strategy=bridge_name(d.bridge_strategy),
            intention=bridge_name(d.bridge_intention),
            assessment=assessment.label,
        )

    return decide_record


def default_soliloquist() -> Soliloquist | None:
    """A soliloquist on the default sandbox with no model, or None when the sandbox cannot run here."""
    from tutor.sandbox import default_sandbox

    try:
        soliloquist = Soliloquist(default_sandbox(), None)
        soliloquist.check_student_arithmetic("1 + 1 = 2")
    except (SandboxError, OSError):
        return None
    return soliloquist


# ------------------------------------------------------------------------------------------ scoring


def label_agreement(dimension: str, expert: Sequence[str], tutor: Sequence[str]) -> LabelAgreement:
    """Accuracy, Cohen's kappa, confusion matrix and majority baseline of paired (expert, tutor) labels."""
    if len(expert) != len(tutor) or not expert:
        raise ValueError("expert and tutor labels must be paired and not empty")
    seen = set(expert) | set(tutor)
    order = VOCABULARY.get(dimension, ())
    labels = [x for x in order if x in seen] + sorted(seen - set(order))
    matrix = confusion_matrix(expert, tutor, labels=labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # one label on both sides: kappa is 0/0
        kappa = float(cohen_kappa_score(expert, tutor, labels=labels))
    expert_counts, tutor_counts = Counter(expert), Counter(tutor)
    majority, majority_n = min(expert_counts.items(), key=lambda kv: (-kv[1], labels.index(kv[0])))
    n = len(expert)
    return LabelAgreement(
        dimension=dimension,
        n=n,
        labels=tuple(labels),
        accuracy=sum(e == t for e, t in zip(expert, tutor, strict=True)) / n,
        kappa=None if math.isnan(kappa) else kappa,
        majority_label=majority,
        majority_accuracy=majority_n / n,
        confusion={e: {t: int(matrix[i][k]) for k, t in enumerate(labels)} for i, e in enumerate(labels)},
        expert_counts={x: expert_counts[x] for x in labels if expert_counts[x]},
        tutor_counts={x: tutor_counts[x] for x in labels if tutor_counts[x]},
        never_produced=tuple(x for x in labels if expert_counts[x] and not tutor_counts[x]),
    )


def bridge_agreement(
    records: Sequence[RemediationExample], decide: Decider | None = None, *, arithmetic_checked: bool | None = None
) -> BridgeAgreement:
    """Score a decider (default: the tutor's rules with the sandbox, when it runs) against the experts.

    Raises:
        InputDataError: no records.
    """
    if not records:
        raise InputDataError("no Bridge records to score", "give Bridge JSON files or imported .jsonl files")
    if decide is None:
        soliloquist = default_soliloquist()
        decide, arithmetic_checked = tutor_decider(soliloquist), soliloquist is not None
    items = []
    for record in records:
        labels = decide(record)
        items.append(
            BridgeItem(
                id=record.id,
                source_ref=record.source_ref,
                message=record.last_student_message,
                expert={d: getattr(record.labels, d) for d in DIMENSIONS},
                tutor={d: getattr(labels, d) for d in DIMENSIONS},
                assessment=labels.assessment,
            )
        )
    dimensions = tuple(
        label_agreement(d, [i.expert[d] for i in items], [i.tutor[d] for i in items]) for d in DIMENSIONS
    )
    return BridgeAgreement(
        n=len(items),
        dimensions=dimensions,
        items=tuple(items),
        assessments=dict(Counter(i.assessment for i in items if i.assessment).most_common()),
        arithmetic_checked=bool(arithmetic_checked),
    )


# ----------------------------------------------------------------------------------------- loading


def load_bridge(paths: Sequence[Path]) -> list[RemediationExample]:
    """Bridge records from Bridge JSON lists (imported on the fly, strictly) or imported `.jsonl` files.

    Raises:
        InputDataError: a missing file, an item that does not import, or no Bridge record at all.
    """
    records: list[RemediationExample] = []
    for path in paths:
        if not path.is_file():
            raise InputDataError(f"{path}: no such file", "give Bridge's train.json / validation.json")
        if path.suffix == ".jsonl":
            found = [r for r in read_labelled_jsonl(path) if isinstance(r, RemediationExample)]
        else:
            found = []
            for outcome in import_bridge(path):
                if not isinstance(outcome, ImportedRecord):
                    raise InputDataError(f"{path}: {outcome.describe()}")  # type: ignore[union-attr]
                found.append(outcome.record)  # type: ignore[arg-type]
        if not found:
            raise InputDataError(f"{path}: no Bridge records in it", "give Bridge's JSON list or an imported .jsonl")
        records.extend(found)
    return records


# --------------------------------------------------------------------------------------- rendering


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _matrix(d: LabelAgreement) -> list[str]:
    columns = [c for c in d.labels if d.tutor_counts.get(c)]
    rows = [r for r in d.labels if d.expert_counts.get(r)]
    lines = [
        "| expert \\ tutor | " + " | ".join(f"`{c}`" for c in columns) + " | expert n | tutor agreed |",
        "|---|" + "---:|" * (len(columns) + 2),
    ]
    for r in rows:
        cells = " | ".join(str(d.confusion[r][c]) for c in columns)
        lines.append(f"| `{r}` | {cells} | {d.expert_counts[r]} | {_pct(d.recall(r))} |")
    totals = " | ".join(str(d.tutor_counts[c]) for c in columns)
    lines.append(f"| tutor n | {totals} | {d.n} | |")
    return lines


def render_bridge_markdown(result: BridgeAgreement, level: int = 1) -> str:
    """The agreement report in Markdown: summary per label, then each label's confusion matrix.

    `level` is the title's heading level (2 to embed the report as a section of another report).
    """
    lines = [
        f"{'#' * level} Bridge decision agreement: the tutor's policy against the experts",
        "",
        f"{result.n} Bridge records. {result.setup}",
        "",
        f"The student's arithmetic was {'run in the sandbox' if result.arithmetic_checked else 'not checked'}.",
        "",
        "| label | n | accuracy | Cohen's kappa | majority baseline | coverage | expert labels never produced |",
        "|---|---:|---:|---:|---|---:|---|",
    ]
    for d in result.dimensions:
        never = ", ".join(f"`{x}`" for x in d.never_produced) or "none"
        lines.append(
            f"| {d.dimension} | {d.n} | {_pct(d.accuracy)} | {_fmt(d.kappa)} | "
            f"`{d.majority_label}` {_pct(d.majority_accuracy)} (kappa 0) | {_pct(d.coverage)} | {never} |"
        )
    lines += [
        "",
        "Coverage: the share of records whose expert label the tutor produced at least once here, the ceiling "
        "of its accuracy. Kappa corrects accuracy for chance; the majority baseline (always the experts' most "
        "frequent label) has kappa 0.",
        "",
        "How the tutor assessed the student's last message: "
        + ", ".join(f"`{k}` {v}" for k, v in result.assessments.items())
        + ".",
    ]
    for d in result.dimensions:
        lines += ["", f"{'#' * (level + 1)} {d.dimension}", "", *_matrix(d)]
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------------------------------- main


def write_bridge_report(result: BridgeAgreement, folder: Path) -> tuple[Path, Path]:
    """Write `bridge_agreement.md` and `bridge_agreement.json` into `folder`; returns both paths."""
    from tutor.files import atomic_write_text, write_json

    markdown, data = folder / "bridge_agreement.md", folder / "bridge_agreement.json"
    atomic_write_text(markdown, render_bridge_markdown(result))
    write_json(data, result.to_json())
    return markdown, data


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m evals.bridge_agreement PATH... [--out DIR]`: write bridge_agreement.md and .json."""
    parser = argparse.ArgumentParser(prog="python -m evals.bridge_agreement", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="Bridge JSON lists or imported remediation .jsonl files")
    parser.add_argument("--out", type=Path, default=Path("runs/bridge-agreement"), help="report folder")
    args = parser.parse_args(argv)
    try:
        result = bridge_agreement(load_bridge(args.paths))
    except TutorError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    markdown, data = write_bridge_report(result, args.out)
    print(render_bridge_markdown(result))
    print(f"-> {markdown}, {data}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
