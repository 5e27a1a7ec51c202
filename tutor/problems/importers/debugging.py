"""What the debugging importers share: fix instructions as patches, test names, bug kinds, breaks_tests.

Public debugging datasets state fixes in words ("Replace `x` with `y` on line 4."). `derive_patch`
turns the common phrasings into a `find`/`replace` pair that occurs exactly once in the buggy code:

* Replace `X` with `Y` (on line N | on lines N and M | without a line);
* On line N, replace `X` with `Y`;   Replace line N with `Y`;
* Remove / Delete line N;   Remove / Delete `X` (from | on) line N;
* Add / Insert `Y` (after | before) line N;   Add `Y` at the end of line N;
* Add a colon at the end of line N.

A `find` that is not unique grows to the whole line, then to neighbouring lines, until it is. Anything
else returns None and the caller records the fix as not derivable.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_TICK = r"`([^`]*)`"
_LINES = r"lines?\s+(\d+(?:\s*(?:,|and|&)\s*\d+)*)"
_FIXES: list[tuple[str, re.Pattern[str]]] = [
    (
        "replace_in_line",
        re.compile(rf"^(?:on|in|at)\s+{_LINES},?\s+replace\s+{_TICK}\s+with\s+{_TICK}", re.I),
    ),
    ("replace", re.compile(rf"^replace\s+{_TICK}\s+with\s+{_TICK}(?:\s+(?:on|in|at)\s+{_LINES})?", re.I)),
    ("replace_line", re.compile(rf"^replace\s+line\s+(\d+)\s+with\s+{_TICK}", re.I)),
    ("remove_line", re.compile(r"^(?:remove|delete)\s+line\s+(\d+)\b", re.I)),
    ("remove_text", re.compile(rf"^(?:remove|delete)\s+{_TICK}\s+(?:from|on|in|at)\s+line\s+(\d+)", re.I)),
    ("add_colon", re.compile(r"^add\s+a\s+colon\s+(?:at|to)\s+the\s+end\s+of\s+line\s+(\d+)", re.I)),
    (
        "append",
        re.compile(rf"^(?:add|append|insert)\s+{_TICK}\s+(?:at|to)\s+the\s+end\s+of\s+line\s+(\d+)", re.I),
    ),
    ("insert", re.compile(rf"^(?:add|insert)\s+{_TICK}\s+(after|before|above|below)\s+line\s+(\d+)", re.I)),
]


@dataclass(frozen=True)
class DerivedPatch:
    """A fix as a unique text replacement, and the 1-based lines it is about."""

    find: str
    replace: str
    lines: tuple[int, ...]


def _line_numbers(text: str | None) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)] if text else []


def _unique(code: str, lines: list[str], first: int, last: int, new: list[str]) -> DerivedPatch | None:
    """Replace lines first..last (1-based, inclusive) by `new`, growing the span until `find` is unique."""
    lo, hi = first, last
    while True:
        find = "\n".join(lines[lo - 1 : hi]) + ("\n" if hi < len(lines) or code.endswith("\n") else "")
        replace_lines = lines[lo - 1 : first - 1] + new + lines[last:hi]
        replace = "\n".join(replace_lines) + ("\n" if replace_lines and find.endswith("\n") else "")
        if find and code.count(find) == 1:
            return DerivedPatch(find, replace, tuple(range(first, last + 1)))
        if lo == 1 and hi == len(lines):
            return None
        lo, hi = max(1, lo - 1), min(len(lines), hi + 1)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _replace_in_lines(code: str, lines: list[str], old: str, new: str, at: list[int]) -> DerivedPatch | None:
    if not old:
        return None
    if not at:
        if code.count(old) == 1:
            start = code.index(old)
            n = code.count("\n", 0, start) + 1
            return DerivedPatch(old, new, tuple(range(n, n + old.count("\n") + 1)))
        at = [i + 1 for i, line in enumerate(lines) if old in line]
        if len(at) != 1:
            return None
    if any(not 1 <= n <= len(lines) or old not in lines[n - 1] for n in at):
        return None
    first, last = min(at), max(at)
    chosen = set(at)
    new_lines = [ln.replace(old, new) if i in chosen else ln for i, ln in enumerate(lines[first - 1 : last], first)]
    # Prefer the smallest find: the old text alone when it occurs once in the whole program.
    if first == last and code.count(old) == 1:
        return DerivedPatch(old, new, (first,))
    return _unique(code, lines, first, last, new_lines)


def derive_patch(code: str, fix: str) -> DerivedPatch | None:
    """The fix instruction `fix` as a patch of `code`, or None when it is not one of the known phrasings."""
    lines = code.splitlines()
    text = fix.strip()  # whitespace inside backticks is code: keep it
    for kind, pattern in _FIXES:
        m = pattern.match(text)
        if m is None:
            continue
        g = m.groups()
        if kind == "replace_in_line":
            return _replace_in_lines(code, lines, g[1], g[2], _line_numbers(g[0]))
        if kind == "replace":
            return _replace_in_lines(code, lines, g[0], g[1], _line_numbers(g[2]))
        n = int(g[-1] if kind in ("remove_text", "add_colon", "append") else g[0] if kind != "insert" else g[2])
        if not 1 <= n <= len(lines):
            return None
        line = lines[n - 1]
        if kind == "replace_line":
            new = g[1] if g[1][:1].isspace() else _indent(line) + g[1]
            return _unique(code, lines, n, n, [new])
        if kind == "remove_line":
            patch = _unique(code, lines, n, n, [])
            return patch if patch is not None and patch.find != patch.replace else None
        if kind == "remove_text":
            return _replace_in_lines(code, lines, g[0], "", [n])
        if kind == "add_colon":
            return _unique(code, lines, n, n, [line.rstrip() + ":"])
        if kind == "append":
            return _unique(code, lines, n, n, [line.rstrip() + g[0]])
        if kind == "insert":
            added, where = g[0], g[1].lower()
            if not added[:1].isspace():
                deeper = where in ("after", "below") and line.rstrip().endswith(":")
                added = _indent(line) + ("    " if deeper else "") + added
            new = [line, added] if where in ("after", "below") else [added, line]
            return _unique(code, lines, n, n, new)
    return None


def mentioned_lines(text: str) -> list[int]:
    """Line numbers a description names (`On line 4`, `lines 3 and 5`)."""
    return sorted({n for group in re.findall(rf"\b{_LINES}", text, re.I) for n in _line_numbers(group)})


def compiles(code: str) -> bool:
    """True when `code` is valid Python syntax (nothing is run)."""
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def name_test(code: str, k: int, used: set[str]) -> str:
    """A test name from the function the assert calls (`test_word_lengths_2`), unique among `used`."""
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", code.removeprefix("assert").strip())
    base = re.sub(r"(?<!^)(?=[A-Z])", "_", m.group(1)).lower() if m else "case"
    base = re.sub(r"[^a-z0-9_]", "_", base).strip("_") or "case"
    name = f"test_{base}_{k}"
    while name in used:
        name += "_"
    used.add(name)
    return name


IMPORT_TEST_TIMEOUT_S = 3.0  # per test: dataset programs are tiny, and a buggy one may loop forever


def failing_tests(program: str, tests: list[tuple[str, str]], timeout_s: float = IMPORT_TEST_TIMEOUT_S) -> list[str]:
    """Names of the tests `program` does not pass (run in the project's sandbox, or a subprocess).

    A test that runs past `timeout_s` fails: buggy programs and misread fixes often loop forever, and an
    importer tries several readings of a fix.
    """
    from tutor.problems.verify import run_tests  # late: loading the runner is only needed here

    results = run_tests(program, tests, timeout_s=timeout_s)
    return [name for name, _ in tests if results.get(name, ("error", ""))[0] != "passed"]


def patch_from_code(buggy: str, fixed: str) -> DerivedPatch | None:
    """The one contiguous change between `buggy` and `fixed` as a patch, or None if they are equal."""
    old, new = buggy.splitlines(), fixed.splitlines()
    if old == new:
        return None
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    first, last = head + 1, len(old) - tail  # 1-based span of changed buggy lines (may be empty)
    replacement = new[head : len(new) - tail]
    if last < first:  # a pure insertion: anchor it on the line before (or after) the gap
        if first > 1:
            first = last = first - 1
            replacement = [old[first - 1], *replacement]
        else:
            last = first
            replacement = [*replacement, old[0]]
    return _unique(buggy, old, first, last, replacement)


def apply_patches(code: str, patches: list[DerivedPatch]) -> str | None:
    """`code` with every patch spliced in at its place, or None when two patches overlap."""
    spans = sorted((code.index(p.find), p) for p in patches)
    for (start_a, a), (start_b, _) in zip(spans, spans[1:], strict=False):
        if start_b < start_a + len(a.find):
            return None
    for start, patch in reversed(spans):
        code = code[:start] + patch.replace + code[start + len(patch.find) :]
    return code


@dataclass(frozen=True)
class BugSpec:
    """One bug as an importer read it: its patch, the fix in words, and the description."""

    patch: DerivedPatch
    fix: str
    description: str


def build_bugs(
    buggy: str, specs: list[BugSpec], tests: list[tuple[str, str]], fixes_field: str
) -> list[dict[str, object]]:
    """Bug dicts for the problem schema: kind from whether the program compiles with only this bug
    left, `breaks_tests` from running the tests on that program.

    Raises:
        RecordError: a bug that no test catches (the schema needs at least one test per bug).
    """
    from tutor.problems.importers.base import RecordError

    bugs: list[dict[str, object]] = []
    for k, spec in enumerate(specs, 1):
        only_this = apply_patches(buggy, [s.patch for s in specs if s is not spec])
        assert only_this is not None  # the caller applied all patches together already
        breaks = failing_tests(only_this, tests)
        if not breaks:
            raise RecordError(fixes_field, f"no test fails when only bug {k} ({spec.fix!r}) is left")
        bugs.append(
            {
                "id": f"b{k}",
                "lines": list(spec.patch.lines),
                "kind": "conceptual" if compiles(only_this) else "syntactic",
                "description": spec.description,
                "fix": spec.fix,
                "patch": {"find": spec.patch.find, "replace": spec.patch.replace},
                "breaks_tests": breaks,
            }
        )
    return bugs
