"""Eval runs end to end with scripted tutors and rule-based students: files, database, resume, rescore,
report, compare, and the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from evals.compare import compare_runs, render_comparison
from evals.config import EvalConfig, evals_dir, load_config, parse_config
from evals.files import read_judge, read_scores
from evals.labels import DIMENSIONS, VOCABULARY
from evals.runner import rescore, run_eval
from student_sim.gen_spec import given_fields
from tutor.errors import ConfigError
from tutor.models.scripted import ScriptedChatModel
from tutor.settings import Settings
from tutor.storage.store import Store

QUESTIONS = ["What operation would you use here?", "Can you check that step again?", "What do you notice?"]
LEAKY = ["The change is $2.20. For the program: replace `total = n` with `total += n`."]
CONSTANT = json.dumps({d: VOCABULARY[d][0] for d in DIMENSIONS})


def _script(path: Path, replies: list[str]) -> str:
    path.write_text(yaml.safe_dump(replies), encoding="utf-8")
    return f"scripted:{path}"


def make_config(folder: Path, tutor_replies: list[str] = QUESTIONS, name: str = "t") -> EvalConfig:
    return EvalConfig.model_validate(
        {
            "name": name,
            "problems": ["toy-math-pencils", "toy-debug-average"],
            "profiles": ["gus-slow-learner"],
            "seeds": [0],
            "max_turns": 4,
            "stuck_after": 3,
            "models": {"tutor": _script(folder / f"{name}-tutor.yaml", tutor_replies)},
            "variants": [
                {"name": "socratic", "tutor": {}},
                {"name": "assist", "tutor": {"mode": "assist"}, "model": _script(folder / "leaky.yaml", LEAKY)},
            ],
            "judge": {"enabled": True, "max_turns_per_dialogue": 1},
            "bootstrap": {"samples": 200},
            "examples_per_variant": 2,
        }
    )


def constant_judge(spec: str) -> ScriptedChatModel:
    return ScriptedChatModel(replies=[CONSTANT])


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One finished eval run (and the store it was recorded in)."""
    folder = tmp_path_factory.mktemp("eval")
    store = Store.open(f"sqlite:///{folder}/db.sqlite")
    config = make_config(folder)
    result = run_eval(
        config, folder / "run", settings=Settings.load(), store=store, judge_model=constant_judge, progress=False
    )
    yield config, result, store
    store.close()


def test_every_dialogue_is_scored_and_the_assist_baseline_leaks(finished):
    config, result, _ = finished
    assert result.jobs == 4 and result.generated == 4 and result.errors == 0
    scores = read_scores(result.run_dir)
    assert sorted((s.variant, s.problem_id) for s in scores) == sorted(
        (v, p) for v in ("socratic", "assist") for p in ("toy-debug-average", "toy-math-pencils")
    )
    metrics = {v: block["metrics"] for v, block in result.summary["variants"].items()}
    assert metrics["assist"]["leak_rate"] == 1.0 and metrics["socratic"]["leak_rate"] == 0.0
    assert metrics["socratic"]["question_share"] == 1.0
    assert len(result.summary["variants"]["assist"]["telling_at_k"]) == config.max_turns


def test_the_run_is_recorded_in_the_database_with_its_headline_figures(finished):
    _, result, store = finished
    run = store.get_run(result.run_id)
    assert run.kind == "eval" and run.status == "done" and Path(run.run_dir) == result.run_dir.resolve()
    assert run.summary["variants"]["assist"]["leak_rate"] == 1.0
    assert [r.id for r in store.list_runs("eval")] == [result.run_id]


def test_the_judge_labels_the_first_reply_of_every_dialogue(finished):
    _, result, _ = finished
    assert result.judged == 4 and len(read_judge(result.run_dir)) == 4
    assert all(s.judged_turns == 1 for s in read_scores(result.run_dir))
    assert result.summary["variants"]["socratic"]["metrics"]["judge_mistake_identification"] == 1.0


def test_the_report_is_markdown_with_plots_and_one_self_contained_html_page(finished):
    _, result, _ = finished
    md = (result.run_dir / "report.md").read_text(encoding="utf-8")
    html = (result.run_dir / "report.html").read_text(encoding="utf-8")
    for plot in ("curves", "rates", "outcomes"):
        assert f"plots/{plot}.png" in md and (result.run_dir / "plots" / f"{plot}.png").stat().st_size > 5000
    assert html.count('src="data:image/png;base64,') == 3 and 'src="plots/' not in html
    assert "Ablations and baselines" in md and "| assist |" in md and "Judge labels" in md
    examples = list((result.run_dir / "examples").rglob("*.md"))
    assert len(examples) == 4 and all(f"examples/{p.parent.name}/{p.name}" in md for p in examples)
    assert html.count("<details id=") == 4 and 'href="#ex-' in html
    # Sections that set the run beside outside references, in both renderings, with their JSON.
    for heading in (
        "Bad-reply audit",
        "Simulated students: fidelity card",
        "Bridge decision agreement",
        "Judge calibration",
    ):
        assert f"## {heading}" in md and heading in html, heading
    assert "telling detector" in md and "shares no code with the tutor's leak guard" in md
    audit = json.loads((result.run_dir / "audit.json").read_text(encoding="utf-8"))
    assert set(audit) == {"socratic", "assist"} and all(a["replies"] > 0 for a in audit.values())
    assert (result.run_dir / "variants" / "socratic" / "fidelity.json").is_file()
    assert "<table>" in html.split("Bad-reply audit", 1)[1]  # the Markdown sections render as HTML tables


def test_running_again_resumes_and_makes_nothing_twice(finished, tmp_path):
    config, result, _ = finished
    copy = tmp_path / "run"
    shutil.copytree(result.run_dir, copy)
    again = run_eval(config, copy, settings=Settings.load(), judge_model=constant_judge, progress=False)
    assert again.generated == 0 and again.skipped == 4 and again.judged == 0
    assert again.run_id == result.run_id
    assert read_scores(copy) == read_scores(result.run_dir)


def test_rescore_recomputes_the_same_scores_without_any_model(finished, tmp_path, monkeypatch):
    _, result, _ = finished
    copy = tmp_path / "run"
    shutil.copytree(result.run_dir, copy)
    (copy / "scores.jsonl").unlink()
    (copy / "report.html").unlink()

    def no_model(*args, **kwargs):
        raise AssertionError("rescore built a model")

    monkeypatch.setattr("tutor.models.get_chat_model", no_model)
    monkeypatch.setattr("tutor.models.factory.get_chat_model", no_model)
    scores, _ = rescore(copy)
    assert scores == read_scores(result.run_dir) and (copy / "report.html").exists()


def test_a_folder_holding_another_config_is_refused(finished, tmp_path):
    config, result, _ = finished
    copy = tmp_path / "run"
    shutil.copytree(result.run_dir, copy)
    other = config.model_copy(update={"max_turns": 5})
    with pytest.raises(ConfigError, match="another config"):
        run_eval(other, copy, settings=Settings.load(), progress=False)


def test_two_variants_of_one_run_compare_with_paired_intervals(finished):
    _, result, _ = finished
    [comparison] = compare_runs(result.run_dir, result.run_dir, variant_a="socratic", variant_b="assist")
    leak = next(d for d in comparison.differences if d.metric == "leak_rate")
    assert leak.paired and leak.n_a == 2 and leak.diff == 1.0 and leak.low == 1.0
    text = render_comparison([comparison])
    assert "| Leak rate (Telling@N) | 0% | 100% | +100pp [+100, +100] * | A |" in text


def test_two_runs_compare_variant_by_variant(finished, tmp_path):
    config, result, _ = finished
    other = make_config(tmp_path, tutor_replies=["Think about it. What is the first step?"], name="u")
    other = other.model_copy(update={"judge": other.judge.model_copy(update={"enabled": False})})
    second = run_eval(other, tmp_path / "run", settings=Settings.load(), progress=False)
    comparisons = compare_runs(result.run_dir, second.run_dir)
    assert [c.b.rsplit(":", 1)[1] for c in comparisons] == ["socratic", "assist"]
    assert all(d.paired for c in comparisons for d in c.differences)
    assert not any(d.metric.startswith("judge_") for c in comparisons for d in c.differences)  # B was not judged


def test_the_cli_rescoring_comparing_and_calibrating(finished, tmp_path):
    from socratic_cli import app

    _, result, _ = finished
    copy = tmp_path / "run"
    shutil.copytree(result.run_dir, copy)
    runner = CliRunner()
    out = runner.invoke(app, ["eval", "rescore", str(copy), "--no-report"])
    assert out.exit_code == 0 and "4 dialogue(s) rescored" in out.output
    out = runner.invoke(app, ["eval", "compare", str(result.run_dir), str(copy), "--no-db"])
    assert out.exit_code == 0 and "| Solved without telling |" in out.output and "+0pp [+0, +0]" in out.output
    judge = tmp_path / "judge.yaml"
    judge.write_text(yaml.safe_dump([CONSTANT]), encoding="utf-8")
    fixture = evals_dir() / "calibration" / "mrbench_fixture.json"
    out = runner.invoke(
        app,
        [
            "eval",
            "calibrate",
            "--data",
            str(fixture),
            "--judge",
            f"scripted:{judge}",
            "--out",
            str(tmp_path / "cal"),
            "--no-split",
            "--no-progress",
        ],
    )
    assert out.exit_code == 0, out.output
    report = json.loads((tmp_path / "cal" / "calibration.json").read_text())
    assert report["items"] == 22 and report["unlabelled"] == 0
    assert "| mistake_identification | 22 | 100% |" in out.output
    # A second run with the same judge reuses the saved verdicts: this judge could not label anything.
    judge.write_text(yaml.safe_dump(["not json"]), encoding="utf-8")
    out = runner.invoke(
        app,
        [
            "eval",
            "calibrate",
            "--data",
            str(fixture),
            "--judge",
            f"scripted:{judge}",
            "--out",
            str(tmp_path / "cal"),
            "--no-split",
            "--no-progress",
        ],
    )
    assert out.exit_code == 0 and json.loads((tmp_path / "cal" / "calibration.json").read_text())["unlabelled"] == 0


def test_bundled_configs_load_and_the_ablations_switch_each_feature_off():
    default = load_config("default")
    assert [v.name for v in default.variants] == ["socratic", "assist"] and default.max_turns <= 6
    ablations = load_config("ablations")
    assert {v.name: given_fields(v.tutor) for v in ablations.variants} == {
        "socratic": {},
        "no-soliloquy": {"use_soliloquy": False},
        "no-plan": {"use_plan": False},
        "no-guard": {"use_guard": False},
        "assist": {"mode": "assist"},
    }
    with pytest.raises(ConfigError, match="variants.0.tutor"):
        parse_config({"variants": [{"name": "x", "tutor": {"use_wings": True}}]})
