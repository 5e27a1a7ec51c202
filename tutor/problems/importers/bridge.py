"""Bridge (JSON list, MIT): expert remediation decisions on a student's mistake.

Not problems: each item becomes a `RemediationExample` (`tutor.problems.labelled`) for the evals.
Per item: `c_id`, `lesson_topic`, `c_h` (history: `{id, text, user}` with user `tutor` | `student`),
`c_r` (the novice tutor's reply), `c_r_` (the expert's reply(s): `{user, text, is_revised}`),
`c_revision`, `e` (error), `z_what` (strategy), `z_why` (intention).

Mapping: the history keeps its order (by `id` when every turn has one); labels are normalised to the
fixed sets of the Bridge paper (`guess`, `misinterpret`, ...; `ask-question`, `hint`, ...;
`diagnose`, `hint-at-mistake`, ...) by their key words, the source wording kept next to them; a label
outside the sets becomes `other` and is noted. Bridge has no problem statement (it lives inside the
history), so nothing here becomes a problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tutor.problems.importers.base import ImportOutcome, RecordError, SkippedRecord
from tutor.problems.importers.common import as_object, iter_json_list, optional_text, required_text, slug
from tutor.problems.importers.records import ImportedRecord
from tutor.problems.labelled import DialogueTurn, ExpertResponse, RemediationExample, RemediationLabels

SOURCE = "bridge"
LICENSE = "MIT"

# Key words -> label, tried in order (first match wins), on the lowercased label with `-`/`_` as spaces.
# The order matters where one label's wording contains another's key word ("simplify the question").
ERROR_LABELS = (
    ("guess", "guess"),
    ("misinterpret", "misinterpret"),
    ("careless", "careless"),
    ("right idea", "right-idea"),
    ("imprecise", "imprecise"),
    ("diagnose", "diagnose"),
    ("not sure", "diagnose"),
)
STRATEGY_LABELS = (
    ("worked example", "worked-example"),
    ("similar problem", "similar-problem"),
    ("simplify", "simplify"),
    ("affirm", "affirm"),
    ("encourage", "encourage"),
    ("explain", "explain-concept"),
    ("correction", "correction"),
    ("hint", "hint"),
    ("strategy", "strategy"),
    ("question", "ask-question"),
    ("ask", "ask-question"),
)
INTENTION_LABELS = (
    ("hint", "hint-at-mistake"),
    ("explain", "explain-mistake"),
    ("correct", "correct"),
    ("motivate", "motivate"),
    ("elaborate", "elaborate"),
    ("clarify", "clarify"),
    ("understand", "understand-topic"),
    ("diagnose", "diagnose"),
    ("support", "support-thinking"),
    ("signal", "signal-goal"),
)


def import_bridge(path: Path) -> Iterator[ImportOutcome]:
    """Yield one `RemediationExample` per item of a Bridge JSON list."""
    for item in iter_json_list(path):
        if isinstance(item, SkippedRecord):
            yield item
            continue
        ref, record = item
        try:
            yield ImportedRecord(convert_item(as_object(record), ref), ref)
        except RecordError as exc:
            yield SkippedRecord(ref, exc.field, exc.reason)


def normalise_label(text: str, table: tuple[tuple[str, str], ...]) -> str:
    """The fixed label `text` names (by key word), `other` when none does."""
    words = " " + " ".join(re.sub(r"[-_]", " ", text.lower()).split()) + " "
    for key, label in table:
        if re.search(rf"\b{re.escape(key)}", words):
            return label
    return "other"


def _label(
    record: dict[str, Any], key: str, table: tuple[tuple[str, str], ...], notes: list[str]
) -> tuple[str, str]:
    value = record.get(key)
    if isinstance(value, list) and all(isinstance(v, str) for v in value) and value:
        notes.append(f"{key} has {len(value)} labels; the first is used")
        value = value[0]
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RecordError(key, "missing label")
    if not isinstance(value, str):
        raise RecordError(key, f"expected a label, got {type(value).__name__}")
    label = normalise_label(value, table)
    if label == "other" and value.strip().lower() != "other":
        notes.append(f"{key} {value.strip()!r} is outside the fixed set: labelled `other`")
    return label, value.strip()


def _history(value: Any) -> tuple[DialogueTurn, ...]:
    if not isinstance(value, list) or not value:
        raise RecordError("c_h", "missing" if value is None else "expected a non-empty list of turns")
    turns = []
    for i, turn in enumerate(value):
        if not isinstance(turn, dict):
            raise RecordError(f"c_h[{i}]", f"expected an object, got {type(turn).__name__}")
        user, text = turn.get("user"), turn.get("text")
        if user not in ("tutor", "student"):
            raise RecordError(f"c_h[{i}].user", f"{user!r} is neither 'tutor' nor 'student'")
        if not isinstance(text, str):
            raise RecordError(f"c_h[{i}].text", "missing" if text is None else "expected text")
        turns.append((turn.get("id"), i, DialogueTurn(role=user, text=text.strip())))
    if all(isinstance(t[0], int) for t in turns):
        turns.sort(key=lambda t: (t[0], t[1]))
    return tuple(t[2] for t in turns)


def _experts(value: Any) -> tuple[ExpertResponse, ...]:
    if isinstance(value, str):
        value = [{"text": value}]
    if not isinstance(value, list) or not value:
        raise RecordError("c_r_", "missing" if value is None else "expected a non-empty list of replies")
    replies = []
    for i, reply in enumerate(value):
        if isinstance(reply, str):
            reply = {"text": reply}
        if not isinstance(reply, dict) or not isinstance(reply.get("text"), str) or not reply["text"].strip():
            raise RecordError(f"c_r_[{i}].text", "missing or empty")
        revised = reply.get("is_revised")
        replies.append(
            ExpertResponse(
                text=reply["text"].strip(), is_revised=revised if isinstance(revised, bool) else None
            )
        )
    return tuple(replies)


def convert_item(record: dict[str, Any], ref: str) -> RemediationExample:
    """One Bridge item as a `RemediationExample` (raises `RecordError` naming the field)."""
    c_id = record.get("c_id")
    if c_id is None or str(c_id).strip() == "":
        raise RecordError("c_id", "missing")
    notes: list[str] = []
    history = _history(record.get("c_h"))
    if history[-1].role != "student":
        notes.append("the history does not end on a student turn")
    error, error_text = _label(record, "e", ERROR_LABELS, notes)
    strategy, strategy_text = _label(record, "z_what", STRATEGY_LABELS, notes)
    intention, intention_text = _label(record, "z_why", INTENTION_LABELS, notes)
    labels = RemediationLabels.model_validate(
        {
            "error": error,
            "error_text": error_text,
            "strategy": strategy,
            "strategy_text": strategy_text,
            "intention": intention,
            "intention_text": intention_text,
        }
    )
    return RemediationExample(
        id=f"{SOURCE}-{slug(c_id)}",
        source=SOURCE,
        source_ref=ref,
        license=LICENSE,
        conversation_id=str(c_id),
        topic=optional_text(record, "lesson_topic"),
        history=history,
        novice_response=required_text(record, "c_r"),
        expert_responses=_experts(record.get("c_r_")),
        revision=optional_text(record, "c_revision"),
        labels=labels,
        import_notes=tuple(notes),
    )
