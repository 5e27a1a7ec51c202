"""Bridge (JSON list, MIT): expert remediation decisions on a student's mistake.

Not problems: each item becomes a `RemediationExample` (`tutor.problems.labelled`) for the evals.
Per item (as in the upstream `dataset/*.json`):

- `c_id` (conversation and segment), `lesson_topic`;
- `c_h` (the history), `c_r` (the novice tutor's reply), `c_r_` (the expert's revised reply) and
  `c_revision` (the expert's reply and the conversation after it): lists of chat messages
  `{id, text, time, user}` (`c_r_` and `c_revision` carry `is_revised` instead of `id` and `time`), `user`
  being `tutor` or `student`. A plain string is read as a single message (`c_h`: split on `Tutor:` /
  `Student:` prefixes);
- `e` (error), `z_what` (strategy) and `z_why` (intention), also read from `z` and `i`.

Mapping: messages keep their order (by `id` when every message has one); empty messages stay in the
history (the tutoring platform sends images as empty messages) and are dropped from the expert's replies
(noted). Labels are normalised to the fixed sets of the Bridge paper: the dataset's codes (`provide_hint`,
`hint_mistake`, ...), the project's names (`hint`, `hint-at-mistake`) and the paper's option wording
("Provide a hint") are recognised; anything else is the annotator's free text for "other" ("no mistake,
the student is ending the session") and becomes `other`, its wording kept next to it and noted.

One segment can be labelled by several experts (the same `c_id` with different labels), so the record id
is the `c_id` plus a digest of the whole item: identical items merge, different annotations do not.
Bridge has no problem statement (it lives inside the history), so nothing here becomes a problem.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tutor.problems.importers.base import ImportOutcome, RecordError, SkippedRecord
from tutor.problems.importers.common import as_object, iter_json_list, optional_text, slug, split_history
from tutor.problems.importers.records import ImportedRecord
from tutor.problems.labelled import ExpertResponse, LabelledTurn, RemediationExample, RemediationLabels, Role

SOURCE = "bridge"
LICENSE = "MIT"
_ROLES: dict[str, Role] = {"tutor": "tutor", "teacher": "tutor", "expert": "tutor", "student": "student"}

# Label -> the phrases that name it: the dataset's code, then the paper's option wording. Compared after
# `_phrase` (lowercase, words only); the wording also matches as the start of a longer text, since the
# annotation form's options carry examples after them ("Explain the student's mistake (e.g. ...)").
ERROR_LABELS: dict[str, tuple[str, ...]] = {
    "guess": ("guess", "student is guessing"),
    "misinterpret": ("misinterpret", "student misinterpreted the question"),
    "careless": ("careless", "student made a careless mistake"),
    "right-idea": ("right idea", "student has the right idea"),
    "imprecise": ("imprecise", "student s answer is not precise enough"),
    "diagnose": ("diagnose", "not sure but tutor should try to diagnose"),
}
STRATEGY_LABELS: dict[str, tuple[str, ...]] = {
    "explain-concept": ("explain concept", "explain a concept"),
    "ask-question": ("ask question", "ask a question"),
    "hint": ("provide hint", "hint", "provide a hint"),
    "strategy": ("provide strategy", "strategy", "provide a strategy"),
    "worked-example": ("provide example", "worked example", "provide a worked example"),
    "correction": ("provide correction", "correction", "provide a minor correction"),
    "similar-problem": ("provide similar problem", "similar problem", "provide a similar problem"),
    "simplify": ("simplify question", "simplify", "simplify the question"),
    "affirm": ("affirm correct answer", "affirm", "affirm the correct answer"),
    "encourage": ("encourage student", "encourage", "encourage the student"),
}
INTENTION_LABELS: dict[str, tuple[str, ...]] = {
    "motivate": ("motivate student", "motivate", "motivate the student"),
    "elaborate": ("elaborate answer", "elaborate", "get the student to elaborate their answer"),
    "correct": ("correct mistake", "correct", "correct the student s mistake"),
    "hint-at-mistake": ("hint mistake", "hint at mistake", "hint at the student s mistake"),
    "clarify": ("clarify misunderstanding", "clarify", "clarify a student s misunderstanding"),
    "understand-topic": ("understand topic", "help the student understand the lesson topic"),
    "diagnose": ("diagnose mistake", "diagnose", "diagnose the student s mistake"),
    "support-thinking": ("support thinking", "support the student in their thinking"),
    "explain-mistake": ("explain mistake", "explain the student s mistake"),
    "signal-goal": ("signal goal", "signal to the student that they have"),
}
_MIN_PREFIX_WORDS = 3  # a phrase this long also matches as the start of a longer label text


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


def _phrase(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def normalise_label(text: str, table: dict[str, tuple[str, ...]]) -> str:
    """The fixed label `text` names (its code, name or the paper's wording), `other` when none does."""
    said = _phrase(text)
    label = next((label for label, phrases in table.items() for p in phrases if said == _phrase(p)), None)
    if label is None:
        label = next(
            (
                label
                for label, phrases in table.items()
                for p in map(_phrase, phrases)
                if len(p.split()) >= _MIN_PREFIX_WORDS and said.startswith(p + " ")
            ),
            "other",
        )
    return label


def _label(
    record: dict[str, Any], keys: tuple[str, ...], table: dict[str, tuple[str, ...]], notes: list[str]
) -> tuple[str, str]:
    key = next((k for k in keys if record.get(k) is not None), keys[0])
    value = record.get(key)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        notes.append(f"{key} has {len(value)} labels; the first is used")
        value = value[0]
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RecordError(key, "missing label")
    if not isinstance(value, str):
        raise RecordError(key, f"expected a label, got {type(value).__name__}")
    label = normalise_label(value, table)
    if label == "other" and _phrase(value) != "other":
        notes.append(f"{key} {' '.join(value.split())!r} is the annotator's own wording: labelled `other`")
    return label, value.strip()


def _messages(value: Any, key: str) -> list[tuple[Any, Role, str, Any]]:
    """(id, role, text, is_revised) per chat message of `value`, in the file's order."""
    if isinstance(value, str):
        return [(None, _ROLES["tutor"], value, None)]
    if not isinstance(value, list):
        raise RecordError(
            key, "missing" if value is None else f"expected a list of messages, got {type(value).__name__}"
        )
    out = []
    for i, message in enumerate(value):
        if isinstance(message, str):
            message = {"user": "tutor", "text": message}
        if not isinstance(message, dict):
            raise RecordError(f"{key}[{i}]", f"expected an object, got {type(message).__name__}")
        user, text = message.get("user"), message.get("text")
        role = _ROLES.get(str(user).strip().lower()) if isinstance(user, str) else None
        if role is None:
            raise RecordError(f"{key}[{i}].user", f"{user!r} is neither 'tutor' nor 'student'")
        if not isinstance(text, str):
            raise RecordError(f"{key}[{i}].text", "missing" if text is None else "expected text")
        out.append((message.get("id"), role, text.strip(), message.get("is_revised")))
    if all(isinstance(m[0], int) for m in out):
        out = [m for _, m in sorted(enumerate(out), key=lambda p: (p[1][0], p[0]))]
    return out


def _turns(value: Any, key: str, *, required: bool) -> tuple[LabelledTurn, ...]:
    if key == "c_h" and isinstance(value, str):
        turns = tuple(split_history(value))
    else:
        turns = tuple(LabelledTurn(role=role, text=text) for _, role, text, _ in _messages(value, key))
    if required and not turns:
        raise RecordError(key, "no messages")
    return turns


def _experts(value: Any, notes: list[str]) -> tuple[ExpertResponse, ...]:
    messages = _messages(value, "c_r_")
    replies = tuple(
        ExpertResponse(text=text, is_revised=revised if isinstance(revised, bool) else None)
        for _, _, text, revised in messages
        if text
    )
    if not replies:
        raise RecordError("c_r_", "no expert reply")
    if len(replies) < len(messages):
        notes.append(f"c_r_: {len(messages) - len(replies)} empty message(s) left out")
    return replies


def _revision(value: Any, notes: list[str]) -> tuple[LabelledTurn, ...]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ()
    messages = _messages(value, "c_revision")
    turns = tuple(LabelledTurn(role=role, text=text) for _, role, text, _ in messages if text)
    if len(turns) < len(messages):
        notes.append(f"c_revision: {len(messages) - len(turns)} empty message(s) left out")
    return turns


def record_id(record: dict[str, Any], c_id: Any) -> str:
    """`bridge-<c_id>-<digest>`: the same segment labelled by another expert gets another id."""
    digest = hashlib.sha1(json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return f"{SOURCE}-{slug(c_id)}-{digest[:8]}"


def convert_item(record: dict[str, Any], ref: str) -> RemediationExample:
    """One Bridge item as a `RemediationExample` (raises `RecordError` naming the field)."""
    c_id = record.get("c_id")
    if c_id is None or str(c_id).strip() == "":
        raise RecordError("c_id", "missing")
    notes: list[str] = []
    history = _turns(record.get("c_h"), "c_h", required=True)
    if history[-1].role != "student":
        notes.append("the history does not end on a student message")
    error, error_text = _label(record, ("e",), ERROR_LABELS, notes)
    strategy, strategy_text = _label(record, ("z_what", "z"), STRATEGY_LABELS, notes)
    intention, intention_text = _label(record, ("z_why", "i"), INTENTION_LABELS, notes)
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
        id=record_id(record, c_id),
        source=SOURCE,
        source_ref=ref,
        license=LICENSE,
        conversation_id=str(c_id).strip(),
        topic=optional_text(record, "lesson_topic"),
        history=history,
        novice_response=_turns(record.get("c_r"), "c_r", required=True),
        expert_responses=_experts(record.get("c_r_"), notes),
        revision=_revision(record.get("c_revision"), notes),
        labels=labels,
        import_notes=tuple(notes),
    )
