"""Bridge decision agreement: the tutor's policy against Bridge's expert labels."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score

from evals.bridge_agreement import (
    DIMENSIONS,
    BridgeAgreement,
    TutorLabels,
    bridge_agreement,
    default_soliloquist,
    label_agreement,
    load_bridge,
    main,
    render_bridge_markdown,
    situation,
    tutor_decider,
)
from tutor.errors import InputDataError
from tutor.problems.labelled import ExpertResponse, LabelledTurn, RemediationExample, RemediationLabels

FIXTURES = Path(__file__).parents[1] / "fixtures" / "bridge"


def _example(history: list[tuple[str, str]], error: str = "guess", rid: str = "x") -> RemediationExample:
    return RemediationExample(
        id=rid,
        source="bridge",
        source_ref=f"test#{rid}",
        license="MIT",
        conversation_id=rid,
        topic="Addition",
        history=tuple(LabelledTurn(role=role, text=text) for role, text in history),  # type: ignore[arg-type]
        novice_response=(LabelledTurn(role="tutor", text="No."),),
        expert_responses=(ExpertResponse(text="How did you get that?"),),
        labels=RemediationLabels(
            error=error,  # type: ignore[arg-type]
            error_text=error,
            strategy="ask-question",
            strategy_text="ask_question",
            intention="diagnose",
            intention_text="diagnose_mistake",
        ),
    )


def _oracle(record: RemediationExample) -> TutorLabels:
    """A tutor that takes exactly the expert's decision."""
    return TutorLabels(record.labels.error, record.labels.strategy, record.labels.intention)


def _scrambled(records: list[RemediationExample], seed: int = 0):
    """The oracle's labels handed out to the wrong records (same label counts, wrong situations)."""
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    by_id = {r.id: _oracle(s) for r, s in zip(records, shuffled, strict=True)}
    return lambda record: by_id[record.id]


def test_situation_is_the_tutor_side_of_the_conversation_and_the_students_last_messages():
    example = _example(
        [
            ("tutor", "Add 1/2 and 1/3."),
            ("student", "ok"),
            ("tutor", "What do you get?"),
            ("student", "2/5"),
            ("student", ""),
        ]
    )
    problem, messages = situation(example)
    assert problem.statement == "Lesson: Addition\nAdd 1/2 and 1/3.\nWhat do you get?"
    assert problem.steps[0].question == "What do you get?"
    assert messages == ["2/5", ""]


def test_a_wrong_number_is_a_guess_with_a_hint_and_words_are_not_diagnosed():
    decide = tutor_decider(None)
    wrong = decide(_example([("tutor", "What is 3 + 4?"), ("student", "8")]))
    assert (wrong.assessment, wrong.error, wrong.strategy, wrong.intention) == (
        "incorrect",
        "guess",
        "hint",
        "diagnose",
    )
    stuck = decide(_example([("tutor", "What is 3 + 4?"), ("student", "i dont know")]))
    assert (stuck.assessment, stuck.error, stuck.strategy) == ("unclear", "not-applicable", "encourage")


def test_three_wrong_numbers_in_a_row_make_the_tutor_teach():
    example = _example([("tutor", "What is 3 + 4?"), ("student", "8"), ("student", "9"), ("student", "6")])
    labels = tutor_decider(None)(example)
    assert (labels.error, labels.strategy, labels.intention) == ("diagnose", "explain-concept", "explain-mistake")


def test_a_slip_in_the_students_own_arithmetic_is_careless():
    soliloquist = default_soliloquist()
    if soliloquist is None:
        pytest.skip("the sandbox cannot run here")
    labels = tutor_decider(soliloquist)(_example([("tutor", "What is 36 + 42?"), ("student", "36+42 = 1512")]))
    assert (labels.error, labels.strategy, labels.intention) == ("careless", "hint", "hint-at-mistake")


def test_label_agreement_against_hand_counts():
    expert = ["guess", "guess", "guess", "careless", "other"]
    tutor = ["guess", "guess", "not-applicable", "guess", "not-applicable"]
    d = label_agreement("error", expert, tutor)
    assert d.labels == ("guess", "careless", "other", "not-applicable")  # the vocabulary's order
    assert d.accuracy == pytest.approx(2 / 5)
    assert d.kappa == pytest.approx(cohen_kappa_score(expert, tutor))
    assert (d.majority_label, d.majority_accuracy) == ("guess", pytest.approx(3 / 5))
    assert d.confusion["guess"] == {"guess": 2, "careless": 0, "other": 0, "not-applicable": 1}
    assert d.never_produced == ("careless", "other")
    assert d.coverage == pytest.approx(3 / 5)
    assert d.recall("guess") == pytest.approx(2 / 3) and d.recall("not-applicable") is None


def test_fixture_report_has_every_label_and_agrees_with_the_expert_labels():
    records = load_bridge([FIXTURES / "bridge.json"])
    result = bridge_agreement(records, tutor_decider(None), arithmetic_checked=False)
    assert isinstance(result, BridgeAgreement) and result.n == 4
    assert [d.dimension for d in result.dimensions] == list(DIMENSIONS)
    for d in result.dimensions:
        assert sum(sum(row.values()) for row in d.confusion.values()) == d.n == 4
        assert d.expert_counts == dict(
            __import__("collections").Counter(getattr(r.labels, d.dimension) for r in records)
        )
    error = result.dimension("error")
    assert error.tutor_counts == {"guess": 4}  # three wrong numbers and a fraction: all guesses
    assert error.accuracy == 0.0 and error.confusion["misinterpret"]["guess"] == 2
    assert result.assessments == {"incorrect": 4}
    text = render_bridge_markdown(result)
    assert text.startswith("# Bridge decision agreement")
    assert "| error | 4 | 0.0% |" in text and "\n## intention\n" in text and "not checked" in text
    section = render_bridge_markdown(result, level=2)
    assert section.startswith("## Bridge decision agreement") and "\n### intention\n" in section
    data = json.loads(json.dumps(result.to_json()))
    assert data["n"] == 4 and len(data["items"]) == 4 and data["dimensions"][0]["coverage"] == error.coverage


def test_the_experts_own_decision_scores_one_and_scrambled_scores_lower():
    records = load_bridge([FIXTURES / "bridge.json"])
    perfect = bridge_agreement(records, _oracle)
    assert all(d.accuracy == 1.0 and d.coverage == 1.0 and not d.never_produced for d in perfect.dimensions)
    scrambled = bridge_agreement(records, _scrambled(records, seed=1))
    assert sum(d.accuracy for d in scrambled.dimensions) < 3.0


def test_no_records_and_missing_files_are_one_line_errors(tmp_path, capsys):
    with pytest.raises(InputDataError, match="no Bridge records"):
        bridge_agreement([], _oracle)
    assert main([str(tmp_path / "missing.json"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no such file" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(InputDataError, match=r"broken.json#1: field `c_h\[1\].user`"):
        load_bridge([FIXTURES / "broken.json"])


def test_main_writes_markdown_and_json_from_an_imported_jsonl(tmp_path):
    from tutor.problems.importers import import_problems
    from tutor.problems.importers.bridge import import_bridge

    imported = tmp_path / "bridge.jsonl"
    import_problems(import_bridge, FIXTURES / "bridge.json", imported)
    assert main([str(imported), "--out", str(tmp_path / "out")]) == 0
    report = json.loads((tmp_path / "out" / "bridge_agreement.json").read_text(encoding="utf-8"))
    assert report["n"] == 4 and {d["dimension"] for d in report["dimensions"]} == set(DIMENSIONS)
    assert (tmp_path / "out" / "bridge_agreement.md").read_text(encoding="utf-8").startswith("# Bridge")


@pytest.mark.realdata
def test_real_bridge_files_run_fast_and_are_scored_against_the_experts(realdata_dir):
    paths = [realdata_dir / "bridge" / "train.json", realdata_dir / "bridge" / "validation.json"]
    records = load_bridge(paths)
    started = time.perf_counter()
    result = bridge_agreement(records)
    assert time.perf_counter() - started < 60
    assert result.n == len(records) == 490
    error = result.dimension("error")
    assert error.expert_counts["guess"] == 177 and error.majority_label == "guess"
    assert error.majority_accuracy == pytest.approx(177 / 490)
    assert "other" in error.never_produced  # the tutor's policy has no free-text label
    for d in result.dimensions:
        assert sum(d.expert_counts.values()) == sum(d.tutor_counts.values()) == 490
        assert 0.0 <= d.accuracy <= d.coverage <= 1.0
    assert sum(result.assessments.values()) == 490
    perfect = bridge_agreement(records, _oracle)
    scrambled = bridge_agreement(records, _scrambled(records))
    for p, s in zip(perfect.dimensions, scrambled.dimensions, strict=True):
        assert p.accuracy == 1.0 and p.kappa == pytest.approx(1.0)
        assert s.accuracy < 0.5 and s.kappa is not None and abs(s.kappa) < 0.1  # chance level
    assert "| strategy | 490 |" in render_bridge_markdown(result)


def test_the_eval_cli_scores_a_bridge_file_and_refuses_a_missing_one(tmp_path):
    from typer.testing import CliRunner

    from socratic_cli import app

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "bridge" / "bridge.json"
    out = CliRunner().invoke(app, ["eval", "bridge", str(fixture), "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "strategy" in out.output and (tmp_path / "bridge_agreement.json").is_file()
    missing = CliRunner().invoke(app, ["eval", "bridge", str(tmp_path / "nope.json")])
    assert missing.exit_code != 0 and "Traceback" not in missing.output
