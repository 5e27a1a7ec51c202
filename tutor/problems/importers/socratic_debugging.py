"""Socratic Debugging Benchmark (tagged text files): buggy programs with reference Socratic dialogues.

Input: one file `<problemId>_<bugId>_<name>_socratic_dialogue.txt` (or `..._conversational_thread_<k>.txt`)
or a folder of them (searched recursively for `*.txt`). Sections, each in tags: `<problem>`,
`<bug_code>` (numbered lines), `<bug_desc>`, `<bug_fixes>`, `<unit_tests>`, `<stu_desc>`, `<dialogue>`.

Mapping:

* one debugging problem per (problemId, bugId): id `sdb-<problemId>-<bugId>-<name>`; the files of one
  bug (the dialogue and its conversational threads) share it, the first file read gives the problem;
* statement = `<problem>`; buggy code = `<bug_code>` without its line numbers;
* one bug: description = `<bug_desc>`; each `<bug_fixes>` line is an alternative fix; the first one that
  `derive_patch` can apply becomes the patch (the others are noted). When none can, the last `<code>`
  block of the dialogue (the student's repaired program) gives the patch, if it differs from the buggy
  code in one place; else the record is skipped (`bug_fixes`: no fix can be applied);
* fixed code = the buggy code with the patch applied; if it fails a test, that is noted (not fixed);
* each `assert` line of `<unit_tests>` is a test named after the function it calls; other lines are
  setup, prepended to every test (noted);
* bug kind: syntactic when the buggy code does not compile, else conceptual; `breaks_tests`: the tests
  the buggy code fails, found by running them in the sandbox;
* `<stu_desc>` and `<dialogue>` go to a `StudentProfileSeed` per file in `<output stem>.profiles.jsonl`:
  `User:` turns are the student's, `Assistant:` the tutor's, `<alt>` lines alternatives of the turn before,
  `<code>` blocks the student's program at that turn;
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
    apply_patches,
    build_bugs,
    derive_patch,
    failing_tests,
    name_test,
    patch_from_code,
)
from tutor.problems.importers.records import ImportedRecord
from tutor.problems.labelled import DialogueTurn, StudentProfileSeed

SOURCE = "socratic-debugging"
LICENSE = UNKNOWN_LICENSE
REQUIRED = ("problem", "bug_code", "bug_desc", "bug_fixes", "unit_tests")
_SECTION = re.compile(
    r"<(problem|bug_code|bug_desc|bug_fixes|unit_tests|stu_desc|dialogue)>\n?(.*?)</\1>", re.S
)
_NAME = re.compile(r"^(\d+)_(\d+)_(.+?)_(socratic_dialogue|conversational_th\w*?ead_(\d+))$")
_NUMBERED = re.compile(r"^\s*(\d+)\.(?: |$)(.*)$")


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
        first = group[0]
        try:
            problem = _problem(first)
        except RecordError as exc:
            line = first.lines.get(exc.field or "", None)
            for f in group:
                yield SkippedRecord(
                    f"{f.ref}:{line}" if line and f is first else f.ref, exc.field, exc.reason
                )
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
    for name in REQUIRED:
        if not sections.get(name, "").strip():
            raise RecordError(name, f"the <{name}> section is {'empty' if name in sections else 'missing'}")
    named = _NAME.match(path.stem)
    if named:
        problem_id = f"sdb-{named.group(1)}-{named.group(2)}-{slug(named.group(3))}"
        title = named.group(3).replace("_", " ").strip().capitalize()
        variant = "socratic-dialogue" if named.group(5) is None else f"thread-{named.group(5)}"
    else:
        problem_id, title, variant = f"sdb-{slug(path.stem)}", title_of(sections["problem"]), "dialogue"
    return _File(path.name, problem_id, title, variant, sections, lines)


def strip_line_numbers(block: str, field_name: str) -> str:
    """`1. def f():` lines without their numbers (blank lines may have none)."""
    out = []
    for i, line in enumerate(block.splitlines(), 1):
        m = _NUMBERED.match(line)
        if m is None:
            if line.strip():
                raise RecordError(field_name, f"line {i} of the code is not numbered: {line.strip()[:60]!r}")
            out.append("")
        else:
            out.append(m.group(2).rstrip())
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def _tests(block: str, notes: list[str]) -> list[tuple[str, str]]:
    setup: list[str] = []
    asserts: list[str] = []
    for line in block.splitlines():
        if not line.strip():
            continue
        if line.lstrip().startswith("assert"):
            asserts.append(line.strip())
        elif line[:1].isspace() and asserts:
            asserts[-1] += "\n" + line  # a wrapped assert
        else:
            setup.append(line.rstrip())
    if not asserts:
        raise RecordError("unit_tests", "no assert line")
    if setup:
        notes.append(f"{len(setup)} non-assert line(s) of <unit_tests> are setup run before every test")
    used: set[str] = set()
    prefix = "\n".join(setup) + "\n" if setup else ""
    return [(name_test(code, k, used), prefix + code) for k, code in enumerate(asserts, 1)]


def _problem(f: _File) -> Any:
    s = f.sections
    notes = list(f.notes)
    buggy = strip_line_numbers(s["bug_code"], "bug_code")
    tests = _tests(s["unit_tests"], notes)
    fixes = [ln.strip() for ln in s["bug_fixes"].splitlines() if ln.strip()]
    chosen, patch = None, None
    for fix in fixes:
        patch = derive_patch(buggy, fix)
        if patch is not None:
            chosen = fix
            break
    if patch is None:
        final_code = _dialogue_code(s.get("dialogue", ""))
        patch = patch_from_code(buggy, final_code) if final_code else None
        if patch is None:
            raise RecordError(
                "bug_fixes",
                f"no fix can be applied as a patch ({fixes[0][:80]!r}) and the "
                "dialogue shows no repaired program",
            )
        chosen = " ".join(fixes)
        notes.append(
            "no fix instruction could be applied: the patch comes from the dialogue's last code block"
        )
    for fix in fixes:
        if fix != chosen and chosen is not None and fix not in chosen:
            notes.append(f"alternative fix not used as the patch: {fix}")
    fixed = apply_patches(buggy, [patch])
    assert fixed is not None  # a single patch cannot overlap itself
    spec = BugSpec(patch, chosen or fixes[0], " ".join(s["bug_desc"].split()))
    bugs = build_bugs(buggy, [spec], tests, "unit_tests")
    if still := failing_tests(fixed, tests):
        notes.append(f"the fixed code (buggy code + patch) still fails {', '.join(still)}")
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
        "missing": ["concepts", "difficulty"],
        "import_notes": notes,
        "buggy_code": buggy,
        "fixed_code": fixed,
        "tests": [{"name": n, "code": c} for n, c in tests],
        "bugs": bugs,
    }
    return build_problem(data)


def _dialogue_code(dialogue: str) -> str | None:
    blocks = re.findall(r"<code>\n?(.*?)</code>", dialogue, re.S)
    if not blocks:
        return None
    try:
        return strip_line_numbers(blocks[-1].strip("\n"), "dialogue")
    except RecordError:
        return None


def parse_dialogue(text: str) -> list[DialogueTurn]:
    """`User:`/`Assistant:` lines as turns, with `<alt>` alternatives and `<code>` blocks attached."""
    turns: list[dict[str, Any]] = []
    in_code: list[str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if in_code is not None:
            if stripped.startswith("</code>"):
                if turns:
                    turns[-1]["code"] = strip_line_numbers("\n".join(in_code), "dialogue")
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
        DialogueTurn(
            role=t["role"], text=t["text"], alternatives=tuple(t["alternatives"]), code=t.get("code")
        )
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
