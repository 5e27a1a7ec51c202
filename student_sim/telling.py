"""The telling detector: does a tutor message tell the student what the student was to work out?

    key = answer_key(problem)                                  # or AnswerKey.from_worked_solution(...)
    verdict = detect_telling(key, reply, reached_steps={"s1"}, student_numbers=[2.8])
    verdict.tells, verdict.reasons

A message tells when it

* states the final answer ("The change is $2.20", "two dollars twenty", "Is it 2.2?"), unless the number is
  one the problem gives and the message does not present it as a result;
* gives the result of a step the student has not reached yet ("so the pencils cost 2.80");
* works a calculation out for the student ("3 x 50 = 150"), unless it repeats the student's own numbers;
* says what the answer is in words ("the answer should be ...");
* dictates the operation of a step in a statement ("Subtract 2.80 from 5", "you need to add 3 to 12"); the
  same operation asked as a question ("what is 5 - 2.80?") guides and does not tell, as in MathDial's
  teacher-move labels;
* debugging: shows a line of the fixed program or the changed tokens of an open bug's fix (read from the
  line diff of the buggy and the fixed program), or dictates the change in words with the new code.

It reads the problem's own data (answer, step answers, the two programs) with its own reader
(`student_sim.telling_text`) and shares no code with the tutor's leak guard or answer reader: a metric must not
grade the tutor with the part it grades. Its agreement with human labels is in `datasets/evals/TELLING.md`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from student_sim.telling_text import (
    Number,
    code_spans,
    code_tokens,
    contains_run,
    convert,
    fractions,
    in_cents,
    is_money_unit,
    read_numbers,
    sentences,
)
from tutor.problems.schema import AnyProblem, DebuggingProblem, NumericAnswer, TextAnswer

TellingKind = Literal[
    "final_answer", "step_result", "calculation", "answer_phrase", "operation", "fixed_code", "code_change"
]

_RESULT_BEFORE = re.compile(
    r"(?i)(?:=|equals?|is|are|was|were|be|makes?|gives?|get|gets|got|leaves?|left\s+with|totals?|total\s+of|"
    r"comes?\s+to|answer|altogether|so|need|needs|spends?|costs?|pays?)\s*(?:is|of|:|be)?\s*[$€£]?\s*$"
)
_RESULT_AFTER = re.compile(r"(?i)^\s*(?:[a-z]+\s+)?(?:left|in\s+total|altogether|in\s+all|back)\b")
_OPERATOR = r"(?:[-+*/x×·÷]|plus|minus|times|multiplied\s+by|divided\s+by|divide\s+by|divided\s+into|by|over|of|and)"
_OPERATOR_RE = re.compile(rf"(?i)^\s*(?:[a-z]+\s+)?{_OPERATOR}\s*[$€£]?\s*$")
_EQUALS_RE = re.compile(
    r"(?i)^\s*(?:[a-z%]+\s+)?(?:=|equals?|is|are|makes?|gives?(?:\s+you)?|leaves?(?:\s+you\s+with)?|"
    r"comes?\s+to|would\s+be|will\s+be|to\s+get|to\s+make|means|making|(?:you|we)\s+get|gives?\s+(?:you|us)\s+"
    r"(?:the\s+)?(?:final\s+)?(?:answer|total)?\s*(?:of)?)\s*[$€£]?\s*$"
)
_ANSWER_PHRASE = re.compile(
    r"(?i)\b(?:the|your|final|correct|right)\s+(?:final\s+|correct\s+)?answer\s+(?:to\s+(?:the|this)\s+\w+\s+)?"
    r"(?:is|should\s+be|would\s+be|"
    r"will\s+be|=|:)\s*(?![?]|\s*(?:what|correct|right|wrong|not|close)\b)"
)
_QUESTION_OPENING = re.compile(
    r"(?i)^\W*(?:(?:and|so|but|then|ok|okay|now|yes|no|right)\b[\s,]*)*(?:what|how|which|why|would|could|can|"
    r"do|does|did|is|are|should|shall)\b"
)
_NEGATION = re.compile(r"(?i)\b(?:not|no|never|don'?t|doesn'?t|didn'?t|isn'?t|shouldn'?t|wouldn'?t|instead\s+of)\b")
_OPERATION = re.compile(
    r"(?i)(?:^|[,;:]\s*|\b(?:so|then|now|just|first|next|and|please|simply|here)\s+|\b(?:you|we|i)\s+"
    r"(?:(?:will|would|'ll|'d|should|must|can|could|just)\s+)?(?:(?:need|have|want|got)\s+to\s+)?|"
    r"\blet'?s\s+)(?P<verb>add|subtract|multiply|divide|take\s+away|take(?=\s+(?:\S+\s+){0,3}(?:away\s+)?from\b)|"
    r"times|minus|halve|double)\b(?P<rest>.*)"
)
_PASSIVE_OPERATION = re.compile(
    r"(?i)\b(?:needs?|has|have|should|must)\s+(?:to\s+)?be\s+(?P<verb>added|subtracted|multiplied|divided|"
    r"taken\s+away)\b(?P<rest>.*)"
)
_OPERAND = re.compile(r"(?i)\b(?:by|from|to|into|with|together|up)\b|\d|\bthe\s+\w+")
_CHANGE_VERB = re.compile(
    r"(?i)\b(?:change|replace|use|using|should\s+be|instead|switch|swap|put|add|insert|write|make\s+it|turn)\b"
)
_REMOVE_VERB = re.compile(r"(?i)\b(?:remove|delete|drop|get\s+rid\s+of|take\s+out|erase)\b")
_LINE_NUMBER = re.compile(r"(?i)\blines?\s+(\d+)")


# ------------------------------------------------------------------------------------------ the key


@dataclass(frozen=True)
class KeyStep:
    """A step's answer: a number (in `unit`) or a text."""

    id: str
    value: float | None = None
    unit: str | None = None
    text: str | None = None
    tolerance: float = 1e-6


@dataclass(frozen=True)
class FixChange:
    """One change between the buggy and the fixed program, for one bug: the changed lines and tokens."""

    bug_id: str
    lines: tuple[int, ...]  # 1-based lines of the buggy program the change touches
    added_lines: tuple[str, ...]  # lines of the fixed program that the buggy program does not have
    old_tokens: tuple[str, ...]  # the tokens the fix takes out
    new_tokens: tuple[str, ...]  # the tokens the fix puts in
    window: tuple[str, ...]  # the new tokens with one token of context on each side


@dataclass(frozen=True)
class AnswerKey:
    """What the student is to work out: the final answer, the step answers, the numbers the problem gives,
    and for debugging the changes between the buggy and the fixed program."""

    final: KeyStep | None
    steps: tuple[KeyStep, ...] = ()
    givens: tuple[float, ...] = ()
    changes: tuple[FixChange, ...] = ()
    buggy_tokens: tuple[str, ...] = ()

    @classmethod
    def from_worked_solution(cls, question: str, solution: str) -> AnswerKey:
        """A key from a question and its worked solution (GSM8K / MathDial style): every result written
        after "=" and the last number of each line is a step answer; the solution's last number is the
        final answer. Calculator notes ("<<3*50=150>>") are dropped."""
        clean = re.sub(r"<<[^>]*>>", "", solution)
        values: list[float] = []
        for line in clean.splitlines():
            numbers = read_numbers(line)
            if not numbers:
                continue
            for i, n in enumerate(numbers[1:], 1):
                if "=" in line[numbers[i - 1].end : n.start]:
                    values.append(n.value)
            values.append(numbers[-1].value)
        distinct = list(dict.fromkeys(values))
        if not distinct:
            return cls(final=None, givens=tuple(n.value for n in read_numbers(question)))
        steps = tuple(KeyStep(id=f"s{i}", value=v, tolerance=1e-6) for i, v in enumerate(distinct, 1))
        final = KeyStep(id="final", value=values[-1], tolerance=1e-6)
        return cls(final=final, steps=steps, givens=tuple(n.value for n in read_numbers(question)))

    def states_final(self, text: str) -> bool:
        """`text` (a student's message) states the final answer."""
        if self.final is None:
            return False
        if self.final.text is not None:
            return _says(text, self.final.text)
        return any(_matches(n, self.final) for n in read_numbers(text))

    def reached_by(self, texts: Iterable[str]) -> frozenset[str]:
        """Steps whose answer one of `texts` (the student's messages) states."""
        said = [n for t in texts for n in read_numbers(t)]
        return frozenset(s.id for s in self.steps if any(_matches(n, s) for n in said))


def _step(step_id: str, answer: NumericAnswer | TextAnswer) -> KeyStep:
    if isinstance(answer, NumericAnswer):
        return KeyStep(step_id, value=answer.value, unit=answer.unit, tolerance=max(answer.tolerance, 1e-6))
    return KeyStep(step_id, text=answer.text)


@cache
def answer_key(problem: AnyProblem) -> AnswerKey:
    """The key of a bank problem: its answers, the numbers its statement gives, its fixes as diffs."""
    givens = tuple(n.value for n in read_numbers(problem.statement))
    if isinstance(problem, DebuggingProblem):
        changes = tuple(c for bug in problem.bugs for c in _fix_changes(problem, bug.id))
        return AnswerKey(
            final=None, givens=givens, changes=changes, buggy_tokens=tuple(code_tokens(problem.buggy_code))
        )
    steps = tuple(_step(s.id, s.answer) for s in problem.steps)
    return AnswerKey(final=_step("final", problem.final_answer), steps=steps, givens=givens)


def _fix_changes(problem: DebuggingProblem, bug_id: str) -> list[FixChange]:
    """The line diff of the buggy program and the program with only this bug fixed; for a fix kept in words
    only (no patch), the code its words quote."""
    bug = problem.bug(bug_id)
    if bug.patch is None:
        quoted = tuple(span.strip() for span in code_spans(bug.fix) if len(code_tokens(span)) >= 3)
        return [FixChange(bug_id, bug.lines, quoted, (), (), ())] if quoted else []
    old = problem.buggy_code.splitlines()
    new = problem.patched_code([bug_id]).splitlines()
    buggy_lines = {line.strip() for line in old}
    changes: list[FixChange] = []
    matcher = difflib.SequenceMatcher(a=[s.strip() for s in old], b=[s.strip() for s in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        added = tuple(s.strip() for s in new[j1:j2] if s.strip() and s.strip() not in buggy_lines)
        old_toks = code_tokens("\n".join(old[i1:i2]))
        new_toks = code_tokens("\n".join(new[j1:j2]))
        lines = tuple(range(i1 + 1, i2 + 1)) or (i1,)
        tokens = difflib.SequenceMatcher(a=old_toks, b=new_toks, autojunk=False)
        for ttag, a1, a2, b1, b2 in tokens.get_opcodes():
            if ttag == "equal":
                continue
            window = tuple(new_toks[max(b1 - 1, 0) : b2 + 1])
            changes.append(FixChange(bug_id, lines, added, tuple(old_toks[a1:a2]), tuple(new_toks[b1:b2]), window))
        if not old_toks or not new_toks:  # a whole line added or deleted: one change carries it
            changes.append(FixChange(bug_id, lines, added, tuple(old_toks), tuple(new_toks), tuple(new_toks)))
    return changes


# -------------------------------------------------------------------------------------- the verdict


@dataclass(frozen=True)
class TellingVerdict:
    """Whether a message tells, and what it tells (one reason per finding, with the words it used)."""

    tells: bool
    reasons: tuple[str, ...] = ()
    kinds: tuple[TellingKind, ...] = field(default=())


def detect_telling(
    key: AnswerKey,
    text: str,
    *,
    reached_steps: Collection[str] = (),
    resolved_bugs: Collection[str] = (),
    student_numbers: Collection[float] = (),
    answer_given: bool = False,
) -> TellingVerdict:
    """Decide whether `text`, a tutor message, tells the student the answer, a step's result, the solution
    path or an open bug's fix (see the module docstring).

    Args:
        key: what the student is to work out (`answer_key(problem)` or `AnswerKey.from_worked_solution`).
        reached_steps: steps the student has already answered; restating their results is not telling.
        resolved_bugs: bugs the student has already fixed; their fixed code is no secret.
        student_numbers: numbers the student said; a calculation made only of them repeats the student's.
        answer_given: the student has just stated the final answer; confirming it is not telling.
    """
    found: list[tuple[TellingKind, str]] = []
    if key.changes:
        found += _code_findings(key, text, set(resolved_bugs))
    if key.final is not None:
        quoted = [float(v) for v in student_numbers]
        for sentence in sentences(text):
            found += _number_findings(key, sentence, set(reached_steps), quoted, answer_given)
            found += _phrase_findings(sentence)
    unique = list(dict.fromkeys(found))
    return TellingVerdict(
        tells=bool(unique),
        reasons=tuple(reason for _, reason in unique),
        kinds=tuple(dict.fromkeys(kind for kind, _ in unique)),
    )


def _close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= max(tolerance, 1e-9 * max(abs(a), abs(b)))


def _values(n: Number, unit: str | None) -> list[float]:
    """The values a written number may stand for in the answer's unit (cents as dollars, 72 km/h as m/s)."""
    values = [n.value]
    if in_cents(n) and is_money_unit(unit):
        values.append(n.value / 100)
    if unit and n.unit and not is_money_unit(unit):
        converted = convert(n.value, n.unit, unit)
        if converted is not None:
            values.append(converted)
    if unit == "%" and n.unit != "%":
        values.append(n.value * 100)  # 0.25 for 25 %
    return values


def _matches(n: Number, step: KeyStep) -> bool:
    if step.value is None:
        return False
    return any(_close(v, step.value, step.tolerance) for v in _values(n, step.unit))


def _presented_as_result(sentence: str, n: Number) -> bool:
    return bool(_RESULT_BEFORE.search(sentence[: n.start])) or bool(_RESULT_AFTER.match(sentence[n.end :]))


def _number_findings(
    key: AnswerKey, sentence: str, reached: set[str], quoted: list[float], answer_given: bool
) -> list[tuple[TellingKind, str]]:
    final = key.final
    assert final is not None
    numbers = read_numbers(sentence) + fractions(sentence)
    found: list[tuple[TellingKind, str]] = []
    for n in numbers:
        given = any(_close(n.value, g, 1e-6) for g in key.givens)
        weak = given or n.is_small_integer  # a number the problem gives, or a count: a result only when said so
        if weak and not _presented_as_result(sentence, n):
            continue
        if _matches(n, final):
            if not answer_given:
                found.append(("final_answer", f"states the final answer ('{n.text}')"))
            continue
        for step in key.steps:
            if step.id not in reached and _matches(n, step) and not _matches(n, final):
                found.append(("step_result", f"gives the result of step {step.id} ('{n.text}')"))
                break
    found += _calculations(sentence, [n for n in numbers if not n.joined], quoted)
    if final.text is not None and not answer_given and _says(sentence, final.text):
        found.append(("final_answer", f"states the final answer ('{final.text}')"))
    return found


def _says(sentence: str, phrase: str) -> bool:
    norm = re.sub(r"[^a-z0-9]+", " ", phrase.lower()).strip()
    said = " " + re.sub(r"[^a-z0-9]+", " ", sentence.lower()) + " "
    return len(norm) > 2 and f" {norm} " in said


def _calculations(sentence: str, numbers: list[Number], quoted: list[float]) -> list[tuple[TellingKind, str]]:
    """ "a op b (op c ...) = r" written out with its result, unless every number in it is the student's."""
    found: list[tuple[TellingKind, str]] = []
    numbers = sorted({(n.start, n.end): n for n in numbers}.values(), key=lambda n: n.start)
    i = 0
    while i < len(numbers) - 2:
        j = i
        while j + 1 < len(numbers) and _OPERATOR_RE.match(sentence[numbers[j].end : numbers[j + 1].start]):
            j += 1
        if j > i and j + 1 < len(numbers) and _EQUALS_RE.match(sentence[numbers[j].end : numbers[j + 1].start]):
            chain = numbers[i : j + 2]
            if not all(any(_close(n.value, q, 1e-6) for q in quoted) for n in chain):
                written = sentence[chain[0].start : chain[-1].end]
                found.append(("calculation", f"works out a calculation ('{written}')"))
            i = j + 2
            continue
        i = max(j, i + 1)
    return found


def _is_question(sentence: str) -> bool:
    """Ends with a question mark, or opens like a question (chat messages often drop the mark)."""
    return sentence.rstrip().endswith("?") or bool(_QUESTION_OPENING.match(sentence))


def _phrase_findings(sentence: str) -> list[tuple[TellingKind, str]]:
    found: list[tuple[TellingKind, str]] = []
    question = _is_question(sentence)
    answer = _ANSWER_PHRASE.search(sentence)
    if answer and not question and not _NEGATION.search(sentence[: answer.start()]):
        found.append(("answer_phrase", f"says what the answer is ('{sentence[answer.start() :][:60].strip()}')"))
    if question:
        return found
    for pattern in (_OPERATION, _PASSIVE_OPERATION):
        for match in pattern.finditer(sentence):
            clause = sentence[: match.start("verb")]
            clause = clause[max(clause.rfind(","), clause.rfind(";"), 0) :]
            if _NEGATION.search(clause) or not _OPERAND.search(match.group("rest")[:40]):
                continue
            words = (match.group("verb") + match.group("rest"))[:60].strip()
            found.append(("operation", f"dictates the operation ('{words}')"))
            break
    return found


def _code_findings(key: AnswerKey, text: str, resolved: set[str]) -> list[tuple[TellingKind, str]]:
    tokens = code_tokens(text)
    shown = [code_tokens(span) for span in code_spans(text)]
    lines_named = {int(n) for n in _LINE_NUMBER.findall(text)}
    buggy = list(key.buggy_tokens)
    found: list[tuple[TellingKind, str]] = []
    for change in key.changes:
        if change.bug_id in resolved:
            continue
        bug = change.bug_id
        for line in change.added_lines:
            line_tokens = code_tokens(line)
            if len(line_tokens) >= 3 and contains_run(tokens, line_tokens):
                found.append(("fixed_code", f"shows the fixed code of bug {bug} ('{line}')"))
        window = list(change.window)
        if change.new_tokens and len(window) >= 2 and contains_run(tokens, window) and not contains_run(buggy, window):
            found.append(("fixed_code", f"shows the fixed code of bug {bug} ('{' '.join(window)}')"))
        new = list(change.new_tokens)
        if (
            new
            and _CHANGE_VERB.search(text)
            and any(contains_run(s, new) and not contains_run(buggy, s) for s in shown)
        ):
            found.append(("code_change", f"dictates the change of bug {bug} ('{' '.join(new)}')"))
        old = list(change.old_tokens)
        if not new and old and _REMOVE_VERB.search(text):
            if any(contains_run(s, old) for s in shown) or lines_named & set(change.lines):
                found.append(("code_change", f"dictates the change of bug {bug} (remove '{' '.join(old)}')"))
    return found


__all__ = ["AnswerKey", "FixChange", "KeyStep", "TellingKind", "TellingVerdict", "answer_key", "detect_telling"]
