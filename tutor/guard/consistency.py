"""The consistency check: every outgoing reply must agree with the assessment and the problem.

It runs beside the leak guard, on the same draft, with the same regenerate-then-fallback path. A reply fails
when it
- takes the wrong stance: praises or confirms ("yes", "correct", "exactly", "well done") what the assessment
  did not find correct this turn, or answers a yes/no question about the answer's size, range or digits;
- answers its own question: a sentence states a new number (or the result) that a question in the same
  reply asks for;
- repeats the student's message back, or (word problems) states a number that neither the problem, its
  scaffold, the conversation nor the tutor's own calculations give;
- invents: names a person, object, place or event that neither the problem, its scaffold nor the
  conversation mentions (the few-shot examples' "cookies after the party" copied into a problem about
  pencils);
- writes code in a word problem: a code block or inline statement, run in the sandbox when it is a program,
  that computes a step answer the student has not reached is a solution in another form; any other code or
  talk of program lines in a word problem is off the problem;
- invents code in a debugging problem: quotes a statement the program, its tests and the student's code do
  not contain, or points at a line the program does not have.

The checks read the reply's words only; the rules were written against recorded replies of the bundled
model (tests/fixtures/replies).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from tutor.guard.leak import GuardCheck
from tutor.guard.words import ALLOWED_NAMES, COMMON_NOUNS, content_words, noun_after_determiners, stem
from tutor.problems.numbers import extract_numbers
from tutor.problems.schema import AnyProblem, DebuggingProblem
from tutor.sandbox import Limits, Sandbox

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_PRAISE = re.compile(
    r"\b(exactly|correct(?!ly)|well done|(?:nice|good|great|excellent|fantastic) (?:work|job|thinking|answer)"
    r"|you(?:'ve| have)? (?:got|nailed) it|spot on|perfect(?:ly)?|congratulations|bravo|excellent"
    r"|(?:that'?s|that is|you'?re|you are|it'?s|it is|is|are) (?:absolutely |totally |quite )?right)\b",
    re.IGNORECASE,
)
_OPENING_YES = re.compile(r"^\W*(yes|yeah|yep|yup|right|no|nope|correct|exactly|sure)\b(?!\s+(?:now|away|here))", re.I)
_HEDGED = re.compile(
    r"\b(not|n't|never|if|whether|check|see|sure|almost|nearly|quite|yet|make)\b\W*(?:\w+\W*){0,2}$", re.I
)
_SIZE_QUESTION = re.compile(
    r"\b(more|less|bigger|smaller|greater|larger|higher|lower|over|under|above|below|between|at least|at most"
    r"|close to|around|about|even|odd|negative|positive|round|digits?|decimal)\b[^?]*\?"
    r"|\b(is|was) (it|the (answer|result|bug|change|total))\b[^?]*\?",
    re.IGNORECASE,
)
_FENCE = re.compile(r"```(?:[a-zA-Z]+)?\s*\n?(.*?)```", re.DOTALL)
_INLINE = re.compile(r"`([^`\n]+)`")
_STATEMENT = re.compile(r"[=()\[\]]|\b(?:def|for|while|return|print|if)\b")
_LINE_REF = re.compile(r"\blines? (\d+)", re.IGNORECASE)
_CODE_TALK = re.compile(r"\b(lines? of (?:my |your |the )?code|(?:your|my|the) (?:code|program)|python)\b", re.I)
_PRINT_VALUES = (
    "\nimport numbers as _n\n"
    "for _k, _v in list(globals().items()):\n"
    "    if not _k.startswith('_') and isinstance(_v, _n.Number) and not isinstance(_v, bool):\n"
    "        print(_v)\n"
)


def sentences(text: str) -> list[str]:
    """The reply's sentences, code blocks left out."""
    prose = _FENCE.sub(" ", text)
    return [s.strip() for s in _SENTENCE.split(prose) if s.strip()]


@dataclass(frozen=True)
class TurnFacts:
    """What this turn's reply must agree with.

    Attributes:
        label: the assessment's label for this turn's message.
        praise_allowed: this turn's answer is correct, or the problem was solved (confirming it is no lie).
        student_message: this turn's message (a yes/no question about the answer's size is never answered).
        sources: texts whose words the reply may use: the problem, its scaffold, the student's messages, the
            turn's notes (not the tutor's own earlier replies: an invention repeated is still invented).
        unreached: (step id, value) of step answers the student has not given yet.
        student_code: code the student wrote (debugging, or code pasted into a word problem).
        computed: values the tutor's own calculations (soliloquies) produced this turn.
    """

    label: str
    praise_allowed: bool
    student_message: str = ""
    sources: tuple[str, ...] = ()
    unreached: tuple[tuple[str, float], ...] = ()
    student_code: str = ""
    computed: tuple[float, ...] = ()


@dataclass
class ConsistencyCheck:
    """Checks replies for one problem and one turn (see the module docstring)."""

    problem: AnyProblem
    facts: TurnFacts
    sandbox: Sandbox | None = None
    _vocabulary: frozenset[str] = field(init=False, default=frozenset())
    _numbers: frozenset[float] = field(init=False, default=frozenset())
    _code_verdicts: dict[str, list[str]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        texts = [*problem_texts(self.problem), *self.facts.sources]
        self._vocabulary = frozenset(stem(w) for t in texts for w in re.findall(r"[A-Za-z][A-Za-z'-]*", t))
        given = [m.value for t in texts for m in extract_numbers(t)]
        self._numbers = frozenset(round(v, 6) for v in (*given, *self.facts.computed))

    def check(self, text: str) -> GuardCheck:
        """The verdict on a whole draft (everything released so far plus the next piece)."""
        reasons = [*self.stance(text), *self.own_question(text), *self.step_answers(text), *self.invented(text)]
        reasons += self.echo(text)
        if isinstance(self.problem, DebuggingProblem):
            reasons += self.debugging_code(text)
        else:
            reasons += [*self.word_code(text), *self.numbers(text)]
        return GuardCheck(ok=not reasons, reasons=tuple(dict.fromkeys(reasons)))

    # -- stance -------------------------------------------------------------------------------------
    def stance(self, text: str) -> list[str]:
        reasons = []
        size_question = bool(_SIZE_QUESTION.search(self.facts.student_message))
        opening = _OPENING_YES.match(text)
        if opening and size_question:
            reasons.append(f"answers a yes/no question about the answer with '{opening.group(1)}'")
        if self.facts.praise_allowed:
            return reasons
        if opening and opening.group(1).lower() in {"yes", "yeah", "yep", "yup", "right", "correct", "exactly"}:
            reasons.append(f"says '{opening.group(1)}' although the student's answer is not correct")
            return reasons
        for sentence in sentences(text):
            if sentence.endswith("?"):
                continue
            for match in _PRAISE.finditer(sentence):
                if not _HEDGED.search(sentence[: match.start()]):
                    reasons.append(f"says '{match.group(0)}' although the student's answer is not correct")
                    return reasons
        return reasons

    # -- own question -------------------------------------------------------------------------------
    def own_question(self, text: str) -> list[str]:
        parts = sentences(text)
        questions = [s for s in parts if s.endswith("?")]
        statements = [s for s in parts if not s.endswith("?")]
        givens = {round(m.value, 6) for m in extract_numbers(self.problem.statement)}
        for question in questions:
            asked = content_words(question)
            asked_numbers = {round(m.value, 6) for m in extract_numbers(question)}
            for statement in statements:
                new = [m for m in extract_numbers(statement) if round(m.value, 6) not in asked_numbers]
                shared = asked & content_words(statement)
                overlap = len(shared) / len(asked) if asked else 0.0
                fresh = [m for m in new if round(m.value, 6) not in givens]
                if new and ((fresh and len(shared) >= 2 and overlap >= 0.5) or overlap >= 0.8):
                    return [f"answers its own question: it says '{statement}' and then asks '{question}'"]
                if not new and len(asked) >= 3 and overlap >= 0.8 and question.split()[0].lower() in _YES_NO:
                    return [f"answers its own question: it says '{statement}' and then asks '{question}'"]
        return []

    def step_answers(self, text: str) -> list[str]:
        """A step answer the student has not reached, stated in prose: the reply works the step for them. A
        quantity the problem or the notes give is no step answer unless it is written as a result ("= 3")."""
        given = {round(m.value, 6) for t in (self.problem.statement, *self.facts.sources) for m in extract_numbers(t)}
        prose = _FENCE.sub(" ", text)
        for mention in extract_numbers(prose):
            as_result = prose[: mention.start].rstrip().endswith("=")
            if round(mention.value, 6) in given and not as_result:
                continue
            for sid, value in self.facts.unreached:
                if abs(mention.value - value) <= max(1e-6, 1e-4 * abs(value)):
                    return [f"states '{mention.text}', the answer of step {sid}, which the student has not reached"]
        return []

    def echo(self, text: str) -> list[str]:
        """A sentence that only repeats the student's message ("Good question. What did you have for lunch?")."""
        said = _normalized(self.facts.student_message)
        own = [_normalized(sentence) for sentence in sentences(text)]
        if len(said.split()) >= 2 and said in own:
            return [f"repeats the student's message '{_short(self.facts.student_message)}' back to them"]
        repeated = [s for n, s in enumerate(own) if len(s.split()) >= 3 and s in own[:n]]
        if repeated:  # "Let's come back to our problem now. I understand ... Let's come back to our problem now."
            return [f"says '{repeated[0]}' twice"]
        return []

    def numbers(self, text: str) -> list[str]:
        """A number in a word problem's reply must come from the problem, its scaffold, the conversation or a
        calculation the tutor ran: a small model's own arithmetic is often wrong ("the average speed for the
        whole trip is 10 km/h" where it is 102.9)."""
        prose = _INLINE.sub(" ", _FENCE.sub(" ", text))
        for mention in extract_numbers(prose):
            value = round(mention.value, 6)
            if value in self._numbers or (value.is_integer() and 0 <= value <= 2):
                continue
            return [f"states '{mention.text}', a number neither the problem nor the conversation gives"]
        return []

    # -- invented content ---------------------------------------------------------------------------
    def invented(self, text: str) -> list[str]:
        found: list[str] = []
        prose = _INLINE.sub(" ", _FENCE.sub(" ", text))
        for sentence in sentences(prose):
            words = re.findall(r"[A-Za-z][A-Za-z'-]*", sentence)
            names = [w.split("'")[0] for w in words[1:] if w[0].isupper() and w not in ALLOWED_NAMES]
            for word in [*names, *noun_after_determiners(sentence)]:
                key = stem(word)
                if len(key) < 3 or key in self._vocabulary or key in _COMMON or word in found:
                    continue
                found.append(word)
        return [f"mentions '{w}', which neither the problem nor the conversation mentions" for w in found[:3]]

    # -- code ---------------------------------------------------------------------------------------
    def word_code(self, text: str) -> list[str]:
        """Code in a math or physics reply: run it; one that computes an unreached step answer is a leak."""
        blocks = [b for b in _FENCE.findall(text) if b.strip()]
        blocks += [s for s in _INLINE.findall(_FENCE.sub(" ", text)) if _STATEMENT.search(s) and "=" in s]
        reasons: list[str] = []
        for block in blocks:
            if self.facts.student_code and block.strip() in self.facts.student_code:
                continue
            reasons += self._computes_unreached(block) or [f"writes code in a word problem ('{_short(block)}')"]
        prose = _FENCE.sub(" ", text)
        line = _LINE_REF.search(prose) or _CODE_TALK.search(prose)
        if line and not self.facts.student_code:
            reasons.append(f"talks about program lines in a word problem ('{line.group(0)}')")
        return reasons

    def _computes_unreached(self, code: str) -> list[str]:
        if code in self._code_verdicts:
            return self._code_verdicts[code]
        values = [m.value for m in extract_numbers(code)]
        if self.sandbox is not None:
            result = self.sandbox.run(code + _PRINT_VALUES, limits=Limits())
            values += [m.value for m in extract_numbers(result.stdout)]
        hits = [
            f"writes code that computes the answer of step {sid} ({value:g}), which the student has not reached"
            for sid, value in self.facts.unreached
            if any(abs(v - value) <= max(1e-6, 1e-4 * abs(value)) for v in values)
        ]
        self._code_verdicts[code] = hits[:1]
        return hits[:1]

    def debugging_code(self, text: str) -> list[str]:
        """Debugging talk stays on the student's program: quoted code it contains, lines it has."""
        problem = self.problem
        assert isinstance(problem, DebuggingProblem)
        program = "\n".join(
            [problem.buggy_code, self.facts.student_code, *(f"{t.name} {t.code}" for t in problem.tests)]
        )
        squeezed = _squeeze(program)
        reasons = []
        spans = [*_FENCE.findall(text), *_INLINE.findall(_FENCE.sub(" ", text))]
        known = set(_IDENT.findall(program + "\n" + self.facts.student_message)) | _BUILTINS
        for span in spans:
            unknown = [i for i in _IDENT.findall(span) if i not in known]
            if unknown:
                reasons.append(f"names '{unknown[0]}', which the student's program does not contain")
                break
            lines = [ln for ln in span.splitlines() if ln.strip() and _STATEMENT.search(ln)]
            if any(_squeeze(ln) not in squeezed for ln in lines):
                reasons.append(f"quotes code the student's program does not contain ('{_short(span)}')")
                break
        count = len(problem.buggy_code.splitlines())
        for match in _LINE_REF.finditer(text):
            if not 1 <= int(match.group(1)) <= count:
                reasons.append(f"points at {match.group(0)}, which the program does not have")
                break
        return reasons


_IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
_BUILTINS = frozenset(
    "print len range int float str list dict set sum min max abs round True False None and or not in is for if "
    "else elif while return def import from as".split()
)
_COMMON = frozenset(stem(w) for w in COMMON_NOUNS)
_YES_NO = {"is", "are", "was", "were", "does", "do", "did", "can", "could", "would", "will", "has", "have", "should"}


def problem_texts(problem: AnyProblem) -> list[str]:
    """What the problem's author wrote: statement, title, concepts, the scaffold; the program and tests."""
    texts = [problem.title, problem.statement, *(c.replace("-", " ") for c in problem.concepts)]
    if isinstance(problem, DebuggingProblem):
        texts += [problem.buggy_code, *(f"{t.name} {t.code}" for t in problem.tests)]
        return texts + [b.description for b in problem.bugs]
    for step in problem.steps:
        texts += [step.question, *step.hints, *(f"{w.description} {w.feedback}" for w in step.wrong_answers)]
        texts.append(getattr(step.answer, "unit", None) or "")
    return texts


def unreached_steps(problem: AnyProblem, student_texts: Iterable[str]) -> tuple[tuple[str, float], ...]:
    """(step id, value) of the numeric step answers the student has not given in any message."""
    if isinstance(problem, DebuggingProblem):
        return ()
    said = [m.value for t in student_texts for m in extract_numbers(t)]
    out = []
    for step in problem.steps:
        value = getattr(step.answer, "value", None)
        if value is None:
            continue
        if not any(abs(v - value) <= max(1e-6, 1e-4 * abs(value)) for v in said):
            out.append((step.id, float(value)))
    return tuple(out)


def _normalized(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def _squeeze(code: str) -> str:
    return re.sub(r"\s+", "", code)


def _short(text: str) -> str:
    one = " ".join(text.split())
    return one if len(one) <= 60 else one[:57] + "..."
