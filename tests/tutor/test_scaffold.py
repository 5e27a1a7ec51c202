"""Pasted problems: each scaffold's step answers come from running its programs, and the problem is accepted
only when k independent scaffolds agree on the final answer (self-consistency); otherwise the tutor says it
cannot verify it. Scripted drafts, the real sandbox."""

from __future__ import annotations

import json

import pytest

from tutor.errors import InputDataError
from tutor.models.scripted import ScriptedChatModel
from tutor.planning.scaffold import agreed_answer, build_scaffold

PROBLEM = "Ann has 3 bags with 4 apples each and eats 2 apples. How many apples are left?"


def _draft(last_program: str) -> str:
    return json.dumps(
        {
            "title": "Apples",
            "steps": [
                {"question": "How many apples are in the bags?", "python": "print(3 * 4)", "unit": "apples"},
                {"question": "How many apples are left?", "python": last_program, "unit": "apples"},
            ],
        }
    )


def _model(*programs: str) -> ScriptedChatModel:
    return ScriptedChatModel(replies=[_draft(p) for p in programs])


def test_agreeing_scaffolds_are_accepted_with_their_executed_answers(sandbox):
    problem = build_scaffold(PROBLEM, _model("print(12 - 2)", "print(3 * 4 - 2)", "x = 12\nprint(x - 2)"), sandbox)
    assert [s.answer.value for s in problem.steps] == [12, 10]
    assert problem.final_answer.value == 10 and problem.source == "pasted"
    assert any("3 of 3 scaffolds" in note for note in problem.import_notes)


def test_disagreeing_scaffolds_are_refused_with_the_bank_offered(sandbox):
    with pytest.raises(InputDataError) as caught:
        build_scaffold(PROBLEM, _model("print(12 - 2)", "print(12 + 2)", "print(12 - 2)"), sandbox)
    assert "cannot verify this problem" in caught.value.message and "10, 14, 10" in caught.value.message
    assert "bank" in (caught.value.hint or "")


def test_a_majority_threshold_accepts_two_of_three(sandbox):
    problem = build_scaffold(PROBLEM, _model("print(12 + 2)", "print(12 - 2)", "print(12 - 2)"), sandbox, min_agree=2)
    assert problem.final_answer.value == 10


def test_one_scaffold_is_the_old_behaviour_and_a_hopeless_vote_stops_early(sandbox):
    assert build_scaffold(PROBLEM, _model("print(12 + 2)"), sandbox, k=1).final_answer.value == 14
    model = ScriptedChatModel(replies=["not json", "not json", "not json"] * 3)
    with pytest.raises(InputDataError):
        build_scaffold(PROBLEM, model, sandbox, max_repairs=0)
    assert len(model.calls) == 1, "after one failed scaffold of three, unanimity is out of reach"


def test_agreed_answer():
    assert agreed_answer([10.0, 10.00001, 14.0], 2) == 10.0
    assert agreed_answer([10.0, 14.0, 12.0], 2) is None
    assert agreed_answer([], 1) is None
