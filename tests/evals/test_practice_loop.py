"""The closed-loop practice evaluation: students carry what they learn from problem to problem, each policy
picks its own problems, the post-test is held back, and the command writes its report."""

from __future__ import annotations

import json

from evals.practice_cli import practice_command
from evals.practice_loop import POLICIES, LoopSettings, PracticeLoop, first_answer_accuracy, learned, summarize
from student_sim.profiles import get_profile
from tutor.problems.bank import ProblemBank
from tutor.sandbox import Sandbox

MATH = ProblemBank.load().list(domain="math")


def test_students_learn_across_problems_and_the_post_test_is_never_practised():
    with Sandbox() as sandbox:
        loop = PracticeLoop(MATH, None, sandbox, LoopSettings(practice=3, post_test=6))
        profile = get_profile("ava-adds-instead")
        results = [loop.run_student(profile, 0, policy) for policy in POLICIES]
    held = {p.id for p in loop.post}
    assert len(held) == 6 and not held & {p.id for p in loop.pool}
    for result in results:
        assert len(result.practised) == 3 and not held & set(result.practised)
        assert result.post_mastery > result.pre_mastery  # hints on the practice problems taught something
    assert results[0].practised != results[2].practised or results[0].practised != results[1].practised
    summary = summarize(results)
    assert set(summary) == {*POLICIES, "targeted_minus_random", "targeted_minus_fixed"}


def test_a_held_misconception_lowers_the_first_answer_accuracy():
    profile = get_profile("ava-adds-instead")
    assert profile.misconceptions
    loosened = profile.model_copy(
        update={"misconceptions": [m.model_copy(update={"strength": 0.0}) for m in profile.misconceptions]}
    )
    assert first_answer_accuracy(loosened, MATH) > first_answer_accuracy(profile, MATH)
    assert learned(profile, _state(profile)).mastery["addition"] == 0.99


def _state(profile):
    from student_sim.state import StudentState

    return StudentState(profile_id=profile.id, problem_id="p", seed=0, mastery={"addition": 0.99})


def test_the_command_writes_a_report_with_intervals(tmp_path):
    practice_command(out=tmp_path, profiles="ava-adds-instead,grace-strong-all-rounder", seeds=1, practice=2,
                     post_test=5, domain="math", tutor_model=None)  # fmt: skip
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["meta"]["students"] == 2 and len(summary["students"]) == 6
    assert summary["summary"]["targeted"]["post_test_accuracy"]["low"] is not None
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| targeted |" in report and (tmp_path / "accuracy.png").stat().st_size > 1000
