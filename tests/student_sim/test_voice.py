"""The LLM voice: it words the cognitive model's decision, and is held to it."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from student_sim.profiles import FalseBelief, Misconception, StudentProfile
from student_sim.roles import clean_utterance, detect_role_break
from student_sim.state import Intent
from student_sim.student import StudentSimulator
from student_sim.voice_llm import check_utterance
from tutor.models.scripted import ScriptedChatModel
from tutor.problems import toy_bank
from tutor.problems.answers import check_step


def weak_profile(**kw) -> StudentProfile:
    base = dict(
        id="weak",
        name="Ava",
        grade=4,
        persona="Ava is in grade 4 and adds everything.",
        default_mastery=0.0,
        question_rate=0.0,
        misconceptions=(Misconception(slug="wrong-operation", description="I add.", strength=1.0),),
    )
    return StudentProfile(**{**base, **kw})


def ask(text: str = "How much do the 7 pencils cost?") -> str:
    return text


def test_a_consistent_draft_is_used_as_the_students_words():
    problem = toy_bank().get("toy-math-pencils")
    model = ScriptedChatModel(replies=["Student: hmm, I added them and got 7.40 dollars"])
    student = StudentSimulator(problem, weak_profile(), policy="llm", model=model)
    turn, _ = student.step(ask(), student.start(0))
    assert turn.text == "hmm, I added them and got 7.40 dollars"
    assert turn.voice.policy == "llm" and not turn.voice.fallback_used and len(turn.voice.model_calls) == 1


def test_role_breaks_are_retried_then_replaced_by_the_rule_wording():
    problem = toy_bank().get("toy-math-pencils")
    model = ScriptedChatModel(replies=["Great job! Now, what is 7 x 0.40?", "Tutor: Let's think about it."])
    student = StudentSimulator(problem, weak_profile(), policy="llm", model=model, max_voice_retries=2)
    turn, _ = student.step(ask(), student.start(0))
    assert turn.voice.fallback_used and turn.voice.role_breaks == 3 and len(turn.voice.attempts) == 3
    assert detect_role_break(turn.text) is None
    assert check_step(turn.text, problem.steps[0]).misconception == "wrong-operation"
    # Each retry tells the model what was wrong with its draft.
    assert "role_break" in str(model.calls[1][-1].content)


def test_a_fluent_model_cannot_make_a_weak_student_right():
    problem = toy_bank().get("toy-math-pencils")
    perfect = ScriptedChatModel(replies=["Seven pencils at 40 cents is $2.80."])
    student = StudentSimulator(problem, weak_profile(), policy="llm", model=perfect)
    state = student.start(0)
    for _ in range(5):
        turn, state = student.step(ask(), state)
        assert turn.intent.correct is False
        assert turn.voice.fallback_used and all("states_right_answer" in a.reasons for a in turn.voice.attempts)
        assert not check_step(turn.text, problem.steps[0]).is_correct


def test_a_student_who_knows_the_answer_must_state_it():
    problem = toy_bank().get("toy-math-pencils")
    strong = weak_profile(default_mastery=1.0, misconceptions=())
    intent = Intent(kind="answer", node_ref="s1", correct=True, value=2.8, unit="dollars")
    assert check_utterance("I got 2.80 dollars", intent, problem) == []
    assert check_utterance("I don't know", intent, problem)[0].startswith("should_state_right_answer")
    student = StudentSimulator(problem, strong, policy="llm", model=ScriptedChatModel(replies=["I am not sure."]))
    turn, _ = student.step(ask(), student.start(0))
    assert turn.voice.fallback_used and check_step(turn.text, problem.steps[0]).is_correct


def test_a_voice_that_writes_a_fix_the_student_has_not_understood_is_rejected():
    problem = toy_bank().get("toy-debug-average")
    intent = Intent(kind="dont_know", node_ref="b1")
    assert check_utterance("Maybe change it to total += n?", intent, problem) == ["states_fix_not_understood"]
    fix = Intent(kind="fix", node_ref="b1", correct=True, answer_text="total += n")
    assert check_utterance("I changed it to total += n", fix, problem) == []


def test_the_prompt_carries_persona_beliefs_and_the_decision_with_roles_flipped():
    problem = toy_bank().get("toy-physics-car-distance")
    belief = FalseBelief(statement="1 km = 100 m", misconception="unit-conversion", strength=1.0)
    profile = weak_profile(false_beliefs=(belief,), misconceptions=(), verbosity="terse", affect="bored")
    model = ScriptedChatModel(replies=["dunno"])
    student = StudentSimulator(problem, profile, policy="llm", model=model)
    _, state = student.step("First question?", student.start(1))
    student.step("Second question?", state)
    messages = next(c for c in model.calls if c[-1].content == "Second question?")
    system = str(messages[0].content)
    assert isinstance(messages[0], SystemMessage)
    assert "Ava is in grade 4" in system and "1 km = 100 m" in system and "bored" in system
    assert "What you think right now" in system
    assert [type(m) for m in messages[1:]] == [HumanMessage, AIMessage, HumanMessage]
    assert messages[-1].content == "Second question?"


def test_clean_utterance_strips_labels_and_quotes():
    assert clean_utterance('Student: "I think 4"') == "I think 4"
    assert clean_utterance("Ava: 4 buses", "Ava") == "4 buses"
