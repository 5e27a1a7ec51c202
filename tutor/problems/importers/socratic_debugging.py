"""Socratic Debugging Benchmark (tagged text files): buggy programs with reference Socratic dialogues.

Input: one file `<problemId>_<bugId>_<name>_socratic_dialogue.txt` (or `..._conversational_thread_<k>.txt`,
or, in a few upstream files, `..._socratic_thread_<k>.txt`) or a folder of them (searched recursively for
`*.txt`). Sections, each in tags: `<problem>`, `<bug_code>` (numbered lines), `<bug_desc>`, `<bug_fixes>`,
`<unit_tests>`, `<stu_desc>`, `<dialogue>`.

Mapping:

* one debugging problem per (problemId, bugId): id `sdb-<problemId>-<bugId>-<name>`; every file of one
  bug (the Socratic dialogue and each thread) is one `StudentProfileSeed` of it; the first file that has
  the program, fixes and tests gives the problem. When no file of a bug has them, the source lacks the
  program (an upstream defect): each file is skipped with that reason, in a strict import too;
* statement = `<problem>`; buggy code = `<bug_code>` without its line numbers (`4. x`, `4.x`, `4.\tx`;
  listings aligned on a column, `9.     a` / `10.    b`, are read so that they compile);
* one bug: description = `<bug_desc>`; each `<bug_fixes>` line (with a fenced block that follows it) is
  an alternative fix in words. `fix_words.fix_candidates` reads each into the programs it can mean
  (insert / replace / delete / move lines, replace text, re-indent, ...); the first one that passes
  the unit tests in the sandbox gives the patch (`derive_patch`'s smaller find/replace where it agrees),
  the other alternatives are noted. Else a repaired program that a dialogue shows and that passes the
  tests gives it; else the first reading that applies does (its failing tests are noted). A fix that no
  reading applies is kept as text: the bug has no patch, the problem no fixed code and `patch` under
  `missing`, so it serves dialogue evals but not code checks;
* each `assert` line of `<unit_tests>` is a test named after the function it calls; with other lines
  (setup), each test runs the lines above it in order first (see `_tests`);
* bug kind: syntactic when the buggy code does not compile, else conceptual; `breaks_tests`: the tests
  the buggy code fails, found by running them in the sandbox;
* `<stu_desc>` and `<dialogue>` go to a `StudentProfileSeed` per file in `<output stem>.profiles.jsonl`:
  `User:` turns are the student's, `Assistant:` the tutor's, `<alt>` lines alternatives of the turn before,
  `<code>` blocks (numbered or not) the student's program at that turn;
* the benchmark has no concepts or difficulty: `missing` says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
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
    compiles,
    derive_patch,
    failing_tests,
    mentioned_lines,
    name_test,
    patch_from_code,
)
from tutor.problems.importers.fix_words import fix_candidates, split_alternatives
from tutor.problems.importers.records import ImportedRecord
from tutor.problems.labelled import LabelledTurn, StudentProfileSeed

SOURCE = "socratic-debugging"
LICENSE = UNKNOWN_LICENSE
REQUIRED = ("problem", "bug_code", "bug_desc", "bug_fixes", "unit_tests")
_SECTION = re.compile(r"<(problem|bug_code|bug_desc|bug_fixes|unit_tests|stu_desc|dialogue)>\n?(.*?)</\1>", re.S)
_NAME = re.compile(r"^(\d+)_(\d+)_(.+?)_(socratic_dialogue|(?:conversational|socratic)_th\w*?ead_(\d+))$")
_MAX_TEST_RUNS = 40  # readings of the fixes tried against the tests, per bug
_NUMBERED = re.compile(r"^\s*(\d+)\. ?(.*)$")  # `4. x`, `4.\tx` (a tab indents), `4.x`


@dataclass
class _File:
    ref: str
    problem_id: str
    title: str
    variant: str
    sections: dict[str, str]
    lines: dict[str, int]  # section -> line of its opening tag
    notes: list[str] = field(default_factory=list)


def import_socratic_debugging(path: Path) -> Iterator[ImportOutcome]:
    """Yield one problem per (problem, bug) and one `StudentProfileSeed` per dialogue file."""
    files = sorted(path.rglob("*.txt")) if path.is_dir() else [path]
    groups: dict[str, list[_File]] = {}
    for file in files:
        try:
            parsed = _read(file)
        except RecordError as exc:
            yield SkippedRecord(file.name, exc.field, exc.reason)
            continue
        groups.setdefault(parsed.problem_id, []).append(parsed)
    for group in groups.values():
        group.sort(key=lambda f: (f.variant != "socratic-dialogue", f.variant))
        whole = [f for f in group if not _lacking(f)]
        if not whole:  # no file of this bug gives the program, its fixes or tests: the source lacks them
            name, state = _lacking(group[0])[0]
            reason = f"the <{name}> section is {state} in every file of this bug (an upstream defect)"
            for f in group:
                yield SkippedRecord(f.ref, name, reason, defect=True)
            continue
        first = whole[0]
        try:
            problem = _problem(first, group)
        except RecordError as exc:
            line = first.lines.get(exc.field or "", None)
            for f in group:
                yield SkippedRecord(f"{f.ref}:{line}" if line and f is first else f.ref, exc.field, exc.reason)
            continue
        yield ImportedProblem(problem, first.ref)
        for f in group:
            try:
                yield ImportedRecord(_seed(f, first), f.ref)
            except RecordError as exc:
                yield SkippedRecord(f"{f.ref}:{f.lines.get('dialogue')}", exc.field, exc.reason)


def _read(path: Path) -> _File:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(None, f"cannot read: {exc}") from None
    sections: dict[str, str] = {}
    lines: dict[str, int] = {}
    for m in _SECTION.finditer(text):
        sections.setdefault(m.group(1), m.group(2).strip("\n"))
        lines.setdefault(m.group(1), text.count("\n", 0, m.start()) + 1)
    named = _NAME.match(path.stem)
    if named:
        problem_id = f"sdb-{named.group(1)}-{named.group(2)}-{slug(named.group(3))}"
        title = named.group(3).replace("_", " ").strip().capitalize()
        kind = "socratic-thread" if named.group(4).startswith("socratic_th") else "thread"  # both occur upstream
        variant = "socratic-dialogue" if named.group(5) is None else f"{kind}-{named.group(5)}"
    else:
        title = title_of(sections.get("problem", "") or path.stem)
        problem_id, variant = f"sdb-{slug(path.stem)}", "dialogue"
    return _File(path.name, problem_id, title, variant, sections, lines)


def _lacking(f: _File) -> list[tuple[str, str]]:
    """The required sections `f` lacks, as (name, "missing" | "empty")."""
    return [
        (name, "empty" if name in f.sections else "missing")
        for name in REQUIRED
        if not f.sections.get(name, "").strip()
    ]


def strip_line_numbers(block: str, field_name: str, *, strict: bool = True) -> str:
    """`1. def f():` lines without their numbers (blank lines may have none).

    A number is followed by one optional space (`4. x`, `4.x`, or `4.\tx` where the tab indents the
    code). `strict`: an unnumbered line is an error naming it; otherwise (code shown in a dialogue,
    numbered or not) it is kept as it is.
    """
    first = next((ln for ln in block.splitlines() if ln.strip()), "")
    if not strict and not re.match(r"^\s*1\.", first):  # not a numbered listing: the code as shown
        return "\n".join(ln.rstrip() for ln in block.strip("\n").splitlines()) + "\n"
    out = []
    for i, line in enumerate(block.splitlines(), 1):
        m = _NUMBERED.match(line)
        if m is None:
            if line.strip() and strict:
                raise RecordError(field_name, f"line {i} of the code is not numbered: {line.strip()[:60]!r}")
            out.append(line.rstrip())
        else:
            out.append(m.group(2).rstrip())
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def _tests(block: str, notes: list[str]) -> list[tuple[str, str]]:
    """One test per `assert` of `<unit_tests>`, named after the function it calls.

    Without other lines the asserts are independent tests. With setup lines (`head = Node(1)`), the
    block is one script whose asserts depend on what ran before them (`insert_after(head, 2, 5)`,
    then `assert head.next.data == 5`): each test runs the lines above it in order, the earlier
    asserts as plain expressions that may fail without stopping it, then its own assert.
    """
    statements: list[tuple[bool, str]] = []  # (is an assert, code)
    for line in block.splitlines():
        if not line.strip():
            continue
        if line.lstrip().startswith("assert"):
            statements.append((True, line.strip()))
        elif line[:1].isspace() and statements:
            statements[-1] = (statements[-1][0], statements[-1][1] + "\n" + line)  # a wrapped line
        else:
            statements.append((False, line.rstrip()))
    if not any(is_assert for is_assert, _ in statements):
        raise RecordError("unit_tests", "no assert line")
    setup = [code for is_assert, code in statements if not is_assert]
    if setup:
        notes.append(f"{len(setup)} non-assert line(s) of <unit_tests>: each test runs the lines above it first")
    used: set[str] = set()
    tests: list[tuple[str, str]] = []
    before: list[str] = []
    for is_assert, code in statements:
        if not is_assert:
            before.append(code)
            continue
        tests.append((name_test(code, len(tests) + 1, used), "\n".join([*before, code])))
        if setup:
            expression = code.removeprefix("assert").strip()
            before.append(f"try:\n    ({expression})\nexcept Exception:\n    pass")
    return tests


@dataclass(frozen=True)
class _Fix:
    """The fix a problem takes: the repaired program and its patch, or the fix kept as words."""

    text: str  # the fix in words
    program: str | None  # None: no reading of the words applies, the fix stays text
    patch: DerivedPatch | None
    passes: bool  # the program passes every unit test
    origin: str  # "words" or "dialogue"


def _readings(buggy: str, fix: str) -> Iterator[tuple[str, DerivedPatch]]:
    """Programs (with their patch) that `fix` can mean, from `fix_candidates`; a reading that
    `derive_patch` also finds keeps its smaller find/replace. `derive_patch` alone (it reads only the
    start of an instruction) is the last resort."""
    derived = derive_patch(buggy, fix)
    derived_program = apply_patches(buggy, [derived]) if derived is not None else None
    readings = fix_candidates(buggy, fix)
    for program in readings:
        patch = derived if program == derived_program else patch_from_code(buggy, program)
        if patch is not None:
            yield program, patch
    if not readings and derived is not None and derived_program is not None:
        yield derived_program, derived


def _choose_fix(buggy: str, fixes: list[str], tests: list[tuple[str, str]], group: list[_File]) -> _Fix:
    """The first reading of a fix that passes the tests; else a repaired program shown in a dialogue
    that does; else the first reading that applies (it fails tests); else the fix as text."""
    first_applied: _Fix | None = None
    runs = 0
    for fix in fixes:
        for program, patch in _readings(buggy, fix):
            runs += 1
            passes = runs <= _MAX_TEST_RUNS and not failing_tests(program, tests)
            if passes:
                return _Fix(fix, program, patch, True, "words")
            first_applied = first_applied or _Fix(fix, program, patch, False, "words")
    shown = [c for f in group for c in _dialogue_codes(f.sections.get("dialogue", ""))]
    for code in dict.fromkeys(reversed(shown)):  # the last program shown is the likeliest repair
        shown_patch = patch_from_code(buggy, code)
        if shown_patch is not None and (runs := runs + 1) <= _MAX_TEST_RUNS and not failing_tests(code, tests):
            return _Fix(" ".join(fixes), code, shown_patch, True, "dialogue")
    return first_applied or _Fix(fixes[0], None, None, False, "words")


def _problem(f: _File, group: list[_File]) -> Any:
    s = f.sections
    notes = list(f.notes)
    buggy = _program(s["bug_code"])
    tests = _tests(s["unit_tests"], notes)
    fixes = split_alternatives(s["bug_fixes"])
    fix = _choose_fix(buggy, fixes, tests, group)
    description = " ".join(s["bug_desc"].split())
    if fix.origin == "dialogue":
        notes.append("no fix in words could be applied: the patch comes from a repaired program the dialogue shows")
    notes += [f"alternative fix not used as the patch: {other}" for other in fixes if other not in fix.text]
    if fix.patch is not None and fix.program is not None:
        bugs = build_bugs(buggy, [BugSpec(fix.patch, fix.text, description)], tests, "unit_tests")
        if still := failing_tests(fix.program, tests):
            notes.append(f"the fixed code (buggy code + patch) still fails {', '.join(still)}")
    else:
        bugs = [_text_bug(buggy, fix.text, description, tests)]
        notes.append("the fix cannot be applied to the code: it is kept as text (no patch, no fixed code)")
    notes.append("bug kind inferred: syntactic when the buggy code does not compile")
    notes.append("the student description and reference dialogue(s) are in the .profiles.jsonl sidecar")
    data = {
        "id": f.problem_id,
        "domain": "debugging",
        "title": f.title,
        "statement": s["problem"].strip(),
        "source": SOURCE,
        "source_ref": f.ref,
        "license": LICENSE,
        "missing": ["concepts", "difficulty"] + ([] if fix.patch else ["patch"]),
        "import_notes": notes,
        "buggy_code": buggy,
        "fixed_code": fix.program,
        "tests": [{"name": n, "code": c} for n, c in tests],
        "bugs": bugs,
    }
    return build_problem(data)


def _dialogue_codes(dialogue: str) -> list[str]:
    """The programs the dialogue shows (`<code>` blocks), in order."""
    blocks = re.findall(r"<code>\n?(.*?)</code>", dialogue, re.S)
    return [_program(b, strict=False) for b in blocks if b.strip()]


def _program(block: str, *, strict: bool = True) -> str:
    """A numbered listing as code. Listings number their lines in two ways: `9. x` / `10. x` (one
    space after the number) or aligned on a column (`9.     a` / `10.    b`); the reading that compiles
    wins, the first one when neither does (a syntax error can be the bug)."""
    plain = strip_line_numbers(block, "bug_code" if strict else "dialogue", strict=strict)
    if compiles(plain):
        return plain
    aligned = _aligned(block)
    return aligned if aligned is not None and compiles(aligned) else plain


def _aligned(block: str) -> str | None:
    lines = block.strip("\n").splitlines()
    first = re.match(r"^\s*1\. ?", lines[0]) if lines else None
    if first is None:
        return None
    column, out = first.end(), []
    for line in lines:
        m = re.match(r"^\s*\d+\.", line)
        if m is None:
            out.append(line.rstrip())
            continue
        rest = line[m.end() :]
        pad = min(max(column - m.end(), 0), len(rest) - len(rest.lstrip(" ")))
        out.append(rest[pad:].rstrip())
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def _text_bug(buggy: str, fix: str, description: str, tests: list[tuple[str, str]]) -> dict[str, object]:
    """A bug whose fix stays in words: its lines are those the fix (or description) names."""
    n_lines = len(buggy.splitlines())
    named = [n for n in mentioned_lines(fix) or mentioned_lines(description) if 1 <= n <= n_lines]
    breaks = failing_tests(buggy, tests)
    if not breaks:
        raise RecordError("unit_tests", "the buggy code passes every test, and its fix cannot be applied")
    return {
        "id": "b1",
        "lines": named or [n for n, line in enumerate(buggy.splitlines(), 1) if line.strip()],
        "kind": "conceptual" if compiles(buggy) else "syntactic",
        "description": description,
        "fix": fix,
        "breaks_tests": breaks,
    }


def parse_dialogue(text: str) -> list[LabelledTurn]:
    """`User:`/`Assistant:` lines as turns, with `<alt>` alternatives and `<code>` blocks attached."""
    turns: list[dict[str, Any]] = []
    in_code: list[str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if in_code is not None:
            if stripped.startswith("</code>"):
                if turns:
                    turns[-1]["code"] = strip_line_numbers("\n".join(in_code), "dialogue", strict=False)
                in_code = None
            else:
                in_code.append(line)
            continue
        if stripped.startswith("<code>"):
            in_code = []
            continue
        m = re.match(r"^(User|Assistant)\s*:\s?(.*)$", stripped)
        if m:
            turns.append(
                {
                    "role": "student" if m.group(1) == "User" else "tutor",
                    "text": m.group(2).strip(),
                    "alternatives": [],
                }
            )
        elif stripped.startswith("<alt>") and turns:
            turns[-1]["alternatives"].append(stripped.removeprefix("<alt>").strip())
        elif stripped and turns:
            turns[-1]["text"] = (turns[-1]["text"] + "\n" + stripped).strip()
    return [
        LabelledTurn(role=t["role"], text=t["text"], alternatives=tuple(t["alternatives"]), code=t.get("code"))
        for t in turns
    ]


def _seed(f: _File, first: _File) -> StudentProfileSeed:
    notes = []
    if f is not first and f.sections.get("bug_code") != first.sections.get("bug_code"):
        notes.append(f"this file's <bug_code> differs from {first.ref}'s; the problem uses that one")
    dialogue = parse_dialogue(f.sections.get("dialogue", ""))
    if not dialogue:
        notes.append("no dialogue turns")
    return StudentProfileSeed(
        id=f"{f.problem_id}-{f.variant}",
        source=SOURCE,
        source_ref=f.ref,
        license=LICENSE,
        problem_id=f.problem_id,
        profile=" ".join(f.sections.get("stu_desc", "").split()),
        dialogue=tuple(dialogue),
        import_notes=tuple(notes),
    )
