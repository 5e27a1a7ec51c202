"""The committed validated ladders (`datasets/hints/*.json`, the tutor's data): each hint is for a bank bug,
in ladder order, accepted by its rule, whole (not cut off) and about its program, passed by the fix-leak check,
hand-labelled as not telling the fix (`datasets/evals/hint_labels_ladder_runs.json`), and attached by the bank
to its bug."""

from __future__ import annotations

import json

from student_sim.fix_leak import check_hint
from student_sim.hint_ladder import bug_task, unusable
from tutor.problems.bank import ProblemBank, datasets_dir
from tutor.problems.ladders import HINT_LEVELS, ladder_files, merged_ladders
from tutor.problems.schema import DebuggingProblem
from tutor.sandbox import Sandbox

LABELS = datasets_dir() / "evals" / "hint_labels_ladder_runs.json"


def test_every_committed_hint_passes_the_check_and_a_hand_label_and_reaches_its_bug():
    files = ladder_files(datasets_dir() / "hints")
    assert files, "the bank's ladders are committed"
    ladders = merged_ladders(files)
    labels = {
        (r["problem_id"], r["bug_id"], r["level"], r["hint"]): r for r in json.loads(LABELS.read_text())["labels"]
    }
    plain, attached = ProblemBank.load(ladders=False), ProblemBank.load()
    problems = bugs = 0
    with Sandbox() as box:
        for problem_id, by_bug in ladders.items():
            problem = plain.get(problem_id)
            assert isinstance(problem, DebuggingProblem)
            problems += 1
            for bug_id, hints in by_bug.items():
                bugs += 1
                task = bug_task(problem, problem.bug(bug_id), box)
                assert not isinstance(task, str), (problem_id, bug_id, task)
                levels = [h.level for h in hints]
                assert levels == sorted(levels, key=HINT_LEVELS.index) and len(set(levels)) == len(levels)
                for hint in hints:
                    where = (problem_id, bug_id, hint.level, hint.text)
                    assert hint.n2 >= hint.n1 and hint.attempts >= 1, where
                    assert not check_hint(hint.text, task.facts).leaks, where
                    assert unusable(hint.text, task) is None, where  # whole, and about this program
                    assert where in labels, f"no hand label for {where}"
                    assert not labels[where]["tells"], where
                found = attached.get(problem_id)
                assert isinstance(found, DebuggingProblem) and found.bug(bug_id).hint_ladder == hints
    assert problems >= 1 and bugs >= 1
