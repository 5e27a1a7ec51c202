"""The calibration split, the learned judge, and the calibration of judges against the majority baseline."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from evals.calibrate import MajorityJudge, calibrate, judge_input, load_labelled
from evals.calibration_split import (
    SEED,
    load_split,
    split_conversations,
    split_for,
    split_path,
    subsample,
)
from evals.calibration_suite import (
    LEARNED,
    MAJORITY,
    bootstrap_delta,
    judge_calibration,
    render_suite_markdown,
    run_suite,
)
from evals.config import evals_dir
from evals.files import read_judge
from evals.judge import Judge, JudgeInput, JudgeVerdict
from evals.judge_factory import make_judge
from evals.labels import DIMENSIONS, VOCABULARY, JudgeLabels
from evals.learned_judge import LearnedJudge, learned_judge_for, train_learned_judge
from evals.runner import run_eval
from tutor.errors import InputDataError
from tutor.models.scripted import ScriptedChatModel
from tutor.settings import Settings

FIXTURE = evals_dir() / "calibration" / "mrbench_fixture.json"
CONSTANT = {d: VOCABULARY[d][0] for d in DIMENSIONS}
BEA_DIMENSIONS = ["mistake_identification", "mistake_location", "providing_guidance", "actionability"]


# ------------------------------------------------------------------------------------------- the split


def test_the_split_is_a_pure_function_of_the_ids_and_the_seed():
    ids = [f"conv-{i}" for i in range(41)]
    split = split_conversations(ids, seed=7)
    assert split == split_conversations(list(reversed(ids)) + ids[:5], seed=7)  # order and repeats do not matter
    assert len(split.calibration) == 21 and len(split.test) == 20
    assert set(split.calibration).isdisjoint(split.test) and set(split.calibration) | set(split.test) == set(ids)
    other = split_conversations(ids, seed=8)
    assert other.calibration != split.calibration  # the seed matters


def test_every_response_of_a_conversation_lies_in_one_half():
    records, _ = load_labelled(FIXTURE)
    split, how = split_for(r.conversation_id for r in records)
    assert "computed" in how  # the fixture is not the committed BEA split
    calibration, test = split.partition(records)
    assert len(calibration) + len(test) == len(records)
    assert {r.conversation_id for r in calibration}.isdisjoint({r.conversation_id for r in test})
    with pytest.raises(InputDataError, match="neither half"):
        split_conversations(["other"]).partition(records)


def test_the_committed_bea_split_is_the_split_of_its_own_ids():
    stored = load_split()
    assert stored.seed == SEED and len(stored.calibration) == len(stored.test) == 150
    assert split_conversations(stored.calibration + stored.test, stored.seed) == stored.split()
    split, how = split_for(stored.calibration + stored.test)
    assert split == stored.split() and split_path().name in how


def test_a_sample_is_seeded_and_grows_by_extension():
    records, _ = load_labelled(FIXTURE)
    eight, five = subsample(records, 8, seed=3), subsample(records, 5, seed=3)
    assert len(eight) == 8 and five == eight[:5]  # judged in this order, an interrupted run is a smaller sample
    assert subsample(list(reversed(records)), 8, seed=3) == eight and subsample(records, 8, seed=4) != eight
    assert sorted(r.id for r in subsample(records, None)) == sorted(r.id for r in records)
    assert len(subsample(records, 100)) == len(records)


# ----------------------------------------------------------------------------------- the learned judge


def test_the_learned_judge_gives_the_llm_judges_verdict_shape_and_survives_a_save(tmp_path):
    records, _ = load_labelled(FIXTURE)
    judge = train_learned_judge(records)
    assert judge.dimensions == list(DIMENSIONS)  # the fixture labels all 8 dimensions with 2+ classes each
    item = judge_input(records[0])
    verdict = judge.judge(item)
    assert isinstance(verdict, JudgeVerdict) and isinstance(verdict.labels, JudgeLabels) and not verdict.error
    for d in DIMENSIONS:
        assert getattr(verdict.labels, d) in VOCABULARY[d]
    loaded = LearnedJudge.load(judge.save(tmp_path / "judge.joblib"))
    inputs = [judge_input(r) for r in records]
    assert [v.labels for v in loaded.judge_many(inputs)] == [v.labels for v in judge.judge_many(inputs)]
    with pytest.raises(InputDataError):
        LearnedJudge.load(tmp_path / "missing.joblib")


def test_a_dimension_without_two_classes_is_left_unlabelled():
    records, _ = load_labelled(FIXTURE)
    yes = [r for r in records if r.labels.coherence == "Yes"]
    judge = train_learned_judge(yes)
    assert "coherence" not in judge.dimensions
    labels = judge.judge(judge_input(yes[0])).labels
    assert labels is not None and labels.coherence is None and "coherence" not in labels.as_dict()


def test_the_learned_judge_fits_what_it_was_trained_on():
    records, _ = load_labelled(FIXTURE)
    judge = train_learned_judge(records)
    report = calibrate(records, judge, judge_spec=LEARNED)
    assert all(d.accuracy is not None and d.accuracy >= 0.9 for d in report.dimensions)


def test_a_learned_spec_trains_from_a_labelled_file_and_caches_the_model(tmp_path, monkeypatch):
    judge = learned_judge_for(f"learned:{FIXTURE}", tmp_path)
    saved = list((tmp_path / "judges").glob("*.joblib"))
    assert len(saved) == 1 and judge.info["trained_on"] < 22  # the calibration half only
    assert isinstance(make_judge(f"learned:{saved[0]}", Settings.load()), LearnedJudge)
    monkeypatch.delenv("TUTOR_REALDATA_DIR", raising=False)
    with pytest.raises(InputDataError, match="training data"):
        learned_judge_for("learned", tmp_path)


# ------------------------------------------------------------------------------ against the majority


def test_the_majority_judge_answers_the_most_frequent_training_label():
    records, _ = load_labelled(FIXTURE)
    majority = MajorityJudge(records)
    counts = Counter(r.labels.mistake_identification for r in records)
    labels = majority.judge(JudgeInput(history="", response="anything")).labels
    assert labels is not None and labels.mistake_identification == counts.most_common(1)[0][0]
    report = calibrate(records, majority, judge_spec=MAJORITY)
    assert all(d.kappa == 0.0 for d in report.dimensions)  # a constant prediction agrees by chance only


def test_a_judge_that_copies_the_humans_beats_the_majority_with_an_interval_above_zero():
    human = ["Yes"] * 10 + ["No"] * 6 + ["To some extent"] * 4
    low, high = bootstrap_delta(human, human, ["Yes"] * 20, samples=500)
    assert 0 < low <= high  # macro-F1 1.0 against about 0.28
    low, high = bootstrap_delta(human, ["Yes"] * 20, ["Yes"] * 20, samples=500)
    assert low == high == 0


def test_the_suite_reports_every_judge_beside_the_majority_on_the_same_items():
    records, _ = load_labelled(FIXTURE)
    scripted = Judge(ScriptedChatModel(replies=[json.dumps(CONSTANT)]))
    suite = run_suite(records, data="fixture", llm_judges={"scripted": scripted}, sample_size=5)
    assert [(r.judge, r.subset) for r in suite.runs] == [
        (MAJORITY, "test"),
        (LEARNED, "test"),
        (MAJORITY, "sample"),
        (LEARNED, "sample"),
        ("scripted", "sample"),
    ]
    assert suite.halves["calibration"]["responses"] + suite.halves["test"]["responses"] == len(records)
    assert suite.sample_size == 5 and all(len(r.report.items) == 5 for r in suite.runs if r.subset == "sample")
    scripted_mi = next(c for c in suite.comparisons if c.judge == "scripted" and c.dimension == DIMENSIONS[0])
    assert scripted_mi.n == 5 and scripted_mi.published_best_macro_f1 == pytest.approx(0.7181)
    text = render_suite_markdown(suite)
    assert "## Which judge beats the majority baseline" in text and "- `scripted` (seeded sample of 5)" in text
    document = suite.to_json()
    assert "verdicts" in document["runs"][-1] and "verdicts" not in document["runs"][1]


def test_stored_figures_are_found_by_judge_spec(tmp_path):
    records, _ = load_labelled(FIXTURE)
    suite = run_suite(records, data="fixture", llm_judges={"local": MajorityJudge(records)}, sample_size=6)
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(suite.to_json()), encoding="utf-8")
    learned = judge_calibration("learned:/somewhere/model.joblib", path)
    assert learned is not None and learned["subset"] == "test" and learned["items"] == len(suite.runs[0].report.items)
    assert set(learned["dimensions"]) == set(DIMENSIONS)
    local = judge_calibration("local", path)
    assert local is not None and local["subset"] == "sample" and local["items"] == 6
    assert local["dimensions"]["coherence"]["delta_macro_f1"] == 0  # the same constant as the baseline
    assert judge_calibration("openai:gpt-4o", path) is None
    assert judge_calibration("local", tmp_path / "none.json") is None


def test_the_committed_calibration_names_both_judges():
    for spec in ("learned", "local"):
        figures = judge_calibration(spec)
        assert figures is not None and set(figures["dimensions"]) == set(BEA_DIMENSIONS), spec
        assert figures["data"] == "mrbench_v3_devset.json"
    assert judge_calibration("learned")["subset"] == "test" and judge_calibration("local")["subset"] == "sample"


def test_the_cli_calibrates_on_the_test_half_and_resumes(tmp_path):
    from socratic_cli import app

    script = tmp_path / "judge.yaml"
    script.write_text(yaml.safe_dump([json.dumps(CONSTANT)]), encoding="utf-8")
    args = ["eval", "calibrate", "--data", str(FIXTURE), "--judge", "learned", "--judge", f"scripted:{script}"]
    args += ["--sample", "4", "--out", str(tmp_path / "cal"), "--no-progress"]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    assert "beats the majority baseline" in out.output
    first = json.loads((tmp_path / "cal" / "calibration.json").read_text())
    assert first["sample_size"] == 4 and {r["judge"] for r in first["runs"]} == {
        MAJORITY,
        LEARNED,
        f"scripted:{script}",
    }
    assert len((tmp_path / "cal" / "verdicts.jsonl").read_text().splitlines()) == 4
    script.write_text(yaml.safe_dump(["not json"]), encoding="utf-8")  # a rerun reuses the saved verdicts
    out = CliRunner().invoke(app, args)
    again = json.loads((tmp_path / "cal" / "calibration.json").read_text())
    assert out.exit_code == 0 and again["comparisons"] == first["comparisons"]


def test_an_eval_run_is_judged_by_the_learned_judge_through_the_cli(tmp_path, monkeypatch):
    from socratic_cli import app
    from tests.evals.test_runner import make_config

    monkeypatch.setenv("TUTOR_CACHE_DIR", str(tmp_path / "cache"))
    config = make_config(tmp_path)
    config = config.model_copy(update={"judge": config.judge.model_copy(update={"enabled": False})})
    result = run_eval(config, tmp_path / "run", settings=Settings.load(), progress=False)
    out = CliRunner().invoke(
        app, ["eval", "judge", str(result.run_dir), "--judge", f"learned:{FIXTURE}", "--no-progress"]
    )
    assert out.exit_code == 0, out.output
    verdicts = read_judge(result.run_dir)
    assert verdicts and all(v.judge == f"learned:{FIXTURE}" and v.labels is not None for v in verdicts)
    summary = json.loads((result.run_dir / "summary.json").read_text())
    assert all(block["metrics"]["judge_mistake_identification"] is not None for block in summary["variants"].values())


# ------------------------------------------------------------------------------------------ real data


@pytest.mark.realdata
def test_the_learned_judge_trained_on_the_bea_calibration_half_scores_the_test_half(realdata_dir: Path):
    records, skipped = load_labelled(realdata_dir / "bea2025" / "mrbench_v3_devset.json")
    assert len(records) == 2476 and not skipped
    split, how = split_for(r.conversation_id for r in records)
    assert split == load_split().split() and "committed" in how
    suite = run_suite(records, data="mrbench_v3_devset.json")
    assert suite.halves == {
        "calibration": {"conversations": 150, "responses": 1240},
        "test": {"conversations": 150, "responses": 1236},
    }
    learned = {c.dimension: c for c in suite.comparisons if c.judge == LEARNED}
    assert sorted(learned) == sorted(BEA_DIMENSIONS) and all(c.n == 1236 for c in learned.values())
    assert suite.learned_info["trained_on"] == 1240
    # Measured: the learned judge beats the majority baseline's macro-F1 on every BEA dimension.
    assert all(c.clearly_beats_majority for c in learned.values())
    assert all(c.kappa is not None and c.kappa > 0.2 for c in learned.values())
