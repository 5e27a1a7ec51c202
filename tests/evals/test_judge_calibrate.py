"""The LLM judge and its calibration against MRBench-format human labels, with scripted judges."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from evals.calibrate import NONE, agreement, calibrate, load_labelled, render_markdown
from evals.config import evals_dir
from evals.judge import Judge, JudgeInput, judge_inputs
from evals.labels import DIMENSIONS, VOCABULARY, human_labels
from tests.evals.conftest import S, T, make_dialogue
from tutor.errors import InputDataError
from tutor.models.scripted import ScriptedChatModel

FIXTURE = evals_dir() / "calibration" / "mrbench_fixture.json"
ROOT = Path(__file__).resolve().parents[2]
CONSTANT = {d: VOCABULARY[d][0] for d in DIMENSIONS}  # Yes / revealed-correct / Encouraging


def _response_in(messages) -> str:
    return str(messages[-1].content).split("The tutor's reply to evaluate:\n", 1)[1].strip()


def perfect_judge(records) -> ScriptedChatModel:
    """A judge that answers with the human labels of the response it is shown."""
    by_response = {r.response: human_labels(r.labels) for r in records}

    def reply(messages):
        human = by_response[_response_in(messages)]
        return json.dumps({d: human[d] or VOCABULARY[d][0] for d in DIMENSIONS})

    return ScriptedChatModel(reply_fn=reply)


def test_the_bundled_fixture_is_mrbench_format_with_every_dimension_labelled():
    records, skipped = load_labelled(FIXTURE)
    assert len(records) == 22 and skipped == []
    for d in DIMENSIONS:
        labels = Counter(human_labels(r.labels)[d] for r in records)
        assert None not in labels and len(labels) >= 2, d  # every dimension shows more than one label


def test_a_judge_that_agrees_with_the_humans_scores_accuracy_and_f1_of_one():
    records, _ = load_labelled(FIXTURE)
    report = calibrate(records, Judge(perfect_judge(records)), judge_spec="perfect")
    assert [d.dimension for d in report.dimensions] == list(DIMENSIONS)
    for d in report.dimensions:
        assert d.accuracy == 1.0 and d.macro_f1 == 1.0 and d.coverage == 1.0, d.dimension
        assert all(d.confusion[h][j] == 0 for h in d.labels for j in [*d.labels, NONE] if h != j)


def test_a_constant_judge_puts_every_item_in_one_column_of_the_confusion_matrix():
    records, _ = load_labelled(FIXTURE)
    report = calibrate(records, Judge(ScriptedChatModel(replies=[json.dumps(CONSTANT)])), judge_spec="constant")
    for d in report.dimensions:
        humans = Counter(human_labels(r.labels)[d.dimension] for r in records)
        for h in d.labels:
            assert d.confusion[h][CONSTANT[d.dimension]] == humans.get(h, 0)
            assert sum(d.confusion[h].values()) == humans.get(h, 0)
        assert d.accuracy == humans[CONSTANT[d.dimension]] / len(records)


def test_an_unreadable_judge_reply_is_unlabelled_and_never_crashes():
    records, _ = load_labelled(FIXTURE)
    broken = ScriptedChatModel(replies=["I think the tutor did well.", json.dumps({**CONSTANT, "coherence": "Maybe"})])
    report = calibrate(records[:4], Judge(broken), judge_spec="broken")
    assert report.unlabelled == 4 and all(i.error.startswith("unreadable judge reply") for i in report.items)
    first = report.dimensions[0]
    assert first.coverage == 0 and first.accuracy == 0
    assert sum(row[NONE] for row in first.confusion.values()) == 4
    assert "| mistake_identification | 4 | 0% | 0% |" in render_markdown(report)


def test_agreement_computes_accuracy_and_macro_f1_as_defined():
    pairs = [("Yes", "Yes"), ("Yes", "No"), ("No", "No"), ("To some extent", None)]
    a = agreement("coherence", pairs)
    assert a.accuracy == 0.5 and a.n == 4 and a.judged == 3
    # F1: Yes 2/3 (p 1, r 1/2), No 2/3 (p 1/2, r 1), To some extent 0 (never predicted).
    assert a.f1 == pytest.approx({"Yes": 2 / 3, "To some extent": 0.0, "No": 2 / 3})
    assert a.macro_f1 == pytest.approx(4 / 9)
    assert a.confusion["To some extent"][NONE] == 1


def test_labels_of_the_other_mrbench_spellings_are_read():
    records, skipped = load_labelled(ROOT / "tests" / "fixtures" / "mrbench" / "broken.json")
    assert records and skipped  # the good items are kept, the bad one is described
    with pytest.raises(InputDataError):
        load_labelled(ROOT / "no-such-file.json")


def test_the_judge_sees_the_history_the_reference_solution_and_the_reply():
    model = ScriptedChatModel(replies=[json.dumps(CONSTANT)])
    verdict = Judge(model).judge(JudgeInput(history="Student: 7 x 8 = 54", response="What is 7 x 7?", solution="56"))
    assert verdict.labels is not None and verdict.labels.tutor_tone == "Encouraging"
    system, user = model.calls[0]
    assert "mistake_identification" in str(system.content) and "humanlikeness" in str(system.content)
    assert "Student: 7 x 8 = 54" in str(user.content) and "56" in str(user.content)
    assert str(user.content).rstrip().endswith("What is 7 x 7?")


def test_judge_inputs_of_a_dialogue_are_its_first_replies_with_what_came_before():
    d = make_dialogue(
        "toy-math-pencils", [T("Opening?", record=False), S("2.8"), T("First reply?"), S("7.8"), T("Second reply?")]
    )
    items = judge_inputs(d, max_turns=1)
    assert [i for i, _ in items] == [2]
    assert items[0][1].history == "Tutor: Opening?\nStudent: 2.8" and items[0][1].response == "First reply?"
    assert "2.2" in items[0][1].solution
    assert [i for i, _ in judge_inputs(d, None)] == [2, 4]
