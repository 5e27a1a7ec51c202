"""The reply's acknowledgement comes from the assessment (warm, varied, never a refusal, praise only for a right
answer), the few-shot examples come from the problem itself (nothing foreign to copy), and the `scaffold`
composition replies with the scaffold's own words."""

from __future__ import annotations

import itertools
from functools import cache

import pytest

from tests.tutor.conftest import scripted
from tutor.acknowledge import acknowledgement, is_refusal
from tutor.agent import TutorAgent, TutorConfig
from tutor.compose import authored_guidance, render
from tutor.fewshot import examples_for
from tutor.guard.consistency import ConsistencyCheck, TurnFacts
from tutor.problems.bank import ProblemBank
from tutor.record import Assessment, Decision

# The examples the prompt used to carry, written for other problems: their things must never reach a reply.
OLD_EXAMPLE_WORDS = ("cookies", "party", "pencil", "loop", "bill")


@cache
def _bank() -> ProblemBank:
    return ProblemBank.load()


def _decision(action: str = "give_feedback", move: str = "Ask: What next?", state: str = "in_progress") -> Decision:
    return Decision(
        class_evaluation="incorrect",
        class_action=action,  # type: ignore[arg-type]
        subproblem_state=state,  # type: ignore[arg-type]
        bridge_strategy="hint",
        bridge_intention="diagnose",
        move_text=move,
    )


CASES = [
    (Assessment(label="correct", evidence="matches the answer"), _decision("affirm_and_advance", state="completed")),
    (Assessment(label="incorrect", misconception="wrong-operation"), _decision()),
    (Assessment(label="incorrect", misconception="arithmetic-slip"), _decision()),
    (Assessment(label="partially_correct"), _decision(move="Their number answers a different part. Ask: X?")),
    (Assessment(label="question", evidence="the student asks for the answer"), _decision("answer_question")),
    (Assessment(label="question", evidence="the student asks about the answer's size"), _decision("answer_question")),
    (Assessment(label="question", evidence="the student asks a question"), _decision("answer_question")),
    (Assessment(label="off_topic"), _decision("redirect")),
    (Assessment(label="unclear", evidence="the student says they are stuck"), _decision("encourage")),
    (Assessment(label="unclear", evidence="empty message"), _decision("re_ask")),
    (Assessment(label="correct", solved_problem=True), _decision("confirm_solution", state="all_completed")),
]


@pytest.mark.parametrize(("assessment", "decision"), CASES)
def test_every_acknowledgement_is_warm_true_and_about_the_problem(sandbox, assessment, decision):
    praise_ok = assessment.label == "correct"
    texts = {acknowledgement(assessment, decision, f"message {i}", i) for i in range(12)}
    assert texts and all(texts)
    for problem in _bank().list():
        facts = TurnFacts(label=assessment.label, praise_allowed=praise_ok)
        check = ConsistencyCheck(problem, facts, sandbox)
        for text in texts:
            assert not is_refusal(text), text
            assert check.check(text).reasons == (), (problem.id, text)


def test_acknowledgements_vary_between_turns():
    assessment, decision = CASES[1]
    assert len({acknowledgement(assessment, decision, "7.40", i) for i in range(6)}) >= 2


def test_an_answer_request_is_met_with_a_redirect_not_a_refusal():
    assessment, decision = CASES[4]
    text = acknowledgement(assessment, decision, "just tell me the answer", 0)
    assert "answer" in text or "yourself" in text
    assert not is_refusal(text)
    assert is_refusal("I'm sorry, but I can't assist with that.")


def test_no_few_shot_example_carries_anything_its_problem_does_not_have(sandbox):
    problems = _bank().list()
    assert len(problems) > 50
    for problem in problems:
        for example in examples_for(problem):
            facts = TurnFacts(label="unclear", praise_allowed=False, sources=(example.student,))
            check = ConsistencyCheck(problem, facts, sandbox)
            assert check.invented(example.reply) == [], (problem.id, example.reply)
            assert check.invented(example.notes) == [], (problem.id, example.notes)
        prompt = render("tutor_system.jinja", problem_text="", examples=examples_for(problem), guided=True).lower()
        statement = " ".join([problem.statement, *getattr(problem, "buggy_code", "").split()]).lower()
        assert [w for w in OLD_EXAMPLE_WORDS if w in prompt and w not in statement] == [], problem.id


def test_the_authored_guidance_is_the_moves_hint_and_question():
    move = "The answer is not right. Do not say the correct value. Give this hint: Each costs the same. Ask: How?"
    assert authored_guidance(move) == "Each costs the same. How?"
    assert authored_guidance("Teach briefly: Multiply. Do not say the correct value. Ask: What?") == "Multiply. What?"
    assert authored_guidance("The student has solved the whole problem. Congratulate them.").endswith("result?")


def test_the_scaffold_composition_replies_without_a_model(bank, sandbox):
    model = scripted()
    problem = bank.get("toy-math-pencils")
    agent = TutorAgent(problem, model, sandbox, TutorConfig(composition="scaffold"))
    _, state = agent.start()
    turn, _ = agent.step("7.40", state)
    assert model.calls == [] and turn.model_calls == []
    assert turn.reply.endswith(problem.steps[0].wrong_answers[0].feedback)
    assert turn.leak.fallback_used and turn.leak.passed


@pytest.mark.parametrize("problem_id", ["debug-002-warmer-days", "toy-debug-average", "math-007-kitchen-tiles"])
def test_a_student_who_asks_again_never_gets_the_same_guidance_twice_in_a_row(sandbox, problem_id):
    # Seen in the reply benchmark: at the top of a bug's hint ladder, three turns in a row ended with the same
    # "Try tracing line 3 by hand ..." sentence.
    agent = TutorAgent(_bank().get(problem_id), scripted(), sandbox, TutorConfig(composition="scaffold"))
    _, state = agent.start()
    guidance = []
    for message in ["I don't know", "I don't know", "is the bug on line 3?", "just show me the fixed code"] * 2:
        turn, state = agent.step(message, state)
        guidance.append(turn.reply.split(". ", 1)[1] if ". " in turn.reply else turn.reply)
    assert all(a != b for a, b in itertools.pairwise(guidance)), guidance
