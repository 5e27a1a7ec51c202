"""Facts of the failing test's run for the hint writer, from the real sandbox on bank problems."""

from __future__ import annotations

import pytest

from student_sim.hint_ladder import LadderConfig, LadderPipeline, bug_task
from student_sim.hint_trace import run_facts
from student_sim.hint_validation import FailingTest, RepairTask, ValidationConfig
from student_sim.hints import ModelsUsed
from tutor.models.scripted import ScriptedChatModel
from tutor.problems.bank import ProblemBank
from tutor.sandbox import Limits, Sandbox


@pytest.fixture(scope="module")
def box():
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def bank():
    return ProblemBank.load(ladders=False)


def facts_of(bank, box, problem_id: str) -> str:
    problem = bank.get(problem_id)
    task = bug_task(problem, problem.bugs[0], box)
    assert not isinstance(task, str)
    return run_facts(task.task, sorted(task.facts.changed_lines), box)


def test_the_values_on_the_bug_lines_come_from_running_the_failing_test(bank, box):
    facts = facts_of(bank, box, "debug-005-rain-sensor")  # removes from the list it loops over
    assert "- line 4 runs 1 time." in facts  # -7 is skipped: only -2 is ever removed
    assert "before it runs: readings = [-2, -7, 5], value = -2; after it: readings = [-7, 5]" in facts
    assert "- drop_errors(readings=[-2, -7, 5]) returns [-7, 5]." in facts
    assert facts.endswith("- Outcome: the test's assert fails.")


def test_calls_show_their_arguments_as_passed_and_a_def_line_is_not_said_never_to_run(bank, box):
    facts = facts_of(bank, box, "debug-011-party-guests")  # the shared default list, on line 1
    assert "- invite(name='Sam', guests=['Mia']) returns ['Mia', 'Sam']." in facts
    assert "never runs" not in facts


def test_a_program_that_does_not_parse_has_no_values_to_watch(bank, box):
    facts = facts_of(bank, box, "debug-018-savings-goal")
    assert facts.startswith("Python cannot read the file: invalid syntax on line 3.")
    assert "no value can be printed or watched" in facts


def test_deep_recursion_is_cut_and_a_program_that_never_ends_gives_no_facts(bank, box):
    facts = facts_of(bank, box, "debug-010-brick-wall")
    assert "or more (the trace stops there)" in facts and "RecursionError" in facts
    loop = RepairTask("", "def f():\n    while True:\n        pass\n", FailingTest(name="t", code="f()\n"), ())
    assert run_facts(loop, [2], box, Limits(cpu_s=1, wall_s=2)) == ""


def test_the_writer_is_shown_the_facts_only_when_asked(bank, box):
    rain = bank.get("debug-005-rain-sensor")
    prompts: list[str] = []

    def reply(messages) -> str:
        prompts.append(str(messages[-1].content))
        return '{"hint": "What does readings hold after line 4 removes -2?"}'

    student = ScriptedChatModel(reply_fn=lambda messages: f"```python\n{rain.buggy_code}```")
    specs = ModelsUsed(hint="scripted", student="scripted")
    for shown in (True, False):
        config = LadderConfig(validation=ValidationConfig(n=1, early_stop=False), max_trials=1, run_facts=shown)
        LadderPipeline(ScriptedChatModel(reply_fn=reply), student, box, config, specs).generate_bug(rain, rain.bugs[0])
        assert all(("- drop_errors(readings=[-2, -7, 5]) returns [-7, 5]." in p) == shown for p in prompts)
        prompts.clear()
