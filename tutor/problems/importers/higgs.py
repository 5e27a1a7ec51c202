"""Higgs physics problems (JSON list): questions with an original and a detailed, stepwise solution.

Per item: `Question`, `Original Solution` (short, ends on the answer), `Detailed Solution`
("Step 1) ... Step 2) ...").

Mapping:

* one physics problem per item: id `higgs-<hash of the question>`, statement = `Question`;
* final answer = the last number of `Original Solution` with the unit written after it (pint-read; a
  unit pint knows allows conversions: `convert_units`); tolerance 1% of the value, since the solutions
  round; no number there skips the item (`Original Solution`);
* steps: the `Step N)` parts of `Detailed Solution`, each one's last number (and unit) its answer and
  its text, with that number blanked, its question; a part without a number is merged into the next
  step's question; when the last step's number differs from the final answer, a last step asking the
  question is added; no `Step N)` markers -> one step, the whole question (noted);
* other fields (e.g. the soliloquy conversations) are not mapped (noted by name);
* Higgs has no hints, typical wrong answers, step programs, concepts or difficulty: `missing`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
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
    UNKNOWN_LICENSE,
    as_object,
    blank_number,
    iter_json_list,
    last_number,
    optional_text,
    required_text,
    title_of,
)
from tutor.problems.numbers import NumberMention
from tutor.problems.schema import MAX_IMPORTED_STEPS
from tutor.problems.units import is_pint_unit

SOURCE = "higgs"
LICENSE = UNKNOWN_LICENSE
KNOWN_FIELDS = {"Question", "Original Solution", "Detailed Solution"}
_STEP = re.compile(r"\bStep\s*(\d+)\s*[).:]\s*", re.I)
_RELATIVE_TOLERANCE = 0.01


def import_higgs(path: Path) -> Iterator[ImportOutcome]:
    """Yield one physics problem per item of a Higgs JSON list."""
    for item in iter_json_list(path):
        if isinstance(item, SkippedRecord):
            yield item
            continue
        ref, record = item
        try:
            yield ImportedProblem(convert_item(as_object(record), ref), ref)
        except RecordError as exc:
            yield SkippedRecord(ref, exc.field, exc.reason)


def _answer(mention: NumberMention) -> dict[str, Any]:
    tolerance = round(abs(mention.value) * _RELATIVE_TOLERANCE, 12) or 0.001
    answer: dict[str, Any] = {"value": mention.value, "tolerance": tolerance}
    if mention.unit:
        answer["unit"] = mention.unit
        answer["convert_units"] = is_pint_unit(mention.unit)
    return answer


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return abs(a["value"] - b["value"]) <= max(a["tolerance"], 1e-9) and a.get("unit") == b.get("unit")


def split_steps(detailed: str) -> list[str]:
    """The texts of the `Step N)` parts, in order ([] when there are no markers)."""
    marks = list(_STEP.finditer(detailed))
    return [
        " ".join(detailed[m.end() : marks[i + 1].start() if i + 1 < len(marks) else len(detailed)].split())
        for i, m in enumerate(marks)
    ]


def convert_item(record: dict[str, Any], ref: str) -> Any:
    """One Higgs item as a validated physics problem (raises `RecordError` naming the field)."""
    question = required_text(record, "Question")
    original = required_text(record, "Original Solution")
    detailed = optional_text(record, "Detailed Solution") or ""
    final_mention = last_number(original)
    if final_mention is None:
        raise RecordError("Original Solution", "states no number to take the final answer from")
    final = _answer(final_mention)
    notes = [f"tolerance is {_RELATIVE_TOLERANCE:.0%} of each value: the solutions round"]
    if extra := sorted(set(record) - KNOWN_FIELDS):
        notes.append(f"fields not mapped: {', '.join(extra)}")
    if not final_mention.unit:
        notes.append("the final answer has no unit after its number")
    steps: list[dict[str, Any]] = []
    pending = ""
    parts = split_steps(detailed)
    for part in parts:
        mention = last_number(part)
        if mention is None:
            pending = f"{pending} {part}".strip()
            continue
        blanked = blank_number(part, mention)
        steps.append({"question": f"{pending} {blanked}".strip(), "answer": _answer(mention)})
        pending = ""
    if not parts:
        notes.append("the detailed solution has no `Step N)` parts: one step, the whole question")
    elif pending:
        notes.append("the last step part states no number; it is left out")
    if steps and not _same(steps[-1]["answer"], final):
        if abs(steps[-1]["answer"]["value"] - final["value"]) <= final["tolerance"]:
            steps[-1]["answer"] = final  # same number, the unit was written differently
        else:
            notes.append("the last step does not end on the final answer: a last step asks the question")
            steps.append({"question": question, "answer": final})
    if not steps:
        steps.append({"question": question, "answer": final})
    if len(steps) > MAX_IMPORTED_STEPS:
        raise RecordError("Detailed Solution", f"{len(steps)} steps; at most {MAX_IMPORTED_STEPS} are supported")
    for k, step in enumerate(steps, 1):
        step["id"] = f"s{k}"
    digest = hashlib.sha1(" ".join(question.split()).encode("utf-8")).hexdigest()[:10]
    data = {
        "id": f"{SOURCE}-{digest}",
        "domain": "physics",
        "title": title_of(question),
        "statement": question,
        "source": SOURCE,
        "source_ref": ref,
        "license": LICENSE,
        "missing": ["hints", "wrong_answers", "programs", "concepts", "difficulty"],
        "import_notes": notes,
        "steps": steps,
        "final_answer": final,
    }
    return build_problem(data)
