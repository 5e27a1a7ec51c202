"""MRBench (JSON list, CC BY-SA 4.0) and the BEA 2025 shared-task files: human-labelled tutor responses.

Not problems: each (conversation, tutor) pair becomes a `LabelledTutorResponse`
(`tutor.problems.labelled`) for calibrating the LLM judge. Per item: `conversation_id`,
`conversation_history` (one string), `Data`, `Split`, `Topic`, `Ground_Truth_Solution` and
`anno_llm_responses`: tutor name -> `{response, annotation}`. The BEA 2025 files name the map
`tutor_responses`, label only the first 4 dimensions, and may carry no annotation at all (test split);
the importer tells them apart per item and sets `source` to `mrbench` or `bea-2025`.

Normalisation: `Yes` / `To some extent` / `No` whatever the case and spacing; the answer dimension to
`revealed-correct` / `revealed-incorrect` / `not-revealed` (a bare `Yes`, which does not say whether
the revealed answer was right, is left unlabelled and noted); tone to `Encouraging` / `Neutral` /
`Offensive`; `humanlikeness` or `Humanlikeness`. A label outside these values is an error naming the
tutor and dimension. `Not Available` in Topic or Ground_Truth_Solution means absent. The history is
also split into turns on its `Tutor:` / `Student:` prefixes (kept whole in `history_text`).

Ids are `<source>-<conversation id>-<tutor>`. A conversation id can repeat with other responses (MRBench
V1 does this): every item is kept, and a repeat's ids take the suffix `-2`, `-3`, ... in file order
(the first occurrence keeps the plain id, so ids do not move when a file gains a repeat further down;
`conversation_id` itself stays the source's), with a note naming the item that used the id first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tutor.problems.importers.base import ImportOutcome, RecordError, SkippedRecord
from tutor.problems.importers.common import as_object, iter_json_list, optional_text, slug, split_history
from tutor.problems.importers.records import ImportedRecord
from tutor.problems.labelled import LabelledTutorResponse, ResponseLabels

LICENSE = "CC-BY-SA-4.0"
BEA_LICENSE = "CC-BY-SA-4.0 (derived from MRBench; see the BEA 2025 shared task terms)"
DIMENSIONS = {  # source key -> field of ResponseLabels
    "Mistake_Identification": "mistake_identification",
    "Mistake_Location": "mistake_location",
    "Revealing_of_the_Answer": "revealing_of_the_answer",
    "Providing_Guidance": "providing_guidance",
    "Actionability": "actionability",
    "Coherence": "coherence",
    "Tutor_Tone": "tutor_tone",
    "humanlikeness": "humanlikeness",
}
BEA_DIMENSIONS = ("Mistake_Identification", "Mistake_Location", "Providing_Guidance", "Actionability")
_LEVELS = {"yes": "Yes", "to some extent": "To some extent", "no": "No"}
_TONES = {"encouraging": "Encouraging", "neutral": "Neutral", "offensive": "Offensive"}
_ABSENT = {"", "not available", "n/a", "na", "none"}


def import_mrbench(path: Path) -> Iterator[ImportOutcome]:
    """Yield one `LabelledTutorResponse` per tutor response of an MRBench or BEA 2025 JSON list.

    Ids are unique within the file even where conversation ids repeat (see the module docstring).
    """
    used: dict[str, str] = {}  # id -> ref of the response that took it
    for item in iter_json_list(path):
        if isinstance(item, SkippedRecord):
            yield item
            continue
        ref, record = item
        try:
            outcomes = list(convert_item(as_object(record), ref))
        except RecordError as exc:  # the item as a whole does not fit (raised before any response)
            yield SkippedRecord(ref, exc.field, exc.reason)
            continue
        for outcome in outcomes:
            if isinstance(outcome, ImportedRecord):
                outcome = _unique(outcome, used)
                used[outcome.record.id] = outcome.ref
            yield outcome


def _unique(outcome: ImportedRecord, used: dict[str, str]) -> ImportedRecord:
    """`outcome` with `-2`, `-3`, ... appended to its id while an earlier response holds that id."""
    base = outcome.record.id
    if base not in used:
        return outcome
    n = 2
    while f"{base}-{n}" in used:
        n += 1
    note = f"id {base} is taken by {used[base]} (the conversation id repeats): this one is {base}-{n}"
    record = outcome.record.model_copy(
        update={"id": f"{base}-{n}", "import_notes": (*outcome.record.import_notes, note)}
    )
    return ImportedRecord(record, outcome.ref)


def _words(value: str) -> str:
    return " ".join(value.lower().replace("_", " ").split())


def _revealing(value: str) -> str | None:
    words = _words(value)
    if words == "no" or words.startswith("no "):
        return "not-revealed"
    if words.startswith("yes"):
        if re.search(r"\bincorrect\b|\bwrong\b", words):
            return "revealed-incorrect"
        if re.search(r"\bcorrect\b|\bright\b", words):
            return "revealed-correct"
        return None  # revealed, but correct or not is not said
    raise ValueError(value)


def normalise_labels(annotation: dict[str, Any], field_prefix: str, notes: list[str]) -> ResponseLabels:
    """One annotation map as `ResponseLabels` (raises `RecordError` for a value outside the scales)."""
    values: dict[str, str | None] = {}
    for key, raw in annotation.items():
        name = DIMENSIONS.get(key) or DIMENSIONS.get(key.lower()) or DIMENSIONS.get(key[:1].upper() + key[1:])
        if name is None:
            notes.append(f"{field_prefix}: unknown dimension {key!r} ignored")
            continue
        if raw is None or (isinstance(raw, str) and _words(raw) in _ABSENT):
            continue
        if not isinstance(raw, str):
            raise RecordError(f"{field_prefix}.{key}", f"expected a label, got {type(raw).__name__}")
        try:
            if name == "revealing_of_the_answer":
                values[name] = _revealing(raw)
                if values[name] is None:
                    notes.append(
                        f"{field_prefix}.{key} {raw!r} does not say whether the revealed answer is "
                        "correct: left unlabelled"
                    )
            elif name == "tutor_tone":
                values[name] = _TONES[_words(raw)]
            else:
                values[name] = _LEVELS[_words(raw)]
        except (KeyError, ValueError):
            scale = "Encouraging / Neutral / Offensive" if name == "tutor_tone" else "Yes / To some extent / No"
            raise RecordError(f"{field_prefix}.{key}", f"{raw!r} is not on the scale {scale}") from None
    return ResponseLabels.model_validate(values)


def convert_item(record: dict[str, Any], ref: str) -> Iterator[ImportOutcome]:
    """One MRBench/BEA item as one labelled response per tutor, `ref/tutor` each.

    A response that does not fit is a `SkippedRecord` of its own; an item without the shared fields
    raises `RecordError` naming the field before yielding anything.
    """
    conversation_id = record.get("conversation_id")
    if conversation_id is None or str(conversation_id).strip() == "":
        raise RecordError("conversation_id", "missing")
    history_text = record.get("conversation_history")
    if not isinstance(history_text, str):
        raise RecordError("conversation_history", "missing" if history_text is None else "expected one string")
    bea = "tutor_responses" in record and "anno_llm_responses" not in record
    key = "tutor_responses" if bea else "anno_llm_responses"
    tutors = record.get(key)
    if not isinstance(tutors, dict) or not tutors:
        raise RecordError(key, "missing" if tutors is None else "expected a non-empty map from tutor to response")
    history = split_history(history_text)
    source = "bea-2025" if bea else "mrbench"

    def absent(name: str) -> str | None:
        value = optional_text(record, name)
        return None if value is None or _words(value) in _ABSENT else value

    shared: dict[str, Any] = {
        "source": source,
        "license": BEA_LICENSE if bea else LICENSE,
        "conversation_id": str(conversation_id),
        "origin": absent("Data"),
        "split": absent("Split"),
        "topic": absent("Topic"),
        "ground_truth_solution": absent("Ground_Truth_Solution"),
        "history_text": history_text,
        "history": tuple(history),
    }
    notes = [] if history else ["the history has no Tutor:/Student: prefixes: not split into turns"]
    for tutor, entry in tutors.items():
        tutor_ref = f"{ref}/{tutor}"
        try:
            response = _response(str(tutor), entry, f"{key}.{tutor}", bea, list(notes))
        except RecordError as exc:
            yield SkippedRecord(tutor_ref, exc.field, exc.reason)
            continue
        yield ImportedRecord(
            LabelledTutorResponse(
                id=f"{source}-{slug(conversation_id)}-{slug(tutor)}",
                source_ref=tutor_ref,
                **shared,
                **response,
            ),
            tutor_ref,
        )


def _response(tutor: str, entry: Any, where: str, bea: bool, notes: list[str]) -> dict[str, Any]:
    """The per-tutor fields of a `LabelledTutorResponse` (raises `RecordError` naming the field)."""
    if not isinstance(entry, dict):
        raise RecordError(where, f"expected an object, got {type(entry).__name__}")
    response = entry.get("response")
    if not isinstance(response, str) or not response.strip():
        raise RecordError(f"{where}.response", "missing or empty")
    annotation = entry.get("annotation")
    if annotation is None:
        notes.append("no annotation")
        labels = ResponseLabels()
    elif not isinstance(annotation, dict):
        raise RecordError(f"{where}.annotation", f"expected an object, got {type(annotation).__name__}")
    else:
        labels = normalise_labels(annotation, f"{where}.annotation", notes)
        expected = BEA_DIMENSIONS if bea else tuple(DIMENSIONS)
        given = {k.lower() for k in annotation}
        if lacking := [d for d in expected if d.lower() not in given]:
            notes.append(f"no label for {', '.join(lacking)}")
    return {"tutor": tutor, "response": response.strip(), "labels": labels, "import_notes": tuple(notes)}
