"""Metrics of one dialogue, on dialogues built by hand (no model, no simulated student)."""

from __future__ import annotations

from evals.metrics import (
    arithmetic_claims,
    asks_question,
    check_numbers,
    guard_check,
    score_dialogue,
    telling_check,
)
from student_sim.state import Intent
from tests.evals.conftest import S, T, make_dialogue
from tutor.problems import toy_bank

PENCILS = "toy-math-pencils"  # 7 pencils at $0.40, pays with $5: cost 2.8, change 2.2
AVERAGE = "toy-debug-average"  # bug b1 on line 4: `total = n` -> `total += n`; breaks test_three, test_negative
OPENING = "Let's work through this together. How much do the 7 pencils cost altogether?"


def test_student_stating_the_answer_in_words_is_success_at_that_turn():
    d = make_dialogue(
        PENCILS,
        [
            T(OPENING, record=False),
            S("It's 2.8 dollars."),
            T("Good. And the change?"),
            S("She gets two dollars and twenty cents."),
            T("Well done!"),
        ],
    )
    score = score_dialogue(d, "v")
    assert score.success_turn == 2 and score.telling_turn is None
    assert score.solved and not score.leaked and score.turns_to_solve == 2
    assert score.student_turns == 2 and score.tutor_turns == 2


def test_tutor_stating_the_answer_first_is_telling_and_not_a_solve():
    d = make_dialogue(
        PENCILS,
        [
            T(OPENING, record=False),
            S("Is it 7.4?"),
            T("No: the change is $2.20. Do you see why?"),
            S("So it is 2.20 dollars."),
            T("Yes."),
        ],
    )
    score = score_dialogue(d, "v")
    assert score.telling_turn == 1 and score.leaked
    assert score.success_turn == 2 and not score.solved and score.turns_to_solve is None
    assert score.turns[1].tells and "final answer" in score.turns[1].tell_reasons[0]


def test_confirming_an_answer_the_student_already_gave_is_not_telling():
    d = make_dialogue(
        PENCILS,
        [
            T(OPENING, record=False),
            S("The change is 2.2 dollars"),
            T("Right, $2.20 is the change. Well done!"),
        ],
    )
    score = score_dialogue(d, "v")
    assert score.telling_turn is None and score.solved


def test_telling_is_the_detectors_verdict_and_the_guards_is_kept_beside_it():
    # A step's result and a dictated operation tell (the detector); the guard only checks the final answer.
    d = make_dialogue(
        PENCILS,
        [
            T(OPENING, record=False),
            S("I don't know."),
            T("The pencils cost $2.80 altogether. Now subtract that from the $5 she pays with."),
            S("Is it 2.2?"),
            T("Yes, $2.20."),
        ],
    )
    score = score_dialogue(d, "v")
    told = score.turns[1]
    assert told.tells and not told.guard_tells and told.guard_reasons == []
    assert any("step s1" in r for r in told.tell_reasons) and any("operation" in r for r in told.tell_reasons)
    assert score.telling_turn == 1 and score.guard_telling_turn is None
    assert score.success_turn == 2 and not score.solved


def test_the_guard_verdict_is_recorded_when_it_flags_the_final_answer():
    d = make_dialogue(PENCILS, [T(OPENING, record=False), S("no idea"), T("Mia gets $2.20 back.")])
    score = score_dialogue(d, "v")
    assert score.turns[1].tells and score.turns[1].guard_tells
    assert score.telling_turn == score.guard_telling_turn == 1
    assert guard_check(toy_bank().get(PENCILS), "What do 7 pencils cost?") == (False, [])


def test_a_step_result_the_student_already_gave_is_not_telling():
    problem = toy_bank().get(PENCILS)
    assert (
        telling_check(problem, "Right, $2.80 for the pencils. What is the change?", student_said=["2.80"])[0] is False
    )
    assert telling_check(problem, "Right, $2.80 for the pencils. What is the change?")[0] is True


def test_telling_in_the_opening_counts_at_k0():
    d = make_dialogue(PENCILS, [T("Hi! The change is $2.20; shall we see why?", record=False), S("ok")])
    assert score_dialogue(d, "v").telling_turn == 0


def test_telling_is_read_from_the_text_even_when_the_tutor_ran_without_its_guard():
    # The assist baseline: its record says the guard did not check, and nothing else flags the leak.
    d = make_dialogue(
        PENCILS,
        [
            T(OPENING, record=False),
            S("I don't know."),
            T("Mia gets two dollars and twenty cents back.", leak_checked=False),
        ],
    )
    assert score_dialogue(d, "assist").leaked


def test_question_share_counts_replies_after_the_opening_and_ignores_question_marks_in_code():
    d = make_dialogue(
        PENCILS,
        [
            T(OPENING, record=False),
            S("hmm"),
            T("Look at `x ? y : z` here."),
            S("ok"),
            T("What do 7 pencils cost?"),
        ],
    )
    score = score_dialogue(d, "v")
    assert [t.asks_question for t in score.turns] == [True, False, True]
    assert score.question_share == 0.5
    assert asks_question("```\nprint('?')\n```") is False


def test_arithmetic_written_out_is_evaluated():
    claims = arithmetic_claims("So 7 x 0.40 = 2.80, and 5 - 2.80 = 2.30, and 12 divided by 4 is 3.")
    assert list(claims.values()) == [True, False, True]


def test_numbers_are_checked_against_the_key_executed_results_and_the_students_words():
    problem = toy_bank().get(PENCILS)
    check = check_numbers(
        "You said 7.8. The pencils cost 280 cents; 5 - 2.8 = 2.30, and 19.3 is what I got.",
        problem,
        executed=[19.3],
        quoted=[7.8],
    )
    # 7.8 quoted (not checked); 280 cents = $2.80 (key, in another unit); 2.30 false arithmetic;
    # 19.3 executed; 5 and 2.8 are small / key operands.
    assert check.quoted == 1
    assert check.wrong == ("2.30",)
    assert check.correct == check.stated - check.quoted - 1


def test_a_number_from_nowhere_is_wrong_and_counting_words_are_not_checked():
    problem = toy_bank().get(PENCILS)
    check = check_numbers("Take it in two steps. First, is it 13.5?", problem)
    assert check.stated == 1 and check.wrong == ("13.5",)


def test_calc_accuracy_pools_the_checked_numbers_of_a_dialogue():
    d = make_dialogue(
        PENCILS,
        [
            T(OPENING, record=False),
            S("2.8?"),
            T("Yes, 7 x 0.40 = 2.80. Then 5 - 2.80 = 2.30?"),
            S("hmm"),
            T("What is 37.25 minus nothing?", soliloquy_value=37.25),
        ],
    )
    score = score_dialogue(d, "v")
    # Checked: 0.40 and the second 2.80 (key), the first 2.80 (true arithmetic), 2.30 (false arithmetic),
    # 37.25 (executed); 7 and 5 are counting-size numbers.
    assert score.numbers_checked == 5
    assert score.numbers_correct == 4 and abs(score.calc_accuracy - 0.8) < 1e-9


def test_debugging_success_is_when_the_submitted_code_passes_every_test():
    d = make_dialogue(
        AVERAGE,
        [
            T("Let's run the tests. What does test_three expect?", record=False),
            S("It fails."),
            T("Which line adds the numbers up?", focus="b1"),
            S("I changed it", code="..."),
            T(
                "Two tests still fail. Look again?",
                tests=(("test_three", "failed"), ("test_single", "passed")),
            ),
            S("Now?", code="..."),
            T(
                "All tests pass!",
                resolved=("b1",),
                tests=(("test_three", "passed"), ("test_single", "passed"), ("test_negative", "passed")),
            ),
        ],
    )
    score = score_dialogue(d, "v")
    assert score.success_turn == 3 and score.solved
    assert score.bugs_total == 1 and score.bugs_fixed == 1 and score.tests_passed == 3 and score.tests_total == 3


def test_stating_a_fix_before_the_bug_is_fixed_is_telling_and_after_it_is_not():
    before = make_dialogue(
        AVERAGE,
        [
            T("Run the tests.", record=False),
            S("It fails."),
            T("Replace `total = n` with `total += n` on line 4."),
        ],
    )
    score = score_dialogue(before, "v")
    assert score.turns[1].states_fix and score.telling_turn == 1 and score.fix_statements == 1
    after = make_dialogue(
        AVERAGE,
        [
            T("Run the tests.", record=False),
            S("Fixed it", code="..."),
            T(
                "Yes: `total += n` on line 4 was the fix.",
                resolved=("b1",),
                tests=(("test_three", "passed"),),
            ),
        ],
    )
    score = score_dialogue(after, "v")
    assert not score.turns[1].states_fix and score.telling_turn is None


def test_turns_target_an_open_bug_by_pointing_at_its_line_its_code_or_its_names():
    d = make_dialogue(
        AVERAGE,
        [
            T("Run the tests first. What do you see?", record=False),
            S("hmm"),
            T("What happens on line 4 each time round the loop?"),
            S("hmm"),
            T("What does `total` hold after the loop?"),
            S("hmm"),
            T("Tell me about your weekend?"),
        ],
    )
    score = score_dialogue(d, "v")
    assert [t.targets_open_bug for t in score.turns] == [False, True, True, False]
    assert score.open_bug_targeting == 0.5
    assert telling_check(toy_bank().get(AVERAGE), "Look at line 4.")[0] is False


def test_a_misconception_is_resolved_by_a_later_right_answer_on_the_same_step():
    wrong = Intent(kind="answer", node_ref="s1", correct=False, value=7.4, misconception="wrong-operation")
    right = Intent(kind="answer", node_ref="s1", correct=True, value=2.8)
    d = make_dialogue(
        PENCILS,
        [
            T(OPENING, record=False),
            S("7.4", intent=wrong),
            T("Could it cost so much?"),
            S("2.8", intent=right),
            T("Yes."),
        ],
    )
    score = score_dialogue(d, "v")
    assert score.misconceptions_shown == ["wrong-operation"] and score.misconception_resolution == 1.0
    stuck = make_dialogue(
        PENCILS, [T(OPENING, record=False), S("7.4", intent=wrong), T("Hmm?"), S("7.4", intent=wrong)]
    )
    assert score_dialogue(stuck, "v").misconception_resolution == 0.0


def test_without_student_records_the_tutors_assessment_tells_the_misconception():
    from tutor.record import Assessment

    d = make_dialogue(
        PENCILS,
        [
            T(OPENING, record=False),
            S("7.4"),
            T(
                "Could it cost so much?",
                assessment=Assessment(label="incorrect", node_id="s1", misconception="wrong-operation"),
            ),
            S("2.8"),
            T("Yes.", assessment=Assessment(label="correct", node_id="s1")),
        ],
    )
    assert score_dialogue(d, "v").misconceptions_resolved == ["wrong-operation"]


def test_mastery_gain_adds_what_the_simulated_student_learned():
    # PROFILE: subtraction 0.2, everything else 0.5; the pencils problem has 4 concepts.
    ask = Intent(kind="question", node_ref="s2")
    d = make_dialogue(
        PENCILS,
        [
            T(OPENING, record=False),
            S("why?", intent=ask, learned={"subtraction": 0.3}),
            T("Hint."),
            S("and?", intent=ask, learned={"subtraction": 0.4, "money": 0.1}),
        ],
    )
    score = score_dialogue(d, "v")
    assert abs(score.mastery_before - (0.2 + 0.5 * 3) / 4) < 1e-6
    # subtraction 0.2 -> 0.9 (0.3 + 0.4), money 0.5 -> 0.6
    assert abs(score.mastery_gain - (0.7 + 0.1) / 4) < 1e-6


def test_scores_do_not_depend_on_when_they_are_computed():
    d = make_dialogue(PENCILS, [T(OPENING, record=False), S("2.8"), T("Good.")])
    assert score_dialogue(d, "v") == score_dialogue(d, "v")
