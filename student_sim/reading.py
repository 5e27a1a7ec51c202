"""How the simulated student reads a tutor message: from the words alone.

A real student never sees the tutor's labels, plan or assessment, so neither does the simulation. What a
message is about and what it teaches is read from its text, by matching it against the problem's own
material for each step or bug:

* **Focus** (which step or bug the message is about): word overlap with each step's question, hints and
  feedback (for a bug: its line numbers, the code on its lines and its description). Nothing recognisable
  -> the student stays on what it was doing (the step it got wrong, else the first it has not done).
* **Help** on the focus: `hint` when the message carries one cue of how to do it (most of a hint's
  content words, the misconception's feedback, or an operation word with two of the step's numbers;
  for a bug, its line or the code on it or the idea of its description), `teach` when it carries two or
  more. Praise, encouragement and bare questions carry none, whatever the tutor called its move.
* **Misconception** addressed: the feedback authored for one of the step's wrong answers, restated.
* **Asks**: for debugging, whether the message asks to explain (`understand`) or to change code (`fix`).

Besides the words, the student sees only its own screen (`Screen`: the test results of its own program).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from tutor.problems.schema import AnyProblem, Bug, DebuggingProblem, Step

Help = Literal["none", "hint", "teach"]
Asks = Literal["understand", "fix"]

# Words that carry no content about a step: they appear in praise, filler and any question alike.
_STOP = frozenset(
    """
    a about above after again all also am an and any are as at be been before being both but by can could
    did do does doing done each else even every few for from get gets got had has have having he her here
    him his how i if in into is it its itself just let lets let's like look make many may me might more most
    much must my no nor not now of off on once one only or other our out over own really right same say see
    she should so some such than that the their them then there these they thing think this those through
    to too try under until up us very was way we well were what when where which while who why will with
    would yes you your yours again answer answers question questions problem step steps good great nice
    job work working keep going let's close almost sure okay ok idea ideas next first last number numbers
    value values exactly correct wrong careful check help need want know tell find found give given use
    """.split()
)
_OPERATION_WORDS = frozenset(
    """
    add adding added plus sum total altogether combine combined subtract subtracting minus difference take
    away left remain remaining less multiply multiplying multiplied times product double triple divide
    dividing divided split share shared per each every half quarter rate ratio percent percentage convert
    square root average mean
    """.split()
)
_FIX_WORDS = re.compile(r"\b(change|changing|fix|edit|modify|rewrite|replace|update your code|run the tests)\b", re.I)
_EXPLAIN_WORDS = re.compile(
    r"\b(why|explain|what does|what do you think|what happens|what value|trace|tracing|expect|step through)\b", re.I
)
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)*(?:\.\d+)?")
_LINE_REF = re.compile(r"\blines?\s+(\d+(?:\s*(?:,|and|-|to)\s*\d+)*)", re.I)
_WORD = re.compile(r"[a-z][a-z']+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")

HINT_MATCH = 0.5  # share of a hint's (or feedback's) content words a message must restate to carry it
FOCUS_MIN = 2  # content words (or numbers) a message must share with a step to be about it


@dataclass(frozen=True)
class Screen:
    """What the student's own screen shows besides the tutor's words (debugging: its program's tests)."""

    failing_tests: tuple[str, ...] = ()
    all_passed: bool = False


@dataclass(frozen=True)
class Reading:
    """What the student takes from one tutor message."""

    text: str
    focus: str | None = None
    asks: Asks | None = None
    help: Help = "none"
    misconception: str | None = None

    @property
    def helps(self) -> bool:
        return self.help != "none"

    @property
    def teaches(self) -> bool:
        return self.help == "teach"


def _stem(word: str) -> str:
    """A crude stem (plural -s, -ing, -ed), enough to match "pencils" with "pencil"."""
    word = word.strip("'")
    for suffix in ("ing", "ed", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


_OPERATIONS = frozenset(_stem(w) for w in _OPERATION_WORDS)


def content_words(text: str) -> set[str]:
    """Stemmed words of `text` that say something about a problem (not praise or filler)."""
    return {_stem(w) for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOP}


def numbers_in(text: str) -> set[float]:
    values = set()
    for raw in _NUMBER.findall(text.replace("$", " ")):
        try:
            values.add(round(float(raw.replace(",", "")), 6))
        except ValueError:
            continue
    return values


def _share(needle: set[str], haystack: set[str]) -> float:
    return len(needle & haystack) / len(needle) if needle else 0.0


class MessageReader:
    """Reads tutor messages for one problem (the problem's material is indexed once)."""

    def __init__(self, problem: AnyProblem) -> None:
        self.problem = problem
        self._statement_words = content_words(problem.statement)

    def read(self, text: str, *, current: str | None, done: Iterable[str] = ()) -> Reading:
        """What `text` is about and teaches.

        Args:
            text: the tutor's message.
            current: the step or bug the student was working on (kept when the message names none).
            done: steps or bugs the student has already got right (a message about both a done and an
                open step is read as moving on).
        """
        if isinstance(self.problem, DebuggingProblem):
            return self._read_debugging(text, self.problem, current)
        return self._read_steps(text, self.problem.steps, current, frozenset(done))

    # -- math and physics ---------------------------------------------------------------------------
    def _read_steps(self, text: str, steps: Iterable[Step], current: str | None, done: frozenset[str]) -> Reading:
        words, numbers = content_words(text), numbers_in(text)
        scored = [(self._step_overlap(step, words, numbers), step) for step in steps]
        # Ties go to the step the student has not done yet (max keeps the first of equals).
        best_score, best = max(scored, key=lambda item: (item[0], item[1].id not in done))
        step = best if best_score >= FOCUS_MIN else next((s for _, s in scored if s.id == current), None)
        if step is None:
            return Reading(text=text, focus=current)
        cues = 0
        if any(_share(self._distinctive(hint), words) >= HINT_MATCH for hint in step.hints):
            cues += 1
        misconception = None
        for wrong in step.wrong_answers:
            if _share(self._distinctive(wrong.feedback), words) >= HINT_MATCH:
                misconception = wrong.misconception
                cues += 1
                break
        # Naming the operation together with the numbers it combines is a cue by itself.
        if len(self._operands(step) & numbers) >= 2 and words & _OPERATIONS:
            cues += 1
        help_: Help = "none" if cues == 0 else "hint" if cues == 1 else "teach"
        return Reading(text=text, focus=step.id, help=help_, misconception=misconception)

    def _distinctive(self, text: str) -> set[str]:
        """The words a hint adds to the problem: naming the pencils again is not restating a hint about them."""
        words = content_words(text)
        return (words - self._statement_words) or words

    def _step_overlap(self, step: Step, words: set[str], numbers: set[float]) -> int:
        material = content_words(" ".join([step.question, *step.hints, *(w.feedback for w in step.wrong_answers)]))
        return len(words & material) + len(numbers & self._operands(step))

    def _operands(self, step: Step) -> set[float]:
        """Numbers a hint about this step would mention: those in its question, hints and program."""
        found = numbers_in(" ".join([step.question, *step.hints, step.program or ""]))
        return {n for n in found if n not in (0.0, 1.0)}

    # -- debugging ----------------------------------------------------------------------------------
    def _read_debugging(self, text: str, problem: DebuggingProblem, current: str | None) -> Reading:
        lines = _line_refs(text)
        idents = set(_IDENT.findall(text))
        words = content_words(text)
        cues_by_bug = {bug.id: self._bug_cues(problem, bug, lines, idents, text, words) for bug in problem.bugs}
        best = max(problem.bugs, key=lambda bug: cues_by_bug[bug.id])
        focus = best.id if cues_by_bug[best.id] > 0 else current
        asks: Asks | None = None
        if _FIX_WORDS.search(text):
            asks = "fix"
        elif _EXPLAIN_WORDS.search(text):
            asks = "understand"
        cues = cues_by_bug.get(focus, 0) if focus else 0
        help_: Help = "none" if cues == 0 else "hint" if cues == 1 else "teach"
        return Reading(text=text, focus=focus, asks=asks, help=help_)

    @staticmethod
    def _bug_cues(
        problem: DebuggingProblem, bug: Bug, lines: set[int], idents: set[str], text: str, words: set[str]
    ) -> int:
        cues = 0
        if lines & set(bug.lines):
            cues += 1
        code_lines = problem.buggy_code.splitlines()
        on_bug = [code_lines[n - 1].strip() for n in bug.lines if 0 < n <= len(code_lines)]
        if any(len(code) >= 4 and code in text for code in on_bug):
            cues += 1
        elif not lines:
            # Naming a variable of the buggy line counts only with the idea around it, not alone.
            names = {name for code in on_bug for name in _IDENT.findall(code)} - _PY_KEYWORDS
            if names & idents and _share(content_words(bug.description), words) >= 0.25:
                cues += 1
        if _share(content_words(bug.description), words) >= HINT_MATCH:
            cues += 1
        return cues


_PY_KEYWORDS = frozenset({"def", "return", "for", "in", "if", "else", "while", "and", "or", "not", "is", "None"})


def _line_refs(text: str) -> set[int]:
    refs: set[int] = set()
    for group in _LINE_REF.findall(text):
        numbers = [int(n) for n in re.findall(r"\d+", group)]
        if re.search(r"-|to", group) and len(numbers) == 2 and numbers[0] <= numbers[1] <= numbers[0] + 20:
            refs.update(range(numbers[0], numbers[1] + 1))
        else:
            refs.update(numbers)
    return refs


__all__ = ["MessageReader", "Reading", "Screen", "content_words", "numbers_in"]
