"""Pedagogy metrics of one dialogue, computed from its stored record without calling a model.

    score = score_dialogue(dialogue, variant="socratic")

Success and telling are decided from the text, not taken from the dialogue's own outcome:

* Success at student turn k: the student's message states the final answer (`check_answer` says
  correct), or, for debugging, the program the student submitted with it passes every test (the test
  run executed by the tutor's assessment).
* Telling at k: the telling detector (`student_sim.telling`, which shares no code with the tutor's leak guard)
  finds that a tutor message after k student turns tells the final answer, the result of a step the
  student has not given, the operation of a step as an instruction, or an open bug's fix (fixed code, or
  the change dictated) before the student stated the answer. It applies to every variant alike, so the
  assist baseline, whose guard is off, shows its telling here. The guard's own verdict on the same message
  (`LeakGuard(problem, check_numbers=False)`) is kept beside it as data (`guard_tells`,
  `guard_telling_turn`), never as the metric: the guard filtered the reply it would be grading.
* Numbers: every number a tutor message states (the counting words 0..10 aside) is either quoted from
  the student (not checked), or checked: correct when it is a value of the answer key (givens, step
  questions, hints, step and final answers in any compatible unit), a result of code the tutor executed
  (soliloquies, test runs), or the true result of arithmetic written out in the message ("7 x 0.40 =
  2.80" is evaluated); wrong otherwise, and always wrong as the result of false arithmetic.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from evals.labels import JudgeLabels
from evals.scores import DialogueScore, TurnScore
from student_sim.checks import student_stated_solution
from student_sim.cognition import CognitiveModel
from student_sim.dialogue import Dialogue, DialogueTurn
from student_sim.state import StudentTurn
from student_sim.telling import answer_key, detect_telling
from student_sim.telling_text import read_numbers
from tutor.guard.leak import LeakGuard
from tutor.problems.answers import extract_numbers, mentions_answer
from tutor.problems.numbers import NumberMention
from tutor.problems.schema import AnyProblem, DebuggingProblem, NumericAnswer
from tutor.record import TestOutcome, TutorTurn

_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
_OPERATORS = {
    "+": "+",
    "plus": "+",
    "-": "-",
    "−": "-",
    "minus": "-",
    "*": "*",
    "x": "*",
    "×": "*",
    "·": "*",
    "times": "*",
    "multiplied by": "*",
    "/": "/",
    "÷": "/",
    "divided by": "/",
    "over": "/",
}
_OPERATOR = re.compile(
    r"^\s*(" + "|".join(re.escape(o) for o in sorted(_OPERATORS, key=len, reverse=True)) + r")\s*$", re.I
)
_EQUALS = re.compile(r"^\s*(?:=|equals?|is|are|makes?|gives?|comes\s+to)\s*$", re.I)
_LINE_REF = re.compile(r"(?i)\blines?\s+(\d+)")
_WS = re.compile(r"\s+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BUILTINS = frozenset(dir(builtins))


# ------------------------------------------------------------------------------------- single turns


def asks_question(text: str) -> bool:
    """The message asks the student something: a question mark outside code."""
    return "?" in _CODE.sub(" ", text)


def telling_check(
    problem: AnyProblem,
    text: str,
    resolved_bugs: Iterable[str] = (),
    *,
    student_said: Sequence[str] = (),
) -> tuple[bool, list[str]]:
    """(tells, reasons): does `text` tell the student what they were to work out? The detector's verdict
    (`student_sim.telling.detect_telling`); `student_said` are the student's messages so far (the steps they
    answered and the numbers they gave are theirs, not told)."""
    key = answer_key(problem)
    numbers = [n.value for t in student_said for n in read_numbers(t)]
    verdict = detect_telling(
        key,
        text,
        reached_steps=key.reached_by(student_said),
        resolved_bugs=frozenset(resolved_bugs),
        student_numbers=numbers,
    )
    return verdict.tells, list(verdict.reasons)


def guard_check(problem: AnyProblem, text: str, resolved_bugs: Iterable[str] = ()) -> tuple[bool, list[str]]:
    """(flags, reasons): the tutor's own leak guard on `text` (answer and fix checks, numbers aside). Kept in
    the record as data; Telling@k does not use it."""
    check = LeakGuard(problem, check_numbers=False, resolved_bugs=frozenset(resolved_bugs)).check(text)
    return not check.ok, list(check.reasons)


def tests_all_pass(tests: Sequence[TestOutcome]) -> bool:
    return bool(tests) and all(t.status == "passed" for t in tests)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _decimals(text: str) -> int:
    digits = re.search(r"\d[\d,]*(?:\.(\d+))?", text)
    return len(digits.group(1)) if digits and digits.group(1) else 0


def arithmetic_claims(text: str, mentions: Sequence[NumberMention] | None = None) -> dict[int, bool]:
    """Results of arithmetic written out in `text` ("a op b = c"), by the index of c's mention: True when
    evaluating `a op b` gives c to the precision c is written with."""
    mentions = list(extract_numbers(text)) if mentions is None else list(mentions)
    verdicts: dict[int, bool] = {}
    for i in range(len(mentions) - 2):
        a, b, c = mentions[i], mentions[i + 1], mentions[i + 2]
        op = _OPERATOR.match(text[a.end : b.start])
        if op is None or _EQUALS.match(text[b.end : c.start]) is None:
            continue
        symbol = _OPERATORS[op.group(1).lower()]
        if symbol == "/" and b.value == 0:
            verdicts[i + 2] = False
            continue
        result = {"+": a.value + b.value, "-": a.value - b.value, "*": a.value * b.value}.get(symbol)
        if result is None:
            result = a.value / b.value
        tolerance = max(0.5 * 10 ** -_decimals(c.text), 1e-9 * abs(c.value))
        verdicts[i + 2] = abs(result - c.value) <= tolerance
    return verdicts


def answer_key_values(problem: AnyProblem) -> list[float]:
    """The numbers the answer key backs: givens, step questions, hints, answers; for debugging, every
    number in the programs and tests, and the bugs' line numbers."""
    texts = [problem.statement]
    values: list[float] = []
    if isinstance(problem, DebuggingProblem):
        texts += [problem.buggy_code, problem.fixed_code or "", *(t.code for t in problem.tests)]
        values += [float(n) for b in problem.bugs for n in b.lines]
    else:
        for step in problem.steps:
            texts += [step.question, *step.hints]
            if isinstance(step.answer, NumericAnswer):
                values.append(step.answer.value)
        if isinstance(problem.final_answer, NumericAnswer):
            values.append(problem.final_answer.value)
    return values + [m.value for t in texts for m in extract_numbers(t)]


@dataclass(frozen=True)
class NumberCheck:
    """The numbers of one tutor message, sorted into quoted, correct and wrong."""

    stated: int
    quoted: int
    correct: int
    wrong: tuple[str, ...]


def check_numbers(
    text: str, problem: AnyProblem, *, executed: Iterable[float] = (), quoted: Iterable[float] = ()
) -> NumberCheck:
    """Check every number `text` states (see the module docstring).

    Args:
        executed: results of code the tutor ran so far (soliloquy values, numbers in test output).
        quoted: numbers the student said so far.
    """
    mentions = list(extract_numbers(text))
    claims = arithmetic_claims(text, mentions)
    key = answer_key_values(problem)
    ran = list(executed)
    said = list(quoted)
    answers: list[NumericAnswer] = []
    if not isinstance(problem, DebuggingProblem):
        answers = [s.answer for s in problem.steps if isinstance(s.answer, NumericAnswer)]
    in_answer_units = {(m.start, m.end) for a in answers for m in mentions_answer(text, a)}
    stated = n_quoted = correct = 0
    wrong: list[str] = []
    for i, m in enumerate(mentions):
        if i in claims:
            stated += 1
            if claims[i]:
                correct += 1
            else:
                wrong.append(m.text)
            continue
        if m.value.is_integer() and 0 <= m.value <= 10:
            continue  # counting words ("one step", "two things") are not calculations
        stated += 1
        backed = (m.start, m.end) in in_answer_units or any(_close(m.value, v) for v in [*key, *ran])
        if backed:
            correct += 1
        elif any(_close(m.value, v) for v in said):
            n_quoted += 1
        else:
            wrong.append(m.text)
    return NumberCheck(stated=stated, quoted=n_quoted, correct=correct, wrong=tuple(wrong))


def _squeeze(code: str) -> str:
    return _WS.sub("", code)


def _identifiers(line: str) -> set[str]:
    return {w for w in _IDENT.findall(line) if len(w) >= 3 and not keyword.iskeyword(w) and w not in _BUILTINS}


def refers_to_bug(text: str, problem: DebuggingProblem, bug_ids: Iterable[str]) -> bool:
    """The message points at one of these bugs: its line ("line 4"), its buggy code, or a name (variable,
    function) used on its lines."""
    wanted = set(bug_ids)
    lines = {int(n) for n in _LINE_REF.findall(text)}
    squeezed = _squeeze(text)
    words = set(_IDENT.findall(_CODE.sub(lambda m: " " + m.group(0).strip("`") + " ", text)))
    code_lines = problem.buggy_code.splitlines()
    for bug in problem.bugs:
        if bug.id not in wanted:
            continue
        if lines & set(bug.lines):
            return True
        snippet = _squeeze(bug.patch.find) if bug.patch is not None else ""  # a fix kept in words has no snippet
        if len(snippet) >= 3 and snippet in squeezed:
            return True
        names = set().union(*(_identifiers(code_lines[n - 1]) for n in bug.lines if 0 < n <= len(code_lines)))
        if names & words:
            return True
    return False


# ------------------------------------------------------------------------------------ the dialogue


@dataclass(frozen=True)
class JudgedTurn:
    """A judge's verdict on one tutor message (from the run's judge cache)."""

    labels: JudgeLabels | None
    error: str = ""


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _mastery(dialogue: Dialogue, problem: AnyProblem, students: list[StudentTurn]) -> tuple[float | None, float | None]:
    """The simulated student's mean mastery before and after (None without student records)."""
    if not students:
        return None, None
    profile = dialogue.profile()
    before = CognitiveModel(problem, profile).initial_state(dialogue.provenance.seed).mastery
    after = dict(before)
    for turn in students:
        for concept, gain in turn.learned.items():
            after[concept] = min(1.0, after.get(concept, profile.mastery_of(concept)) + gain)
    start = {c: before.get(c, profile.mastery_of(c)) for c in after}
    return _mean(list(start.values())), _mean(list(after.values()))


def _misconceptions(
    students: list[tuple[int, StudentTurn | None]], assessments: dict[int, TutorTurn]
) -> tuple[list[str], list[str]]:
    """Misconceptions the student showed, and those later followed by a right answer on the same node.

    The simulated student's own record says what it meant (its intent); without one, the tutor's
    assessment of the message stands in.
    """
    events: list[tuple[str | None, str | None, bool]] = []  # (node, misconception, right)
    for k, record in students:
        if record is not None:
            intent = record.intent
            right = intent.correct is True and intent.kind in ("answer", "explain", "fix")
            events.append((intent.node_ref, intent.misconception, right))
        elif k in assessments:
            a = assessments[k].assessment
            events.append((a.node_id, a.misconception, a.label == "correct"))
    shown: list[str] = []
    resolved: list[str] = []
    for node, slug, _ in events:
        if slug is None or slug in shown:
            continue
        shown.append(slug)
        last = max(j for j, e in enumerate(events) if e[1] == slug)
        if any(n == node and right for n, _, right in events[last + 1 :]):
            resolved.append(slug)
    return shown, resolved


@dataclass
class _Walk:
    """What scoring has seen so far, walking a dialogue's messages in order."""

    problem: AnyProblem
    judged: Mapping[int, JudgedTurn]
    k: int = 0  # student turns so far
    resolved: set[str] = field(default_factory=set)
    executed: list[float] = field(default_factory=list)  # numbers the tutor's code or tests produced
    quoted: list[float] = field(default_factory=list)  # numbers the student wrote
    said: list[str] = field(default_factory=list)
    students: list[tuple[int, StudentTurn | None]] = field(default_factory=list)
    tutor_records: dict[int, TutorTurn] = field(default_factory=dict)
    last_tests: list[TestOutcome] | None = None
    success_turn: int | None = None
    telling_turn: int | None = None
    guard_turn: int | None = None
    reveal_allowed: bool = False
    turns: list[TurnScore] = field(default_factory=list)

    @property
    def debugging(self) -> bool:
        return isinstance(self.problem, DebuggingProblem)

    def student(self, turn: DialogueTurn) -> None:
        self.k += 1
        self.quoted += [m.value for m in extract_numbers(turn.text)]
        self.said.append(turn.text)
        self.students.append((self.k, turn.student_turn()))
        if not self.debugging and self.success_turn is None and student_stated_solution(turn.text, self.problem):
            self.success_turn = self.k

    def tutor(self, turn: DialogueTurn) -> None:
        record = turn.tutor_turn()
        if record is not None:
            self._record(record)
        tells, reasons = telling_check(self.problem, turn.text, self.resolved, student_said=self.said)
        guard_tells, guard_reasons = guard_check(self.problem, turn.text, self.resolved)
        if not self.debugging and self.success_turn is not None:
            # confirming what the student already said is not telling
            tells, reasons, guard_tells, guard_reasons = False, [], False, []
        if tells and self.telling_turn is None:
            self.telling_turn = self.k
            self.reveal_allowed = bool(record and record.leak.reveal_allowed)
        if guard_tells and self.guard_turn is None:
            self.guard_turn = self.k
        self.turns.append(self._turn_score(turn, tells, reasons, guard_tells, guard_reasons))

    def _record(self, record: TutorTurn) -> None:
        self.tutor_records[self.k] = record
        self.resolved |= set(record.resolved_bugs)
        self.executed += [s.value for s in record.soliloquies if s.ok and s.value is not None]
        self.executed += [m.value for t in record.tests for m in extract_numbers(t.message)]
        if record.tests:
            self.last_tests = list(record.tests)
            if self.debugging and self.success_turn is None and tests_all_pass(record.tests):
                self.success_turn = self.k

    def _turn_score(
        self, turn: DialogueTurn, tells: bool, reasons: list[str], guard_tells: bool, guard_reasons: list[str]
    ) -> TurnScore:
        numbers = check_numbers(turn.text, self.problem, executed=self.executed, quoted=self.quoted)
        targets = states_fix = None
        if isinstance(self.problem, DebuggingProblem):
            states_fix = tells
            open_bugs = [b.id for b in self.problem.bugs if b.id not in self.resolved]
            if open_bugs:
                targets = refers_to_bug(turn.text, self.problem, open_bugs)
        verdict = self.judged.get(turn.index)
        return TurnScore(
            index=turn.index,
            k=self.k,
            asks_question=asks_question(turn.text),
            tells=tells,
            tell_reasons=reasons,
            guard_tells=guard_tells,
            guard_reasons=guard_reasons,
            numbers_stated=numbers.stated,
            numbers_quoted=numbers.quoted,
            numbers_correct=numbers.correct,
            numbers_wrong=list(numbers.wrong),
            targets_open_bug=targets,
            states_fix=states_fix,
            judge=verdict.labels if verdict else None,
            judge_error=verdict.error if verdict else "",
        )


def _debugging_figures(walk: _Walk) -> dict[str, object]:
    """Bugs, tests and bug targeting of a debugging dialogue (nothing for other domains)."""
    problem, turns = walk.problem, walk.turns
    if not isinstance(problem, DebuggingProblem):
        return {}
    broken = {name for b in problem.bugs for name in b.breaks_tests}
    targeted = [t.targets_open_bug for t in turns if t.targets_open_bug is not None]
    passed = (
        sum(t.status == "passed" for t in walk.last_tests)
        if walk.last_tests is not None
        else len([t for t in problem.tests if t.name not in broken])
    )
    return {
        "bugs_total": len(problem.bugs),
        "bugs_fixed": len(walk.resolved & {b.id for b in problem.bugs}),
        "tests_total": len(problem.tests),
        "tests_passed": passed,
        "open_bug_targeting": _mean([float(t) for t in targeted]),
        "fix_statements": sum(bool(t.states_fix) for t in turns),
    }


def score_dialogue(dialogue: Dialogue, variant: str, judged: Mapping[int, JudgedTurn] | None = None) -> DialogueScore:
    """Every metric of one dialogue (see the module docstring and `DialogueScore`).

    Args:
        dialogue: the stored dialogue.
        variant: the tutor variant that made it.
        judged: judge verdicts by message index (DialogueTurn.index), when the run was judged.
    """
    problem: AnyProblem = dialogue.problem()
    walk = _Walk(problem, judged or {})
    for turn in dialogue.turns:
        if turn.role == "student":
            walk.student(turn)
        else:
            walk.tutor(turn)
    turns = walk.turns
    replies = [t for t in turns if t.k > 0]
    records = list(walk.tutor_records.values())
    shown, fixed_misconceptions = _misconceptions(walk.students, walk.tutor_records)
    before, after = _mastery(dialogue, problem, [s for _, s in walk.students if s is not None])
    checked = sum(t.numbers_stated - t.numbers_quoted for t in turns)
    correct = sum(t.numbers_correct for t in turns)
    solved = walk.success_turn is not None and walk.telling_turn is None
    return DialogueScore(
        dialogue_id=dialogue.id,
        variant=variant,
        problem_id=dialogue.problem_id,
        domain=dialogue.domain,
        profile_id=dialogue.profile_id,
        seed=dialogue.provenance.seed,
        status=dialogue.outcome.status,
        quality_passed=dialogue.quality.passed,
        student_turns=walk.k,
        tutor_turns=len(replies),
        success_turn=walk.success_turn,
        telling_turn=walk.telling_turn,
        guard_telling_turn=walk.guard_turn,
        reveal_allowed=walk.reveal_allowed,
        solved=solved,
        leaked=walk.telling_turn is not None,
        turns_to_solve=walk.success_turn if solved else None,
        question_share=_mean([float(t.asks_question) for t in replies]),
        numbers_stated=sum(t.numbers_stated for t in turns),
        numbers_checked=checked,
        numbers_correct=correct,
        calc_accuracy=correct / checked if checked else None,
        misconceptions_shown=shown,
        misconceptions_resolved=fixed_misconceptions,
        misconception_resolution=len(fixed_misconceptions) / len(shown) if shown else None,
        mastery_before=None if before is None else round(before, 6),
        mastery_after=None if after is None else round(after, 6),
        mastery_gain=None if before is None or after is None else round(after - before, 6),
        judged_turns=sum(1 for t in turns if t.judge is not None),
        model_calls=sum(len(r.model_calls) for r in records),
        output_tokens=sum(c.output_tokens for r in records for c in r.model_calls),
        tutor_model_s=round(sum(c.latency_s for r in records for c in r.model_calls), 4),
        duration_s=dialogue.provenance.duration_s,
        turns=turns,
        **_debugging_figures(walk),  # type: ignore[arg-type]
    )


__all__ = [
    "JudgedTurn",
    "NumberCheck",
    "answer_key_values",
    "arithmetic_claims",
    "asks_question",
    "check_numbers",
    "guard_check",
    "refers_to_bug",
    "score_dialogue",
    "telling_check",
    "tests_all_pass",
]
