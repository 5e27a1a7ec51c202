"""Is a hint about the program it is for? Checks that read the hint against the buggy program and its failing
test, without a model.

The fix-leak check asks whether a hint tells too much; this asks whether what it says can be true of this
program at all. Each rule comes from hints the bundled model wrote on the bank (the hint report lists them):

- **runs what cannot run**: the program does not parse, and the hint asks for a print or for tracing the
  execution (a SyntaxError stops the file before any print); seen on four syntax bugs of the bank;
- **a line the program does not have**: "line 12" in a program of 8 lines;
- **a slot left unfilled**: a pattern of the level prompt copied with its placeholder (`print(<a variable>)`);
- **a name nobody defines**: code in backticks naming something that neither the program, its tests, nor
  Python's builtins and the methods of its built-in types have.

    ungrounded("Add print(total) on line 4.", "def f(:\\n    pass\\n")  # -> 'asks to run a program that ...'
"""

from __future__ import annotations

import builtins
import keyword
import re

_RUNS = re.compile(
    r"(?i)\bprint\s*\(|\bprint\s+statement|\badd(?:ing)?\s+(?:a\s+)?print\b|\btrac(?:e|ing)\s+the\s+execution\b"
)
_LINE_REF = re.compile(r"(?i)\blines?\s+(\d+)(?:\s*(?:,|and|-|to)\s*(\d+))*")
# `<a variable>`, or a slot "filled" with code still in its brackets (`<report[name]>`); code in backticks
# is left out first, where `a<b>c` is a comparison.
_SLOT = re.compile(r"<(?:a |an |the )?[A-Za-z_][^<>\n]{0,60}>")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_NAME = re.compile(r"[A-Za-z_]\w*")
_KNOWN = (
    set(dir(builtins))
    | set(keyword.kwlist)
    | {name for kind in (str, list, dict, set, tuple, int, float) for name in dir(kind)}
)


def parses(program: str) -> bool:
    """Whether Python can read the program (compiling runs none of it)."""
    try:
        compile(program, "<student>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def ungrounded(hint: str, program: str, context: str = "") -> str | None:
    """Why the hint cannot be about this program, or None. `context`: what else the student sees (the failing
    test's code and message), whose names a hint may quote."""
    if not parses(program) and _RUNS.search(hint):
        return "asks to run a program that does not parse"
    count = len(program.splitlines())
    for match in _LINE_REF.finditer(hint):
        beyond = [int(n) for n in match.groups() if n and int(n) > count]
        if beyond:
            return f"names line {beyond[0]}; the program has {count}"
    if slot := _SLOT.search(_CODE_SPAN.sub(" ", hint)):
        return f"leaves a slot unfilled: {slot.group(0)}"
    names = set(_NAME.findall(program)) | set(_NAME.findall(context)) | _KNOWN
    for span in _CODE_SPAN.findall(hint):
        strange = [n for n in _NAME.findall(_strings_out(span)) if n not in names and not n.isdigit()]
        if strange:
            return f"names `{strange[0]}`, which the program does not have"
    return None


def _strings_out(code: str) -> str:
    """Code with its string literals blanked (their words are data, not names)."""
    return re.sub(r"(['\"]).*?\1", '""', code)
