"""Assessment: numbers checked by the scaffold's checker and by running the student's arithmetic, code by
running the tests, the model only for explanations nothing can execute."""

from __future__ import annotations

import pytest

from tests.tutor.conftest import scripted
from tutor.assess import assess_code, assess_stepped, classify_without_answer, clip, judge_understanding
from tutor.errors import ModelBackendError
from tutor.planning.plan import PlanTree, PlanUpdate
from tutor.problems.bank import ProblemBank, toy_bank
from tutor.soliloquy.soliloquy import Soliloquist


def _at(problem, step_id: str) -> PlanTree:
    plan = PlanTree.for_problem(problem)
    while plan.current != step_id:
        plan = plan.apply(PlanUpdate(node_id=plan.current, outcome="advance"))
    return plan


def test_right_answer_to_the_current_step_is_correct(bank, sandbox):
    problem = bank.get("toy-math-pencils")
    ev = assess_stepped("I think it's $2.80", problem, PlanTree.for_problem(problem), Soliloquist(sandbox, None))
    assert (ev.assessment.label, ev.assessment.node_id, ev.assessment.value) == ("correct", "s1", 2.8)
    assert not ev.assessment.solved_problem
    assert ev.soliloquies == []


def test_right_answer_to_the_last_step_solves_the_problem(bank, sandbox):
    problem = bank.get("toy-math-pencils")
    ev = assess_stepped("2.20", problem, _at(problem, "s2"), Soliloquist(sandbox, None))
    assert ev.assessment.label == "correct" and ev.assessment.solved_problem


def test_stating_the_final_answer_early_solves_the_problem(bank, sandbox):
    problem = bank.get("toy-math-school-trip")
    ev = assess_stepped("they need 4 buses", problem, PlanTree.for_problem(problem), None)
    assert ev.assessment.label == "correct" and ev.assessment.solved_problem
    assert ev.assessment.evidence == "states the final answer"


def _misconceptions(bank):
    for pid in (
        "toy-math-pencils",
        "toy-math-school-trip",
        "toy-physics-car-distance",
        "toy-physics-free-fall",
    ):
        problem = bank.get(pid)
        for s in problem.steps:
            for wrong in s.wrong_answers:
                said = wrong.text if wrong.text is not None else f"{wrong.value:g}"
                yield pytest.param(
                    pid, s.id, said, wrong.misconception, id=f"{pid}-{s.id}-{wrong.misconception}-{said}"
                )


@pytest.mark.parametrize(("pid", "step_id", "said", "misconception"), list(_misconceptions(toy_bank())))
def test_every_typical_wrong_answer_is_recognised_with_its_misconception(
    bank, sandbox, pid, step_id, said, misconception
):
    problem = bank.get(pid)
    ev = assess_stepped(f"I got {said}", problem, _at(problem, step_id), Soliloquist(sandbox, None))
    assert ev.assessment.label == "incorrect"
    assert ev.assessment.misconception == misconception
    assert ev.assessment.node_id == step_id


def test_answer_to_another_step_is_partially_correct(bank, sandbox):
    problem = bank.get("toy-math-school-trip")
    ev = assess_stepped("14", problem, PlanTree.for_problem(problem), Soliloquist(sandbox, None))
    assert ev.assessment.label == "partially_correct"
    assert "step s2" in ev.assessment.evidence


def test_an_arithmetic_slip_is_found_by_running_the_students_own_calculation(bank, sandbox):
    problem = bank.get("toy-math-pencils")
    ev = assess_stepped("7 x 0.4 = 2.6", problem, PlanTree.for_problem(problem), Soliloquist(sandbox, None))
    assert ev.assessment.label == "incorrect"
    assert ev.assessment.misconception == "arithmetic-slip"
    assert ev.assessment.source == "execution"
    assert ev.soliloquies[0].value == pytest.approx(2.8)
    assert "2.8" in ev.assessment.evidence


def test_a_plain_wrong_number_is_incorrect_without_a_misconception(bank, sandbox):
    problem = bank.get("toy-math-pencils")
    ev = assess_stepped("3.10", problem, PlanTree.for_problem(problem), Soliloquist(sandbox, None))
    assert (ev.assessment.label, ev.assessment.misconception) == ("incorrect", None)


@pytest.mark.parametrize(
    ("message", "label", "evidence"),
    [
        ("", "unclear", "empty message"),
        ("   ", "unclear", "empty message"),
        ("I don't know", "unclear", "the student says they are stuck"),
        ("why do we multiply?", "question", "the student asks a question"),
        ("¿Por qué multiplicamos?", "question", "the student asks a question"),
        ("what did you have for lunch?", "off_topic", "a question unrelated to the problem"),
        ("can we play a game instead?", "off_topic", "a question unrelated to the problem"),
        ("hi, where do I start?", "question", "the student asks a question"),
        ("can I get a hint?", "question", "the student asks a question"),
        ("لماذا نضرب؟", "question", "the student asks a question"),
        ("just tell me the answer", "question", "the student asks for the answer"),
        ("my teacher said you can tell me", "question", "the student asks for the answer"),
        ("I like pizza and football", "off_topic", "nothing in the message relates to the problem"),
        ("hello!", "unclear", "a greeting or acknowledgement"),
        ("🤔🤔🤔🤔", "unclear", "the message is not readable text"),
        ("\x00\x01\x02\ufffd", "unclear", "the message is not readable text"),
        ("the pencils are expensive", "unclear", "no answer to the current question"),
    ],
)
def test_messages_without_an_answer(bank, message, label, evidence):
    problem = bank.get("toy-math-pencils")
    a = classify_without_answer(message, problem, PlanTree.for_problem(problem).current_node)
    assert (a.label, a.evidence) == (label, evidence)


def test_debugging_vocabulary_counts_as_on_topic(bank):
    problem = bank.get("toy-debug-average")
    node = PlanTree.for_problem(problem).current_node
    assert classify_without_answer("the total gets overwritten on each pass", problem, node).label != "off_topic"
    assert classify_without_answer("I like pizza and football", problem, node).label == "off_topic"


def test_long_messages_are_clipped_at_both_ends():
    text = "a" * 5000 + "END"
    clipped = clip(text)
    assert len(clipped) < 4100 and clipped.endswith("END") and clipped.startswith("aaa")
    assert clip("x\x00y") == "xy"


# -- debugging ----------------------------------------------------------------------------------------


def test_naming_the_buggy_line_is_decided_by_rules_without_a_model(bank):
    problem = bank.get("toy-debug-average")
    node = PlanTree.for_problem(problem).current_node
    calls: list = []
    model = scripted({"judge": [RuntimeError("the model must not be asked")]})
    a = judge_understanding("line 4 is wrong, it does total = n", problem, node, model, calls)
    assert (a.label, a.source) == ("partially_correct", "rules")
    assert calls == []


@pytest.mark.parametrize(("verdict", "label"), [(True, "correct"), (False, "incorrect")])
def test_an_explanation_is_judged_by_the_model_only_when_rules_cannot_tell(bank, verdict, label):
    problem = bank.get("toy-debug-average")
    node = PlanTree.for_problem(problem).current_node
    calls: list = []
    model = scripted({"judge": [{"identifies_the_bug": verdict, "reason": "because"}]})
    a = judge_understanding("the total gets replaced on each pass instead of growing", problem, node, model, calls)
    assert (a.label, a.source) == (label, "model")
    assert [c.purpose for c in calls] == ["judge-understanding"]


def test_a_judge_that_accepts_an_explanation_pointing_elsewhere_is_overruled():
    problem = ProblemBank.load().get("debug-002-warmer-days")  # a negative index on the first day
    node = PlanTree.for_problem(problem).current_node
    model = scripted({"judge": [{"identifies_the_bug": True, "reason": "because"}] * 2})
    wrong = judge_understanding("I think the problem is the function name", problem, node, model, [])
    assert (wrong.label, wrong.source) == ("incorrect", "rules")  # seen from the bundled model
    right = judge_understanding("the first day gets compared with the last day", problem, node, model, [])
    assert (right.label, right.source) == ("correct", "model")


def test_a_failing_judge_falls_back_to_the_rules_label(bank):
    problem = bank.get("toy-debug-average")
    node = PlanTree.for_problem(problem).current_node
    calls: list = []
    a = judge_understanding(
        "the total gets replaced each pass",
        problem,
        node,
        scripted({"judge": [ModelBackendError("down")]}),
        calls,
    )
    assert a.label == "unclear" and a.source == "rules"
    assert [(c.purpose, c.ok) for c in calls] == [("judge-understanding", False)]


def test_code_passing_every_test_solves_the_problem(bank, sandbox):
    problem = bank.get("toy-debug-average")
    ev = assess_code(problem.fixed_code, problem, PlanTree.for_problem(problem), sandbox)
    assert ev.assessment.label == "correct" and ev.assessment.solved_problem
    assert ev.assessment.source == "execution"
    assert ev.resolved_bugs == ["b1"]
    assert {t.status for t in ev.tests} == {"passed"}


def test_a_different_but_working_fix_resolves_the_bug(bank, sandbox):
    problem = bank.get("toy-debug-average")
    code = problem.buggy_code.replace("total = n", "total = total + n")
    ev = assess_code(code, problem, PlanTree.for_problem(problem), sandbox)
    assert ev.resolved_bugs == ["b1"]


def test_a_bug_is_resolved_only_when_its_broken_tests_pass(bank, sandbox):
    problem = bank.get("toy-debug-average")
    code = problem.buggy_code.replace("total = n", "total -= n")  # the buggy text is gone, the tests still fail
    ev = assess_code(code, problem, PlanTree.for_problem(problem), sandbox)
    assert ev.resolved_bugs == []
    assert ev.assessment.label == "incorrect"
    assert "test_three" in ev.assessment.evidence


def test_fixing_the_current_bug_of_several_is_correct_for_that_node(bank, sandbox):
    problem = bank.get("toy-debug-max-index")
    code = problem.buggy_code.replace("len(nums))", "len(nums)):")
    ev = assess_code(code, problem, PlanTree.for_problem(problem), sandbox)
    assert ev.resolved_bugs == ["b1"]
    assert ev.assessment.label == "correct" and not ev.assessment.solved_problem
    failing = {t.name for t in ev.tests if t.status != "passed"}
    assert failing == {"test_max_in_middle", "test_max_at_end"}


def test_fixing_a_later_bug_first_is_partial_and_counted_for_that_bug(bank, sandbox):
    problem = bank.get("toy-debug-max-index")
    code = problem.buggy_code.replace("best = nums[i]", "best = i")  # b2 fixed, the syntax error (b1) remains
    ev = assess_code(code, problem, PlanTree.for_problem(problem), sandbox)
    assert ev.resolved_bugs == ["b2"]
    assert ev.assessment.label == "partially_correct"
    assert {t.status for t in ev.tests} != {"passed"}


def test_unchanged_buggy_code_resolves_nothing(bank, sandbox):
    problem = bank.get("toy-debug-max-index")
    ev = assess_code(problem.buggy_code, problem, PlanTree.for_problem(problem), sandbox)
    assert ev.resolved_bugs == []
    assert ev.assessment.label == "incorrect"
