"""Hint generation and validation end to end with scripted models and the real sandbox."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from student_sim.hint_validation import StudentRepairer, ValidationConfig, accepts, derive_seed
from student_sim.hints import (
    HintConfig,
    HintPipeline,
    ModelsUsed,
    find_failing_test,
    token_edit_distance,
)
from tutor.errors import ModelBackendError
from tutor.models.scripted import ScriptedChatModel
from tutor.problems import toy_bank
from tutor.sandbox import Sandbox

SPECS = ModelsUsed(hint="scripted-hint", student="scripted-student")
HINT_MARK = "Your tutor's hint"


@pytest.fixture(scope="module")
def box():
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def average():
    return toy_bank().get("toy-debug-average")


def fenced(code: str) -> str:
    return f"Here is my program:\n```python\n{code}```\n"


def hint_json(
    explanation: str = "Line 4 sets total to the current number on every pass, so only the last one is kept.",
    hint: str = "What should happen to total on each pass?",
) -> str:
    return json.dumps({"explanation": explanation, "hint": hint})


class SeededStudent(ScriptedChatModel):
    """A student whose success is a fixed function of (arm, sampling seed): right program or buggy one."""

    succeed: Callable[[str, int], bool]
    right: str
    wrong: str
    seeds: list[tuple[str, int]] = []

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        arm = "with" if HINT_MARK in str(messages[-1].content) else "without"
        seed = int(kwargs["seed"])
        self.seeds.append((arm, seed))
        code = self.right if self.succeed(arm, seed) else self.wrong
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=fenced(code)))])


def student_by_arm(problem, *, without: bool, with_: bool) -> ScriptedChatModel:
    def reply(messages: list[BaseMessage]) -> str:
        hinted = HINT_MARK in str(messages[-1].content)
        return fenced(problem.fixed_code if (with_ if hinted else without) else problem.buggy_code)

    return ScriptedChatModel(reply_fn=reply)


# ------------------------------------------------------------------------------------------- the pieces


def test_the_failing_test_is_found_by_running_the_buggy_program(box, average):
    failing = find_failing_test(average, average.buggy_code, box)
    assert failing is not None and failing.name == "test_three"
    assert "left: 1.0, right: 2.0" in failing.message
    assert find_failing_test(average, average.fixed_code, box) is None


def test_token_edit_distance_counts_tokens_not_characters():
    assert token_edit_distance("total = n\n", "total += n\n") == 1
    assert token_edit_distance("x = 1\n", "x = 1\n") == 0
    assert token_edit_distance("a = 1\n", "a = 1\nb = 2\n") == 4  # b, =, 2 and the newline
    assert token_edit_distance("def f(:\n", "def f():\n") == 1  # falls back to characters


# ---------------------------------------------------------------------------------------------- generate


def test_a_good_hint_from_the_problem_fix_is_accepted_and_recorded(box, average):
    hint_model = ScriptedChatModel(replies=[hint_json()])
    student = student_by_arm(average, without=False, with_=True)
    config = HintConfig(validation=ValidationConfig(n=3, early_stop=False))
    record = HintPipeline(hint_model, student, box, config, SPECS).generate(average)
    assert record.status == "ok" and record.accepted and record.accepted_trial == 0
    assert record.fix_source == "problem" and record.fixed_code == average.fixed_code
    assert record.hint == "What should happen to total on each pass?"
    trial = record.trials[0]
    assert trial.validation is not None and (trial.validation.n1, trial.validation.n2) == (0, 3)
    assert record.calls.hint == 1 and record.calls.student == trial.validation.calls == len(student.calls)
    assert all(a.code_sha and a.passed for a in trial.validation.attempts)
    # The hint model saw the fix (for itself), the student saw the hint only in the with arm.
    hint_prompt = str(hint_model.calls[0][-1].content)
    assert "total += n" in hint_prompt and "test_three" not in hint_prompt and "average([1, 2, 3])" in hint_prompt
    shown = [str(c[-1].content) for c in student.calls]
    assert any(HINT_MARK in s for s in shown) and any(HINT_MARK not in s for s in shown)
    assert all("total += n" not in s for s in shown)
    assert json.loads(record.model_dump_json())["models"] == {
        "hint": "scripted-hint",
        "student": "scripted-student",
    }


def test_a_useless_hint_is_rewritten_with_new_seeds_at_most_three_times(box, average):
    hint_model = ScriptedChatModel(replies=[hint_json(hint=f"Hint number {i}.") for i in range(5)])
    student = student_by_arm(average, without=False, with_=False)
    config = HintConfig(validation=ValidationConfig(n=4, early_stop=False))
    record = HintPipeline(hint_model, student, box, config, SPECS).generate(average)
    assert not record.accepted and record.hint is None
    assert [t.hint for t in record.trials] == ["Hint number 0.", "Hint number 1.", "Hint number 2."]
    assert len({t.seed for t in record.trials}) == 3
    assert len(hint_model.calls) == 3
    # The without-hint attempts of trial 1 are reused by trials 2 and 3.
    later = [a for t in record.trials[1:] for a in t.validation.attempts if a.arm == "without"]
    assert len(later) == 8 and all(a.reused for a in later)
    assert record.calls.student == 4 + 3 * 4 == len(student.calls)


def test_the_second_trial_can_be_the_accepted_one(box, average):
    hint_model = ScriptedChatModel(replies=[hint_json(hint="Vague words."), hint_json(hint="Look at line 4.")])

    def reply(messages: list[BaseMessage]) -> str:
        text = str(messages[-1].content)
        return fenced(average.fixed_code if "Look at line 4." in text else average.buggy_code)

    record = HintPipeline(hint_model, ScriptedChatModel(reply_fn=reply), box, HintConfig(), SPECS).generate(average)
    assert record.accepted and record.accepted_trial == 1 and record.hint == "Look at line 4."
    assert [t.accepted for t in record.trials] == [False, True]


def test_model_faults_are_failed_attempts_and_failed_trials_never_crashes(box, average):
    hint_model = ScriptedChatModel(replies=["not json at all", ModelBackendError("server down"), hint_json()])
    flaky = {"n": 0}

    def reply(messages: list[BaseMessage]) -> str | Exception:
        flaky["n"] += 1
        if flaky["n"] % 3 == 0:
            return ModelBackendError("timeout")
        if flaky["n"] % 3 == 1:
            return "I don't know how to fix it."
        return fenced(average.fixed_code)

    config = HintConfig(validation=ValidationConfig(n=3, early_stop=False))
    record = HintPipeline(hint_model, ScriptedChatModel(reply_fn=reply), box, config, SPECS).generate(average)
    assert [t.error is not None for t in record.trials] == [True, True, False]
    assert "not valid JSON" in (record.trials[0].error or "") and "server down" in (record.trials[1].error or "")
    attempts = record.trials[2].validation.attempts
    errors = {a.error for a in attempts if not a.success}
    assert "no program in the reply" in errors and "model: timeout" in errors
    assert sum(a.success for a in attempts) == 2


def test_a_program_that_passes_every_test_needs_no_hint(box, average):
    hint_model = ScriptedChatModel(replies=[hint_json()])
    record = HintPipeline(hint_model, hint_model, box, HintConfig(), SPECS).generate(average, average.fixed_code)
    assert record.status == "no_failing_test" and not record.trials and not hint_model.calls


def test_model_fixes_keep_the_passing_repair_closest_to_the_buggy_program(box, average):
    rewrite = "def average(nums):\n    return sum(nums) / len(nums)\n"
    proposals = iter(
        [
            fenced(rewrite),  # passes, but rewrites the function
            fenced(average.buggy_code.replace("total = n", "total -= n")),  # close, but fails
            fenced(average.fixed_code),  # passes with one token changed
            "no idea",
            ModelBackendError("overloaded"),
        ]
    )

    def reply(messages: list[BaseMessage]) -> str | Exception:
        if "expert Python programmer" in str(messages[-1].content):
            return next(proposals)
        return hint_json()

    hint_model = ScriptedChatModel(reply_fn=reply)
    student = student_by_arm(average, without=False, with_=True)
    config = HintConfig(fix="model", k_fixes=5)
    record = HintPipeline(hint_model, student, box, config, SPECS).generate(average)
    assert record.fix_source == "model" and record.fixed_code == average.fixed_code
    passed = [c for c in record.fix_candidates if c.passed]
    assert len(record.fix_candidates) == 5 and len(passed) == 2
    assert min(passed, key=lambda c: c.edit_distance or 0).edit_distance == 1
    assert record.fix_candidates[3].error == "no program in the reply"
    assert record.fix_candidates[4].error == "model: overloaded"
    assert record.calls.hint == 6  # five proposals and one hint
    assert len({c.seed for c in record.fix_candidates}) == 5


def test_no_passing_repair_means_no_hint(box, average):
    hint_model = ScriptedChatModel(replies=[fenced(average.buggy_code)])
    record = HintPipeline(hint_model, hint_model, box, HintConfig(fix="model", k_fixes=3), SPECS).generate(average)
    assert record.status == "no_fix" and not record.trials and record.calls.hint == 3


# -------------------------------------------------------------------------------- early stop, for real


def test_early_stop_through_the_sandbox_decides_like_fixed_n_on_the_same_seeds(box, average):
    rng = random.Random(7)
    saved = fixed_total = 0
    for case in range(8):
        p_without, p_with = rng.random(), rng.random()
        salt = rng.random()

        def succeed(arm: str, seed: int, p_without=p_without, p_with=p_with, salt=salt) -> bool:
            return random.Random(f"{salt}:{arm}:{seed}").random() < (p_with if arm == "with" else p_without)

        n = rng.randint(2, 6)
        validation = ValidationConfig(
            n=n, mode=rng.choice(["gpt4hints", "pyfixv"]), threshold=rng.choice([0.3, 0.5, 0.8])
        )
        decisions, calls = [], []
        for early in (True, False):
            student = SeededStudent(succeed=succeed, right=average.fixed_code, wrong=average.buggy_code, seeds=[])
            config = HintConfig(validation=validation.model_copy(update={"early_stop": early}), max_trials=1, seed=case)
            record = HintPipeline(ScriptedChatModel(replies=[hint_json()]), student, box, config, SPECS).generate(
                average
            )
            decisions.append(record.accepted)
            calls.append(record.calls.student)
            if not early:
                base = derive_seed(case, average.id, "student")
                n1 = sum(succeed("without", derive_seed(base, "without", i)) for i in range(n))
                n2 = sum(succeed("with", derive_seed(base, "with", i)) for i in range(n))
                assert record.accepted is accepts(n1, n2, validation)
        assert decisions[0] is decisions[1]
        assert calls[0] <= calls[1]
        saved += calls[1] - calls[0]
        fixed_total += calls[1]
    assert saved > 0


def test_each_attempt_gets_its_own_seed_and_the_sampling_temperature(box, average):
    seen: list[dict[str, Any]] = []

    class Recording(ScriptedChatModel):
        def _generate(
            self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
        ) -> ChatResult:
            seen.append(kwargs)
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=fenced(average.buggy_code)))])

    failing = find_failing_test(average, average.buggy_code, box)
    from student_sim.hint_validation import RepairTask

    task = RepairTask(average.statement, average.buggy_code, failing, tuple((t.name, t.code) for t in average.tests))
    repairer = StudentRepairer(Recording(), box, temperature=0.9, base_seed=5)
    records = [repairer.attempt(task, "without", i, None) for i in range(4)]
    assert len({kw["seed"] for kw in seen}) == 4 and all(kw["temperature"] == 0.9 for kw in seen)
    assert [r.seed for r in records] == [kw["seed"] for kw in seen]
    assert all(not r.success and r.failed == ("test_three", "test_negative") for r in records)


# -------------------------------------------------------------------------------------------- revalidate


def test_revalidation_reuses_the_stored_hints_under_new_knobs(box, average):
    hint_model = ScriptedChatModel(replies=[hint_json()])
    student = student_by_arm(average, without=False, with_=True)
    record = HintPipeline(hint_model, student, box, HintConfig(), SPECS).generate(average)
    strict = HintConfig(validation=ValidationConfig(n=4, early_stop=False))
    # The same hint, now facing a student who solves it with or without the hint: no gain, n2/n = 1.
    both = student_by_arm(average, without=True, with_=True)
    again = HintPipeline(hint_model, both, box, strict, SPECS).revalidate(record, average)
    assert again.hint == record.hint and again.calls.hint == 0 and len(hint_model.calls) == 1
    v = again.trials[0].validation
    assert v is not None and (v.n1, v.n2, v.done_without) == (4, 4, 4) and again.accepted
    pyfixv = strict.model_copy(update={"validation": ValidationConfig(mode="pyfixv", n=4, threshold=0.9)})
    none_with = student_by_arm(average, without=True, with_=False)
    rejected = HintPipeline(hint_model, none_with, box, pyfixv, SPECS).revalidate(record, average)
    assert not rejected.accepted and rejected.hint is None


def test_a_hint_that_states_the_fix_is_rejected_and_rewritten_without_a_student_call(box, average):
    # The hint the issue found accepted: a student handed the fix succeeds, so validation alone approves it.
    leaky = hint_json(explanation="Write `total += n` on line 4.", hint="Use `total += n` instead of `total = n`.")
    hint_model = ScriptedChatModel(replies=[leaky, hint_json()])
    student = student_by_arm(average, without=False, with_=True)
    record = HintPipeline(hint_model, student, box, HintConfig(), SPECS).generate(average)
    first, second = record.trials
    assert first.reveals_fix and first.leak_reasons and first.validation is None and not first.accepted
    assert second.accepted and record.accepted_trial == 1 and record.hint == "What should happen to total on each pass?"
    assert record.calls.student == second.validation.calls == len(student.calls)
    unchecked = HintConfig(check_leaks=False)
    flagged = HintPipeline(ScriptedChatModel(replies=[leaky]), student, box, unchecked, SPECS).generate(average)
    assert flagged.accepted and flagged.trials[0].leak_reasons  # recorded, not enforced, when switched off
