"""The plan tree: CLASS steps for math, TreeInstruct bug nodes for debugging, and the question ladder."""

from __future__ import annotations

import pytest

from tutor.planning.plan import PlanTree, PlanUpdate
from tutor.problems.schema import DebuggingProblem


def test_math_plan_has_one_node_per_step_in_order_with_the_first_active(bank):
    problem = bank.get("toy-math-school-trip")
    plan = PlanTree.for_problem(problem)
    assert [n.ref for n in plan.nodes] == [s.id for s in problem.steps]
    assert plan.current == "s1"
    assert plan.node("s1").status == "active"
    assert {plan.node(s).status for s in ("s2", "s3")} == {"pending"}
    assert plan.node("s2").depends_on == ("s1",)


def test_right_answer_moves_one_level_deeper_to_the_next_node(bank):
    plan = PlanTree.for_problem(bank.get("toy-math-school-trip"))
    after = plan.apply(PlanUpdate(node_id="s1", outcome="advance"))
    assert after.node("s1").status == "done"
    assert after.current == "s2"
    assert after.node("s2").status == "active"
    assert plan.current == "s1", "the tree is immutable: apply returns a new one"


def test_wrong_answer_re_asks_as_a_sibling_with_the_next_hint(bank):
    plan = PlanTree.for_problem(bank.get("toy-math-pencils"))
    after = plan.apply(PlanUpdate(node_id="s1", outcome="retry"))
    node = after.node("s1")
    assert after.current == "s1"
    assert (node.failures, node.hint_level, node.attempts) == (1, 1, 1)


def test_repeated_failure_switches_to_teaching_then_questions_resume(bank):
    plan = PlanTree.for_problem(bank.get("toy-math-pencils"))
    assert not plan.needs_teaching("s1")
    for _ in range(plan.teach_after - 1):
        plan = plan.apply(PlanUpdate(node_id="s1", outcome="retry"))
    assert plan.needs_teaching("s1"), f"after {plan.teach_after - 1} failures the next wrong answer is taught"
    taught = plan.apply(PlanUpdate(node_id="s1", outcome="teach"))
    assert taught.node("s1").taught
    assert taught.node("s1").failures == 0
    assert not taught.needs_teaching("s1")
    assert taught.current == "s1"


def test_hold_changes_nothing(bank):
    plan = PlanTree.for_problem(bank.get("toy-math-pencils"))
    assert plan.apply(PlanUpdate(node_id="s1", outcome="hold")) == plan


def test_advancing_the_last_step_finishes_the_plan(bank):
    plan = PlanTree.for_problem(bank.get("toy-math-pencils"))
    for sid in ("s1", "s2"):
        plan = plan.apply(PlanUpdate(node_id=sid, outcome="advance"))
    assert plan.current is None
    assert plan.done


def test_conceptual_bug_gets_understand_then_fix_and_syntactic_bug_only_fix(bank):
    plan = PlanTree.for_problem(bank.get("toy-debug-max-index"))
    assert [n.id for n in plan.nodes] == ["b1", "b1.fix", "b2", "b2.understand", "b2.fix"]
    assert plan.node("b2.understand").parent == "b2"
    assert plan.current == "b1.fix", "the syntactic bug blocks every test, and b2 depends on it"


def test_multi_bug_order_is_conceptual_before_syntactic_and_dependencies_first(multi_bug: DebuggingProblem):
    plan = PlanTree.for_problem(multi_bug)
    bugs = [n.ref for n in plan.nodes if n.kind == "bug"]
    assert bugs == ["double", "syntax", "square"]
    assert plan.current == "double.understand"


def test_a_dependent_bug_is_only_worked_on_after_its_dependency(multi_bug: DebuggingProblem):
    plan = PlanTree.for_problem(multi_bug)
    plan = plan.apply(PlanUpdate(node_id="double.understand", outcome="advance"))
    assert plan.current == "double.fix", "understand first, then fix (a child one level deeper)"
    plan = plan.apply(PlanUpdate(node_id="double.fix", outcome="resolve"))
    assert plan.node("double").status == "done"
    assert plan.current == "syntax.fix"
    assert plan.node("square.understand").status == "pending"
    plan = plan.apply(PlanUpdate(node_id="syntax.fix", outcome="resolve"))
    assert plan.current == "square.understand"


def test_resolving_a_dependent_bug_early_does_not_skip_its_dependency(multi_bug: DebuggingProblem):
    plan = PlanTree.for_problem(multi_bug)
    plan = plan.apply(PlanUpdate(node_id="square.fix", outcome="resolve"))
    assert {plan.node(i).status for i in ("square", "square.understand", "square.fix")} == {"done"}
    assert plan.current == "double.understand"
    assert plan.open_bugs() == ["double", "syntax"]


def test_resolve_closes_the_bug_and_all_its_children(bank):
    plan = PlanTree.for_problem(bank.get("toy-debug-average"))
    assert plan.current == "b1.understand"
    plan = plan.apply(PlanUpdate(node_id="b1.understand", outcome="resolve"))
    assert plan.done
    assert plan.current is None
    assert plan.open_bugs() == []


def test_unknown_node_is_a_key_error(bank):
    plan = PlanTree.for_problem(bank.get("toy-math-pencils"))
    with pytest.raises(KeyError):
        plan.node("nope")


def test_plan_round_trips_through_json(multi_bug: DebuggingProblem):
    plan = PlanTree.for_problem(multi_bug).apply(PlanUpdate(node_id="double.understand", outcome="retry"))
    assert PlanTree.model_validate_json(plan.model_dump_json()) == plan
