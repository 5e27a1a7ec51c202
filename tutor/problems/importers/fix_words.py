"""Fixes written in words, as candidate repaired programs (Socratic Debugging Benchmark and the like).

The benchmark states each fix as an instruction about the numbered buggy program, in many phrasings:
"Replace `X` with `Y` on lines 5 and 7", "After line 10, insert the following outside the while loop
scope:" and a fenced block, "On line 8 insert the code `...`", "Remove line 15 and replace ...",
"Add `return` before `a * b`", "Change the return statement on line 4 to `...`", "Initialize `index`
to -1 on line 2", "Move line 9 to be above line 8", "Insert a tab indentation before `x` on line 6".

`fix_candidates` splits an instruction into clauses, reads each as edits of the original lines (line
numbers always refer to the buggy program as shown), and returns the programs the instruction can
mean, most literal first. Where the words leave a choice open (the indentation of an inserted line,
which of several occurrences, a line number off by one, a space before an inserted word) every reading
is a candidate, and the caller keeps the first one that passes the unit tests. An instruction none of
the phrasings covers gives no candidate: the caller keeps the fix as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_TICK = r"`([^`]*)`"
_NUMS = r"(\d+(?:\s*(?:,\s*and|,|and|&)\s*\d+)*)"
_LINES = rf"lines?\s+{_NUMS}"
_VERBS = r"(?:on|in|at|after|before|below|above|replace|change|insert|add|remove|delete|move|then)"
# "... and on lines 5 and 7 change ...", "... and then insert ...", "... and `false` with `False`"
_CLAUSE_SPLIT = re.compile(rf",?\s+and\s+(?=(?:{_VERBS}\b|`[^`]*`\s+(?:with|to)\s+`))", re.I)
_FENCE = re.compile(r"```[a-zA-Z]*\n(.*?)(?:```|\Z)", re.S)
_MAX_CANDIDATES = 32
_INDENT_UNIT_DEFAULT = "    "

Edit = Callable[["_Program"], list["_Program"]]


@dataclass
class _Program:
    """The buggy program's lines under edit: per original line its content (None: deleted) and the
    lines inserted before and after it."""

    content: list[str | None]
    before: list[list[str]] = field(default_factory=list)
    after: list[list[str]] = field(default_factory=list)
    last: int = 0  # the line the previous clause was about ("after that", "in its place")

    @classmethod
    def of(cls, code: str) -> _Program:
        lines: list[str | None] = list(code.splitlines())
        return cls(lines, [[] for _ in lines], [[] for _ in lines])

    def copy(self) -> _Program:
        return _Program(list(self.content), [list(b) for b in self.before], [list(a) for a in self.after], self.last)

    def line(self, n: int) -> str | None:
        return self.content[n - 1] if 1 <= n <= len(self.content) else None

    def render(self) -> str:
        out: list[str] = []
        for k, text in enumerate(self.content):
            out += self.before[k] + ([text] if text is not None else []) + self.after[k]
        return "\n".join(out) + "\n"


def split_alternatives(block: str) -> list[str]:
    """The alternatives of a `<bug_fixes>` section: one per line, a fenced code block belonging to the
    line before it."""
    alternatives: list[str] = []
    in_fence = False
    for line in block.splitlines():
        if in_fence or (line.strip().startswith("```") and alternatives):
            alternatives[-1] += "\n" + line
            if line.strip().startswith("```"):
                in_fence = not in_fence
        elif line.strip():
            alternatives.append(line.strip())
            in_fence = line.count("```") % 2 == 1
    return alternatives


def fix_candidates(code: str, fix: str) -> list[str]:
    """Programs that `fix` (one alternative, in words) can turn `code` into, most literal first.

    Returns [] when a clause of `fix` is not one of the known phrasings or does not fit the code.
    """
    clauses = _clauses(fix)
    if not clauses:
        return []
    states = [_Program.of(code)]
    for clause in clauses:
        edit = _parse_clause(clause)
        if edit is None:
            return []
        states = [new for state in states for new in edit(state.copy())][:_MAX_CANDIDATES]
        if not states:
            return []
    seen: set[str] = {code if code.endswith("\n") else code + "\n"}
    out = []
    for state in states:
        program = state.render()
        if program not in seen:
            seen.add(program)
            out.append(program)
    return out


# --------------------------------------------------------------------------------------------- clauses


def _clauses(fix: str) -> list[str]:
    """`fix` cut into clauses (sentences, then `and` before a new verb), fenced blocks kept whole."""
    fences: list[str] = []

    def keep(m: re.Match[str]) -> str:
        fences.append(m.group(1))
        return f"`\x00{len(fences) - 1}`"

    text = _FENCE.sub(keep, fix.strip())
    text = re.sub(r"\s+", " ", text).strip()
    if re.match(r"^initiali[sz]e\b", text, re.I):  # "Initialize `a` and `b` to ..." is one clause
        parts = [text]
    else:
        parts = [p for s in re.split(r"(?<=[.;])\s+(?=[A-Z])", text) for p in _CLAUSE_SPLIT.split(s)]
    out = []
    for part in parts:
        part = re.sub(r"^(?:and\s+)?(?:then\s+)?", "", part.strip(), flags=re.I).rstrip(" .;")
        part = re.sub(r"`\x00(\d+)`", lambda m: "`" + fences[int(m.group(1))].replace("`", "") + "`", part)
        if part and not re.fullmatch(rf"(?:on|in|at)\s+{_LINES}", part, re.I):  # a stray "and on line 4"
            out.append(part)
    return out


def _nums(text: str | None) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)] if text else []


def _parse_clause(clause: str) -> Edit | None:
    for parse in _PARSERS:
        edit = parse(clause)
        if edit is not None:
            return edit
    return None


def _replace_text(clause: str) -> Edit | None:
    m = re.match(
        rf"^(?:on|in|at)\s+{_LINES},?\s+(?:replace|change)\s+{_TICK}\s+(?:with|to|by)\s+{_TICK}$", clause, re.I
    ) or re.match(rf"^(?:(?:replace|change)\s+)?{_TICK}\s+(?:with|to|by)\s+{_TICK}(.*)$", clause, re.I)
    if m is None:
        m2 = re.match(r"^(?:replace|change)\s+(?:the\s+)?(\S+)\s+(?:with|to)\s+(\S+)\s+in\s+all\b", clause, re.I)
        if m2 is None:
            return None
        old, new = m2.group(1), m2.group(2)
        return lambda p: _sub_all(p, old, new)
    if clause.lower().startswith(("on ", "in ", "at ")):
        lines, old, new = _nums(m.group(1)), m.group(2), m.group(3)
    else:
        old, new, rest = m.group(1), m.group(2), m.group(3)
        where = re.search(rf"\b(?:on|in|at)\s+{_LINES}", rest, re.I)
        lines = _nums(where.group(1)) if where else []
        if rest.strip() and not where and not re.match(r"^\s*(?:to|so|in order|in the)\b", rest, re.I):
            return None
        call = re.search(rf"in\s+the\s+{_TICK}\s+call", rest, re.I)
        if call:
            return lambda p: _sub_in_call(p, old, new, call.group(1), lines)
    if not old:
        return None
    return lambda p: _sub(p, old, new, lines)


def _sub(p: _Program, old: str, new: str, lines: list[int]) -> list[_Program]:
    """`old` -> `new` on `lines` (all of them), or, where the lines do not hold it, on each line that does."""
    if lines and all(old in (p.line(n) or "") for n in lines):
        for n in lines:
            p.content[n - 1] = (p.line(n) or "").replace(old, new)
        p.last = lines[-1]
        return [p]
    holding = [n for n in range(1, len(p.content) + 1) if old in (p.line(n) or "")]
    out = []
    for n in holding[:8]:  # the words name a line that does not hold the text: try each that does
        q = p.copy()
        q.content[n - 1] = (q.line(n) or "").replace(old, new)
        q.last = n
        out.append(q)
    return out


def _sub_all(p: _Program, old: str, new: str) -> list[_Program]:
    hits = [n for n in range(1, len(p.content) + 1) if old in (p.line(n) or "")]
    for n in hits:
        p.content[n - 1] = (p.line(n) or "").replace(old, new)
    return [p] if hits else []


def _sub_in_call(p: _Program, old: str, new: str, name: str, lines: list[int]) -> list[_Program]:
    out = []
    for n in lines or range(1, len(p.content) + 1):
        text = p.line(n) or ""
        for span in _calls(text, name):
            inner = text[span[0] : span[1]]
            if old in inner:
                q = p.copy()
                q.content[n - 1] = text[: span[0]] + inner.replace(old, new, 1) + text[span[1] :]
                q.last = n
                out.append(q)
    return out


def _calls(text: str, name: str) -> list[tuple[int, int]]:
    """Spans of `name(...)` calls in `text` (balanced parentheses)."""
    spans = []
    for m in re.finditer(rf"\b{re.escape(name)}\s*\(", text):
        depth, k = 0, m.end() - 1
        for k in range(m.end() - 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[k], 0)
            if depth == 0:
                spans.append((m.start(), k + 1))
                break
    return spans


# ----------------------------------------------------------------------------------------- indentation


def _indent(line: str | None) -> str:
    return "" if line is None else line[: len(line) - len(line.lstrip())]


def _unit(p: _Program) -> str:
    """The program's indentation step: a tab, or the smallest indentation of any line."""
    indents = [_indent(t) for t in p.content if t and t.strip() and _indent(t)]
    if any("\t" in i for i in indents):
        return "\t"
    return min(indents, key=len) if indents else _INDENT_UNIT_DEFAULT


def _near(p: _Program, n: int) -> str | None:
    """Line `n`, or the nearest non-blank line above it."""
    for k in range(min(n, len(p.content)), 0, -1):
        text = p.line(k)
        if text and text.strip():
            return text
    return None


def _hint_indent(p: _Program, n: int, hint: str) -> str | None:
    """The indentation a scope hint asks for ("outside the while loop", "inside the `else` scope",
    "with one indentation level"), relative to the lines up to `n`; None without a hint."""
    level = re.search(r"with\s+(one|two|three|\d)\s+indentation\s+levels?", hint, re.I)
    if level:
        count = {"one": 1, "two": 2, "three": 3}.get(level.group(1).lower()) or int(level.group(1))
        return _unit(p) * count
    scope = re.search(r"\b(inside|within|outside)\s+(?:of\s+)?the\s+(?:scope\s+of\s+the\s+)?`?(\w+)`?", hint, re.I)
    if scope is None:
        return None
    keyword = scope.group(2).lower()
    for k in range(min(n, len(p.content)), 0, -1):
        text = p.line(k) or ""
        if re.match(rf"^\s*{keyword}\b", text):
            return _indent(text) + ("" if scope.group(1).lower() == "outside" else _unit(p))
    return None


def _indents(p: _Program, n: int, hint: str, *, after: bool) -> list[str]:
    """Indentations to try for a line inserted at `n`: the hinted one, the neighbour's (deeper after a
    `:`), then every other indentation of the lines above, deepest first."""
    near = _near(p, n) if after else (p.line(n) if (p.line(n) or "").strip() else _near(p, n))
    out = [i for i in (_hint_indent(p, n, hint),) if i is not None]
    if near is not None:
        deeper = after and near.rstrip().endswith(":")
        out.append(_indent(near) + (_unit(p) if deeper else ""))
    levels = {_indent(t) for t in p.content[: max(n, 1)] if t and t.strip()}
    levels |= {_indent(t) + _unit(p) for t in p.content[: max(n, 1)] if t and t.rstrip().endswith(":")}
    out += sorted(levels, key=len, reverse=True)
    return list(dict.fromkeys(out))


def _block(code: str, indent: str) -> list[str]:
    """`code` (one or more lines) re-indented so its least indented line starts at `indent`."""
    lines = [ln.rstrip() for ln in code.strip("\n").splitlines()]
    base = min((len(_indent(ln)) for ln in lines if ln.strip()), default=0)
    return [indent + ln[base:] if ln.strip() else "" for ln in lines]


# ------------------------------------------------------------------------------------ the other clauses


def _code_ticks(text: str) -> tuple[list[str], str]:
    """The code spans of `text` (not those naming a scope, "the `else` scope"), and the text left."""
    hint = re.search(r"\b(?:inside|within|outside)\s+(?:of\s+)?the\s+(?:scope\s+of\s+the\s+)?`?\w+`?[^`:]*", text, re.I)
    rest = text[: hint.start()] + text[hint.end() :] if hint else text
    return [c for c in re.findall(_TICK, rest) if c.strip()], (hint.group(0) if hint else "") + " " + text


def _insert_lines(p: _Program, n: int, code: list[str], hint: str, where: str) -> list[_Program]:
    if not 1 <= n <= len(p.content) or not code:
        return []
    out = []
    after = where == "after"
    for indent in _indents(p, n, hint, after=after):
        q = p.copy()
        new = [ln for c in code for ln in _block(c, indent)]
        if where == "at" and not (q.line(n) or "").strip():
            q.content[n - 1] = None  # "on line 8 insert ..." where line 8 is blank: the code goes there
            q.before[n - 1] += new
        elif after:
            q.after[n - 1] += new
        else:
            q.before[n - 1] = new + q.before[n - 1]
        q.last = n
        out.append(q)
    return out


def _insert(clause: str) -> Edit | None:
    forms = [
        (r"^(after|below|before|above)\s+line\s+(\d+),?\s+(?:insert|add)\b(.*)$", 1, 2, 3),
        (r"^(?:insert|add)\b(.*?)\b(after|below|before|above)\s+line\s+(\d+)(.*)$", 2, 3, None),
        (r"^(?:on|at)\s+line\s+(\d+),?\s+(?:insert|add)\b(.*)$", None, 1, 2),
    ]
    for pattern, where_g, line_g, rest_g in forms:
        m = re.match(pattern, clause, re.I | re.S)
        if m is None:
            continue
        where = {"below": "after", "above": "before"}.get(
            (m.group(where_g) if where_g else "at").lower(), (m.group(where_g) if where_g else "at").lower()
        )
        rest = m.group(rest_g) if rest_g else m.group(1) + " " + m.group(4)
        code, hint = _code_ticks(rest)
        n = int(m.group(line_g))
        return lambda p: _insert_lines(p, n, code, hint, where)
    m = re.match(r"^(?:add\s+then\s+)?(?:insert|add)\b(.*?)\b(after that|in its place)\b(.*)$", clause, re.I | re.S)
    if m is not None:
        code, hint = _code_ticks(m.group(1) + " " + m.group(3))
        return lambda p: _insert_lines(p, p.last, code, hint, "after") if p.last else []
    return None


def _line_ops(clause: str) -> Edit | None:
    m = re.match(r"^(?:remove|delete)\s+line\s+(\d+)$", clause, re.I)
    if m:
        n = int(m.group(1))
        return lambda p: _delete(p, n)
    m = re.match(rf"^(?:remove|delete)\s+{_TICK}\s+(?:from|on|in|at)\s+line\s+(\d+)$", clause, re.I)
    if m:
        old, n = m.group(1), int(m.group(2))
        return lambda p: _sub(p, old, "", [n])
    m = re.match(rf"^(?:replace|change)\s+line\s+(\d+)\s+(?:with|to)\s+{_TICK}$", clause, re.I)
    if m:
        n, new = int(m.group(1)), m.group(2)
        return lambda p: _set_line(p, n, new)
    m = re.match(r"^move\s+line\s+(\d+)\s+(?:to\s+be\s+)?(above|below|before|after)\s+line\s+(\d+)(.*)$", clause, re.I)
    if m:
        src, where, dst = int(m.group(1)), m.group(2).lower(), int(m.group(3))
        return lambda p: _move(p, src, "after" if where in ("below", "after") else "before", dst, m.group(4))
    return None


def _delete(p: _Program, n: int) -> list[_Program]:
    if p.line(n) is None:
        return []
    p.content[n - 1], p.last = None, n
    return [p]


def _set_line(p: _Program, n: int, new: str) -> list[_Program]:
    if p.line(n) is None:
        return []
    p.content[n - 1] = new if new[:1].isspace() else _indent(p.line(n)) + new.strip()
    p.last = n
    return [p]


def _move(p: _Program, src: int, where: str, dst: int, hint: str) -> list[_Program]:
    text = p.line(src)
    if text is None or p.line(dst) is None:
        return []
    p.content[src - 1] = None
    return _insert_lines(p, dst, [text.strip()], hint, where)


def _indentation(clause: str) -> Edit | None:
    m = re.match(
        rf"^(insert|add|remove|delete)\s+(?:a|an|one)\s+(?:tab\s+|level\s+of\s+)?indent(?:ation)?(?:\s+level)?\s+"
        rf"(?:before|from|to|at)\s+{_TICK}\s+on\s+line\s+(\d+)$",
        clause,
        re.I,
    )
    if m is None:
        return None
    add, target, n = m.group(1).lower() in ("insert", "add"), m.group(2), int(m.group(3))

    def edit(p: _Program) -> list[_Program]:
        text = p.line(n)
        if text is None or target.strip() not in text:
            return []
        indent, body = _indent(text), text.lstrip()
        if add:
            options = [indent + _unit(p), *(i for i in _indents(p, n - 1, "", after=True) if len(i) > len(indent))]
        else:
            options = [i for i in _indents(p, n - 1, "", after=True) if len(i) < len(indent)]
            options.insert(0, indent[: max(0, len(indent) - len(_unit(p)))])
        out = []
        for option in dict.fromkeys(options):
            q = p.copy()
            q.content[n - 1], q.last = option + body, n
            out.append(q)
        return out

    return edit


def _inline(clause: str) -> Edit | None:
    m = re.match(rf"^(?:add|insert)\s+{_TICK}\s+(before|after)\s+{_TICK}(.*)$", clause, re.I)
    if m is None:
        return None
    added, where, anchor, rest = m.group(1), m.group(2).lower(), m.group(3), m.group(4)
    named = re.search(rf"\b{_LINES}", rest, re.I)
    lines = _nums(named.group(1)) if named else []
    tight = not re.match(r"^\w", added) if where == "after" else not re.search(r"\w$", added)
    joins = ["", " "] if tight else [" ", ""]
    texts = [added.strip() + j + anchor if where == "before" else anchor + j + added.strip() for j in joins]
    return lambda p: [q for new in texts for q in _sub(p.copy(), anchor, new, lines)]


def _statement(clause: str) -> Edit | None:
    m = re.match(
        rf"^(?:on\s+line\s+(\d+),?\s+)?change\s+the\s+(.+?)(?:\s+on\s+line\s+(\d+))?\s+(?:to|with)\s+{_TICK}(.*)$",
        clause,
        re.I,
    )
    if m is None:
        return None
    n = int(m.group(1) or m.group(3) or 0)
    what, new = m.group(2), m.group(4)
    named = re.search(_TICK, what)

    def edit(p: _Program) -> list[_Program]:
        out = []
        for k in (n, n + 1, n - 1) if n else range(1, len(p.content) + 1):
            text = p.line(k)
            if not text or not text.strip():
                continue
            if named:
                spans = _calls(text, named.group(1))
                if len(spans) == 1:
                    q = p.copy()
                    q.content[k - 1] = text[: spans[0][0]] + new + text[spans[0][1] :]
                    out.append(q)
                continue
            keyword = what.split()[0].lower()
            if not re.match(rf"^\s*{keyword}\b", text):
                continue
            body = new if new.strip().startswith(keyword) else f"{keyword} {new}"
            if text.rstrip().endswith(":") and not body.rstrip().endswith(":"):
                body += ":"
            q = p.copy()
            q.content[k - 1] = _indent(text) + body.strip()
            out.append(q)
        return out

    return edit


def _initialise(clause: str) -> Edit | None:
    m = re.match(r"^initiali[sz]e\s+(.*?)\s+to\s+(.*?)(?:\s+on\s+line\s+(\d+))?$", clause, re.I)
    if m is None:
        return None
    names = re.findall(_TICK, m.group(1))
    values = re.findall(_TICK, m.group(2))
    value = values[-1] if values else m.group(2).split()[0] if m.group(2).split() else ""
    n = int(m.group(3) or 0)
    if not names or not value:
        return None

    def edit(p: _Program) -> list[_Program]:
        for name in names:
            pattern = re.compile(rf"^(\s*{re.escape(name)}\s*=\s*).*$")
            lines = [n] if n else range(1, len(p.content) + 1)
            hit = next((k for k in lines if pattern.match(p.line(k) or "")), None)
            if hit is None:
                return []
            p.content[hit - 1] = pattern.sub(lambda mm: mm.group(1) + value, p.line(hit) or "")
            p.last = hit
        return [p]

    return edit


_PARSERS: tuple[Callable[[str], Edit | None], ...] = (
    _indentation,
    _inline,
    _line_ops,
    _insert,
    _statement,
    _initialise,
    _replace_text,
)
