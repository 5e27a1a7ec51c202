"""The simulated student reads only the tutor's words (and its own screen), never the tutor's labels."""

from __future__ import annotations

import random

import pytest

from student_sim.profiles import StudentProfile
from student_sim.reading import MessageReader, Screen
from student_sim.runner import RunInfo, run_dialogue
from student_sim.student import StudentSimulator
from tests.student_sim.conftest import tutor_model
from tutor.agent import TutorAgent, TutorConfig
from tutor.problems import toy_bank
from tutor.record import TutorTurn


def learner() -> StudentProfile:
    return StudentProfile(
        id="learner",
        name="Lu",
        persona="Learns from hints.",
        default_mastery=0.1,
        learning_rate=0.3,
        question_rate=0.0,
    )


class RecordingStudent(StudentSimulator):
    """A simulated student that keeps every argument it is handed."""

    received: list[tuple[object, object]]

    def step(self, tutor_text, state, *, screen=None):  # type: ignore[override]
        self.received.append((tutor_text, screen))
        return super().step(tutor_text, state, screen=screen)


class ScramblingTutor:
    """A tutor whose turn records carry random labels: moves, misconceptions and plan snapshots."""

    def __init__(self, agent: TutorAgent, seed: int) -> None:
        self.agent = agent
        self.rng = random.Random(seed)

    def start(self):
        return self.agent.start()

    def step(self, message, state, code=None):
        turn, state = self.agent.step(message, state, code=code)
        decision = turn.decision.model_copy(
            update={
                "class_action": self.rng.choice(["teach", "give_hint", "give_feedback"]),
                "bridge_strategy": self.rng.choice(["explain_concept", "hint", "affirm", "encourage"]),
            }
        )
        assessment = turn.assessment.model_copy(
            update={"misconception": self.rng.choice([None, "wrong-operation", "forgot-step"])}
        )
        return turn.model_copy(update={"decision": decision, "assessment": assessment}), state


def _run(problem_id: str, sandbox, tutor_factory, student: StudentSimulator, seed: int = 5):
    problem = toy_bank().get(problem_id)
    agent = TutorAgent(problem, tutor_model(), sandbox, TutorConfig())
    return run_dialogue(
        problem, student.profile, tutor=tutor_factory(agent), student=student, seed=seed, info=RunInfo()
    )


@pytest.mark.parametrize("problem_id", ["toy-math-pencils", "toy-debug-average"])
def test_only_the_tutors_words_and_the_students_own_test_results_reach_the_student(problem_id, sandbox):
    problem = toy_bank().get(problem_id)
    student = RecordingStudent(problem, learner())
    student.received = []
    dialogue = _run(problem_id, sandbox, lambda agent: agent, student)
    tutor_texts = [t.text for t in dialogue.turns if t.role == "tutor"]
    assert student.received, "the student was never asked to speak"
    for (text, screen), expected in zip(student.received, tutor_texts, strict=False):
        assert type(text) is str and text == expected
        assert screen is None or type(screen) is Screen
        assert not isinstance(text, TutorTurn)


def test_the_student_refuses_a_turn_record():
    problem = toy_bank().get("toy-math-pencils")
    student = StudentSimulator(problem, learner())
    with pytest.raises(TypeError, match="text only"):
        student.step(object(), student.start(0))  # type: ignore[arg-type]


@pytest.mark.parametrize("problem_id", ["toy-math-pencils", "toy-math-school-trip", "toy-debug-average"])
def test_scrambled_tutor_labels_leave_the_student_unchanged(problem_id, sandbox):
    def students(tutor_factory):
        problem = toy_bank().get(problem_id)
        dialogue = _run(problem_id, sandbox, tutor_factory, StudentSimulator(problem, learner()))
        return [(t.text, t.code, t.student_turn().learned) for t in dialogue.turns if t.role == "student"]

    plain = students(lambda agent: agent)
    assert plain == students(lambda agent: ScramblingTutor(agent, seed=1))
    assert plain == students(lambda agent: ScramblingTutor(agent, seed=2))


def test_filler_teaches_nothing_and_a_restated_hint_teaches():
    problem = toy_bank().get("toy-math-pencils")
    step = problem.steps[0]
    reader = MessageReader(problem)
    for filler in (
        "Great job! Keep going, you are doing really well.",
        "Let's think about it together, one step at a time.",
        "Hmm, interesting. Tell me more about what you did.",
    ):
        assert reader.read(filler, current="s1").help == "none", filler
    assert reader.read(f"Good thinking. {step.hints[0]}", current="s1").help == "hint"
    assert reader.read("Try multiplying 7 by 0.40 to get the cost.", current="s1").teaches
    feedback = reader.read(step.wrong_answers[0].feedback, current="s1")
    assert feedback.misconception == step.wrong_answers[0].misconception and feedback.helps


def test_the_message_decides_which_step_the_student_works_on():
    problem = toy_bank().get("toy-math-pencils")
    reader = MessageReader(problem)
    assert reader.read("Yes! Now, how much change does Mia get from her $5 bill?", current="s1").focus == "s2"
    assert reader.read("How much do the 7 pencils cost altogether?", current="s2").focus == "s1"
    assert reader.read("What do you think?", current="s2").focus == "s2"


def test_a_debugging_message_is_read_for_its_bug_and_what_it_asks():
    problem = toy_bank().get("toy-debug-average")
    reader = MessageReader(problem)
    pointed = reader.read("Look closely at line 4. What does it do on each pass?", current=None)
    assert (pointed.focus, pointed.asks, pointed.help) == ("b1", "understand", "hint")
    fix = reader.read("How would you change line 4 so that `total = n` keeps a running total?", current=None)
    assert (fix.asks, fix.teaches) == ("fix", True)
    assert reader.read("Nice work so far!", current="b1").help == "none"


def test_a_filler_reply_under_a_teach_label_does_not_raise_mastery_but_the_hint_does():
    problem = toy_bank().get("toy-math-pencils")
    student = StudentSimulator(problem, learner())
    _, state = student.step(problem.steps[0].question, student.start(3))
    state = state.model_copy(update={"stuck_on": "s1"})
    filler, _ = student.step("Let's keep thinking about it. You can do it!", state)
    hinted, _ = student.step(problem.steps[0].hints[1], state)
    assert filler.learned == {}
    assert hinted.learned and all(v > 0 for v in hinted.learned.values())
