"""Hint ladders end to end with scripted models and the real sandbox: each level is written, checked for
the fix and validated apart, against a student shown the same earlier hints; the tutor's file comes out."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import BaseMessage

from student_sim.hint_ladder import (
    LadderConfig,
    LadderPipeline,
    apply_patch,
    bug_task,
    cut_off,
    ladder_file,
    recheck_accepted,
)
from student_sim.hint_validation import ValidationConfig
from student_sim.hints import ModelsUsed
from tutor.models.scripted import ScriptedChatModel
from tutor.problems import toy_bank
from tutor.problems.bank import ProblemBank
from tutor.problems.ladders import LadderFile
from tutor.sandbox import Sandbox

SPECS = ModelsUsed(hint="scripted-hint", student="scripted-student")
POINTER = "When test_three runs, what value does total hold after line 4?"
CONCEPT = "Line 4 makes total the current number, but the average needs every number."
NEXT = "Work through average([1, 2, 3]) by hand, writing down total after line 4 each time."
TELLING = "Use `total += n` instead of `total = n`."


@pytest.fixture(scope="module")
def box():
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def average():
    return toy_bank().get("toy-debug-average")


def writer(by_level: dict[str, list[str]]) -> ScriptedChatModel:
    """Replies per level (read off the prompt), in order; the last one repeats."""
    queues = {k: list(v) for k, v in by_level.items()}

    def reply(messages: list[BaseMessage]) -> str:
        prompt = str(messages[-1].content)
        level = next(k for k in ("pointer", "conceptual", "next-step") if f"a {k} hint" in prompt)
        queue = queues[level]
        return json.dumps({"hint": queue.pop(0) if len(queue) > 1 else queue[0]})

    return ScriptedChatModel(reply_fn=reply)


def student(problem, helps: set[str]) -> ScriptedChatModel:
    """Repairs the program exactly when one of the `helps` hints is among those shown."""

    def reply(messages: list[BaseMessage]) -> str:
        prompt = str(messages[-1].content)
        shown = prompt.split("Your tutor's hints:", 1)[1] if "Your tutor's hints:" in prompt else ""
        code = problem.fixed_code if any(h in shown for h in helps) else problem.buggy_code
        return f"```python\n{code}```"

    return ScriptedChatModel(reply_fn=reply)


def test_the_bug_task_targets_the_tests_its_patch_repairs(box, average):
    task = bug_task(average, average.bugs[0], box)
    assert not isinstance(task, str)
    assert task.task.failing.name == "test_three" and task.fixed == average.fixed_code
    assert apply_patch(average.buggy_code, average.bugs[0]) == average.fixed_code
    # toy-debug-max-index's b2 is hidden by b1 on the student's program: the task uses the program with b1 fixed.
    max_index = toy_bank().get("toy-debug-max-index")
    b2 = bug_task(max_index, max_index.bug("b2"), box)
    assert not isinstance(b2, str) and b2.task.buggy_code != max_index.buggy_code


def test_each_level_is_validated_against_the_same_earlier_help(box, average):
    hints = writer({"pointer": [POINTER], "conceptual": [CONCEPT], "next-step": [NEXT]})
    # The pointer alone helps; a student who saw the pointer already succeeds, so the conceptual hint adds
    # nothing at its level (n2 = n1 = n, accepted by alpha) and the next step likewise.
    sim = student(average, helps={POINTER})
    config = LadderConfig(validation=ValidationConfig(n=3, early_stop=False))
    (record,) = LadderPipeline(hints, sim, box, config, SPECS).generate(average)
    pointer, concept, step = record.levels
    assert pointer.accepted is not None and (pointer.accepted.validation.n1, pointer.accepted.validation.n2) == (0, 3)
    assert concept.earlier == (POINTER,) and step.earlier == (POINTER, CONCEPT)
    v = concept.accepted.validation
    assert (v.n1, v.n2) == (3, 3)
    # Both arms of a level saw the earlier hints; only the with arm saw this level's hint.
    prompts = [str(c[-1].content) for c in sim.calls]
    assert any(POINTER in p and CONCEPT not in p for p in prompts) and any(CONCEPT in p for p in prompts)
    assert record.calls.student == len(sim.calls) and record.calls.hint == 3


def test_a_telling_hint_is_rewritten_without_a_student_call_and_never_accepted(box, average):
    hints = writer({"pointer": [TELLING, POINTER], "conceptual": [TELLING], "next-step": [NEXT]})
    sim = student(average, helps={POINTER, TELLING})
    config = LadderConfig(validation=ValidationConfig(n=2, early_stop=False), max_trials=2)
    (record,) = LadderPipeline(hints, sim, box, config, SPECS).generate(average)
    pointer, concept, _ = record.levels
    first, second = pointer.trials
    assert first.leak_reasons and first.validation is None and second.accepted and pointer.accepted_trial == 1
    assert concept.accepted is None and all(t.leak_reasons and t.validation is None for t in concept.trials)
    assert all(TELLING not in str(c[-1].content) for c in sim.calls)  # no student ever saw it
    # Switched off, the check only records: the telling hint is validated and, handed the fix, accepted.
    loose = config.model_copy(update={"check_leaks": False})
    (unchecked,) = LadderPipeline(writer({"pointer": [TELLING], "conceptual": [CONCEPT], "next-step": [NEXT]}),
                                  student(average, helps={TELLING}), box, loose, SPECS).generate(average)  # fmt: skip
    assert unchecked.levels[0].accepted is not None and unchecked.levels[0].accepted.leak_reasons


def test_early_stop_takes_the_fixed_n_decisions_with_fewer_calls(box, average):
    runs = {}
    for early in (False, True):
        hints = writer({"pointer": ["Vague.", POINTER], "conceptual": [CONCEPT], "next-step": [NEXT]})
        config = LadderConfig(validation=ValidationConfig(n=4, early_stop=early))
        pipeline = LadderPipeline(hints, student(average, {POINTER}), box, config, SPECS)
        (runs[early],) = pipeline.generate(average)
    fixed, early = runs[False], runs[True]
    assert [lv.accepted_trial for lv in fixed.levels] == [lv.accepted_trial for lv in early.levels]
    assert early.calls.student < fixed.calls.student


def test_the_tutor_file_holds_accepted_hints_with_their_figures(box, average):
    hints = writer({"pointer": [POINTER], "conceptual": ["Hmm."], "next-step": [NEXT]})
    config = LadderConfig(validation=ValidationConfig(n=2, early_stop=False), max_trials=1)
    records = LadderPipeline(hints, student(average, {NEXT}), box, config, SPECS).generate(average)
    file = LadderFile.model_validate_json(ladder_file(records).model_dump_json())
    ladder = file.ladders["toy-debug-average"]["b1"]
    assert [h.level for h in ladder] == ["next_step"]  # the pointer and "Hmm." did not help: no rung for them
    assert ladder[0].text == NEXT and (ladder[0].n1, ladder[0].n2, ladder[0].attempts) == (0, 2, 2)
    assert ladder[0].student_model == "scripted-student" and file.models["hint"] == "scripted-hint"
    assert ladder_file([]).ladders == {}


# Hints the bundled model wrote for debug-007 (recorded in the bank run): a quote inside the JSON string ended it.
CUT = ["The line `if day ==", "When the failing test runs, the value of 'day' holds 'Wednesday'. On line 4, `if day =="]


@pytest.mark.parametrize("hint", CUT + ["Look at what total holds after line 4 (", "Compare total =", "total, n,"])
def test_a_cut_off_hint_is_named(hint):
    assert cut_off(hint)


@pytest.mark.parametrize("hint", [POINTER, CONCEPT, NEXT, "Check `total` after line 4: is it what you expect"])
def test_a_whole_hint_is_not_cut_off(hint):
    assert cut_off(hint) is None


def test_a_cut_off_hint_is_never_shown_to_the_student_and_a_whole_one_is_written_again(box, average):
    sim = student(average, helps={POINTER})
    config = LadderConfig(validation=ValidationConfig(n=2, early_stop=False), max_trials=2)
    hints = writer({"pointer": [CUT[0], POINTER], "conceptual": [CONCEPT], "next-step": [NEXT]})
    (record,) = LadderPipeline(hints, sim, box, config, SPECS).generate(average)
    first, second = record.levels[0].trials
    assert first.error and "cut off" in first.error and first.validation is None
    assert second.accepted and record.levels[0].accepted_trial == 1
    assert all(CUT[0] not in str(c[-1].content) for c in sim.calls)


def test_a_hint_about_another_program_is_never_shown_and_the_tutor_file_leaves_one_out(box):
    # debug-018 does not parse (`whlie`); the bundled model's accepted next step asked for a print (recorded)
    savings = ProblemBank.load(ladders=False).get("debug-018-savings-goal")
    printing = "Add print(balance) on line 3 and run the failing test. Observe if the value increases as expected."
    pointer = "Read line 3 word by word: which word does Python not know?"
    sim = student(savings, helps={pointer})
    config = LadderConfig(validation=ValidationConfig(n=1, early_stop=False), max_trials=1)
    hints = writer({"pointer": [pointer], "conceptual": ["Hmm."], "next-step": [printing]})
    (record,) = LadderPipeline(hints, sim, box, config, SPECS).generate(savings)
    (next_step,) = record.levels[2].trials
    assert next_step.error == "the hint is not about this program (asks to run a program that does not parse)"
    assert next_step.validation is None and all(printing not in str(c[-1].content) for c in sim.calls)
    # a record accepted before the rule existed: the tutor's file leaves that hint out, the pointer stays
    accepted = next_step.model_copy(update={"error": None, "validation": record.levels[0].trials[0].validation})
    levels = (
        record.levels[0],
        record.levels[1],
        record.levels[2].model_copy(update={"trials": (accepted,), "accepted_trial": 0}),
    )
    old = record.model_copy(update={"levels": levels})
    checked, dropped = recheck_accepted([old], {savings.id: savings}, box)
    assert dropped == [
        f"{savings.id} b1 next_step: the hint is not about this program (asks to run a program that does not parse)"
    ]
    before = [lv.accepted_trial for lv in old.levels]
    assert before[0] == 0 and [lv.accepted_trial for lv in checked[0].levels] == [*before[:2], None]
