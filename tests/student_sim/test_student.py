"""The rule-based student: answers set by mastery and misconceptions, learning, debugging, determinism."""

from __future__ import annotations

import random

import pytest

from student_sim.cognition import apply_fix
from student_sim.profiles import FalseBelief, Misconception, StudentProfile, load_profiles
from student_sim.state import Intent
from student_sim.student import StudentSimulator
from student_sim.voice_rules import render
from tutor.problems import toy_bank
from tutor.problems.answers import Verdict, check_step
from tutor.problems.schema import DebuggingProblem, NumericAnswer
from tutor.sandbox import Sandbox


@pytest.fixture(scope="module")
def bank():
    return toy_bank()


def profile(**changes) -> StudentProfile:
    base = dict(id="test-student", name="Mia", grade=5, persona="A test student.", question_rate=0.0)
    return StudentProfile(**{**base, **changes})


def ask(problem, ref: str, help: str = "none") -> str:
    """A tutor message in words: the step's question, after one hint (`hint`) or two (`teach`)."""
    step = next(s for s in problem.steps if s.id == ref)
    hints = {"none": [], "hint": step.hints[:1], "teach": step.hints[:2]}[help]
    return " ".join([*hints, step.question])


def test_same_seed_gives_the_same_turns_and_other_seeds_differ(bank):
    problem = bank.get("toy-math-pencils")
    student = StudentSimulator(problem, profile(default_mastery=0.5, question_rate=0.2, off_topic_rate=0.1))

    def run(seed: int) -> list[str]:
        state = student.start(seed)
        texts = []
        for _ in range(6):
            turn, state = student.step(ask(problem, "s1", "hint"), state)
            texts.append(turn.text)
        return texts

    assert run(3) == run(3)
    assert len({tuple(run(s)) for s in range(8)}) > 1


def test_right_answer_rate_follows_mastery(bank):
    problem = bank.get("toy-math-pencils")
    for mastery, lo, hi in ((0.2, 0.1, 0.3), (0.7, 0.6, 0.8)):
        student = StudentSimulator(problem, profile(default_mastery=mastery))
        right = sum(
            student.step(ask(problem, "s1"), student.start(seed))[0].intent.correct is True for seed in range(400)
        )
        assert lo <= right / 400 <= hi, (mastery, right)


def test_wrong_answer_comes_from_the_profiles_misconception_and_the_tutor_recognises_it(bank):
    problem = bank.get("toy-math-pencils")
    mis = Misconception(slug="wrong-operation", description="I add repeated things.", strength=1.0)
    student = StudentSimulator(problem, profile(default_mastery=0.0, misconceptions=(mis,)))
    for seed in range(10):
        turn, _ = student.step(ask(problem, "s1"), student.start(seed))
        assert (turn.intent.correct, turn.intent.value, turn.intent.misconception) == (
            False,
            7.4,
            "wrong-operation",
        )
        assert check_step(turn.text, problem.steps[0]).misconception == "wrong-operation"


def test_every_library_voice_words_answers_so_the_tutors_checker_reads_them_as_meant(bank):
    rng = random.Random(0)
    for prof in load_profiles():
        for pid in (
            "toy-math-pencils",
            "toy-math-school-trip",
            "toy-physics-car-distance",
            "toy-physics-free-fall",
        ):
            for step in bank.get(pid).steps:
                answer = step.answer
                intents = [
                    Intent(
                        kind="answer",
                        node_ref=step.id,
                        correct=False,
                        value=w.value,
                        unit=w.unit or getattr(answer, "unit", None),
                        answer_text=w.text,
                        misconception=w.misconception,
                    )
                    for w in step.wrong_answers
                ]
                if isinstance(answer, NumericAnswer):
                    right = Intent(kind="answer", node_ref=step.id, correct=True, value=answer.value, unit=answer.unit)
                else:
                    right = Intent(kind="answer", node_ref=step.id, correct=True, answer_text=answer.text)
                for intent in (right, *intents):
                    text = render(intent, prof, rng)
                    check = check_step(text, step)
                    expected = Verdict.CORRECT if intent.correct else Verdict.INCORRECT
                    assert check.verdict is expected, (prof.id, pid, step.id, text, check.reason)
                    if not intent.correct:
                        assert check.misconception == intent.misconception, (prof.id, text)


def test_a_useful_hint_on_the_stuck_step_raises_mastery_by_the_learning_rate(bank):
    problem = bank.get("toy-math-pencils")
    student = StudentSimulator(problem, profile(default_mastery=0.0, learning_rate=0.25))
    turn, state = student.step(ask(problem, "s1"), student.start(1))
    assert turn.intent.correct is False and state.stuck_on == "s1"
    # A hint elsewhere, praise, or filler teaches nothing about s1.
    for message in (
        ask(problem, "s2", "hint"),
        "Great effort, keep going! You are doing really well.",
        "Let's think about it together, one step at a time. What do you think?",
    ):
        turn, _ = student.step(message, state)
        assert turn.learned == {}, message
    turn, after = student.step(ask(problem, "s1", "hint"), state)
    assert turn.learned == {"multiplication": 0.25, "decimals": 0.25}
    assert after.mastery["multiplication"] == pytest.approx(0.25)
    taught, _ = student.step(ask(problem, "s1", "teach"), state)
    assert taught.learned == {"multiplication": 0.5, "decimals": 0.5}


def test_hints_eventually_get_a_weak_student_to_the_right_answer(bank):
    problem = bank.get("toy-math-pencils")
    student = StudentSimulator(problem, profile(default_mastery=0.05, learning_rate=0.2))
    state = student.start(11)
    answers = []
    for _ in range(12):
        turn, state = student.step(ask(problem, "s1", "hint"), state)
        answers.append(turn.intent.correct)
    assert answers[0] is False and True in answers
    assert "s1" in state.understood


def test_false_belief_decides_the_answer_until_the_tutor_addresses_it(bank):
    problem = bank.get("toy-physics-car-distance")
    step = problem.steps[0]
    slugs = {w.misconception for w in step.wrong_answers}
    assert "unit-conversion" in slugs
    belief = FalseBelief(statement="1 km = 100 m", misconception="unit-conversion", strength=1.0)
    student = StudentSimulator(problem, profile(default_mastery=0.95, false_beliefs=(belief,), learning_rate=0.5))
    turn, state = student.step(ask(problem, step.id), student.start(2))
    assert (turn.intent.source, turn.intent.misconception) == ("false_belief", "unit-conversion")
    # Two teaching messages on the stuck step, restating the feedback for that misconception, loosen the
    # belief to nothing; mastery then decides.
    feedback = next(w.feedback for w in step.wrong_answers if w.misconception == "unit-conversion")
    for _ in range(2):
        _, state = student.step(f"{feedback} {ask(problem, step.id, 'teach')}", state)
    assert state.beliefs["1 km = 100 m"] == 0.0
    turn, _ = student.step(ask(problem, step.id), state)
    assert turn.intent.source != "false_belief"


def test_tutor_stating_the_step_answer_is_copied(bank):
    problem = bank.get("toy-math-pencils")
    student = StudentSimulator(problem, profile(default_mastery=0.0))
    turn, _ = student.step("The pencils cost $2.80 in total.", student.start(0))
    assert (turn.intent.correct, turn.intent.source) == (True, "told")


def test_plain_text_message_works_on_the_first_unanswered_step(bank):
    problem = bank.get("toy-math-pencils")
    student = StudentSimulator(problem, profile(default_mastery=1.0))
    turn, state = student.step("Hi! What do the pencils cost?", student.start(0))
    assert (turn.intent.node_ref, turn.intent.correct) == ("s1", True)
    turn, state = student.step("And the change?", state)
    assert turn.intent.node_ref == "s2"
    turn, _ = student.step("All done.", state)
    assert turn.intent.kind == "acknowledge"


DEBUG_ASKS = {
    "understand": "Look at the loop. What do you think happens to total on each pass?",
    "fix": "Look at the loop. How would you change the code so that the tests pass?",
}


def _debug_run(problem: DebuggingProblem, mastery: float, seed: int, kinds: list[tuple[str, str]]):
    student = StudentSimulator(problem, profile(default_mastery=mastery, learning_rate=0.0))
    state = student.start(seed)
    turns = []
    for kind, _ref in kinds:
        turn, state = student.step(DEBUG_ASKS[kind], state)
        turns.append(turn)
    return turns, state


def test_a_student_who_has_not_understood_the_bug_does_not_edit_the_code(bank):
    problem = bank.get("toy-debug-average")
    turns, state = _debug_run(problem, 0.0, 4, [("understand", "b1"), ("fix", "b1"), ("fix", "b1")])
    assert all(t.code is None for t in turns)
    assert state.code == problem.buggy_code
    assert all(t.intent.correct is not True for t in turns)


def test_an_understood_bug_is_fixed_and_the_edited_code_passes_the_tests(bank):
    problem = bank.get("toy-debug-average")
    turns, state = _debug_run(problem, 1.0, 4, [("understand", "b1"), ("fix", "b1")])
    assert turns[0].intent.kind == "explain" and turns[0].intent.correct and turns[0].code is None
    assert turns[1].intent.kind == "fix" and turns[1].code == state.code
    with Sandbox() as box:
        result = box.run_tests(state.code, [(t.name, t.code) for t in problem.tests])
    assert result.all_passed, result.failed


def test_a_fix_whose_replacement_contains_the_buggy_text_is_not_applied_twice(bank):
    problem = bank.get("toy-debug-max-index")
    bug = problem.bug("b1")
    once = apply_fix(problem.buggy_code, bug, problem)
    assert apply_fix(once, bug, problem) == once
    both = apply_fix(once, problem.bug("b2"), problem)
    assert both == problem.patched_code()
