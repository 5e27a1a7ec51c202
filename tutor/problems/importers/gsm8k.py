"""GSM8K (JSONL, MIT): grade-school math word problems with worked solutions.

Each line is `{"question": ..., "answer": ...}`. The answer is a worked solution, one step per line,
ending with `#### <number>`; calculator annotations `<<48/2=24>>` mark computed results. The *socratic*
variant starts each step line with a sub-question: `How many ...? ** step text`. Both variants are read
by the same importer, per record.

Mapping (what the importer does, and records in `import_notes` where it had to guess):

* each solution line becomes a step. Its question is the socratic sub-question; in the main variant,
  which has none, the step text with its result replaced by `?` ("Natalia sold 48/2 = ? clips in May.");
* a step with an annotation gets the annotation's result as its numeric answer and a program that
  prints the annotated expression (rounded like the written result when GSM8K rounded it); only plain
  arithmetic is turned into a program;
* a step without an annotation keeps the last number of its text as answer (no program), or the text
  itself as a text answer when it has no number; the last step takes the final answer when it has none;
* `#### N` is the final answer (thousands separators and `$` removed); it must equal the last step's;
* concepts come from the operators used (`+` addition, `-` subtraction, `*` multiplication, `/` division);
* GSM8K has no hints, typical wrong answers or difficulty: they are listed in `missing`;
* the id is `gsm8k-` + a hash of the question, so the main and socratic records of one problem share
  it and a later import of either updates the problem in place.
"""

from __future__ import annotations

import ast
import hashlib
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
from tutor.problems.numbers import extract_numbers
from tutor.problems.schema import MAX_IMPORTED_STEPS

LICENSE = "MIT"
_ANNOTATION = re.compile(r"<<([^<>=]*)=([^<>]*)>>")
_FINAL = re.compile(r"^####\s*(.+?)\s*$")
_OPERATORS = {
    ast.Add: "addition",
    ast.Sub: "subtraction",
    ast.Mult: "multiplication",
    ast.Div: "division",
    ast.FloorDiv: "division",
    ast.Mod: "remainders",
    ast.Pow: "exponents",
}


def import_gsm8k(path: Path) -> Iterator[ImportOutcome]:
    """Yield one outcome per non-empty line of a GSM8K JSONL file (main or socratic variant)."""
    with path.open(encoding="utf-8") as handle:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            ref = f"{path.name}:{n}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield SkippedRecord(ref, None, f"invalid JSON: {exc.msg}")
                continue
            try:
                yield ImportedProblem(convert_record(record, ref), ref)
            except RecordError as exc:
                yield SkippedRecord(ref, exc.field, exc.reason)


def _number(text: str) -> float | None:
    cleaned = text.strip().replace(",", "").replace("$", "").rstrip(".")
    try:
        return float(cleaned)
    except ValueError:
        return None


def _arithmetic(expr: str) -> ast.Expression | None:
    """The parsed expression if it is plain arithmetic on number literals, else None."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        return None
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator, ast.unaryop)
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            return None
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return None  # 9**9**9 would hang the verifier
    return tree


def _evaluate(tree: ast.Expression) -> float | None:
    try:
        value = eval(compile(tree, "<annotation>", "eval"), {"__builtins__": {}}, {})  # noqa: S307 - vetted AST
    except (ArithmeticError, ValueError):
        return None
    return float(value)


def _decimals(written: str) -> int:
    _, _, frac = written.strip().partition(".")
    return len(frac.rstrip("0")) if frac else 0


def _step(line: str, k: int, socratic: bool, notes: list[str]) -> tuple[dict[str, Any], list[str]]:
    """One solution line as a step dict, and its concepts."""
    question, sep, text = line.partition(" ** ")
    if not sep:
        question, text = "", line
        if socratic:
            notes.append(f"step {k}: no sub-question; the question is the step with its result blanked")
    annotations = _ANNOTATION.findall(text)
    clean = " ".join(_ANNOTATION.sub("", text).split())
    step: dict[str, Any] = {"id": f"s{k}"}
    concepts: list[str] = []
    blanked = clean
    if annotations:
        expr, written = annotations[-1]
        value = _number(written)
        if value is None:
            raise RecordError("answer", f"step {k}: annotation result {written!r} is not a number")
        step["answer"] = {"value": value}
        tree = _arithmetic(expr)
        computed = _evaluate(tree) if tree is not None else None
        if tree is not None:
            concepts = sorted({_OPERATORS[type(n.op)] for n in ast.walk(tree) if isinstance(n, ast.BinOp)})
        if computed is not None and abs(computed - value) <= 1e-9 * max(1.0, abs(value)):
            step["program"] = f"print({expr.strip()})\n"
        elif computed is not None and round(computed, _decimals(written)) == value:
            step["program"] = f"print(round({expr.strip()}, {_decimals(written)}))\n"
        else:
            notes.append(
                f"step {k}: annotation {expr}={written} is not plain arithmetic that gives its result; no program"
            )
        # The result written right after the annotation becomes the blank.
        blanked = " ".join(re.sub(r"<<[^<>]*>>\s*" + re.escape(written.strip()), "?", text, count=1).split())
        blanked = " ".join(_ANNOTATION.sub("", blanked).split())
    else:
        mentions = extract_numbers(clean)
        if mentions:
            last = mentions[-1]
            step["answer"] = {"value": last.value}
            blanked = clean[: last.start] + "?" + clean[last.end :]
            notes.append(f"step {k}: no calculator annotation; the answer is the last number of the step text")
        else:
            step["answer"] = {"text": clean or line.strip()}
            notes.append(f"step {k}: no number in the step; kept as a text answer")
    step["question"] = question.strip() or blanked
    step["concepts"] = concepts
    return step, concepts


def convert_record(record: Any, ref: str) -> Any:
    """One GSM8K record as a validated problem (raises `RecordError` naming the field)."""
    if not isinstance(record, dict):
        raise RecordError(None, f"expected a JSON object, got {type(record).__name__}")
    question, answer = record.get("question"), record.get("answer")
    if not isinstance(question, str) or not question.strip():
        raise RecordError("question", "missing or empty")
    if not isinstance(answer, str) or not answer.strip():
        raise RecordError("answer", "missing or empty")
    lines = [ln.strip() for ln in answer.strip().splitlines() if ln.strip()]
    final_match = _FINAL.match(lines[-1])
    if not final_match:
        raise RecordError("answer", "the last line is not '#### <number>'")
    final = _number(final_match.group(1))
    if final is None:
        raise RecordError("answer", f"the final answer {final_match.group(1)!r} is not a number")
    body = lines[:-1]
    if not body:
        raise RecordError("answer", "no solution steps before the '####' line")
    if len(body) > MAX_IMPORTED_STEPS:
        raise RecordError("answer", f"{len(body)} solution steps; at most {MAX_IMPORTED_STEPS} are supported")
    socratic = any(" ** " in ln for ln in body)
    notes = [f"variant: {'socratic' if socratic else 'main'}"]
    if not socratic:
        notes.append("main variant: step questions are the step texts with their results blanked")
    steps, concepts = [], set()
    for k, line in enumerate(body, 1):
        step, step_concepts = _step(line, k, socratic, notes)
        steps.append(step)
        concepts.update(step_concepts)
    last = steps[-1]
    if "text" in last["answer"]:
        last["answer"] = {"value": final}
        notes.append("the last step has no number; its answer is the final answer")
    elif abs(last["answer"]["value"] - final) > 1e-9 * max(1.0, abs(final)):
        raise RecordError(
            "answer",
            f"the last step's result {last['answer']['value']:g} differs from the final answer {final:g}",
        )
    missing = ["hints", "wrong_answers", "difficulty"]
    if any("program" not in s and "value" in s["answer"] for s in steps):
        missing.append("programs")
    if not concepts:
        missing.append("concepts")
    digest = hashlib.sha1(" ".join(question.split()).encode("utf-8")).hexdigest()[:10]
    data = {
        "id": f"gsm8k-{digest}",
        "domain": "math",
        "title": _title(question),
        "statement": question.strip(),
        "concepts": sorted(concepts),
        "source": "gsm8k",
        "source_ref": ref,
        "license": LICENSE,
        "missing": missing,
        "import_notes": notes,
        "steps": steps,
        "final_answer": {"value": final},
    }
    return build_problem(data)


def _title(question: str, limit: int = 60) -> str:
    first = re.split(r"(?<=[.?!])\s", " ".join(question.split()), maxsplit=1)[0]
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "..."
