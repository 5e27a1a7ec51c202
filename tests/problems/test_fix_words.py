from __future__ import annotations

import pytest

from tutor.problems.importers.fix_words import fix_candidates, split_alternatives
from tutor.problems.importers.socratic_debugging import _program, _tests

GRADE = (
    "def grade(score):\n    if score > 90:\n        letter = 'A'\n    else:\n        letter = 'B'\n    return letter\n"
)
LOOP = "def count(xs):\n    n = 0\n    for x in xs:\n        if x:\n            n += 1\n    return x\n"


@pytest.mark.parametrize(
    ("fix", "changed"),
    [
        ("Replace `>` with `>=` on line 2.", "    if score >= 90:"),
        ("On line 2, change `>` to `>=`.", "    if score >= 90:"),
        ("Change the return statement on line 6 to `n`", None),  # GRADE has no `n`: not read on GRADE
        ("Replace `'A'` with `'a'` and `'B'` with `'b'` on lines 3 and 5.", "        letter = 'a'"),
        ("Add `:` after `else` on line 4.", None),  # already there: the program would not change
    ],
)
def test_replacements_in_words(fix, changed):
    candidates = fix_candidates(GRADE, fix)
    if changed is None:
        assert all(changed is None or changed in c for c in candidates)
    else:
        assert candidates and changed in candidates[0].splitlines()


def test_a_compound_fix_applies_every_clause_on_the_original_line_numbers():
    (program,) = fix_candidates(GRADE, "Replace `'A'` with `'a'` and `'B'` with `'b'` on lines 3 and 5.")
    assert "letter = 'a'" in program and "letter = 'b'" in program


def test_insert_after_a_line_tries_the_hinted_indentation_first():
    first = fix_candidates(LOOP, "After line 5, insert `print(n)` outside the for loop scope.")[0]
    assert first.splitlines()[5] == "    print(n)"
    readings = fix_candidates(LOOP, "After line 5 insert `print(n)`.")
    assert {r.splitlines()[5] for r in readings} >= {"            print(n)", "    print(n)"}


def test_a_fenced_block_after_an_instruction_is_its_code():
    (fix,) = split_alternatives(
        "After line 5, insert the following outside the for loop scope:\n```py\nif n:\n    n -= 0\n```"
    )
    first = fix_candidates(LOOP, fix)[0]
    assert first.splitlines()[5:7] == ["    if n:", "        n -= 0"]


def test_delete_move_initialise_and_statement_changes():
    assert "n = 0" not in fix_candidates(LOOP, "Remove line 2.")[0]
    assert fix_candidates(LOOP, "Initialize `n` to 5 on line 2.")[0].splitlines()[1] == "    n = 5"
    assert fix_candidates(LOOP, "Change the return statement on line 6 to `n`")[0].splitlines()[5] == "    return n"
    moved = fix_candidates(LOOP, "Move line 2 to be above line 6.")[0].splitlines()
    assert moved[1] == "    for x in xs:" and moved[4] == "    n = 0"
    inline = fix_candidates("def f(a, b):\n    a * b\n", "Add `return` before `a * b`.")
    assert inline[0] == "def f(a, b):\n    return a * b\n"


def test_words_that_are_not_an_instruction_give_no_candidate():
    assert fix_candidates(LOOP, "Think about what the loop counts.") == []
    assert fix_candidates(LOOP, "Replace `zzz` with `y` on line 3.") == []


def test_listings_numbered_on_a_column_are_read_so_that_they_compile():
    listing = "1. def f(n):\n2.  if n:\n3.     a = 1\n10.    b = 2\n11. return n\n"
    assert _program(listing) == "def f(n):\n if n:\n    a = 1\n    b = 2\n return n\n"
    assert _program("1. def f(a):\n2.\treturn a\n") == "def f(a):\n\treturn a\n"  # a tab indents


def test_unit_tests_with_setup_lines_run_as_one_script():
    tests = _tests("xs = []\nassert add(xs, 1) is None\nassert xs == [1]\n", [])
    assert [name for name, _ in tests] == ["test_add_1", "test_case_2"]
    assert tests[1][1].startswith("xs = []\ntry:\n    (add(xs, 1) is None)\nexcept Exception:")
    assert tests[1][1].endswith("assert xs == [1]")
