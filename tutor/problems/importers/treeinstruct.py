"""TreeInstruct MULTI_DEBUG files (one `.py` per problem): programs with 1-3 injected bugs.

Input: one file, or a folder searched recursively for `*.py`. Each file starts with a docstring holding
`<problem>`, `<bug_fixes>` (one fix per line, "Replace `X` with `Y` on line N.") and `<bug_desc>` (one
description per line, in the order of the fixes); the buggy code follows the docstring, and the fixes'
line numbers count from its first line.

Mapping:

* one debugging problem per file: id `treeinstruct-<folder>-<file stem>` (the folder tells the 1/2/3-bug
  variants of one problem apart), statement = `<problem>`, buggy code = the code after the docstring;
* each fix line is one bug, its patch from `derive_patch`; a fix that cannot be applied skips the
  record (`bug_fixes`), since the other patches alone would not give a correct program;
* descriptions pair with fixes by position when the counts agree, else by the line numbers they name,
  else every bug gets the whole `<bug_desc>` (noted);
* TreeInstruct carries no tests: they are made from the statement's `Input: ... Output: ...` examples
  (`assert Solution().method(args) == output`); an example the fixed code fails is dropped (noted); no
  usable example skips the record (`problem`);
* LeetCode code uses `List`, `Optional`, ... without importing them: the import is added as a first
  line (noted; bug line numbers shift by one);
* bug kind: syntactic when the program with only that bug left does not compile; `breaks_tests` from
  running the tests with only that bug left; no dependencies between bugs, no concepts or difficulty.
"""

from __future__ import annotations

import ast
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
from tutor.problems.importers.common import UNKNOWN_LICENSE, slug, title_of
from tutor.problems.importers.debugging import (
    BugSpec,
    DerivedPatch,
    apply_patches,
    build_bugs,
    derive_patch,
    failing_tests,
    mentioned_lines,
)

SOURCE = "treeinstruct"
LICENSE = UNKNOWN_LICENSE
_DOCSTRING = re.compile(r'^\s*(?:"""|\'\'\')(.*?)(?:"""|\'\'\')\n?', re.S)
_TYPING = ("List", "Dict", "Optional", "Tuple", "Set")
_EXAMPLE = re.compile(r"Input\s*:\s*(.+?)\s*\n\s*Output\s*:\s*(.+?)\s*(?:\n|$)", re.I)


def import_treeinstruct(path: Path) -> Iterator[ImportOutcome]:
    """Yield one debugging problem per TreeInstruct file."""
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
    for file in files:
        ref = file.name if not path.is_dir() else str(file.relative_to(path))
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            yield SkippedRecord(ref, None, f"cannot read: {exc}")
            continue
        variant = file.parent.name if path.is_dir() and file.parent != path else ""
        try:
            yield ImportedProblem(convert_file(text, ref, f"{variant}-{file.stem}" if variant else file.stem), ref)
        except RecordError as exc:
            yield SkippedRecord(ref, exc.field, exc.reason)


def _tag(doc: str, name: str) -> str:
    m = re.search(rf"<{name}>\s*(.*?)\s*</{name}>", doc, re.S)
    if m is None or not m.group(1).strip():
        raise RecordError(name, f"the <{name}> section is {'empty' if m else 'missing'}")
    return m.group(1)


def _entry_call(code: str) -> str | None:
    """How a test calls the program: `Solution().method` for a LeetCode class, else the first function."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Solution":
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                    return f"Solution().{item.name}"
        if isinstance(node, ast.FunctionDef):
            return node.name
    return None


def _pythonise(text: str) -> str:
    """LeetCode's JSON-style `true` / `false` / `null` as Python."""
    for json_word, python_word in (("true", "True"), ("false", "False"), ("null", "None")):
        text = re.sub(rf"\b{json_word}\b", python_word, text)
    return text


def _literal(text: str) -> str | None:
    """`text` (or its pythonised form) when it is a Python literal, else None."""
    text = text.strip().rstrip(".")
    for candidate in (text, _pythonise(text)):
        try:
            ast.literal_eval(candidate)
        except (ValueError, SyntaxError):
            continue
        return candidate
    return None


def _arguments(text: str) -> str | None:
    """`a = 1, b = [2]` as call arguments, when every value is a literal (no code runs from examples)."""
    for candidate in (text.strip(), _pythonise(text.strip())):
        try:
            call = ast.parse(f"f({candidate})", mode="eval").body
            if not isinstance(call, ast.Call):
                continue
            for node in [*call.args, *(k.value for k in call.keywords)]:
                ast.literal_eval(node)
        except (ValueError, SyntaxError, TypeError):
            continue
        return candidate
    return None


def example_tests(statement: str, call: str) -> list[tuple[str, str]]:
    """`Input: a = 1, b = [2]` / `Output: 3` examples as `assert call(a = 1, b = [2]) == 3` tests."""
    tests = []
    for k, m in enumerate(_EXAMPLE.finditer(statement), 1):
        args, expected = _arguments(m.group(1)), _literal(m.group(2))
        if args is not None and expected is not None:
            tests.append((f"test_example_{k}", f"assert {call}({args}) == {expected}"))
    return tests


def _descriptions(desc: str, fixes: list[str], n_lines: list[list[int]], notes: list[str]) -> list[str]:
    lines = [" ".join(ln.split()) for ln in desc.splitlines() if ln.strip()]
    if len(lines) == len(fixes):
        return lines
    by_line = []
    for wanted in n_lines:
        match = [ln for ln in lines if wanted and set(mentioned_lines(ln)) & set(wanted)]
        by_line.append(match[0] if len(match) == 1 else None)
    if all(by_line):
        return [d for d in by_line if d]
    notes.append("<bug_desc> does not pair with <bug_fixes>: every bug carries the whole description")
    whole = " ".join(lines)
    return [whole] * len(fixes)


def _title(call: str) -> str | None:
    """`Solution().countVowels` -> `Count vowels`; None for a name that says little (`solve`, `f`)."""
    name = call.rsplit(".", 1)[-1]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|_", " ", name).split()
    return " ".join(words).capitalize() if len(words) > 1 else None


def _shift(patch: DerivedPatch, by: int) -> DerivedPatch:
    return DerivedPatch(patch.find, patch.replace, tuple(n + by for n in patch.lines))


def convert_file(text: str, ref: str, stem: str) -> Any:
    """One TreeInstruct file as a validated debugging problem (raises `RecordError` naming the field)."""
    m = _DOCSTRING.match(text)
    if m is None:
        raise RecordError(None, "the file does not start with a docstring holding <problem> and <bug_fixes>")
    doc, code = m.group(1), text[m.end() :].strip("\n") + "\n"
    statement = _tag(doc, "problem").strip()
    fixes = [ln.strip() for ln in _tag(doc, "bug_fixes").splitlines() if ln.strip()]
    desc = _tag(doc, "bug_desc")
    if len(fixes) > 5:
        raise RecordError("bug_fixes", f"{len(fixes)} fixes; at most 5 bugs are supported")
    notes: list[str] = []
    patches = []
    for k, fix in enumerate(fixes, 1):
        patch = derive_patch(code, fix)
        if patch is None:
            raise RecordError("bug_fixes", f"fix {k} cannot be applied as a patch: {fix!r}")
        patches.append(patch)
    fixed = apply_patches(code, patches)
    if fixed is None:
        raise RecordError("bug_fixes", "two fixes change overlapping text")
    descriptions = _descriptions(desc, fixes, [list(p.lines) for p in patches], notes)
    used = [name for name in _TYPING if re.search(rf"\b{name}\[", code)]
    if used and not re.search(r"^\s*from\s+typing\s+import|^\s*import\s+typing", code, re.M):
        header = f"from typing import {', '.join(used)}\n"
        code, fixed = header + code, header + fixed
        patches = [_shift(p, 1) for p in patches]
        notes.append(f"added `{header.strip()}` as line 1 (LeetCode code assumes it); bug lines shifted by one")
    call = _entry_call(fixed)
    if call is None:
        raise RecordError("bug_fixes", "the fixed code does not compile or defines no function to test")
    tests = example_tests(statement, call)
    if not tests:
        raise RecordError(
            "problem",
            "no `Input: ... Output: ...` example to make a test from (TreeInstruct files carry no tests)",
        )
    if dropped := failing_tests(fixed, tests):
        notes.append(f"examples the fixed code fails were dropped: {', '.join(dropped)}")
        tests = [t for t in tests if t[0] not in dropped]
        if not tests:
            raise RecordError("problem", "the fixed code fails every example made into a test")
    notes.append("tests are made from the statement's examples")
    notes.append("bug kinds inferred: syntactic when the program with only that bug left does not compile")
    specs = [BugSpec(p, f, d) for p, f, d in zip(patches, fixes, descriptions, strict=True)]
    bugs = build_bugs(code, specs, tests, "bug_fixes")
    data = {
        "id": f"{SOURCE}-{slug(stem)}",
        "domain": "debugging",
        "title": _title(call) or title_of(statement),
        "statement": statement,
        "source": SOURCE,
        "source_ref": ref,
        "license": LICENSE,
        "missing": ["concepts", "difficulty"],
        "import_notes": notes,
        "buggy_code": code,
        "fixed_code": fixed,
        "tests": [{"name": n, "code": c} for n, c in tests],
        "bugs": bugs,
    }
    return build_problem(data)
