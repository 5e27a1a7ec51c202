"""The hint budget: the tutor holds planned help back (try first) when the policy says so, counts every move
that carries help, never goes over the budget, and the evaluation runs every policy on the same students."""

from __future__ import annotations

import pytest

from evals.hint_budget_eval import (
    POLICIES,
    UNCAPPED,
    budget_png,
    hardest_for,
    own_accuracy,
    report_markdown,
    run_student,
    summarize,
)
from student_sim.profiles import get_profile
from tutor.agent import TutorAgent, TutorConfig
from tutor.hint_budget import HintBudget, is_intervention, p_unaided, spend
from tutor.models.scripted import ScriptedChatModel
from tutor.planning.knowledge import KnowledgeState
from tutor.problems.bank import ProblemBank
from tutor.record import Decision
from tutor.sandbox import Sandbox

BANK = ProblemBank.load()
PENCILS = BANK.get("toy-math-pencils")
WRONG = ["is it 99?", "maybe 98?", "97?", "96?"]


def _turns(policy: str, per_problem: int | None, sandbox: Sandbox, messages: list[str] = WRONG, seed: int = 0):
    budget = HintBudget(per_problem=per_problem, policy=policy, seed=seed)
    agent = TutorAgent(
        PENCILS, ScriptedChatModel(replies=["x"]), sandbox, TutorConfig(composition="scaffold", hint_budget=budget)
    )
    _, state = agent.start()
    turns = []
    for text in messages:
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
    # A held-back turn asks the step's question and says none of its hints (the scaffold reply used to fall
    # back on the step's other hints when the try-first move had no question of its own).
    hints = PENCILS.steps[0].hints
    assert all(not any(h in t.reply for h in hints) for t in never)
    assert all(PENCILS.steps[0].question in t.reply for t in never)
    always, state = _turns("always", 2, sandbox)
    given = [t for t in always if t.decision.intervention == "given"]
    assert state.interventions == len(given) == 2
    assert always[-1].decision.intervention == "held_back"  # the budget is spent: try first
    assert any("Which operation" in t.reply or "multiplying" in t.reply for t in given)


def test_misconception_feedback_is_an_intervention_the_budget_counts_and_holds_back(sandbox):
    feedback = PENCILS.steps[0].wrong_answers[0].feedback  # for 7.40, the wrong-operation answer
    never, state = _turns("never", 1, sandbox, ["$7.40?"])
    assert never[0].decision.intervention == "held_back" and feedback not in never[0].reply
    always, state = _turns("always", 1, sandbox, ["$7.40?", "$7.40?"])
    assert always[0].decision.intervention == "given" and feedback in always[0].reply
    assert always[1].decision.intervention == "held_back" and state.interventions == 1


def _decision(action: str, strategy: str) -> Decision:
    return Decision(
        class_evaluation="unclear",
        class_action=action,
        subproblem_state="in_progress",
        bridge_strategy=strategy,
        bridge_intention="motivate",
    )


def test_which_moves_carry_help():
    assert is_intervention(_decision("give_feedback", "ask_question"))
    assert is_intervention(_decision("encourage", "encourage"))  # a stuck student gets the hint with it
    assert is_intervention(_decision("answer_question", "hint"))  # "I won't tell you, but ..." and a hint
    assert not is_intervention(_decision("answer_question", "explain_concept"))  # the question again
    assert not is_intervention(_decision("affirm_and_advance", "affirm"))


def test_the_held_back_ladder_stays_and_given_hints_climb_it(sandbox):
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


def test_the_student_model_keeps_its_last_intervention_for_a_harder_step_ahead():
    budget = HintBudget(per_problem=1, policy="student_model", threshold=0.5)
    assert not spend(budget, 0, 0.3, "s", later=[0.1, 0.4])  # one left, a step ahead looks harder
    assert spend(budget, 0, 0.3, "s", later=[0.3, 0.4])  # ties favour now
    assert spend(HintBudget(per_problem=2, policy="student_model"), 0, 0.3, "s", later=[0.1, 0.4])
    assert spend(HintBudget(policy="student_model"), 0, 0.3, "s", later=[0.1])  # no budget: threshold only


def test_the_random_coin_depends_on_the_seed():
    draws = {s: [spend(HintBudget(per_problem=50, policy="random", seed=s), 0, 0.5, f"p:{t}") for t in range(40)]
             for s in (0, 1)}  # fmt: skip
    assert draws[0] != draws[1] and 5 < sum(draws[0]) < 35


def test_the_estimate_takes_the_answer_just_given_into_account(sandbox):
    turns, _ = _turns("always", 5, sandbox, ["99?"])
    prior = KnowledgeState.for_concepts(PENCILS.steps[0].concepts)
    assert turns[0].decision.p_unaided < p_unaided(prior, PENCILS.steps[0].concepts, 0)


def test_students_get_the_problems_they_are_least_likely_to_do_alone():
    profile = get_profile("ava-adds-instead")
    chosen = hardest_for(profile, BANK.list(), 4)
    assert len(chosen) == 4 and all(p.domain == "math" for p in chosen)
    accuracies = [own_accuracy(p, profile) for p in chosen]
    assert accuracies == sorted(accuracies)
    rest = [own_accuracy(p, profile) for p in BANK.list(domain="math") if p not in chosen]
    assert max(accuracies) <= min(rest)


def test_every_policy_runs_on_the_same_student_and_the_summary_pairs_them(sandbox):
    profile = get_profile("ava-adds-instead")
    problems = hardest_for(profile, BANK.list(), 2)
    results = [run_student(problems, profile, 0, HintBudget(per_problem=1, policy=p), sandbox, 6) for p in POLICIES]
    results.append(run_student(problems, profile, 0, HintBudget(per_problem=None, policy="always"), sandbox, 6))
    assert (
        all(r.interventions <= r.problems for r in results[:-1]) and results[POLICIES.index("never")].interventions == 0
    )
    assert results[-1].interventions >= results[POLICIES.index("always")].interventions
    summary = summarize(results)
    assert set(summary["by_budget"]["1"]) >= {"student_model", "random", "always", "student_model_minus_always"}
    assert summary[UNCAPPED]["interventions_per_problem"]["mean"] == results[-1].interventions / 2
    assert summary["preempt"] is None
    meta = {"students": 1, "label": "rule-based", "profiles": 1, "seeds": 1, "problems": 2, "own_accuracy": 0.2,
            "max_turns": 6, "budgets": ["1"], "threshold": 0.5}  # fmt: skip
    report = report_markdown(summary, meta)
    assert "## Budget 1 per problem" in report and "student_model - always" in report and "## Limits" in report
    assert budget_png(summary).startswith(b"\x89PNG")
