"""Pre-empting the forecast misconception: the first question on a newly reached step aims at the wrong
answer the tutor expects from this student, only where it has seen a misconception that bears on the step."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tutor.agent import TutorAgent, TutorConfig
from tutor.hint_budget import HintBudget
from tutor.models.scripted import ScriptedChatModel
from tutor.planning.knowledge import KnowledgeState
from tutor.preempt import forecast_misconception, held_from_seen, note_misconception, preemptive_question
from tutor.problems.bank import ProblemBank
from tutor.record import Assessment
from tutor.sandbox import Sandbox

PENCILS = ProblemBank.load().get("toy-math-pencils")
CHANGE = PENCILS.steps[1]  # wrong answers: wrong-operation (7.8), forgot-step (2.8)


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as box:
        yield box


def test_the_preemptive_question_keeps_the_questions_that_do_not_assume_the_mistake():
    feedback = "You found 5. At $1.60, is that more than $10? That is the cost. Which part is left?"
    assert preemptive_question(feedback) == "At $1.60, is that more than $10? Which part is left?"
    assert preemptive_question("That is what the pencils cost.") == ""


def test_nothing_is_forecast_without_a_seen_misconception_on_the_step():
    knowledge = KnowledgeState.for_concepts(CHANGE.concepts)
    assert forecast_misconception(CHANGE, knowledge, {}) is None
    assert forecast_misconception(CHANGE, knowledge, {"unit-conversion": 3}) is None
    assert forecast_misconception(CHANGE, knowledge, {"arithmetic-slip": 3}) is None  # a slip is no misconception
    forecast = forecast_misconception(CHANGE, knowledge, {"wrong-operation": 1})
    assert forecast is not None and forecast.misconception == "wrong-operation" and forecast.probability > 0.5
    assert forecast.question == "Does Mia get back more money than she paid with?"
    assert forecast_misconception(CHANGE, knowledge, {"forgot-step": 2, "wrong-operation": 1}).misconception == (
        "forgot-step"
    )
    assert held_from_seen({"forgot-step": 2, "x": 0}) == {"forgot-step": 0.75}


def test_seen_misconceptions_are_counted_from_wrong_answers_only():
    wrong = Assessment(label="incorrect", node_id="s1", evidence="", misconception="wrong-operation")
    right = Assessment(label="correct", node_id="s1", evidence="")
    assert note_misconception(note_misconception({}, wrong), right) == {"wrong-operation": 1}


def _second_step(sandbox, preempt: bool, messages: list[str]):
    agent = TutorAgent(
        PENCILS,
        ScriptedChatModel(replies=["x"]),
        sandbox,
        TutorConfig(composition="scaffold", preempt_misconception=preempt),
    )
    _, state = agent.start()
    turns = []
    for text in messages:
        turn, state = agent.step(text, state)
        turns.append(turn)
    return turns, state


def test_the_first_question_on_the_next_step_heads_off_the_misconception_seen(sandbox):
    # $7.40 is the wrong-operation answer on step 1; $2.80 is right; the step 2 question then pre-empts.
    turns, state = _second_step(sandbox, True, ["$7.40?", "$2.80"])
    assert state.misconceptions_seen == {"wrong-operation": 1}
    assert turns[1].decision.preempted == "wrong-operation"
    assert "Does Mia get back more money than she paid with?" in turns[1].reply
    assert turns[1].reply.rstrip().endswith(CHANGE.question)
    assert turns[0].decision.preempted is None  # a wrong answer's turn opens no step
    plain, _ = _second_step(sandbox, False, ["$7.40?", "$2.80"])
    assert plain[1].decision.preempted is None and "more money than she paid" not in plain[1].reply
    clean, _ = _second_step(sandbox, True, ["$2.80"])  # nothing seen: nothing to pre-empt
    assert clean[0].decision.preempted is None


def test_the_preempt_and_a_hint_budget_are_not_combined():
    with pytest.raises(ValidationError, match="preempt_misconception with a hint_budget"):
        TutorConfig(preempt_misconception=True, hint_budget=HintBudget(per_problem=1))
