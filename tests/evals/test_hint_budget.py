"""The hint budget: the tutor holds a planned hint back (try first) when the policy says so, counts what it
spends, never goes over the budget, and the evaluation runs every policy on the same students."""

from __future__ import annotations

import pytest

from evals.hint_budget_eval import POLICIES, run_student, summarize
from student_sim.profiles import get_profile
from tutor.agent import TutorAgent, TutorConfig
from tutor.hint_budget import HintBudget, p_unaided, spend
from tutor.models.scripted import ScriptedChatModel
from tutor.planning.knowledge import KnowledgeState
from tutor.problems.bank import ProblemBank
from tutor.sandbox import Sandbox

PENCILS = ProblemBank.load().get("toy-math-pencils")
WRONG = ["is it 99?", "maybe 98?", "97?", "96?"]


def _turns(policy: str, per_problem: int, sandbox: Sandbox):
    config = TutorConfig(composition="scaffold", hint_budget=HintBudget(per_problem=per_problem, policy=policy))
    agent = TutorAgent(PENCILS, ScriptedChatModel(replies=["x"]), sandbox, config)
    _, state = agent.start()
    turns = []
    for text in WRONG:
        turn, state = agent.step(text, state)
        turns.append(turn)
    return turns, state


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as box:
        yield box


def test_never_holds_every_hint_back_and_always_stops_at_the_budget(sandbox):
    never, state = _turns("never", 2, sandbox)
    assert state.interventions == 0 and all(t.decision.intervention in (None, "held_back") for t in never)
    assert all("Try multiplying" not in t.reply and "Which operation" not in t.reply for t in never)
    always, state = _turns("always", 2, sandbox)
    given = [t for t in always if t.decision.intervention == "given"]
    assert state.interventions == len(given) == 2
    assert always[-1].decision.intervention == "held_back"  # the budget is spent: try first
    assert any("Which operation" in t.reply or "multiplying" in t.reply for t in given)


def test_a_held_back_hint_counts_the_attempt_but_neither_climbs_the_ladder_nor_marks_the_step_taught(sandbox):
    never, state = _turns("never", 2, sandbox)
    given, given_state = _turns("always", 10, sandbox)
    node = state.plan.node(state.plan.current or "")
    assert node.failures == len(WRONG) and node.hint_level == 0 and not node.taught
    given_node = given_state.plan.node(given_state.plan.current or "")
    assert given_node.hint_level > 0  # the same wrong answers with the hints given do climb it


def test_the_student_model_estimate_falls_with_failures_and_rises_with_mastery():
    knowledge = KnowledgeState.for_concepts(["multiplication"])
    assert p_unaided(knowledge, ["multiplication"], 2) < p_unaided(knowledge, ["multiplication"], 0)
    strong = knowledge.update(["multiplication"], "correct").update(["multiplication"], "correct")
    assert p_unaided(strong, ["multiplication"], 0) > p_unaided(knowledge, ["multiplication"], 0)
    budget = HintBudget(per_problem=1, policy="student_model", threshold=0.5)
    assert spend(budget, 0, 0.2, "s") and not spend(budget, 0, 0.8, "s") and not spend(budget, 1, 0.2, "s")


def test_every_policy_runs_on_the_same_student(sandbox):
    profile = get_profile("ava-adds-instead")
    results = [run_student([PENCILS], profile, 0, HintBudget(per_problem=1, policy=p), sandbox, 6) for p in POLICIES]
    assert [r.policy for r in results] == list(POLICIES)
    assert all(r.interventions <= 1 for r in results) and results[-1].interventions == 0
    assert set(summarize(results)) == set(POLICIES)
