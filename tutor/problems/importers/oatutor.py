"""OATutor content (a folder per problem, CC BY 4.0): math problems with step scaffolds and hint ladders.

Input: a `content-pool` folder, a folder that holds one, or a single problem folder. Per problem
`<pid>/<pid>.json` (`id, title, body, ...`), per step `steps/<sid>/<sid>.json` (`stepAnswer` list,
`problemType`, `stepTitle`, `stepBody`, `answerType`, `choices`) and its hint pathway
`steps/<sid>/tutoring/<sid>DefaultPathway.json` (`hint` and `scaffold` items with `dependencies`).

Mapping:

* one math problem per folder: id `oatutor-<pid>`, title = `title`, statement = `body` (else the title);
* one step per step folder, in the order of their ids: question = `stepTitle` + `stepBody`;
* answers: `numeric`/`arithmetic` answers that are a number or a fraction (`$$\\frac{3}{8}$$` included)
  become numeric answers; other arithmetic answers (expressions) and `string` answers are text answers;
  `MultipleChoice` answers are text answers, their other `choices` are noted, not made wrong answers
  (OATutor gives no misconception for them); extra `stepAnswer` entries become accepted phrasings;
* hints: the pathway items in an order that respects `dependencies` (file order among equals); a
  `scaffold` (a sub-question) becomes a hint asking it, its answer noted; scaffold sub-hints are dropped;
* final answer = the last step's answer; `variabilization` is not applied (noted);
* OATutor has no typical wrong answers, step programs, concepts or difficulty: `missing` says so.
"""

from __future__ import annotations

import json
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
from tutor.problems.importers.common import slug
from tutor.problems.schema import MAX_IMPORTED_STEPS

SOURCE = "oatutor"
LICENSE = "CC-BY-4.0"
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")


def import_oatutor(path: Path) -> Iterator[ImportOutcome]:
    """Yield one math problem per OATutor problem folder."""
    if (path / "content-pool").is_dir():
        path = path / "content-pool"
    folders = [path] if (path / f"{path.name}.json").is_file() else sorted(p for p in path.iterdir() if p.is_dir())
    for folder in folders:
        ref = f"{folder.name}/{folder.name}.json"
        try:
            yield ImportedProblem(convert_folder(folder, ref), ref)
        except RecordError as exc:
            yield SkippedRecord(ref, exc.field, exc.reason)


def _load(file: Path, field: str | None) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecordError(field, f"{file.name} is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(field, f"cannot read {file.name}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise RecordError(field, f"{file.name} line {exc.lineno}: invalid JSON: {exc.msg}") from None


def parse_number(raw: str) -> float | None:
    """A number written plainly, as a fraction `a/b`, or in LaTeX (`$$\\frac{3}{8}$$`, `$$-2.5$$`)."""
    text = raw.replace("$", "").strip()
    text = _FRAC.sub(r"(\1)/(\2)", text).replace(" ", "").replace(",", "")
    m = re.fullmatch(r"(-?)\(?(-?\d+(?:\.\d+)?)\)?(?:/\(?(-?\d+(?:\.\d+)?)\)?)?", text)
    if m is None:
        return None
    value = float(m.group(2)) / (float(m.group(3)) if m.group(3) else 1.0)
    return -value if m.group(1) else value


def _answer(step: dict[str, Any], sid: str, notes: list[str]) -> dict[str, Any]:
    answers = step.get("stepAnswer")
    if isinstance(answers, str):
        answers = [answers]
    if not isinstance(answers, list) or not answers or not all(isinstance(a, str | int | float) for a in answers):
        raise RecordError(f"{sid}.stepAnswer", "missing" if answers is None else "expected a non-empty list")
    texts = [str(a).strip() for a in answers if str(a).strip()]
    if not texts:
        raise RecordError(f"{sid}.stepAnswer", "empty")
    kind, answer_type = step.get("problemType"), step.get("answerType")
    if kind == "MultipleChoice":
        choices = [str(c) for c in step.get("choices") or [] if str(c).strip() not in texts]
        if choices:
            notes.append(f"step {sid}: other choices {choices} are not mapped as wrong answers")
        return {"text": texts[0], "accept": texts[1:]}
    if answer_type in ("numeric", "arithmetic"):
        value = parse_number(texts[0])
        if value is not None:
            if len(texts) > 1:
                notes.append(f"step {sid}: other accepted answers {texts[1:]} dropped (numeric answer)")
            return {"value": value}
        notes.append(f"step {sid}: {answer_type} answer {texts[0]!r} is not a number: kept as text")
    plain = [t.replace("$$", "").strip() for t in texts]
    return {"text": plain[0], "accept": plain[1:]}


def _ordered(items: list[dict[str, Any]], sid: str, notes: list[str]) -> list[dict[str, Any]]:
    """Pathway items so that each comes after its dependencies (file order among equals)."""
    ids = {str(item.get("id")) for item in items}
    placed: list[dict[str, Any]] = []
    done: set[str] = set()
    remaining = list(items)
    while remaining:
        ready = [i for i in remaining if {str(d) for d in i.get("dependencies") or []} & ids <= done]
        if not ready:
            notes.append(f"step {sid}: the hint dependencies form a cycle; file order kept for the rest")
            ready = remaining[:1]
        placed.append(ready[0])
        done.add(str(ready[0].get("id")))
        remaining.remove(ready[0])
    return placed


def _hints(pathway: Any, sid: str, notes: list[str]) -> list[str]:
    if pathway is None:
        return []
    if not isinstance(pathway, list):
        raise RecordError(f"{sid}DefaultPathway.json", "expected a list of hint items")
    hints = []
    for item in _ordered([i for i in pathway if isinstance(i, dict)], sid, notes):
        text = " ".join(str(item.get("text") or item.get("title") or "").split())
        if not text:
            continue
        if item.get("type") == "scaffold":
            answer = item.get("hintAnswer")
            shown = ", ".join(str(a) for a in answer) if isinstance(answer, list) else str(answer)
            notes.append(f"step {sid}: scaffold {item.get('id')} became a hint; its answer ({shown}) is dropped")
            if item.get("subHints"):
                notes.append(f"step {sid}: scaffold {item.get('id')}'s sub-hints were dropped")
        hints.append(text)
    return hints


def convert_folder(folder: Path, ref: str) -> Any:
    """One OATutor problem folder as a validated math problem (raises `RecordError` naming the field)."""
    meta = _load(folder / f"{folder.name}.json", None)
    if not isinstance(meta, dict):
        raise RecordError(None, f"{folder.name}.json: expected an object")
    notes: list[str] = []
    title = " ".join(str(meta.get("title") or "").split())
    body = str(meta.get("body") or "").strip()
    if not title and not body:
        raise RecordError("title", "the problem has neither title nor body")
    if meta.get("variabilization"):
        notes.append("variabilization not applied: the problem keeps the values written in its text")
    step_dirs = sorted(p for p in (folder / "steps").glob("*") if p.is_dir()) if (folder / "steps").is_dir() else []
    if not step_dirs:
        raise RecordError("steps", "the problem has no step folders")
    if len(step_dirs) > MAX_IMPORTED_STEPS:
        raise RecordError("steps", f"{len(step_dirs)} steps; at most {MAX_IMPORTED_STEPS} are supported")
    steps: list[dict[str, Any]] = []
    for k, step_dir in enumerate(step_dirs, 1):
        sid = step_dir.name
        step = _load(step_dir / f"{sid}.json", sid)
        if not isinstance(step, dict):
            raise RecordError(sid, "expected an object")
        question = "\n\n".join(
            t for t in (str(step.get("stepTitle") or "").strip(), str(step.get("stepBody") or "").strip()) if t
        )
        if not question:
            raise RecordError(f"{sid}.stepTitle", "the step has neither stepTitle nor stepBody")
        if step.get("variabilization"):
            notes.append(f"step {sid}: variabilization not applied")
        pathway_file = step_dir / "tutoring" / f"{sid}DefaultPathway.json"
        pathway = _load(pathway_file, f"{sid}DefaultPathway.json") if pathway_file.is_file() else None
        steps.append(
            {
                "id": f"s{k}",
                "question": question,
                "answer": _answer(step, sid, notes),
                "hints": _hints(pathway, sid, notes),
            }
        )
    if meta.get("id") not in (None, folder.name):
        notes.append(f"the problem's id {meta.get('id')!r} differs from its folder name")
    missing = ["wrong_answers", "concepts", "difficulty"]
    if any(not s["hints"] for s in steps):
        missing.append("hints")
    if any("value" in s["answer"] for s in steps):
        missing.append("programs")
    license_text = meta.get("license")
    if isinstance(license_text, str) and re.fullmatch(r"cc[\s-]*by[\s-]*4\.0", license_text.strip(), re.I):
        license_text = LICENSE
    data = {
        "id": f"{SOURCE}-{slug(folder.name)}",
        "domain": "math",
        "title": title or body[:60],
        "statement": body or title,
        "source": SOURCE,
        "source_ref": ref,
        "license": license_text.strip() if isinstance(license_text, str) and license_text.strip() else LICENSE,
        "missing": missing,
        "import_notes": notes,
        "steps": steps,
        "final_answer": dict(steps[-1]["answer"]),
    }
    return build_problem(data)
