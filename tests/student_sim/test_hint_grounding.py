"""Hints that cannot be about their program are named. The `recorded` hints are verbatim outputs of the bundled
model from the bank ladder run (datasets/evals/hint_labels_ladder_runs.json)."""

from __future__ import annotations

import pytest

from student_sim.hint_grounding import parses, ungrounded
from tutor.problems.bank import ProblemBank


@pytest.fixture(scope="module")
def bank():
    return ProblemBank.load(ladders=False)


def test_a_print_for_a_program_that_does_not_parse_is_named(bank):
    savings = bank.get("debug-018-savings-goal")  # `whlie balance < goal:`
    assert not parses(savings.buggy_code)
    recorded = "Add print(balance) on line 3 and run the failing test. Observe if the value increases as expected."
    assert ungrounded(recorded, savings.buggy_code) == "asks to run a program that does not parse"
    assert ungrounded("Read line 3 word by word: which word does Python not know?", savings.buggy_code) is None
    # the same experiment on a program that runs is a fine next step (recorded, debug-009, labelled appropriate)
    sale = bank.get("debug-009-sale-price")
    trace = "Let's start with a small input, such as `sale_price(50, 20)` and see what happens. Add print(discounted)."
    assert ungrounded(trace, sale.buggy_code) is None


def test_a_line_the_program_does_not_have_and_an_unfilled_slot_are_named(bank):
    museum = bank.get("debug-007-museum-hours")  # 6 lines
    assert ungrounded("Look at line 12 while test_wednesday runs.", museum.buggy_code) == (
        "names line 12; the program has 6"
    )
    recorded = "we can add a print statement on line 4 to see the value of the variable <day> and its value"
    assert ungrounded(recorded, museum.buggy_code) == "leaves a slot unfilled: <day>"
    assert (
        ungrounded("Add print(<a variable>) on line <N>.", museum.buggy_code) == "leaves a slot unfilled: <a variable>"
    )
    assert ungrounded("Is `day < 5` ever true for a string?", museum.buggy_code) is None
    # recorded (debug-030's accepted conceptual hint): slots "filled" with code still in their brackets
    report = bank.get("debug-030-grade-report")
    filled = "The line 22 of the code sets <report[name]>, but the value it produces is <letter_grade(80)>."
    assert ungrounded(filled, report.buggy_code) == "leaves a slot unfilled: <report[name]>"
    assert ungrounded("When 3 < 5 and 7 > 2, which branch of letter_grade runs?", report.buggy_code) is None


def test_a_name_nobody_defines_is_named_but_builtins_methods_and_the_test_are_known(bank):
    packing = bank.get("debug-004-packing-list")
    assert ungrounded("What does `best_score` hold after line 4?", packing.buggy_code) == (
        "names `best_score`, which the program does not have"
    )
    for fine in ("How is `append` different from `extend`?", "What does `len(everything)` give?"):
        assert ungrounded(fine, packing.buggy_code) is None
    failing = 'assert combine_lists([["tent"]]) == ["tent"]\nAssertionError: left [["tent"]]'
    assert ungrounded("The test calls `combine_lists`; read its `AssertionError`.", packing.buggy_code, failing) is None
    assert ungrounded('Compare `items == "tent"` with what you expect.', packing.buggy_code) is None  # data, not names
