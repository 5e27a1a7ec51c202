"""Code soliloquies: rules find the student's arithmetic; the model's programs run in the sandbox and are
repaired a bounded number of times, every attempt recorded."""

from __future__ import annotations

import pytest

from tests.tutor.conftest import scripted
from tutor.errors import ModelBackendError
from tutor.problems.numbers import printed_number
from tutor.sandbox import Limits
from tutor.soliloquy.soliloquy import Soliloquist, extract_code, find_expression


@pytest.mark.parametrize(
    ("text", "python", "claimed"),
    [
        ("7*0.4 = 2.8", "7*0.4", 2.8),
        ("134/40 = 3.35 so 3.35 buses", "134/40", 3.35),
        ("7 x 0.40 is 2.8", "7 * 0.40", 2.8),
        ("$5 - $2.80 = $2.20", "5 - 2.80", 2.2),
        ("so it's 5-2.8=2.2", "5-2.8", 2.2),
        ("(5 - 2.8) * 2", "(5 - 2.8) * 2", None),
        ("I multiplied 7 by 0.40 and got 2.80", "7 * 0.40", 2.8),
        ("134 divided by 40 is 3.35", "134 / 40", 3.35),
        ("I subtracted 2.80 from $5 and got 2.20", "5 - 2.80", 2.2),
        ("7 times 0.4", "7 * 0.4", None),
        ("add 3 and 4 to get 7", "3 + 4", 7.0),
    ],
)
def test_expressions_in_symbols_and_words_are_found(text, python, claimed):
    expr = find_expression(text)
    assert expr is not None
    assert expr.python == python
    assert expr.claimed == claimed


@pytest.mark.parametrize("text", ["3-4 buses", "there are 3 buses and 40 seats", "2.80", "I don't know", ""])
def test_no_expression_where_there_is_no_calculation(text):
    assert find_expression(text) is None


def test_the_first_expression_in_the_text_wins():
    expr = find_expression("first 2 plus 3, then 10 * 4")
    assert expr is not None and expr.python == "2 + 3"


def test_student_arithmetic_is_checked_by_running_it_without_a_model(sandbox):
    soliloquist = Soliloquist(sandbox, model=None)
    record = soliloquist.check_student_arithmetic("7 x 0.4 = 2.6")
    assert record is not None
    assert (record.decided_by, record.needed, record.ok) == ("rules", True, True)
    assert record.code == "print(7 * 0.4)"
    assert record.value == pytest.approx(2.8)
    assert soliloquist.check_student_arithmetic("I think it's 2.80") is None


def test_rules_cannot_tell_only_for_operation_words_without_a_clean_expression(sandbox):
    soliloquist = Soliloquist(sandbox, model=None)
    assert soliloquist.rules_cannot_tell("I took the 7 pencils and multiplied the price 0.40 with them, got 3.10")
    assert not soliloquist.rules_cannot_tell("7 times 0.40 is 2.80")
    assert not soliloquist.rules_cannot_tell("I multiplied")


def test_failing_program_is_repaired_from_its_error_then_succeeds(sandbox):
    model = scripted({"code": [{"code": "print(7 * price)"}, {"code": "print(7 * 0.4)"}]})
    soliloquist = Soliloquist(sandbox, model, max_repairs=2)
    calls: list = []
    record = soliloquist.calculate("the cost of 7 pencils at $0.40", calls)
    assert record.ok and record.value == pytest.approx(2.8)
    assert record.code == "print(7 * 0.4)"
    assert [r.code for r in record.repairs] == ["print(7 * price)"]
    assert "NameError" in record.repairs[0].error
    assert [c.purpose for c in calls] == ["soliloquy-code", "soliloquy-repair"]
    # The repair request shows the model its own error.
    assert "NameError" in str(model.calls[1][-1].content)


def test_a_program_failing_every_time_is_given_up_after_the_repair_bound(sandbox):
    broken = [{"code": "print(1 / 0)"}, {"code": "print(undefined)"}, {"code": "raise SystemExit(3)"}]
    model = scripted({"code": broken})
    soliloquist = Soliloquist(sandbox, model, max_repairs=2)
    calls: list = []
    record = soliloquist.calculate("something", calls)
    assert not record.ok and record.value is None
    assert len(record.repairs) == 2
    assert [r.code for r in record.repairs] == ["print(1 / 0)", "print(undefined)"]
    assert "ZeroDivisionError" in record.repairs[0].error
    assert record.code == "raise SystemExit(3)"
    assert record.error is not None and record.error.startswith("gave up after 2 repairs")
    assert [c.purpose for c in calls] == ["soliloquy-code", "soliloquy-repair", "soliloquy-repair"]


def test_a_program_that_prints_no_number_counts_as_failing(sandbox):
    model = scripted({"code": [{"code": "print('about three')"}, {"code": "print(3)"}]})
    record = Soliloquist(sandbox, model, max_repairs=1).calculate("three", [])
    assert record.ok and record.value == 3
    assert record.repairs[0].error == "about three"


def test_an_endless_program_is_stopped_and_reported(sandbox):
    model = scripted({"code": [{"code": "while True:\n    pass"}]})
    soliloquist = Soliloquist(sandbox, model, max_repairs=0)
    soliloquist.limits = Limits(cpu_s=1, wall_s=1.5)
    record = soliloquist.calculate("forever", [])
    assert not record.ok
    assert record.error == "gave up after 0 repairs: the program timed out"


@pytest.mark.parametrize("bad", ["not json at all", ModelBackendError("backend down")])
def test_a_model_that_cannot_write_a_program_ends_the_soliloquy_without_raising(sandbox, bad):
    calls: list = []
    record = Soliloquist(sandbox, scripted({"code": [bad]})).calculate("x", calls)
    assert not record.ok
    assert record.error == "the model did not write a program"
    assert [(c.purpose, c.ok) for c in calls] == [("soliloquy-code", False)]


def test_without_a_model_there_is_nothing_to_write(sandbox):
    assert Soliloquist(sandbox, None).calculate("x", []).error == "no model to write the calculation"
    assert Soliloquist(sandbox, None).decide_with_model("7 times 3", "ctx", []) is None


def test_the_model_decides_when_rules_cannot(sandbox):
    model = scripted({"decide": [{"needs_calculation": True, "description": "7 * 0.40"}]})
    calls: list = []
    decision = Soliloquist(sandbox, model).decide_with_model("I multiplied stuff", "pencils", calls)
    assert decision is not None and decision.needs_calculation
    assert [c.purpose for c in calls] == ["soliloquy-decide"]


def test_helpers_read_the_last_number_and_the_fenced_code():
    assert printed_number("working...\n2.8\n") == 2.8
    assert printed_number("1,250\ndone\n") == 1250
    assert printed_number("no numbers") is None
    assert extract_code("Sure:\n```python\nprint(1)\n```\nDone") == "print(1)"
    assert extract_code("print(2)") == "print(2)"


def test_a_wrong_number_is_explained_by_running_a_search_over_the_givens(sandbox):
    soliloquist = Soliloquist(sandbox, None)
    found = soliloquist.explain_number(7.4, [7, 0.40, 5])
    assert found is not None and found.ok and found.decided_by == "rules"
    assert found.stdout.strip() == "7 + 0.4" and found.value == 7.4
    assert soliloquist.explain_number(123.0, [7, 0.40, 5]) is None
    assert soliloquist.explain_number(3.0, [7]) is None, "one number alone explains nothing"
