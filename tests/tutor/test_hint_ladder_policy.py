"""Validated hint ladders reach the tutor: the bank attaches them to bugs, the debugging moves give them
(falling back to the generic templates per level), and the turn record names the hint and its figures."""

from __future__ import annotations

import json

import pytest

from tutor.errors import InputDataError
from tutor.policy import bug_hint_ladder, bug_hints
from tutor.problems.bank import ProblemBank, with_ladders
from tutor.problems.ladders import LadderFile, LadderHint, merged_ladders, read_ladder_file

from .conftest import scripted


def hint(level: str, text: str, n1: int = 0, n2: int = 3) -> LadderHint:
    return LadderHint(
        level=level, text=text, n1=n1, n2=n2, attempts=3, attempts_without=3, student_model="s", hint_model="h"
    )


POINTER = hint("pointer", "Look at line 4 and watch total on each pass of the loop.")
NEXT = hint("next_step", "Trace average([1, 2, 3]) by hand: what is total after each pass?", n1=1)


@pytest.fixture
def average(bank):
    return with_ladders(bank.get("toy-debug-average"), {"b1": (POINTER, NEXT)})


def test_validated_levels_replace_templates_and_missing_levels_fall_back(average):
    plan_node = _node(average, "b1.understand")
    ladder = bug_hint_ladder(average, plan_node)
    templates = bug_hints(average, plan_node)
    assert [h.level for h in ladder] == ["pointer", "conceptual", "next_step"]
    assert [h.source for h in ladder] == ["validated", "template", "validated"]
    assert ladder[0].text == POINTER.text and ladder[1].text == templates[1] and ladder[2].text == NEXT.text
    assert (ladder[2].n1, ladder[2].n2, ladder[2].attempts, ladder[2].student_model) == (1, 3, 3, "s")
    fix = bug_hint_ladder(average, _node(average, "b1.fix"))
    assert [h.source for h in fix] == ["template", "validated", "template"]


def test_a_wrong_explanation_gets_the_next_validated_hint_and_the_record_says_so(average, make_agent):
    model = scripted({"judge": [{"identifies_the_bug": False, "reason": "no"}]})
    agent = make_agent(average, model)
    opening, state = agent.start()
    assert POINTER.text in opening  # the opening question is the ladder's first rung
    turn, state = agent.step("the division is wrong, it should divide by something else", state)
    given = turn.decision.hint
    assert turn.assessment.label == "incorrect" and given is not None
    assert given.level == "conceptual" and given.source == "template"  # no validated conceptual hint
    turn, state = agent.step("len is wrong", state)
    given = turn.decision.hint
    assert given is not None and (given.source, given.level, given.text) == ("validated", "next_step", NEXT.text)
    assert NEXT.text in turn.decision.move_text and (given.n1, given.n2) == (1, 3)
    stored = json.loads(turn.model_dump_json())["decision"]["hint"]
    assert stored["source"] == "validated" and stored["attempts"] == 3


def test_without_a_ladder_the_templates_are_given_and_recorded_as_such(bank, make_agent):
    problem = bank.get("toy-debug-average")
    model = scripted({"judge": [{"identifies_the_bug": False, "reason": "no"}]})
    agent = make_agent(problem, model)
    _, state = agent.start()
    turn, _ = agent.step("the division is wrong", state)
    assert turn.decision.hint is not None and turn.decision.hint.source == "template"
    assert turn.decision.hint.text in bug_hints(problem, _node(problem, "b1.understand"))


def test_the_bank_attaches_ladder_files_and_ignores_other_bugs(tmp_path):
    root = tmp_path / "datasets"
    (root / "toy").mkdir(parents=True)
    bank = ProblemBank.load(include_bank=False)
    source = bank.path_of("toy-debug-average")
    (root / "toy" / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "hints").mkdir()
    ladder = LadderFile(ladders={"toy-debug-average": {"b1": [POINTER]}, "elsewhere": {"b1": [NEXT]}})
    (root / "hints" / "bank.json").write_text(ladder.model_dump_json(), encoding="utf-8")
    loaded = ProblemBank.load(include_bank=False, root=root)
    assert loaded.get("toy-debug-average").bugs[0].hint_ladder == (POINTER,)
    plain = ProblemBank.load(include_bank=False, root=root, ladders=False)
    assert plain.get("toy-debug-average").bugs[0].hint_ladder == ()
    # The ladder is data from the hint generator, not part of the authored problem file.
    assert "hint_ladder" not in loaded.get("toy-debug-average").model_dump_json()


def test_a_malformed_ladder_file_is_an_error_naming_the_field(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"ladders": {"p": {"b1": [{"level": "answer", "text": "x"}]}}}), encoding="utf-8")
    with pytest.raises(InputDataError, match=r"bad.json: field `ladders.p.b1.0.level`"):
        read_ladder_file(bad)
    later = tmp_path / "later.json"
    later.write_text(LadderFile(ladders={"p": {"b1": [NEXT]}}).model_dump_json(), encoding="utf-8")
    first = tmp_path / "first.json"
    first.write_text(LadderFile(ladders={"p": {"b1": [POINTER]}}).model_dump_json(), encoding="utf-8")
    assert merged_ladders([first, later]) == {"p": {"b1": (NEXT,)}}


def _node(problem, node_id):
    from tutor.planning.plan import PlanTree

    return PlanTree.for_problem(problem).node(node_id)
