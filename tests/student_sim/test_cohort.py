"""Item calibration by a simulated cohort: attempts, the resumable run, the 2PL fit and the table."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import spearmanr

from socratic_cli import main
from student_sim.calibration import LABEL, build_table
from student_sim.cohort import CohortFolder, CohortJob, attempt, expand_jobs, simulate
from student_sim.executors import make_executor
from student_sim.irt import MISSING, fit_2pl, marginal_reliability, response_matrix, split_half
from student_sim.profiles import StudentProfile, get_profile
from tutor.errors import ConfigError
from tutor.problems import toy_bank

TOY = ("toy-math-pencils", "toy-math-school-trip", "toy-physics-car-distance")


def _profile(pid: str, **fields) -> StudentProfile:
    return StudentProfile.model_validate({"id": pid, "name": "S", "persona": "A student.", **fields})


@pytest.fixture(scope="module")
def problems():
    bank = toy_bank()
    return [bank.get(pid) for pid in TOY]


def test_a_student_who_knows_everything_answers_every_step_right(problems):
    expert = _profile("expert", default_mastery=1.0, question_rate=0.0)
    result = attempt(CohortJob("j", problems[1], expert, 0))
    assert [r.step for r in result.responses] == ["s1", "s2", "s3"]
    assert all(r.correct and r.kind == "answer" and r.asks == 1 for r in result.responses)


def test_a_held_misconception_gives_its_wrong_answer_on_the_first_try(problems):
    adder = _profile(
        "adder",
        default_mastery=1.0,
        question_rate=0.0,
        misconceptions=[{"slug": "wrong-operation", "description": "I add.", "strength": 1.0}],
    )
    first = attempt(CohortJob("j", problems[0], adder, 0)).responses[0]
    assert (first.correct, first.value, first.misconception) == (False, 7.4, "wrong-operation")


def test_a_question_instead_of_an_answer_gets_the_question_again(problems):
    asker = _profile("asker", default_mastery=1.0, question_rate=1.0)
    responses = attempt(CohortJob("j", problems[0], asker, 0)).responses
    # Asked (at most 0.6 of the time), then answered: the student never asks twice in a row.
    assert all(r.kind == "answer" and r.correct and r.asks <= 2 for r in responses)
    assert any(r.asks == 2 for r in responses)


def test_jobs_skip_profiles_written_for_other_domains_and_have_stable_ids(problems):
    coder = _profile("coder", domains=["debugging"])
    mathy = _profile("mathy", domains=["math"])
    jobs = expand_jobs(problems, [coder, mathy], [0, 1])
    assert {(j.problem.id, j.profile.id) for j in jobs} == {(TOY[0], "mathy"), (TOY[1], "mathy")}
    assert [j.id for j in jobs] == [j.id for j in expand_jobs(problems, [coder, mathy], [0, 1])]
    assert len({j.id for j in jobs}) == 4


def test_the_run_resumes_and_refuses_other_settings(problems, tmp_path):
    profiles = [get_profile("ava-adds-instead"), get_profile("grace-strong-all-rounder")]
    first = simulate(problems[:2], profiles[:1], [0, 1], tmp_path)
    assert (first.new, first.skipped, first.errors) == (4, 0, 0)
    again = simulate(problems[:2], profiles, [0, 1], tmp_path, executor=make_executor("threads", 2))
    assert (again.new, again.skipped) == (4, 4) and len(again.attempts) == 8
    assert len(CohortFolder(tmp_path).attempts()) == 8
    with pytest.raises(ConfigError, match="other settings"):
        simulate(problems[:2], profiles, [0, 1, 2], tmp_path)


def test_the_process_executor_gives_the_same_attempts(problems, tmp_path):
    profiles = [get_profile("ava-adds-instead")]
    local = simulate(problems, profiles, [0, 1], tmp_path / "a").attempts
    pooled = simulate(problems, profiles, [0, 1], tmp_path / "b", executor=make_executor("processes", 2)).attempts
    assert sorted(a.model_dump_json() for a in local) == sorted(a.model_dump_json() for a in pooled)


def _synthetic(seed: int = 0, items: int = 15, students: int = 400):
    rng = np.random.default_rng(seed)
    a, b, theta = rng.uniform(0.8, 2.0, items), np.linspace(-1.5, 1.5, items), rng.normal(0, 1, students)
    p = 1 / (1 + np.exp(-a[:, None] * (theta[None, :] - b[:, None])))
    return (rng.random(p.shape) < p).astype(int), b


def test_the_2pl_fit_recovers_the_order_of_known_difficulties():
    matrix, b = _synthetic()
    fit = fit_2pl(matrix, [f"i{k}" for k in range(len(b))])
    fitted = [item.difficulty for item in fit.items]
    assert spearmanr(fitted, b).statistic > 0.9
    assert 0.5 < fit.marginal_reliability < 1 and 0.5 < fit.split_half_reliability < 1
    assert fit.at_bounds == sum(1 for i in fit.items if not 0.21 < i.discrimination < 4.99)


def test_items_everyone_answers_alike_are_not_fitted_and_missing_responses_are_allowed():
    matrix, b = _synthetic(items=6)
    matrix = np.vstack([matrix, np.ones((1, matrix.shape[1]), dtype=int)])
    matrix[0, :50] = MISSING
    fit = fit_2pl(matrix, [f"i{k}" for k in range(7)])
    assert fit.items[-1].difficulty is None and fit.items[-1].note == "all right"
    assert fit.items[0].responses == matrix.shape[1] - 50 and fit.items[0].difficulty is not None


def test_reliability_of_pure_noise_is_low():
    rng = np.random.default_rng(1)
    noise = (rng.random((12, 300)) < 0.5).astype(int)
    assert abs(split_half(noise)) < 0.3
    assert marginal_reliability(noise, np.full(12, 0.3), np.zeros(12)) < 0.3


def test_response_matrix_places_answers_and_marks_the_rest_missing():
    matrix = response_matrix({("x", "s1"): True, ("y", "s2"): False}, ["x", "y"], ["s1", "s2"])
    assert matrix.tolist() == [[1, MISSING], [MISSING, 0]]


def test_the_table_has_every_problem_and_step_and_says_who_answered(problems, tmp_path):
    profiles = [get_profile(p) for p in ("ava-adds-instead", "grace-strong-all-rounder", "gus-slow-learner")]
    attempts = simulate(problems, profiles, range(4), tmp_path).attempts
    table = build_table(attempts, problems, {"problems": "toy", "profiles": 3, "seeds": [0, 1, 2, 3]})
    assert table["label"] == LABEL and table["library"].startswith("girth")
    assert set(table["problems"]) == set(TOY)
    assert set(table["problems"]["toy-math-school-trip"]["steps"]) == {"s1", "s2", "s3"}
    assert table["cohort"]["students"] == 12 and table["items"]["steps"] == 7


def test_simulate_command_writes_the_run_and_the_table(tmp_path, capsys):
    args = ["cohort", "simulate", "--problems", ",".join(TOY), "--profiles", "ava-adds-instead,gus-slow-learner"]
    out, table = tmp_path / "run", tmp_path / "table"
    code = main([*args, "--seeds", "3", "--out", str(out), "--table", str(table), "--executor", "sequential"])
    assert code == 0, capsys.readouterr().err
    data = json.loads((table / "irt.json").read_text(encoding="utf-8"))
    assert data["cohort"]["attempts"] == 3 * 2 * 2 + 3  # ava is a math profile; gus takes every problem
    assert "rule-based simulated students" in (table / "IRT.md").read_text(encoding="utf-8")
    assert main(["cohort", "fit", str(out), "--table", str(tmp_path / "refit")]) == 0
    refit = json.loads((tmp_path / "refit" / "irt.json").read_text(encoding="utf-8"))
    assert refit["problems"] == data["problems"]


def test_bad_selections_are_one_line_errors(tmp_path, capsys):
    assert main(["cohort", "simulate", "--problems", "toy-debug-average", "--out", str(tmp_path)]) == 1
    assert "stepped problems" in capsys.readouterr().err
    assert main(["cohort", "simulate", "--profiles", "nobody", "--out", str(tmp_path)]) == 1
    assert "no student profile" in capsys.readouterr().err
    assert main(["cohort", "fit", str(tmp_path / "nothing")]) == 1
    assert "not a cohort run folder" in capsys.readouterr().err
