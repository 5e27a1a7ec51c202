"""The fix-leak check: hints that quote or paraphrase the fix are flagged, hints that point, describe or
suggest are not. The hints marked `recorded` are verbatim outputs of the bundled model (hint runs of
bench/results/hints_real_records.jsonl and datasets/evals/hint_labels.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from student_sim.fix_leak import FixFacts, check_hint
from tutor.problems import toy_bank
from tutor.problems.bank import ProblemBank

LABELS = Path(__file__).resolve().parents[2] / "datasets" / "evals" / "hint_labels.jsonl"


def facts_of(problem_id: str) -> FixFacts:
    problem = toy_bank().get(problem_id)
    return FixFacts.from_programs(problem.buggy_code, problem.fixed_code, problem.bugs[0].lines)


def test_facts_are_read_off_the_diff():
    average = facts_of("toy-debug-average")
    assert average.added == ("total += n",) and average.removed == ("total = n",)
    assert average.new_tokens == {"+=", "+"}  # x += y is x = x + y
    assert average.changed_lines == {4} and not average.moved
    vowels = facts_of("toy-debug-count-vowels")
    assert vowels.new_tokens == {":"}  # a syntax fix: the punctuation is the edit


TELLS = [
    # recorded: the hint the issue found accepted
    ("toy-debug-average", "Use `total += n` instead of `total = n`."),
    # recorded (pool, pointer level)
    (
        "toy-debug-average",
        "In the loop, the variable `total` should be updated to `total + n` instead of simply setting it to `n`.",
    ),
    # recorded (pool, conceptual level)
    (
        "toy-debug-average",
        "Instead, it should sum up all the numbers in the list by adding `n` to `total` each iteration.",
    ),
    # recorded (explanation of hints_real_records.jsonl)
    ("toy-debug-average", "The correct line to add `n` to `total` is `total += n`."),
    # recorded (hint of hints_real_records.jsonl)
    (
        "toy-debug-count-vowels",
        "The student should use a colon at the end of the `for` loop statement to indicate the start of the loop body.",
    ),
    # recorded (pool, pointer level)
    ("toy-debug-count-vowels", "The student forgot to add a colon at the end of the for loop statement."),
    ("toy-debug-average", "Add n to total on each pass instead of replacing it."),
    ("toy-debug-average", "On line 4, change = to +=."),
    ("toy-debug-average", "Line 4 should add each number to total."),
]

TEACHES = [
    # recorded (hint of hints_real_records.jsonl)
    ("toy-debug-average", "Think about how the loop works and how the `total` variable is updated in each iteration."),
    ("toy-debug-average", "Look at line 4: what happens to total on each pass?"),
    ("toy-debug-average", "Trace average([1, 2, 3]) by hand: what is total after each pass?"),
    ("toy-debug-average", "After the loop, total only holds the last number, but the average needs all of them."),
    ("toy-debug-average", "How would you change line 4 so that test_three passes? Edit the code and run the tests."),
    ("toy-debug-count-vowels", "Look at line 3: Python stops there before running anything. What does the error say?"),
    ("toy-debug-count-vowels", "Which symbol does Python expect at the end of a for line?"),
]


@pytest.mark.parametrize(("problem_id", "hint"), TELLS)
def test_a_hint_that_tells_the_fix_is_flagged_with_a_reason(problem_id, hint):
    verdict = check_hint(hint, facts_of(problem_id))
    assert verdict.leaks and verdict.reasons


@pytest.mark.parametrize(("problem_id", "hint"), TEACHES)
def test_a_hint_that_points_describes_or_suggests_passes(problem_id, hint):
    verdict = check_hint(hint, facts_of(problem_id))
    assert not verdict.leaks, verdict.reasons


def test_a_moved_line_is_told_by_naming_where_it_goes():
    buggy = "total = 0\n\n\ndef f(xs):\n    for x in xs:\n        total += x\n    return total\n"
    fixed = "def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total\n"
    facts = FixFacts.from_programs(buggy, fixed)
    assert facts.moved
    assert check_hint("Move `total = 0` inside the function.", facts).leaks
    assert check_hint("Start total at 0 inside f instead.", facts).leaks
    # recorded (the bank ladder run, debug-001 pointer: accepted before the place words were added)
    recorded = (
        "On line 3, the variable `total` is not initialized. You need to assign it a value before using it in "
        "line 7. To do this, you can initialize `total` to 0 at the beginning of the function."
    )
    assert check_hint(recorded, facts).leaks
    assert not check_hint("Where is total created: inside f or outside it?", facts).leaks
    assert not check_hint("total is created outside the function, so each call shares it.", facts).leaks


def test_the_value_the_changed_line_must_produce_tells_the_fix():
    # recorded: debug-006's conceptual hint, accepted in both bundled-model runs (same seed, same text)
    election = ProblemBank.load(ladders=False).get("debug-006-class-election")
    facts = FixFacts.from_programs(election.buggy_code, election.fixed_code, election.bugs[0].lines)
    recorded = (
        "The line 7 in the program is currently setting the value of `counts[name]` to 0, but the exercise "
        "expects it to be 1. This is because the code does not increment the count if the name is already in "
        "the dictionary."
    )
    assert check_hint(recorded, facts).leaks
    assert not check_hint("The test expects Ana to have 2 votes; what does counts hold after line 7?", facts).leaks


def test_removing_what_the_fix_takes_out_tells_the_fix():
    # recorded: debug-009's pointer, accepted in the bank run (the fix turns `print(...)` into `return ...`)
    sale = ProblemBank.load(ladders=False).get("debug-009-sale-price")
    facts = FixFacts.from_programs(sale.buggy_code, sale.fixed_code, sale.bugs[0].lines)
    assert facts.gone == {"print"}
    recorded = (
        "The `sale_price` function returns `None` because the `print` statement inside the function does not "
        "return any value. The `print` statement in Python is used for output, not for returning values. To fix "
        "this, remove the print statement."
    )
    assert check_hint(recorded, facts).reasons == ("prescribes removing what the fix takes out: print",)
    # describing the print, or removing something else, is not the edit
    assert not check_hint("Line 3 prints the price. What does sale_price(50, 20) give back?", facts).leaks
    assert not check_hint("Remove the basket from the picture: call sale_price(50, 20) alone.", facts).leaks


def bank_facts(problem_id: str) -> FixFacts:
    problem = ProblemBank.load(ladders=False).get(problem_id)
    return FixFacts.from_programs(problem.buggy_code, problem.fixed_code, problem.bugs[0].lines)


def test_recorded_bank_run_hints_that_tell_in_words_the_check_first_missed():
    # recorded (the bank run): the place of a moved line, with the line named in the sentence before
    tournament = (
        "The variable 'total' is not initialized before it is used in the first iteration of the loop, which "
        "leads to an UnboundLocalError. The correct initialization should be at the beginning of the function."
    )
    assert check_hint(tournament, bank_facts("debug-001-tournament-points")).leaks
    # recorded: the fix is `for value in readings[:]`, a copy said in words
    rain = (
        "The `drop_errors` function is currently iterating over `readings`, but it should iterate over a copy of "
        "`readings` to avoid modifying the list while iterating over it."
    )
    assert check_hint(rain, bank_facts("debug-005-rain-sensor")).leaks
    assert not check_hint(
        "What does `readings` hold after line 4 removes -2?", bank_facts("debug-005-rain-sensor")
    ).leaks


def test_recorded_bank_run_hints_that_point_are_not_flagged_for_words_or_code_the_program_has():
    # recorded: "is" as an English word, where the fix adds `if guests is None`
    guests = (
        "Looking at line 9 while the failing test runs, we see that `guests` is already set to `['Mia', 'Sam']`, "
        "so the `invite` function does not add 'Sam' to the list again. The student should look at line 9."
    )
    assert not check_hint(guests, bank_facts("debug-011-party-guests")).leaks
    # recorded: `temps[i - 1]` is the buggy program's own code, though the fix adds a 1 (range(1, ...))
    warmer = (
        "Add a print statement to check the values of `temps[i]` and `temps[i - 1]` at each iteration of the "
        "loop. Watch the value of `temps[i]` compare to `temps[i - 1]` and check if it is indeed warmer."
    )
    assert not check_hint(warmer, bank_facts("debug-002-warmer-days")).leaks
    # recorded: the line it says to indent is the wrong one (the fix indents `best_name = name`), named only in code
    tallest = (
        "The 'if' statement should be indented properly to indicate that it belongs to the 'for' loop. The "
        "correct code should look like this: `if best_name is None or height > best_height:`"
    )
    assert not check_hint(tallest, bank_facts("debug-015-tallest-building")).leaks


def test_code_offered_as_the_corrected_line_tells_even_when_it_is_not_the_patch():
    # recorded: debug-024's accepted pointer; the patch writes `==`, the hint another working edit
    clap = (
        "The correct way to check if 'word' starts with 'Clap' is to use the 'startswith' method, not the "
        "assignment operator '='. The correct line should be `if word.startswith('Clap'):`."
    )
    assert check_hint(clap, bank_facts("debug-024-clap-snap")).reasons == (
        "offers a corrected line: `if word.startswith('Clap'):`",
    )
    # recorded: debug-015's accepted pointer "corrects" a line into itself: it offers nothing new
    tallest = "The correct code should look like this: `if best_name is None or height > best_height:`"
    assert not check_hint(tallest, bank_facts("debug-015-tallest-building")).leaks
    assert not check_hint("What should `word[:4]` be for 'Clapping'?", bank_facts("debug-024-clap-snap")).leaks
    # recorded (debug-008, --run-facts run): an expected output is a value, not a line
    rating = "For the input `[4, 5]`, the output should be `[4, 4, 4]`, but after the loop it should be `[4, 4, 4.5]`."
    assert not check_hint(rating, bank_facts("debug-008-recipe-rating")).leaks


def test_the_fixed_line_described_as_the_program_s_tells_when_it_names_the_whole_edit():
    # recorded: debug-026's accepted conceptual hint; the fix is `right = len(chars) - 1`
    buggy = "def f(chars):\n    right = len(chars)\n    return chars[right]\n"
    facts = FixFacts.from_programs(buggy, buggy.replace("len(chars)", "len(chars) - 1"))
    recorded = "The variable 'right' is initialized to the length of 'chars' minus one, but the loop checks more."
    assert check_hint(recorded, facts).reasons == ("describes the whole edit: 'minus one', chars",)
    # naming one part of it, or none, describes the program
    assert not check_hint("`right` starts at the length of `chars`: which index is the last one?", facts).leaks
    assert not check_hint("Index `right` is one past the end of chars.", facts).leaks
    # recorded (debug-026's accepted pointer): a statement the program already has, not the fix's expression
    assert not check_hint("At line 7, 'right' is decremented by 1, making it 3.", facts).leaks


def test_a_specific_operation_prescribed_for_a_line_named_a_sentence_earlier_tells():
    # recorded: debug-028's accepted conceptual hint; the fix is `mid = (low + high) // 2` on line 6
    search = bank_facts("debug-028-ticket-search")
    recorded = (
        "The middle index calculation in line 6 uses integer division, but the list indices in Python are "
        "integers. To fix this, use integer division by casting the result to an integer."
    )
    assert check_hint(recorded, search).reasons == ("prescribes the fix in words: 'integer division' (//), line 6",)
    assert check_hint("Modify line 6 to `mid = int((low + high) / 2)`.", search).leaks  # another working edit
    # recorded (the rerun with the current check): the int() edit in words, accepted before this rule
    recorded = "To fix this, you need to convert `mid` to an integer before using it as an index in the list."
    assert check_hint(recorded, search).leaks
    assert not check_hint("The value of `mid` is a float, not an integer: where does it come from?", search).leaks
    assert not check_hint("On line 6, what kind of number is mid when low + high is odd?", search).leaks


def test_the_next_index_is_the_fix_when_the_fix_adds_one():
    # recorded: debug-032's accepted pointer; the fix starts the inner loop at `i + 1`
    pairs = bank_facts("debug-032-gift-pairs")
    recorded = (
        "The variable 'total' is being set to the sum of two elements from the list 'prices'. This can be "
        "achieved by adjusting the loop to start from the next index after the current index."
    )
    assert check_hint(recorded, pairs).reasons == ("prescribes the fix in words: 'the next index' (+1), prices",)
    assert not check_hint("When i is 0, which j does the inner loop start at?", pairs).leaks


def test_a_name_the_program_already_uses_is_a_pointer_but_a_new_call_is_the_fix():
    buggy = "def shout(word):\n    return word + '!'\n"
    fixed = "def shout(word):\n    return word.upper() + '!'\n"
    facts = FixFacts.from_programs(buggy, fixed)
    assert not check_hint("Look at `word` on line 2.", facts).leaks
    assert check_hint("Call `upper()` on word.", facts).leaks
    assert check_hint("The word should be made uppercase before the '!' is added.", facts).leaks


def test_the_tuning_labels_agree_with_the_check():
    # The hints the check was written against (split `tuning`); the held-out split is scored in the report.
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    tuning = [r for r in rows if r["split"] == "tuning"]
    assert len(rows) >= 60 and tuning
    wrong = []
    for row in tuning:
        problem = toy_bank().get(row["problem_id"])
        bug = problem.bug(row["bug_id"])
        facts = FixFacts.from_programs(problem.buggy_code, problem.fixed_code, bug.lines)
        if check_hint(row["hint"], facts).leaks != row["tells"]:
            wrong.append(row["hint"])
    assert not wrong
