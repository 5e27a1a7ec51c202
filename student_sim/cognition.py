"""The rule-based cognitive model: what the simulated student knows, gets wrong, learns and does.

Both policies run on this model; the LLM voice only words what it decides, so a fluent model cannot make
the student suddenly know more than its mastery says.

* Answers: a false belief or a misconception the profile holds that has a wrong answer on the step
  decides the answer first, with probability = how firmly it is still held (a profile built around
  "adds instead" shows it on the step where it applies at the rate it states). Otherwise right with
  probability = the mean mastery of the step's concepts (0.9 at least once the student has understood
  the step); else a wrong answer bound to this problem (MathDial), "I don't know", a typical wrong answer
  of the step, or an arithmetic slip.
* Reading: the student perceives the tutor's words only (`student_sim.reading`), plus its own screen (the
  test results of its program). Which step a message is about and whether it hints or teaches is read from
  the text, never from the tutor's labels.
* Learning: a message that carries a hint (or teaches) on the step/bug the student is stuck on raises the
  mastery of its concepts by the learning rate (twice that for teaching) and loosens false beliefs about
  it; restating a misconception's feedback loosens the beliefs behind that misconception.
* Debugging: the student explains a bug right only once it has understood it, and edits its code (applies
  the bug's patch) only for a bug it has understood.
* Determinism: every draw comes from `random.Random` seeded with (seed, turn, node), so a seed fixes the
  whole dialogue with a deterministic tutor, and the state holds no generator.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from student_sim.profiles import FalseBelief, StudentProfile
from student_sim.reading import MessageReader, Reading, Screen
from student_sim.state import Intent, IntentSource, StudentState
from tutor.problems.answers import extract_numbers, mentions_answer
from tutor.problems.schema import (
    AnyProblem,
    Bug,
    DebuggingProblem,
    NumericAnswer,
    Step,
    WrongAnswer,
)

UNDERSTOOD_FLOOR = 0.9  # P(right) on a step the student has understood
_AFFECT_OFF_TOPIC = {"bored": 0.1, "frustrated": 0.05}
_AFFECT_QUESTION = {"curious": 0.1, "anxious": 0.05}
_AFFECT_DONT_KNOW = {"anxious": 0.6, "frustrated": 0.5}


@dataclass(frozen=True)
class Decision:
    """The cognitive model's output for one turn."""

    intent: Intent
    code: str | None
    state: StudentState


class CognitiveModel:
    """The student's knowledge and behaviour on one problem, for one profile."""

    def __init__(self, problem: AnyProblem, profile: StudentProfile) -> None:
        self.problem = problem
        self.profile = profile
        self._context = [m.value for m in extract_numbers(problem.statement)]
        self.reader = MessageReader(problem)

    def read(self, text: str, state: StudentState) -> Reading:
        """The student's reading of a tutor message, given what it was working on."""
        return self.reader.read(text, current=self._current(state), done=set(state.answered))

    # -- state --------------------------------------------------------------------------------------
    def initial_state(self, seed: int) -> StudentState:
        """The student before the tutor says anything."""
        concepts = set(self.problem.concepts)
        if isinstance(self.problem, DebuggingProblem):
            code: str | None = self.problem.buggy_code
            for bug in self.problem.bugs:
                concepts.update(bug.concepts)
        else:
            code = None
            for step in self.problem.steps:
                concepts.update(step.concepts)
        return StudentState(
            profile_id=self.profile.id,
            problem_id=self.problem.id,
            seed=seed,
            mastery={c: self.profile.mastery_of(c) for c in sorted(concepts)},
            beliefs={b.statement: b.strength for b in self.profile.false_beliefs},
            misconceptions={m.slug: m.strength for m in self.profile.misconceptions},
            code=code,
        )

    def concepts_of(self, ref: str) -> tuple[str, ...]:
        """The concepts a step or bug exercises (the problem's when it names none)."""
        try:
            item: Step | Bug = (
                self._step(ref) if not isinstance(self.problem, DebuggingProblem) else self.problem.bug(ref)
            )
        except KeyError:
            return tuple(self.problem.concepts)
        return tuple(item.concepts) or tuple(self.problem.concepts)

    def p_correct(self, ref: str, state: StudentState) -> float:
        """P(a right answer on this step/bug) from current mastery (the floor once understood)."""
        concepts = self.concepts_of(ref)
        p = (
            sum(state.mastery.get(c, self.profile.mastery_of(c)) for c in concepts) / len(concepts)
            if concepts
            else self.profile.default_mastery
        )
        return max(p, UNDERSTOOD_FLOOR) if ref in state.understood else p

    # -- learning -----------------------------------------------------------------------------------
    def learn(self, reading: Reading, state: StudentState) -> tuple[StudentState, dict[str, float]]:
        """Learn from what a tutor message says: a hint on the point the student is stuck on raises mastery.

        Only the words count (`reading`): a hint or a teaching message about the same step/bug as the
        student's last wrong answer. Praise, filler and questions teach nothing, whatever move they were.
        """
        learned: dict[str, float] = {}
        mastery = dict(state.mastery)
        beliefs = dict(state.beliefs)
        held = dict(state.misconceptions)
        rate = self.profile.learning_rate
        target = reading.focus
        if reading.helps and target is not None and target == state.stuck_on:
            gain = rate * (2 if reading.teaches else 1)
            for concept in self.concepts_of(target):
                before = mastery.get(concept, self.profile.mastery_of(concept))
                mastery[concept] = round(min(1.0, before + gain), 4)
                if mastery[concept] > before:
                    learned[concept] = round(mastery[concept] - before, 4)
            for belief in self._beliefs_about(target, state):
                beliefs[belief.statement] = round(max(0.0, beliefs[belief.statement] - gain), 4)
            for slug_ in self._slugs_on(target) & set(held):
                held[slug_] = round(max(0.0, held[slug_] - gain), 4)
        if reading.misconception in held:
            held[reading.misconception] = round(max(0.0, held[reading.misconception] - rate), 4)
        if reading.misconception:
            # Being shown where a belief leads loosens it even when the message was not a hint.
            for belief in self.profile.false_beliefs:
                if belief.misconception == reading.misconception and belief.statement in beliefs:
                    beliefs[belief.statement] = round(max(0.0, beliefs[belief.statement] - rate), 4)
        update = {"mastery": mastery, "beliefs": beliefs, "misconceptions": held}
        return state.model_copy(update=update), learned

    # -- deciding -----------------------------------------------------------------------------------
    def decide(self, reading: Reading, state: StudentState, screen: Screen | None = None) -> Decision:
        """What the student does in reply to the message it read (after `learn`)."""
        screen = screen or Screen()
        kind, ref = self._focus(reading, state)
        rng = random.Random(f"{state.seed}:{state.turn}:{ref}")
        if ref is None or self._finished(state, screen):
            return self._done(Intent(kind="acknowledge", node_ref=ref), None, state)
        if isinstance(self.problem, DebuggingProblem):
            intent, code = self._decide_bug(self.problem.bug(ref), kind, reading, state, rng)
        else:
            intent, code = self._decide_step(self._step(ref), reading, state, rng), None
        return self._done(intent, code, state)

    def _finished(self, state: StudentState, screen: Screen) -> bool:
        """The student knows it is done: every step answered right, or its program passes every test."""
        if isinstance(self.problem, DebuggingProblem):
            return screen.all_passed or all(b.id in state.answered for b in self.problem.bugs)
        return all(s.id in state.answered for s in self.problem.steps)

    def _current(self, state: StudentState) -> str | None:
        """What the student was working on: the point it got wrong, else the first it has not done."""
        if state.stuck_on is not None:
            return state.stuck_on
        if isinstance(self.problem, DebuggingProblem):
            return next((b.id for b in self.problem.bug_order() if b.id not in state.answered), None)
        return next((s.id for s in self.problem.steps if s.id not in state.answered), None)

    def _focus(self, reading: Reading, state: StudentState) -> tuple[str | None, str | None]:
        """The node the student works on (the one the message is about, else its own) and, for a bug,
        whether it was asked to explain (`understand`) or change the code (`fix`)."""
        ref = reading.focus if reading.focus is not None and self._known(reading.focus) else self._current(state)
        if ref is None:
            return None, None
        if isinstance(self.problem, DebuggingProblem):
            return reading.asks or "bug", ref
        return "step", ref

    def _known(self, ref: str) -> bool:
        if isinstance(self.problem, DebuggingProblem):
            return any(b.id == ref for b in self.problem.bugs)
        return any(s.id == ref for s in self.problem.steps)

    def _step(self, ref: str) -> Step:
        assert not isinstance(self.problem, DebuggingProblem)
        for step in self.problem.steps:
            if step.id == ref:
                return step
        raise KeyError(ref)

    def _done(self, intent: Intent, code: str | None, state: StudentState) -> Decision:
        ref = intent.node_ref
        updates: dict[str, object] = {"turn": state.turn + 1, "last_intent": intent.kind}
        if code is not None:
            updates["code"] = code
        if ref is not None and intent.correct is True and intent.kind in ("answer", "explain", "fix"):
            if ref not in state.understood:
                updates["understood"] = [*state.understood, ref]
            if intent.kind != "explain" and ref not in state.answered:
                updates["answered"] = [*state.answered, ref]
            if state.stuck_on == ref:
                updates["stuck_on"] = None
        elif ref is not None and (intent.correct is False or intent.kind in ("dont_know", "question")):
            updates["failures"] = {**state.failures, ref: state.failures.get(ref, 0) + 1}
            updates["stuck_on"] = ref
        return Decision(intent=intent, code=code, state=state.model_copy(update=updates))

    def _distracted(self, rng: random.Random, state: StudentState, ref: str) -> Intent | None:
        """An off-topic remark or a question instead of an answer, at the profile's rates."""
        affect = self.profile.affect
        off_topic = min(0.5, self.profile.off_topic_rate + _AFFECT_OFF_TOPIC.get(affect, 0.0))
        if state.last_intent != "off_topic" and rng.random() < off_topic:
            return Intent(kind="off_topic", node_ref=ref, source="chance")
        question = self.profile.question_rate + _AFFECT_QUESTION.get(affect, 0.0)
        question = min(0.6, question * (1 + state.failures.get(ref, 0)))  # more questions when stuck
        if state.last_intent != "question" and rng.random() < question:
            return Intent(kind="question", node_ref=ref, source="chance")
        return None

    # -- math and physics ----------------------------------------------------------------------------
    def _decide_step(self, step: Step, reading: Reading, state: StudentState, rng: random.Random) -> Intent:
        p = self.p_correct(step.id, state)
        right = self._answer_intent(step, correct=True, source="mastery", p=p)
        if self._told(step, reading.text):
            return right.model_copy(update={"source": "told"})
        if (distracted := self._distracted(rng, state, step.id)) is not None:
            return distracted.model_copy(update={"p_correct": p})
        for belief in self._beliefs_about(step.id, state):
            wrong = _wrong_with_slug(step.wrong_answers, belief.misconception)
            if wrong is not None and rng.random() < state.beliefs.get(belief.statement, 0.0):
                return self._wrong_intent(step, wrong, "false_belief", p)
        held = [w for w in step.wrong_answers if state.misconceptions.get(w.misconception, 0.0) > 0]
        if held and step.id not in state.understood:
            wrong = max(held, key=lambda w: state.misconceptions[w.misconception])
            if rng.random() < state.misconceptions[wrong.misconception]:
                return self._wrong_intent(step, wrong, "misconception", p)
        if rng.random() < p:
            source = "understood" if step.id in state.understood else "mastery"
            return right.model_copy(update={"source": source})
        bound = self._bound_wrong(step)
        if bound is not None:
            return bound.model_copy(update={"p_correct": p})
        if p < 0.35 and rng.random() < _AFFECT_DONT_KNOW.get(self.profile.affect, 0.35):
            return Intent(kind="dont_know", node_ref=step.id, source="mastery", p_correct=p)
        if step.wrong_answers:
            return self._wrong_intent(step, rng.choice(step.wrong_answers), "chance", p)
        return self._slip(step, rng, p)

    def _answer_intent(self, step: Step, *, correct: bool, source: IntentSource, p: float) -> Intent:
        answer = step.answer
        if isinstance(answer, NumericAnswer):
            return Intent(
                kind="answer",
                node_ref=step.id,
                correct=correct,
                value=answer.value,
                unit=answer.unit,
                source=source,
                p_correct=p,
            )
        return Intent(
            kind="answer",
            node_ref=step.id,
            correct=correct,
            answer_text=answer.text,
            source=source,
            p_correct=p,
        )

    def _wrong_intent(self, step: Step, wrong: WrongAnswer, source: IntentSource, p: float) -> Intent:
        unit = wrong.unit or (step.answer.unit if isinstance(step.answer, NumericAnswer) else None)
        return Intent(
            kind="answer",
            node_ref=step.id,
            correct=False,
            value=wrong.value,
            unit=unit,
            answer_text=wrong.text,
            misconception=wrong.misconception,
            source=source,
            p_correct=p,
        )

    def _bound_wrong(self, step: Step) -> Intent | None:
        """A wrong answer the profile brings for exactly this problem and step (MathDial)."""
        assert not isinstance(self.problem, DebuggingProblem)
        last = self.problem.steps[-1].id
        for mis in self.profile.misconceptions:
            for bound in mis.wrong_answers:
                if bound.problem_id == self.problem.id and (bound.step or last) == step.id:
                    unit = step.answer.unit if isinstance(step.answer, NumericAnswer) else None
                    return Intent(
                        kind="answer",
                        node_ref=step.id,
                        correct=False,
                        value=bound.value,
                        unit=unit,
                        answer_text=bound.text,
                        misconception=mis.slug,
                        source="misconception",
                    )
        return None

    def _slip(self, step: Step, rng: random.Random, p: float) -> Intent:
        answer = step.answer
        if not isinstance(answer, NumericAnswer):
            return Intent(kind="dont_know", node_ref=step.id, source="slip", p_correct=p)
        candidates = [
            answer.value + 1,
            answer.value - 1,
            answer.value * 10,
            answer.value / 10,
            answer.value * 2,
        ]
        wrong = [c for c in candidates if abs(c - answer.value) > answer.tolerance + 1e-9]
        return Intent(
            kind="answer",
            node_ref=step.id,
            correct=False,
            value=round(rng.choice(wrong), 6),
            unit=answer.unit,
            misconception="arithmetic-slip",
            source="slip",
            p_correct=p,
        )

    def _told(self, step: Step, text: str) -> bool:
        """The tutor's words state this step's answer (and it is not a number the problem gives)."""
        answer = step.answer
        if not isinstance(answer, NumericAnswer):
            return False
        if any(abs(v - answer.value) <= answer.tolerance for v in self._context):
            return False
        return bool(mentions_answer(text, answer))

    def _slugs_on(self, ref: str) -> set[str]:
        """The misconceptions a step's typical wrong answers stand for (none for a bug)."""
        if isinstance(self.problem, DebuggingProblem):
            return set()
        try:
            return {w.misconception for w in self._step(ref).wrong_answers}
        except KeyError:
            return set()

    def _beliefs_about(self, ref: str, state: StudentState) -> list[FalseBelief]:
        """False beliefs still held (strength > 0) that bear on this step or bug."""
        concepts = set(self.concepts_of(ref))
        slugs = self._slugs_on(ref)
        return [
            b
            for b in self.profile.false_beliefs
            if state.beliefs.get(b.statement, 0.0) > 0 and (b.misconception in slugs or concepts & set(b.concepts))
        ]

    # -- debugging -----------------------------------------------------------------------------------
    def _decide_bug(
        self, bug: Bug, kind: str | None, reading: Reading, state: StudentState, rng: random.Random
    ) -> tuple[Intent, str | None]:
        p = self.p_correct(bug.id, state)
        if self._fix_told(bug, reading.text):
            return self._fix(bug, state, "told", p)
        understood = bug.id in state.understood
        if not understood and (distracted := self._distracted(rng, state, bug.id)) is not None:
            return distracted.model_copy(update={"p_correct": p}), None
        wrong_idea = self._wrong_idea(bug, state, rng)
        if kind == "understand" or (kind == "bug" and bug.kind == "conceptual" and not understood):
            if understood:
                # Explained already and still asked: a student who gets it goes and changes the code.
                return self._fix(bug, state, "understood", p)
            if wrong_idea is not None:
                return wrong_idea.model_copy(update={"p_correct": p}), None
            if rng.random() < p:
                return self._explain(bug, "mastery", p), None
            return self._vague(bug, rng, p), None
        # A fix: only for a bug the student has understood (syntactic bugs are understood on sight or not).
        if not understood and wrong_idea is None and rng.random() < p:
            understood = True
        if understood:
            return self._fix(bug, state, "understood" if bug.id in state.understood else "mastery", p)
        if wrong_idea is not None:
            return wrong_idea.model_copy(update={"p_correct": p}), None
        return self._vague(bug, rng, p), None

    def _wrong_idea(self, bug: Bug, state: StudentState, rng: random.Random) -> Intent | None:
        """An explanation from a misconception or false belief about this bug's concepts, if one fires."""
        concepts = set(bug.concepts) or set(self.problem.concepts)
        for belief in self._beliefs_about(bug.id, state):
            if rng.random() < state.beliefs.get(belief.statement, 0.0):
                return Intent(
                    kind="explain",
                    node_ref=bug.id,
                    correct=False,
                    answer_text=belief.statement,
                    misconception=belief.misconception,
                    source="false_belief",
                )
        for mis in self.profile.misconceptions:
            if concepts & set(mis.concepts) and bug.id not in state.understood:
                # Mastery gained from hints makes the misconception less likely to decide.
                if rng.random() < mis.strength * (1 - self.p_correct(bug.id, state)) * 2:
                    return Intent(
                        kind="explain",
                        node_ref=bug.id,
                        correct=False,
                        answer_text=mis.description,
                        misconception=mis.slug,
                        source="misconception",
                    )
        return None

    def _explain(self, bug: Bug, source: IntentSource, p: float) -> Intent:
        return Intent(
            kind="explain",
            node_ref=bug.id,
            correct=True,
            answer_text=bug.description,
            source=source,
            p_correct=p,
        )

    def _vague(self, bug: Bug, rng: random.Random, p: float) -> Intent:
        """No idea, or a guess at a line that is not the bug's."""
        assert isinstance(self.problem, DebuggingProblem)
        n_lines = len(self.problem.buggy_code.splitlines())
        others = [n for n in range(1, n_lines + 1) if n not in bug.lines]
        if others and rng.random() < 0.5:
            line = rng.choice(others)
            return Intent(
                kind="explain",
                node_ref=bug.id,
                correct=False,
                source="mastery",
                p_correct=p,
                answer_text=f"on line {line}, `{_code_line(self.problem.buggy_code, line)}`",
            )
        return Intent(kind="dont_know", node_ref=bug.id, source="mastery", p_correct=p)

    def _fix(self, bug: Bug, state: StudentState, source: IntentSource, p: float) -> tuple[Intent, str]:
        assert isinstance(self.problem, DebuggingProblem)
        code = apply_fix(state.code or "", bug, self.problem)
        intent = Intent(
            kind="fix",
            node_ref=bug.id,
            correct=True,
            answer_text=bug.patch.replace if bug.patch is not None else bug.fix,
            source=source,
            p_correct=p,
        )
        return intent, code

    def _fix_told(self, bug: Bug, text: str) -> bool:
        """The tutor's words contain the bug's fixed code (a leak the student can copy)."""
        assert isinstance(self.problem, DebuggingProblem)
        if bug.patch is None:
            return False
        replacement = bug.patch.replace.strip()
        return len(replacement) >= 4 and replacement not in self.problem.buggy_code and replacement in text


def apply_fix(code: str, bug: Bug, problem: DebuggingProblem) -> str:
    """`code` with `bug`'s patch applied (unchanged when it already holds the fix); a program that no
    longer holds the buggy text is rebuilt from the buggy code with this fix and the fixes it holds. A fix
    kept in words only (no patch) cannot be typed in: the code stays as it is."""
    if bug.patch is None:
        return code
    replacement = bug.patch.replace
    if replacement and replacement not in problem.buggy_code and replacement in code:
        return code  # already fixed (a patch whose replacement contains its `find` must not apply twice)
    if bug.patch.find in code:
        return code.replace(bug.patch.find, replacement, 1)
    fixed = [b.id for b in problem.bugs if b.patch is not None and (b.patch.find not in code or b.id == bug.id)]
    return problem.patched_code(fixed)


def _code_line(code: str, line: int) -> str:
    lines = code.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _wrong_with_slug(wrong_answers: Sequence[WrongAnswer], slug: str) -> WrongAnswer | None:
    return next((w for w in wrong_answers if w.misconception == slug), None)
