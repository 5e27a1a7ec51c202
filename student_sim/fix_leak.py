"""Does a hint give the fix away? A check built from the patch alone, independent of how the hint was written.

A hint may point (which test, which line, which variable), describe what the program does against what it
should do, or suggest what to try. It tells the fix when a student could make the edit from the hint alone:

- **code**: it quotes the corrected line, or a code fragment the fix introduces (an operator such as `+=`, a
  call such as `.lower()`, a literal) that the buggy program does not have;
- **words**: a sentence prescribes a change (`should`, `instead of`, `change`, `use`, an imperative ...) and
  names the operation the fix introduces (`add`, `or equal`, `lowercase`, `move ... inside`) together with
  what it applies to (an identifier of the changed line, or a new literal);
- **line**: it names a changed line together with a change to make there;
- **removal**: a sentence says to remove (delete, drop, get rid of) code the fix takes out (`print`);
- **offer**: it presents code as the corrected line ("the correct line should be `...`", "change it to `...`"),
  a line the program does not have: a working edit need not be the patch's (`word.startswith('Clap')`).

The facts come from a line diff of the buggy and the fixed program (`FixFacts.from_programs`), never from
the hint writer's prompt, so a generator cannot pass the check by wording its prompt differently. The
labelling rule this check is measured against is in `datasets/evals/HINT_LABELS.md`.

    facts = FixFacts.from_programs(buggy_code, fixed_code)
    verdict = check_hint("Use `total += n` instead of `total = n`.", facts)
    verdict.leaks, verdict.reasons           # True, ('quotes code the fix introduces: `total += n`', ...)
"""

from __future__ import annotations

import difflib
import io
import re
import tokenize
from dataclasses import dataclass

# "sum" as a verb names the operation; "the sum of" states a goal and is left alone.
_SUM_VERBS = ("sum up", "summing", "sum the", "sum all", "sum each", "addition")
# Adding a print() is an investigation, not the edit: its "add" must not count as naming addition.
_PRINT_STEP = re.compile(r"(?i)\badd(?:ing)?\s+(?:a\s+)?print(?:\s*\([^)]*\))?(?:\s+statement)?")
# Words that name what an operator, keyword or call does; the fix's own new tokens pick their entries.
_OPERATION_WORDS: dict[str, tuple[str, ...]] = {
    "+=": ("add", "adding", "added", "adds", "plus", "increase", "increment", *_SUM_VERBS),
    "+": ("add", "adding", "added", "plus", "increase", "increment", "one more", *_SUM_VERBS),
    "-=": ("subtract", "minus", "decrease", "decrement", "take away"),
    "-": ("subtract", "minus", "decrease", "decrement", "take away", "one less"),
    "*": ("multiply", "multiplied", "times", "product"),
    "*=": ("multiply", "multiplied", "times"),
    "/": ("divide", "divided", "division"),
    # converting the quotient to an integer is another working edit for the same fix (`int(mid)`)
    "//": ("integer division", "floor division", "whole division", "round down", "to an integer", "into an integer"),
    "%": ("remainder", "modulo", "modulus"),
    "<=": ("or equal", "at most", "inclusive", "include", "including"),
    ">=": ("or equal", "at least", "inclusive", "include", "including"),
    "<": ("less than", "smaller than", "strictly", "exclusive", "exclude"),
    ">": ("greater than", "more than", "bigger than", "larger than", "strictly", "exclusive", "exclude"),
    "==": ("equal", "equals", "same as"),
    "!=": ("not equal", "differ", "different"),
    "not": ("not", "negat", "opposite"),
    "and": ("both", " and "),
    "or": ("either", " or "),
    "break": ("break", "stop the loop", "leave the loop", "exit the loop"),
    "continue": ("continue", "skip"),
    "return": ("return",),
    "None": ("none", "nothing"),
    # the bare word "is" is in every English sentence; what the keyword does is identity
    "is": ("identity", "identical object", "same object", "is none", "is not none"),
    "lower": ("lower", "lowercase", "lower case", "lower-case"),
    "upper": ("upper", "uppercase", "upper case"),
    "strip": ("strip", "whitespace", "spaces"),
    "len": ("length", "len"),
    "abs": ("absolute",),
    "append": ("append", "add it to the list"),
    "sorted": ("sort",),
    "sort": ("sort",),
    "int": ("integer", "convert"),
    "str": ("string", "convert"),
    "float": ("float", "decimal", "convert"),
    "round": ("round",),
    "max": ("maximum", "largest", "biggest", "max"),
    "min": ("minimum", "smallest", "min"),
}
_PUNCTUATION_WORDS: dict[str, tuple[str, ...]] = {
    ":": ("colon",),
    "(": ("parenthes", "bracket"),
    ")": ("parenthes", "bracket"),
    "[": ("square bracket", "bracket"),
    "]": ("square bracket", "bracket"),
    ",": ("comma",),
    "=": ("equals sign", "assign"),
}
_MOVE_WORDS = (
    "move",
    "moving",
    "inside",
    "into the function",
    "within",
    "before the loop",
    # Where a moved line goes, said as a place in the function (found on the bank run's hints, debug-001).
    "beginning of the function",
    "start of the function",
    "top of the function",
    "at the beginning",
    "after the loop",
    "first line",
    "out of the loop",
    "into the loop",
    "indent",
    "dedent",
)
# Code idioms whose tokens are all trivial punctuation, named by what they do (`xs[:]` copies the list).
_IDIOMS: dict[str, tuple[str, ...]] = {
    "[:]": ("copy", "copies", "copying", "slice"),
    "+1": ("the next index", "the next item", "the next element", "the next position", "one after"),
}
_NUMBER_WORDS = {"0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "10": "ten"}
# A sentence that prescribes a change rather than describing the program.
_PRESCRIBES = re.compile(
    r"(?i)\b(should|must|needs?\s+to|has\s+to|have\s+to|instead\s+of|rather\s+than|without|make\s+sure|ensure|"
    r"change\s+(?:\S+\s+){0,5}?(?:to|into|so)|changing|replace|replacing|swap|switch|use|using|add|adding|move|moving|put|insert|remove|delete|"
    r"initiali[sz]e|start|begin|increment|decrement|subtract|multiply|divide|convert|call|fix\s+it\s+by|"
    r"try\s+\w+ing|you\s+(?:can|could|need)|correct\s+(?:line|code|version)\s+(?:is|would)|"
    # "... but the exercise expects it to be 1": the value the changed line must produce, i.e. the edit.
    r"expects?\s+(?:it|them|this|that|`?[\w\[\]]+`?)\s+to\s+be)\b"
)
# "Remove the print statement" names the edit when the fix takes `print` out (found on the bank run, debug-009).
_REMOVES = re.compile(r"(?i)\b(remove|removing|delete|deleting|drop|dropping|get\s+rid\s+of|take\s+out|leave\s+out)\b")
# Code offered as the corrected version: the quote that follows is the edit, whichever edit it is.
_OFFERS = re.compile(
    r"(?i)(?:\b(?:correct(?:ed)?|right|proper|fixed)\s+(?:line|code|condition|version|way|expression|statement)\b"
    r"[^`.]{0,40}|\bshould\s+(?:be|read|look\s+like)\s*:?\s*|\b(?:change|replace|modify|rewrite)\b[^`.]{0,60}\b(?:to|with)\s*:?\s*)`([^`\n]+)`"
)
_LINE_REF = re.compile(r"(?i)\blines?\s+(\d+)(?:\s*(?:,|and|-|to)\s*(\d+))*")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
# Tokens too common in prose or code to be a trace of the fix by themselves.
_TRIVIAL = {"=", "(", ")", "[", "]", "{", "}", ":", ",", ".", "self", "i", "x", "a", "in", "for", "if", "def"}
_STATEMENT_WORDS = ("increment", "decrement", "increase", "decrease")
_AUGMENTED = {"+=", "-=", "*=", "/=", "//=", "%="}
_MULTI_CHAR_OPS = re.compile(r"\+=|-=|\*=|/=|//|<=|>=|==|!=|\*\*")


def _code_tokens(code: str) -> list[str]:
    """Python tokens of a fragment (names, operators, literals), tolerant of incomplete code."""
    out: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER, tokenize.STRING):
                out.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        out = re.findall(r"\w+|\+=|-=|\*=|//|<=|>=|==|!=|\S", code)
    return out


def _squeeze(text: str) -> str:
    return "".join(text.split())


@dataclass(frozen=True)
class FixFacts:
    """What a fix changes, read off a line diff of the buggy and the fixed program.

    Attributes:
        added: the lines the fix adds (stripped).
        removed: the lines it removes (stripped).
        new_tokens: code tokens of the added lines that the removed lines lack (the edit itself).
        operands: names on the added lines (what the edit applies to).
        changed_lines: 1-based numbers of the buggy program's lines the fix touches.
        moved: the fix moves a line unchanged (the edit is its position).
        known_names: names the buggy program already uses (naming one points, it does not tell).
        gone: names on the removed lines that the added lines lack (what the edit takes out).
        buggy_lines: the buggy program's lines (stripped): quoting one of them points, it does not tell.
    """

    added: tuple[str, ...]
    removed: tuple[str, ...]
    new_tokens: frozenset[str]
    operands: frozenset[str]
    changed_lines: frozenset[int]
    moved: bool
    known_names: frozenset[str] = frozenset()
    gone: frozenset[str] = frozenset()
    buggy_lines: tuple[str, ...] = ()

    @classmethod
    def from_programs(cls, buggy: str, fixed: str, bug_lines: tuple[int, ...] = ()) -> FixFacts:
        """Facts of the edit from `buggy` to `fixed`; `bug_lines` (a bug's own line numbers) count as changed."""
        old, new = buggy.splitlines(), fixed.splitlines()
        added: list[str] = []
        removed: list[str] = []
        changed = set(bug_lines)
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            removed += [line.strip() for line in old[i1:i2] if line.strip()]
            added += [line.strip() for line in new[j1:j2] if line.strip()]
            changed.update(range(i1 + 1, max(i2, i1 + 1) + 1))
        removed_tokens = {t for line in removed for t in _code_tokens(line)}
        added_tokens = [t for line in added for t in _code_tokens(line)]
        fresh = {t for t in added_tokens if t not in removed_tokens and t not in _TRIVIAL}
        fresh |= {
            i for i in _IDIOMS if any(i in _squeeze(a) for a in added) and not any(i in _squeeze(r) for r in removed)
        }
        if not fresh:  # a syntax fix (a missing colon or bracket): the punctuation is the whole edit
            fresh = {t for t in added_tokens if t not in removed_tokens and t in _PUNCTUATION_WORDS}
        # `x += y` is `x = x + y`: the binary operator is as much the fix as the augmented one.
        fresh |= {t[:-1] for t in fresh if t in _AUGMENTED and t[:-1] not in removed_tokens}
        new_tokens = frozenset(fresh)
        known = frozenset(t for t in _code_tokens(buggy) if t.isidentifier())
        operands = frozenset(t for t in added_tokens if t.isidentifier() and len(t) > 1 and t not in _KEYWORDS)
        moved = bool(added) and set(added) <= set(removed) | {""} and not new_tokens
        kept = set(added_tokens)
        gone = frozenset(t for t in removed_tokens if t.isidentifier() and t not in kept and t not in _TRIVIAL)
        lines = tuple(line.strip() for line in old if line.strip())
        return cls(tuple(added), tuple(removed), new_tokens, operands, frozenset(changed), moved, known, gone, lines)


_KEYWORDS = {"if", "else", "elif", "for", "while", "in", "def", "return", "and", "or", "not", "is", "True", "False"}


@dataclass(frozen=True)
class LeakVerdict:
    """Whether a hint tells the fix, and each reason found (empty when it does not)."""

    leaks: bool
    reasons: tuple[str, ...] = ()


def check_hint(text: str, facts: FixFacts) -> LeakVerdict:
    """Check one hint against the facts of its fix (see the module docstring for the three rules)."""
    reasons = _code_reasons(text, facts)
    for sentence in (_PRINT_STEP.sub("print", s) for s in _SENTENCE.split(text) if s.strip()):
        reasons += _word_reasons(sentence, facts, text)
        reasons += _line_reasons(sentence, facts)
        reasons += _removal_reasons(sentence, facts)
    reasons += _offer_reasons(text, facts)
    unique = tuple(dict.fromkeys(reasons))
    return LeakVerdict(bool(unique), unique)


def _code_reasons(text: str, facts: FixFacts) -> list[str]:
    """Quotes of the corrected line, or of code the fix introduces."""
    reasons: list[str] = []
    squeezed = _squeeze(text)
    for line in facts.added:
        key = _squeeze(line)
        if len(key) >= 4 and key in squeezed and line not in facts.removed:
            reasons.append(f"quotes the corrected line: `{line}`")
    for span in _CODE_SPAN.findall(text):
        tokens = _code_tokens(span)
        if any(_contains_run(line, tokens) for line in facts.buggy_lines):
            continue  # code the buggy program already has, e.g. `temps[i - 1]` when the fix adds a 1 elsewhere
        new = [t for t in tokens if t in facts.new_tokens]
        if new and any(_squeeze(span) in _squeeze(line) or _contains_run(line, tokens) for line in facts.added):
            reasons.append(f"quotes code the fix introduces: `{span}`")
        elif any(not t.isidentifier() or t not in facts.known_names for t in new):
            reasons.append(f"quotes a token the fix introduces: `{span}`")
    for op in sorted(set(_MULTI_CHAR_OPS.findall(text)) & facts.new_tokens):
        reasons.append(f"writes the operator the fix introduces: {op}")
    return reasons


def _contains_run(line: str, tokens: list[str]) -> bool:
    """Whether `tokens` (two or more) occur contiguously in `line`'s tokens."""
    if len(tokens) < 2:
        return False
    have = _code_tokens(line)
    return any(have[i : i + len(tokens)] == tokens for i in range(len(have) - len(tokens) + 1))


def _operation_words(facts: FixFacts) -> list[tuple[str, str]]:
    """(token, word) pairs naming what the fix's new tokens do."""
    words = {**_PUNCTUATION_WORDS, **_OPERATION_WORDS, **_IDIOMS}
    pairs = [(tok, word) for tok in sorted(facts.new_tokens) for word in words.get(tok, ())]
    pairs += [(tok, tok.lower()) for tok in sorted(facts.new_tokens) if tok.isidentifier() and tok not in words]
    for tok in sorted(facts.new_tokens):
        if tok.isdigit():
            pairs += [(tok, tok)] + ([(tok, _NUMBER_WORDS[tok])] if tok in _NUMBER_WORDS else [])
    if facts.moved:
        pairs += [("<position>", word) for word in _MOVE_WORDS]
    return pairs


def _mentions(sentence: str, word: str) -> bool:
    """`word` starts a word of `sentence` ("add" finds "adding"); numbers must be whole words ("one" is not "ones")."""
    if word.startswith(" ") or word.endswith(" "):
        return word in f" {sentence} "
    end = r"(?![\w.])" if word.isdigit() or word in _NUMBER_WORDS.values() else ""
    return re.search(rf"(?<![\w]){re.escape(word)}{end}", sentence) is not None


def _word_reasons(sentence: str, facts: FixFacts, text: str) -> list[str]:
    """A prescription naming the fix's operation and what it applies to. Where a moved line goes may name
    the line in an earlier sentence ("total is not initialized. It should be at the beginning ...")."""
    low = sentence.lower()
    operations = [(tok, w) for tok, w in _operation_words(facts) if _mentions(low, w)]
    if not operations:
        return []
    if not _PRESCRIBES.search(sentence):
        return _whole_edit(low, operations, facts)
    prose = _CODE_SPAN.sub(" ", text).lower()  # a name only inside quoted code is not the line being placed
    where = f"{low} {prose}" if all(tok == "<position>" for tok, _ in operations) else low
    operands = _operands_in(where, facts)
    if not operands and any(" " in w.strip() and not tok.isidentifier() for tok, w in operations):
        # a specific operation phrase ("use integer division") may take its line from another sentence
        operands = _operands_in(prose, facts)
        operands += [f"line {n}" for n in _line_numbers(text) & facts.changed_lines]
    # A new literal, or punctuation (a syntax fix), is the whole edit: naming it needs no operand.
    literal = any(tok.isdigit() or tok[:1] in "\"'" or tok in _PUNCTUATION_WORDS for tok, _ in operations)
    if operands or literal:
        tok, word = operations[0]
        target = operands[0] if operands else "the edit itself"
        return [f"prescribes the fix in words: '{word.strip()}' ({tok}), {target}"]
    return []


def _operands_in(text: str, facts: FixFacts) -> list[str]:
    """The fix's operands named as whole words in `text` (lower-case), in a fixed order."""
    return [o for o in sorted(facts.operands) if re.search(rf"(?<![\w]){re.escape(o.lower())}(?![\w])", text)]


def _whole_edit(low: str, operations: list[tuple[str, str]], facts: FixFacts) -> list[str]:
    """A description that names every token an edit of two or more introduces, with what it applies to:
    the fixed line told as if it were the program's ("right is the length of chars minus one")."""
    # "right is decremented by 1" describes a statement (`right -= 1`), not the expression the fix writes
    operations = [(tok, w) for tok, w in operations if tok in _AUGMENTED or not w.startswith(_STATEMENT_WORDS)]
    named = {tok for tok, _ in operations}
    core = {tok for tok in facts.new_tokens if tok not in _IDIOMS}  # an idiom is its tokens again, said as one
    if len(core) < 2 or not core <= named:
        return []
    operands = _operands_in(low, facts)
    if not operands:
        return []
    words = " ".join(dict.fromkeys(w.strip() for _, w in operations))
    return [f"describes the whole edit: '{words}', {operands[0]}"]


def _line_numbers(text: str) -> set[int]:
    return {int(n) for m in _LINE_REF.finditer(text) for n in m.groups() if n}


def _line_reasons(sentence: str, facts: FixFacts) -> list[str]:
    """A changed line named together with the change to make there."""
    numbers = _line_numbers(sentence)
    if not numbers & facts.changed_lines or not _PRESCRIBES.search(sentence):
        return []
    low = sentence.lower()
    named = [w for _, w in _operation_words(facts) if _mentions(low, w)]
    named += [t for t in sorted(facts.new_tokens) if not t.isidentifier() and t in sentence]
    if named:
        return [f"names line {min(numbers & facts.changed_lines)} with the change: '{named[0].strip()}'"]
    return []


def _removal_reasons(sentence: str, facts: FixFacts) -> list[str]:
    """A sentence saying to remove code that the fix takes out."""
    if not facts.gone or not _REMOVES.search(sentence):
        return []
    low = sentence.lower()
    named = sorted(t for t in facts.gone if _mentions(low, t.lower()))
    return [f"prescribes removing what the fix takes out: {named[0]}"] if named else []


def _offer_reasons(text: str, facts: FixFacts) -> list[str]:
    """Code presented as the corrected line that the program does not already have."""
    have = {_squeeze(line) for line in facts.buggy_lines}
    out = []
    for match in _OFFERS.finditer(text):
        code = match.group(1).strip()
        if _squeeze(code) not in have and _is_code(code):
            out.append(f"offers a corrected line: `{code}`")
    return out


def _is_code(fragment: str) -> bool:
    """Whether a fragment reads as a Python statement or expression naming something (a header may end in a
    colon); a bare value such as `[4, 4, 4]` is an expected output, not a line."""
    body = fragment + ("\n    pass" if fragment.rstrip().endswith(":") else "")
    try:
        compile(body, "<hint>", "exec")
    except (SyntaxError, ValueError):
        return False
    names = [t for t in _code_tokens(fragment) if t.isidentifier() and t not in ("True", "False", "None")]
    return bool(names) and (any(ch in fragment for ch in "=()[]<>+-*/%.:") or " " in fragment.strip())
