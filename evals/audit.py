"""The bad-reply audit: rules over each tutor reply, its turn record, its problem and the conversation so far.

    summary = audit_dialogues(dialogues)
    print(render_audit_markdown(summary))

A reply fails a rule when it
(a) `false_praise`: praises or confirms what the assessment says is not a correct answer ("Yes, exactly
    right!" to a wrong number, an empty message or "I don't know"), or says "yes" to a yes/no question
    about the answer's size;
(b) `answers_own_question`: states the result that its own question asks for ("There are 5 weekdays in a
    week. How many weekdays are there in a week?");
(c) `unsupported_number`: states a number that neither the problem (statement, program and tests, and the
    questions, hints and feedback of the steps up to the first one the student has not answered: later
    hints state earlier results), the conversation (the student's and the tutor's earlier messages), the
    turn's scaffold notes, calculations and test runs, nor true arithmetic written out in the reply gave;
    small counts (0-10), ordinals and common conversion constants are allowed. A step's answer the student has
    not given is named as such, and the tutor's having said it before does not make it given;
(d) `off_problem`: names a person, place, object or event that neither the problem, the scaffold nor the
    student mentions (a "party" or "cookies" in a problem about pencils; the tutor's own earlier messages
    do not count, or an invention would be allowed from its second mention on), writes code or talks about
    program lines in a word problem, or quotes code a debugging problem's program does not contain.

The rules grade the tutor, so they share no code with it: nothing here comes from `tutor.guard`, the
tutor's number reader or its answer checker; only the problem schema and the turn record are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from evals.audit_report import (
    RULE_LABELS,
    RULES,
    AuditSummary,
    ReplyAudit,
    RuleHit,
    render_audit_markdown,
    summarize,
)
from evals.audit_text import (
    CODE,
    IDENT,
    WORD,
    known,
    matches,
    numbers_in,
    sentences,
    stem,
    vocabulary,
    written_results,
)
from evals.audit_words import (
    CAPITALISED_OK,
    CONSTANTS,
    DETERMINERS,
    GENERIC,
    MODIFIERS,
    PROGRAMMING,
    STOPWORDS,
)
from student_sim.dialogue import Dialogue
from tutor.problems.schema import AnyProblem, DebuggingProblem, NumericAnswer
from tutor.record import TutorTurn

__all__ = [
    "RULES",
    "RULE_LABELS",
    "AuditSummary",
    "ReplyAudit",
    "RuleHit",
    "audit_dialogue",
    "audit_dialogues",
    "audit_reply",
    "render_audit_markdown",
    "summarize",
]
NOT_CORRECT = frozenset({"incorrect", "partially_correct", "unclear", "none"})


# ---------------------------------------------------------------------------------------------- context


def problem_texts(problem: AnyProblem, steps: int | None = None) -> list[str]:
    """What the problem's author wrote: statement, steps (questions, hints, feedback), program, tests; only
    the first `steps` steps when given (a later step's hints state the earlier steps' results)."""
    texts = [problem.title, problem.statement, " ".join(c.replace("-", " ") for c in problem.concepts)]
    if isinstance(problem, DebuggingProblem):
        texts += [problem.buggy_code, *(f"{t.name} {t.code}" for t in problem.tests)]
        texts += [f"{b.description} line {' '.join(map(str, b.lines))}" for b in problem.bugs]
        return texts
    for step in problem.steps[:steps]:
        texts += [step.question, *step.hints]
        texts += [f"{w.description} {w.feedback}" for w in step.wrong_answers]
        unit = getattr(step.answer, "unit", None)
        texts.append(unit or "")
    return texts


def open_steps(problem: AnyProblem, student_texts: Sequence[str]) -> int:
    """How many steps are open to talk about: those whose answers the student has given, in order, and the
    next one."""
    if isinstance(problem, DebuggingProblem):
        return 0
    said = [n for t in student_texts for n in numbers_in(t)]
    reached = 0
    for step in problem.steps:
        value = getattr(step.answer, "value", None)
        given = any(matches(n, [value]) for n in said) if value is not None else False
        if not given:
            break
        reached += 1
    return min(reached + 1, len(problem.steps))


def step_answers(problem: AnyProblem) -> list[tuple[str, float]]:
    """(step id, value) of every numeric step answer."""
    if isinstance(problem, DebuggingProblem):
        return []
    return [(s.id, float(s.answer.value)) for s in problem.steps if isinstance(s.answer, NumericAnswer)]


@dataclass(frozen=True)
class ReplyContext:
    """What the rules look at: the reply, what the student said, the assessment, and every source of fact."""

    problem: AnyProblem
    reply: str
    student_message: str
    code: str
    label: str
    history: tuple[tuple[str, str], ...]  # (role, text) before this turn's student message
    move_text: str
    computed: tuple[str, ...]  # calculation outputs and test messages of this turn
    solved_before: bool = False  # the student had already solved the problem before this turn

    @property
    def student_texts(self) -> list[str]:
        return [self.student_message, self.code, *(t for r, t in self.history if r == "student")]

    @property
    def conversation(self) -> list[str]:
        return [self.student_message, self.code, *(t for _, t in self.history)]


def context_of(
    turn: TutorTurn, problem: AnyProblem, history: Sequence[tuple[str, str]] = (), code: str = ""
) -> ReplyContext:
    """The context of one reply from its turn record, its problem and the messages before it."""
    computed = [f"{s.stdout or ''} {'' if s.value is None else s.value}" for s in turn.soliloquies if s.ok]
    computed += [t.message for t in turn.tests]
    return ReplyContext(
        problem=problem,
        reply=turn.reply,
        student_message=turn.student_message,
        code=code,
        label=turn.assessment.label,
        history=tuple(history),
        move_text=turn.decision.move_text,
        computed=tuple(computed),
        solved_before=turn.solved and not turn.assessment.solved_problem,
    )


# ---------------------------------------------------------------------------------------------- (a) praise

_PRAISE = re.compile(
    r"\b(exactly right|absolutely right|well done|(?:nice|good|great|excellent) (?:work|job|answer)"
    r"|you(?:'ve| have)? got it|you nailed it|spot on|perfect(?:ly)?|excellent|congratulations|bravo"
    r"|(?:great|wonderful|awesome|fantastic|brilliant)(?=\s*[!,.])"
    r"|(?:that'?s|that is|you'?re|you are|it'?s|it is|answer is|is|are) (?:absolutely |exactly |totally |completely )?"
    r"(?:right|correct))\b",
    re.IGNORECASE,
)
_OPENING_YES = re.compile(r"^\W*(yes|yeah|yep|yup|correct|exactly|right)\b(?!\s+(?:now|away|here|there))", re.I)
_HEDGE = re.compile(r"\b(not|n't|never|if|whether|sure|check|see|almost|nearly|quite)\b\W*\w*\W*$", re.I)
_SIZE_QUESTION = re.compile(
    r"\b(more|less|bigger|smaller|greater|larger|higher|lower|over|under|above|below|between|at least|at most"
    r"|close to|around|about|even|odd|negative|positive|round|digits?)\b[^?]*\?|\bis (it|the (answer|bug))\b[^?]*\?",
    re.IGNORECASE,
)


def _commits_to_answer(ctx: ReplyContext) -> bool:
    """The student's message gives an answer, or gives nothing at all (an empty blank or "?")."""
    text = ctx.student_message.strip()
    return not text.strip("?. ") or bool(numbers_in(text)) or bool(ctx.code.strip())


def false_praise(ctx: ReplyContext) -> list[str]:
    """(a) Praise or confirmation where the assessment says the student's message is not a correct answer."""
    if ctx.label == "correct" or ctx.solved_before:  # praising a solution already reached is no false praise
        return []
    hits: list[str] = []
    for sentence in sentences(ctx.reply):
        if sentence.endswith("?"):
            continue
        for m in _PRAISE.finditer(sentence):
            if not _HEDGE.search(sentence[: m.start()]):
                hits.append(f"says {m.group(0)!r} to a message assessed {ctx.label}: {sentence!r}")
                break
    opening = _OPENING_YES.match(ctx.reply)
    size_question = bool(_SIZE_QUESTION.search(ctx.student_message))
    if opening and not hits and (ctx.label in NOT_CORRECT and _commits_to_answer(ctx) or size_question):
        what = "a yes/no question about the answer" if size_question else f"a message assessed {ctx.label}"
        hits.append(f"opens with {opening.group(1)!r} in reply to {what}: {sentences(ctx.reply)[0]!r}")
    return hits


# ---------------------------------------------------------------------------------------------- (b) own question

_YES_NO = re.compile(r"^\W*(is|are|was|were|does|do|did|can|could|would|will|has|have|should)\b", re.I)
_QUESTION_WORDS = frozenset({"how", "what", "which", "many", "much", "does", "did", "is", "are", "do", "can", "could"})


def _content(text: str) -> set[str]:
    return {
        stem(w)
        for w in WORD.findall(text)
        if w.lower() not in STOPWORDS and w.lower() not in _QUESTION_WORDS and len(w) > 2
    }


def _step_of(question: str, problem: AnyProblem) -> str | None:
    """The step whose question this one rephrases (most of the step question's content words)."""
    if isinstance(problem, DebuggingProblem):
        return None
    asked, numbers = _content(question), numbers_in(question)
    best, best_overlap = None, 0.0
    for step in problem.steps:
        if not all(matches(n, [m.value for m in numbers_in(step.question)]) for n in numbers):
            continue  # the same question about other numbers is an analogy, not a rephrasing
        words = _content(step.question)
        overlap = len(words & asked) / len(words) if words else 0.0
        if overlap > best_overlap:
            best, best_overlap = step.id, overlap
    return best if best_overlap >= 0.6 else None


def _current_step(ctx: ReplyContext) -> str | None:
    """The first step whose answer the student has not given, if any."""
    if isinstance(ctx.problem, DebuggingProblem):
        return None
    n = open_steps(ctx.problem, ctx.student_texts)
    said = [m for t in ctx.student_texts for m in numbers_in(t)]
    step = ctx.problem.steps[n - 1]
    value = getattr(step.answer, "value", None)
    return None if value is not None and any(matches(m, [value]) for m in said) else step.id


def answers_own_question(ctx: ReplyContext) -> list[str]:
    """(b) A statement in the reply gives what a question in the same reply asks for: a new number stated with
    most of the question's words, or the answer of the step the question rephrases."""
    parts = sentences(ctx.reply)
    questions = [s for s in parts if s.endswith("?")]
    statements = [s for s in parts if not s.endswith("?")]
    givens = [n.value for n in numbers_in(ctx.problem.statement)]
    answers = dict(step_answers(ctx.problem))
    hits: list[str] = []
    current = _current_step(ctx)
    for q in questions:
        asked, q_numbers = _content(q), [n.value for n in numbers_in(q)]
        # A question with no words of its own ("What does that make?") works towards the current step.
        step_id = _step_of(q, ctx.problem) or (current if len(asked) < 2 else None)
        for s in statements:
            new = [n for n in numbers_in(s) if not n.ordinal and not matches(n, q_numbers)]
            if not new:
                if _YES_NO.match(q) and len(asked) >= 3 and len(asked & _content(s)) / len(asked) >= 0.8:
                    hits.append(f"states what its yes/no question asks: {s!r} then {q!r}")
                    break
                continue
            if step_id is not None and any(matches(n, [answers[step_id]]) for n in new if step_id in answers):
                hits.append(f"states the answer of step {step_id} ({s!r}) and asks {q!r}")
                break
            shared = asked & _content(s)
            overlap = len(shared) / len(asked) if len(shared) >= 2 else 0.0
            fresh = [n for n in new if not matches(n, givens)]
            # Restating a given before asking is scaffolding; restating it as the result asked for is not.
            if (fresh and overlap >= 0.5) or overlap >= 0.8:
                hits.append(f"states {(fresh or new)[0].text!r} in {s!r} and asks {q!r}")
                break
    return hits


# ---------------------------------------------------------------------------------------------- (c) numbers

_LINE_REF = re.compile(r"\blines? (\d+)", re.IGNORECASE)


def _given_numbers(ctx: ReplyContext) -> tuple[list[float], list[float]]:
    """Numbers the problem, its scaffold, the turn's calculations and the student gave; and those only the
    tutor's earlier messages or the reply's own arithmetic gave (these do not make a hidden answer given)."""
    texts = [*problem_texts(ctx.problem, open_steps(ctx.problem, ctx.student_texts)), *ctx.student_texts]
    texts += [ctx.move_text, *ctx.computed]
    given = [n.value for t in texts for n in numbers_in(t)]
    given += [v * k for v in given for k in (100.0, 0.01)]  # percent <-> fraction, dollars <-> cents
    if isinstance(ctx.problem, DebuggingProblem):
        given += [float(i) for i in range(1, len(ctx.problem.buggy_code.splitlines()) + 1)]
    said = [n.value for r, t in ctx.history if r == "tutor" for n in numbers_in(t)]
    return given, said + written_results(ctx.reply)


def unsupported_numbers(ctx: ReplyContext) -> list[str]:
    """(c) Numbers in the reply that no source gave; a step's answer the student has not given is named as such,
    even when the tutor stated it before."""
    given, said = _given_numbers(ctx)
    reached = [n.value for t in ctx.student_texts for n in numbers_in(t)]
    hidden = [(sid, v) for sid, v in step_answers(ctx.problem) if not any(abs(v - r) < 1e-9 for r in reached)]
    hits: list[str] = []
    for n in numbers_in(ctx.reply):
        small = n.value <= 10 and n.value == int(n.value)
        if n.ordinal or small or n.value in CONSTANTS or matches(n, given):
            continue
        step = next((sid for sid, v in hidden if matches(n, [v])), None)
        if step is not None:
            hits.append(f"states {n.text!r}, the answer of step {step}, which the student has not given")
        elif not matches(n, said):
            hits.append(f"states {n.text!r}, given by neither the problem, the conversation nor a calculation")
    return hits


# ---------------------------------------------------------------------------------------------- (d) off-problem


def _noun_candidates(sentence: str) -> list[str]:
    """The noun after a determiner or a number, past a modifier ("the party", "5 weekdays", "the whole pizza")."""
    words = (
        WORD.findall(sentence)
        if not any(ch.isdigit() for ch in sentence)
        else re.findall(r"[A-Za-z][A-Za-z']*|\d+", sentence)
    )
    out: list[str] = []
    for i, w in enumerate(words[:-1]):
        if w.lower() in DETERMINERS or w.isdigit():
            for nxt in words[i + 1 : i + 3]:
                if nxt.isdigit() or nxt.lower() in STOPWORDS:
                    break
                modifier = nxt.lower().endswith("ly") or nxt.lower() in MODIFIERS
                if not modifier:
                    out.append(nxt)
                    break  # the noun; a word after it is a verb ("the loop completes")
    return out


_STATEMENT = re.compile(r"[=()\[\]+\-*/<>:]")


def _invented_code(ctx: ReplyContext, sources: list[str]) -> str | None:
    """The first code span of a debugging reply that names an identifier the problem and student never use, or
    writes a statement (`best = nums[0]`) that is in neither the program, its fix, its tests nor the student's
    code: invented line contents."""
    problem = ctx.problem
    assert isinstance(problem, DebuggingProblem)
    idents = {i for t in sources for i in IDENT.findall(t)}
    program = "".join(
        [problem.buggy_code, problem.fixed_code or "", *(t.code for t in problem.tests), *sources]
    ).split()
    written = "".join(program)
    for span in CODE.findall(ctx.reply):
        body = span.strip("`").removeprefix("python")
        if not IDENT.search(body):
            continue  # arithmetic in backticks (`1 + 2 = 3`) is no line of code
        if any(i not in idents and i.lower() not in STOPWORDS for i in IDENT.findall(body)):
            return span
        lines = [ln for ln in body.splitlines() if _STATEMENT.search(ln)]
        if any("".join(ln.split()) not in written for ln in lines):
            return span
    return None


def off_problem(ctx: ReplyContext) -> list[str]:
    """(d) Names and things the problem and conversation never mention; code talk on a word problem."""
    debugging = isinstance(ctx.problem, DebuggingProblem)
    # The student's words and the scaffold's, not the tutor's: an invented thing is not made real by repeating it.
    sources = [*problem_texts(ctx.problem), *ctx.student_texts, ctx.move_text, ctx.history[0][1] if ctx.history else ""]
    words_known = vocabulary(sources)
    generic = frozenset(stem(w) for w in (GENERIC | PROGRAMMING if debugging else GENERIC))
    hits: list[str] = []
    prose = CODE.sub(" ", ctx.reply)
    if not debugging:
        code = CODE.search(ctx.reply) or _LINE_REF.search(ctx.reply)
        if code and not any(code.group(0) in t for t in ctx.student_texts):
            hits.append(f"talks about code in a word problem: {code.group(0)!r}")
    else:
        span = _invented_code(ctx, sources)
        if span:
            hits.append(f"quotes code the program does not contain: {span!r}")
    seen: set[str] = set()
    for sentence in sentences(prose):
        words = WORD.findall(sentence)
        names = [w.split("'")[0] for w in words[1:] if w[0].isupper()]
        names = [w for w in names if w not in CAPITALISED_OK]
        for word in [*names, *_noun_candidates(sentence)]:
            s = stem(word)
            if s in seen or word.lower() in STOPWORDS or len(s) < 3 or known(s, words_known) or s in generic:
                continue
            seen.add(s)
            hits.append(f"mentions {word!r}, which neither the problem nor the student mentions")
    return hits


# ---------------------------------------------------------------------------------------------- audit

_CHECKS = {
    "false_praise": false_praise,
    "answers_own_question": answers_own_question,
    "unsupported_number": unsupported_numbers,
    "off_problem": off_problem,
}


def audit_context(ctx: ReplyContext, dialogue_id: str = "", turn_index: int = 0) -> ReplyAudit:
    """Run every rule on one reply."""
    hits = tuple(RuleHit(rule, evidence) for rule, check in _CHECKS.items() for evidence in check(ctx))  # type: ignore[arg-type]
    return ReplyAudit(dialogue_id, turn_index, ctx.problem.id, ctx.student_message, ctx.reply, hits)


def audit_reply(
    turn: TutorTurn,
    problem: AnyProblem,
    history: Sequence[tuple[str, str]] = (),
    *,
    code: str = "",
    dialogue_id: str = "",
    turn_index: int | None = None,
) -> ReplyAudit:
    """Audit one tutor reply from its turn record, its problem and the (role, text) messages before the
    student's message of this turn."""
    ctx = context_of(turn, problem, history, code)
    return audit_context(ctx, dialogue_id, turn.index if turn_index is None else turn_index)


def audit_dialogue(dialogue: Dialogue) -> list[ReplyAudit]:
    """Every tutor reply of a dialogue that carries its turn record (the opening is the scaffold's)."""
    problem = dialogue.problem()
    out: list[ReplyAudit] = []
    for i, dturn in enumerate(dialogue.turns):
        record = dturn.tutor_turn() if dturn.role == "tutor" else None
        if record is None:
            continue
        before = dialogue.turns[:i]
        student = before[-1] if before and before[-1].role == "student" else None
        history = [(t.role, t.text) for t in (before[:-1] if student else before)]
        if student is not None and not record.student_message:  # records built by hand may leave it out
            record = record.model_copy(update={"student_message": student.text})
        out.append(
            audit_reply(
                record,
                problem,
                history,
                code=student.code if student else "",
                dialogue_id=dialogue.id,
                turn_index=dturn.index,
            )
        )
    return out


def audit_dialogues(dialogues: Iterable[Dialogue], examples_per_rule: int = 3) -> AuditSummary:
    """The audit over every tutor reply of these dialogues."""
    return summarize([a for d in dialogues for a in audit_dialogue(d)], examples_per_rule)
