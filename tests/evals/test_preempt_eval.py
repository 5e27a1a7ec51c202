"""The pre-empt measure: per student, the share of forecast steps answered first with the forecast wrong
answer (and right), compared pre-empt vs not on the same student."""

from __future__ import annotations

from evals.hint_budget_eval import BudgetResult
from evals.preempt_eval import summarize_preempt


def test_the_preempt_summary_compares_first_answers_per_student():
    def row(policy: str, first: list, student: str = "p") -> BudgetResult:
        return BudgetResult(student, 0, policy, None, problems=1, solved=1, first_answers=first)

    off = row("no_budget", [("a", "a", False), ("b", None, True), (None, "c", False)])
    on = row("preempt", [("a", None, True), ("b", None, True), (None, "c", False)])
    summary = summarize_preempt([off, on, row("no_budget", [], "q"), row("preempt", [], "q")])
    assert summary["no_budget"]["forecast_given"]["mean"] == 0.5 and summary["preempt"]["forecast_given"]["mean"] == 0
    assert summary["no_budget"]["forecast_steps"] == 2 and summary["no_budget"]["steps_opened"] == 3
    assert summary["preempt_minus_no_preempt_first_right"]["mean"] == 0.5
    assert summary["forecast_top1_on_wrong"] == 1.0 and summary["wrong_first_answers"] == 1
