"""The MathDial forecasting evaluation: its logic on hand-made cases, its figures on the real file."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from socratic_cli import app, main
from student_sim.forecast_eval import (
    Case,
    case_of,
    cluster_bootstrap,
    evaluate,
    fit_priors,
    peer_ranks,
    question_folds,
    render_markdown,
    solution_lines,
)
from student_sim.profiles import StudentProfile
from tutor.planning.forecast import WrongCandidate
from tutor.problems.importers.mathdial import read_conversations

runner = CliRunner()
PROFILE = StudentProfile(id="p", name="P", persona="A student.")


def _case(qid: str, target: float, patterns: set[str]) -> Case:
    candidates = (WrongCandidate("forgot-step", value=1.0), WrongCandidate("wrong-operation", value=2.0))
    return Case(f"f:{qid}", qid, target, candidates, PROFILE, None, 0.5, frozenset(patterns))


def test_priors_credit_the_patterns_that_yield_each_target_and_are_smoothed():
    cases = [_case("a", 1.0, {"forgot-step"}), _case("b", 2.0, {"wrong-operation", "forgot-step"})]
    priors = fit_priors(cases)
    # forgot-step: 1 + 0.5 credit, wrong-operation 0.5, each plus one, over 2 credits + 2 patterns.
    assert priors == {"forgot-step": 2.5 / 4, "wrong-operation": 1.5 / 4}


def test_folds_keep_each_question_whole():
    cases = [_case(q, 1.0, set()) for q in ("a", "a", "b", "c", "c", "d")]
    folds = question_folds(cases, 3)
    assert sorted(i for fold in folds for i in fold) == list(range(6))
    for fold in folds:
        assert not {cases[i].qid for i in fold} & {c.qid for j, c in enumerate(cases) if j not in fold}


def test_peers_rank_the_other_conversations_answers_on_the_same_question():
    cases = [_case("a", 5.0, set()), _case("a", 5.0, set()), _case("a", 6.0, set()), _case("b", 5.0, set())]
    assert peer_ranks(cases) == [1, 1, None, None]


def test_the_cluster_bootstrap_interval_holds_the_mean():
    values = {"x": np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])}
    (low, high) = cluster_bootstrap(values, ["a", "a", "b", "c", "c", "d"], samples=300)["x"]
    assert 0 <= low <= values["x"].mean() <= high <= 1


def test_a_closing_answer_line_is_not_a_solution_step():
    assert solution_lines("12+3=15\n15-5=10\n 10") == ["12+3=15", "15-5=10"]
    assert solution_lines("One line only: 3+4=7") == ["One line only: 3+4=7"]


@pytest.fixture(scope="module")
def mathdial(realdata_dir) -> Path:
    path = realdata_dir / "mathdial" / "dev.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return path


@pytest.mark.realdata
def test_the_students_answer_never_feeds_the_candidates(mathdial):
    conversations, _ = read_conversations(mathdial)
    for conv in conversations[:40]:
        case = case_of(conv)
        if case is None:
            continue
        other = case_of(replace(conv, student_incorrect_solution="I think it is 123456789."))
        assert other is not None and other.candidates == case.candidates and other.target == 123456789.0


@pytest.mark.realdata
def test_the_forecast_report_from_the_real_file(mathdial, tmp_path):
    report = evaluate(mathdial, samples=200)
    assert report["conversations"] >= 190 and report["questions"] >= 60
    figures = report["figures"]
    assert 0.5 < figures["coverage"]["value"] <= 1  # the error patterns reach most real wrong answers
    for key, figure in figures.items():
        low, high = figure["ci95"]
        assert low <= figure["value"] + 1e-9 and figure["value"] <= high + 1e-9, key
    for method in ("uniform", "frequency", "student model"):
        assert (
            figures[f"{method} top-1"]["value"] <= figures[f"{method} top-3"]["value"] <= figures["coverage"]["value"]
        )
    assert "real data" in render_markdown(report) and "| frequency |" in render_markdown(report)


@pytest.mark.realdata
def test_forecast_eval_command_writes_the_report(mathdial, tmp_path):
    result = runner.invoke(
        app, ["cohort", "forecast-eval", "--mathdial", str(mathdial), "--out", str(tmp_path), "--samples", "100"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "forecast_mathdial.json").read_text(encoding="utf-8"))
    assert data["label"].startswith("real data") and (tmp_path / "forecast_mathdial.md").is_file()


def test_forecast_eval_without_a_file_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TUTOR_REALDATA_DIR", raising=False)
    assert main(["cohort", "forecast-eval", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no MathDial file" in err and "Traceback" not in err
    assert main(["cohort", "forecast-eval", "--mathdial", str(tmp_path / "none.jsonl")]) == 1
    assert "no such file" in capsys.readouterr().err
