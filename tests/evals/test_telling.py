"""The telling detector: its reader, its key, its verdicts on real tutor replies, and its evaluation."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from evals.telling_eval import (
    FIGURES_PATH,
    LABELS_PATH,
    classification_figures,
    detector_verdict,
    mathdial_examples,
    own_examples,
    read_labels,
    run,
)
from student_sim.telling import AnswerKey, answer_key, detect_telling
from student_sim.telling_text import code_tokens, read_numbers, sentences
from tutor.problems import toy_bank
from tutor.problems.bank import ProblemBank
from tutor.problems.schema import parse_problem

PENCILS = "toy-math-pencils"  # 7 pencils at $0.40, pays with $5: cost 2.8 (s1), change 2.2 (s2, final)
AVERAGE = "toy-debug-average"  # bug b1 on line 4: `total = n` -> `total += n`


def _tells(problem_id: str, text: str, **kwargs) -> bool:
    return detect_telling(answer_key(toy_bank().get(problem_id)), text, **kwargs).tells


# ------------------------------------------------------------------------------------------ reader


def test_numbers_are_read_in_digits_words_money_and_units():
    values = [(n.value, n.unit) for n in read_numbers("3,650 + 365 = $4015; two dollars and twenty cents; 72 km/h")]
    assert (3650.0, None) in values and (4015.0, None) in values
    assert (2.2, "dollars") in values  # the joined amount, beside its parts
    assert (72.0, "km/h") in values
    assert [n.value for n in read_numbers("twenty-five and a hundred and one")] == [25.0, 101.0]


def test_sentences_end_at_question_marks_but_not_at_decimal_points():
    assert sentences("It costs 2.80. Then what? Next") == ["It costs 2.80.", "Then what?", "Next"]


def test_code_tokens_keep_compound_operators():
    assert code_tokens("total += n  # x == 'a'") == ["total", "+=", "n", "#", "x", "==", "a"]


# --------------------------------------------------------------------------------------------- key


def test_the_key_of_a_worked_solution_has_every_result_and_the_last_number_as_final():
    key = AnswerKey.from_worked_solution(
        "Julia ... bought a package of 5 ... used three ... 12 spoons. How many?",
        "The total was 12+3=15 spoons.\nSo Julia's package contained 15-5=10 spoons.\n 10",
    )
    assert [s.value for s in key.steps] == [15.0, 10.0]
    assert key.final is not None and key.final.value == 10.0
    assert key.reached_by(["I think it is 15"]) == frozenset({"s1"})


def test_the_key_of_a_debugging_problem_is_the_diff_of_the_two_programs():
    key = answer_key(toy_bank().get(AVERAGE))
    (change,) = key.changes
    assert change.bug_id == "b1" and change.lines == (4,)
    assert change.old_tokens == ("=",) and change.new_tokens == ("+=",)
    assert change.added_lines == ("total += n",)


# ------------------------------------------------------------------------------------------ verdicts


@pytest.mark.parametrize(
    "text",
    [
        "No: the change is $2.20. Do you see why?",
        "Mia gets two dollars and twenty cents back.",
        "Is it 2.2?",
        "7 x 0.40 = 2.80, so what is left of the $5?",  # works out step 1
        "So the pencils cost $2.80.",  # step 1's result
        "Subtract the cost of the pencils from 5 dollars.",  # the operation, dictated
        "You need to multiply 7 by $0.40.",
        "The answer is 2.2 dollars.",
    ],
)
def test_math_messages_that_tell(text):
    assert _tells(PENCILS, text)


@pytest.mark.parametrize(
    "text",
    [
        "Let's work through this together. How much do the 7 pencils cost altogether?",
        "What is 7 x 0.40?",  # the operation asked, not dictated
        "You have 5 dollars. What do you do with the cost of the pencils?",
        "Good try! Could seven pencils really cost $7.40?",
        "Which operation finds the cost of several pencils at the same price?",
        "Don't subtract yet: first find the cost of the pencils.",
    ],
)
def test_math_messages_that_do_not_tell(text):
    assert not _tells(PENCILS, text)


def test_confirming_what_the_student_gave_is_not_telling():
    assert not _tells(PENCILS, "Yes, $2.80 is right.", reached_steps={"s1"})
    assert not _tells(PENCILS, "Yes, it is $2.20!", answer_given=True)
    assert not _tells(PENCILS, "You wrote 7 x 0.40 = 2.80; good.", reached_steps={"s1"}, student_numbers=[7, 0.4, 2.8])


@pytest.mark.parametrize(
    ("text", "tells"),
    [
        ("Replace `total = n` with `total += n` on line 4.", True),
        ("Use `+=` instead of `=` on line 4.", True),
        ("```python\ndef average(nums):\n    total = 0\n    for n in nums:\n        total += n\n```", True),
        ("Look at line 4. What does `total = n` do each time round the loop?", False),
        ("Run the tests first. What do you see?", False),
    ],
)
def test_debugging_messages(text, tells):
    assert _tells(AVERAGE, text) is tells


def test_a_fix_kept_in_words_tells_when_the_reply_shows_the_code_it_quotes():
    data = toy_bank().get(AVERAGE).model_dump()
    data.update(source="socratic-debugging", fixed_code=None, missing=[*data["missing"], "patch"])
    data["bugs"][0].update(patch=None, fix="On line 4, write `total += n` so the loop adds each number.")
    key = answer_key(parse_problem(data))
    assert detect_telling(key, "Change line 4 to `total += n`.").tells
    assert not detect_telling(key, "What does line 4 do to `total`?").tells


def test_a_fixed_bug_is_no_secret():
    assert not _tells(AVERAGE, "Yes: `total += n` on line 4 was the fix.", resolved_bugs={"b1"})


def test_the_detector_shares_no_code_with_the_leak_guard():
    for module in ("telling", "telling_text"):
        tree = ast.parse((Path(__file__).resolve().parents[2] / "student_sim" / f"{module}.py").read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not any(
            m.startswith(("tutor.guard", "tutor.problems.answers", "tutor.problems.numbers")) for m in imported
        )
        source = (Path(__file__).resolve().parents[2] / "student_sim" / f"{module}.py").read_text()
        assert "mentions_answer" not in source


# Real replies of the project's tutor on the bundled model (telling_labels.jsonl, `tune` split), labelled by hand.
REAL_TELLING = [
    "collect-assist-physics-001-cycle-to-work-3",  # works the whole solution out on request
    "bench-toy-math-pencils-1",  # "so we multiply 7 by $0.40"
    "record-math-002-bake-sale-change#7",  # gives step 2's result
    "collect-assist-math-005-pizza-slices-3",  # "Yes, there are 12 slices left over."
    "record-math-005-pizza-slices#1",  # gives step 1's result to a wrong answer
]
REAL_NOT_TELLING = [
    "record-toy-physics-car-distance#5",  # a general rule without the problem's numbers
    "record-toy-physics-car-distance#8",  # a wrong distance gives nothing away
    "record-toy-debug-average#2",  # agrees with a wrong fix
    "eval-socratic-12b94e3c90da53ed7dd8-4",  # the operation asked as a question
    "record-math-002-bake-sale-change#6",  # restates a given
    "record-math-005-pizza-slices#5",  # a method hint as a question
    "collect-assist-debug-009-sale-price-1",  # walks through the buggy code
    "record-toy-math-school-trip#9",  # confirms the student's step answer
]


@pytest.mark.parametrize("reply_id", REAL_TELLING + REAL_NOT_TELLING)
def test_real_replies_get_their_human_label(reply_id):
    (row,) = [r for r in read_labels(LABELS_PATH) if r.id == reply_id]
    (example,) = own_examples([row], ProblemBank.load())
    verdict = detector_verdict(example)
    assert row.split == "tune" and row.telling is (reply_id in REAL_TELLING)
    assert verdict.tells is row.telling, verdict.reasons


# ---------------------------------------------------------------------------------------- evaluation


def test_classification_figures():
    f = classification_figures([True, True, False, False, True], [True, False, True, False, True])
    assert (f.tp, f.fp, f.fn, f.tn, f.support, f.n) == (2, 1, 1, 1, 3, 5)
    assert f.precision == pytest.approx(2 / 3, abs=1e-4) and f.recall == pytest.approx(2 / 3, abs=1e-4)
    assert classification_figures([False], [False]).precision == 0.0
    with pytest.raises(ValueError):
        classification_figures([True], [])


def test_the_labelled_set_is_large_enough_has_both_classes_and_names_bank_problems():
    rows = read_labels(LABELS_PATH)
    assert len(rows) >= 100 and len({r.id for r in rows}) == len(rows)
    positives = sum(r.telling for r in rows)
    assert 0.2 * len(rows) <= positives <= 0.8 * len(rows)  # both classes well represented
    assert {r.split for r in rows} == {"tune", "test"}
    assert len(own_examples(rows, ProblemBank.load())) == len(rows)


@pytest.mark.realdata
def test_the_reported_figures_are_what_the_evaluation_gives(realdata_dir):
    examples = mathdial_examples(realdata_dir / "mathdial" / "dev.jsonl")
    assert sum(e.label for e in examples) > 100 and {e.split for e in examples} == {"tune", "test"}
    reported = json.loads(FIGURES_PATH.read_text())["figures"]
    figures = run(realdata_dir, LABELS_PATH)
    for set_name in ("mathdial", "own"):
        for name, f in figures[set_name]["test"].items():
            assert f.f1 == pytest.approx(reported[set_name]["test"][name]["f1"], abs=0.005)
            assert f.support == reported[set_name]["test"][name]["support"]
