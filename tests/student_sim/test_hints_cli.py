"""`socratic hints generate | validate | curve` through the real CLI app, with scripted model files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from socratic_cli import app, main
from tutor.errors import ConfigError
from tutor.problems import toy_bank

runner = CliRunner()


@pytest.fixture(scope="module")
def average():
    return toy_bank().get("toy-debug-average")


@pytest.fixture
def scripts(tmp_path, average) -> dict[str, str]:
    """Specs of a hint model and of students that always / never repair the average program."""
    hint = tmp_path / "hint.yaml"
    reply = {"explanation": "Line 4 overwrites the total.", "hint": "What should total become on each pass?"}
    hint.write_text(yaml.safe_dump([json.dumps(reply)]), encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump([f"```python\n{average.fixed_code}```"]), encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump([f"```python\n{average.buggy_code}```"]), encoding="utf-8")
    return {"hint": f"scripted:{hint}", "good": f"scripted:{good}", "bad": f"scripted:{bad}"}


def hints_args(out: Path, scripts: dict[str, str], student: str, *extra: str) -> list[str]:
    return [
        "hints", "generate", "--single", "--problems", "toy-debug-average", "--out", str(out), "--n", "4",
        "--hint-model", scripts["hint"], "--student-model", scripts[student], *extra,
    ]  # fmt: skip


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_generate_writes_records_a_manifest_and_resumes(tmp_path, scripts):
    out = tmp_path / "run"
    result = runner.invoke(app, hints_args(out, scripts, "good"))
    assert result.exit_code == 0, result.output
    assert "toy-debug-average: accepted (trial 1)" in result.output
    (record,) = lines(out / "hints.jsonl")
    assert record["accepted"] and record["hint"] == "What should total become on each pass?"
    assert record["failing_test"]["name"] == "test_three" and record["fix_source"] == "problem"
    assert record["models"] == {"hint": scripts["hint"], "student": scripts["good"]}
    assert record["config"]["validation"]["n"] == 4
    manifest = json.loads((out / "manifest.json").read_text())
    assert (
        manifest["summary"]["accepted"] == 1
        and manifest["summary"]["calls_total"] == record["calls"]["hint"] + record["calls"]["student"]
    )
    again = runner.invoke(app, hints_args(out, scripts, "good"))
    assert again.exit_code == 0 and len(lines(out / "hints.jsonl")) == 1  # nothing redone


def test_resuming_with_other_knobs_is_refused(tmp_path, scripts):
    out = tmp_path / "run"
    assert runner.invoke(app, hints_args(out, scripts, "good")).exit_code == 0
    result = runner.invoke(app, hints_args(out, scripts, "good", "--alpha", "0.9"))
    assert isinstance(result.exception, ConfigError)


def test_a_student_who_never_succeeds_rejects_three_hints(tmp_path, scripts):
    out = tmp_path / "run"
    result = runner.invoke(app, hints_args(out, scripts, "bad", "--mode", "pyfixv", "--threshold", "0.25"))
    assert result.exit_code == 0, result.output
    (record,) = lines(out / "hints.jsonl")
    assert not record["accepted"] and len(record["trials"]) == 3
    assert all(t["validation"]["done_without"] == 0 for t in record["trials"])  # pyfixv never reads n1


def test_validate_revalidates_stored_hints_with_new_knobs_and_another_student(tmp_path, scripts):
    out = tmp_path / "run"
    assert runner.invoke(app, hints_args(out, scripts, "good", "--seed", "7")).exit_code == 0
    target = tmp_path / "again.jsonl"
    args = [
        "hints",
        "validate",
        str(out / "hints.jsonl"),
        "-o",
        str(target),
        "--n",
        "3",
        "--student-model",
        scripts["bad"],
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    (record,) = lines(target)
    assert not record["accepted"] and record["config"]["validation"]["n"] == 3
    assert record["models"]["student"] == scripts["bad"] and record["calls"]["hint"] == 0
    assert record["trials"][0]["hint"] == "What should total become on each pass?"
    assert record["config"]["seed"] == 7  # the record's seeds, unless --seed says otherwise
    on_threads = tmp_path / "threads.jsonl"
    args[4] = str(on_threads)
    result = runner.invoke(app, [*args, "--executor", "threads", "--concurrency", "2"])
    assert result.exit_code == 0, result.output
    assert lines(on_threads) == lines(target)  # the same revalidation, whichever executor ran it


def test_curve_plots_from_curve_data_without_models(tmp_path, scripts):
    out = tmp_path / "run"
    result = runner.invoke(app, hints_args(out, scripts, "good", "--curve-data", "--trials", "1"))
    assert result.exit_code == 0, result.output
    (record,) = lines(out / "hints.jsonl")
    validation = record["trials"][0]["validation"]
    assert validation["done_without"] == validation["done_with"] == 4 and len(validation["holdout"]) == 4
    assert (out / "curve.png").exists() and json.loads((out / "curve.json").read_text())  # written with the data
    png = tmp_path / "plots" / "curve.png"
    result = runner.invoke(app, ["hints", "curve", str(out / "hints.jsonl"), "-o", str(png)])
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:4] == b"\x89PNG"
    points = json.loads(png.with_suffix(".json").read_text())
    default = next(p for p in points if (p["alpha"], p["beta"]) == (0.5, 0.25))
    # Solved with and without the hint: accepted at the defaults (n2/n = 1), truly useful by the holdout.
    assert default["coverage"] == 1.0 and default["precision"] == 1.0
    gain = next(p for p in points if (p["alpha"], p["beta"]) == (1.0, 0.1))
    assert gain["coverage"] == 1.0  # n2/n = 1 reaches alpha = 1


def test_user_errors_are_one_line_not_tracebacks(tmp_path, scripts, capsys):
    assert main(["hints", "generate", "--problems", "toy-math-pencils", "--out", str(tmp_path / "x")]) == 1
    assert "hints are for debugging problems" in capsys.readouterr().err
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"problem_id": 3}\n', encoding="utf-8")
    assert main(["hints", "curve", str(broken), "-o", str(tmp_path / "c.png")]) == 1
    assert "line 1" in capsys.readouterr().err
    assert main(["hints", "generate", "--out", str(tmp_path / "y"), "--mode", "nope"]) == 1


TELLING = "Use `total += n` instead of `total = n`."  # the bundled model's accepted hint of issue 18, verbatim


def test_validate_rejects_a_stored_hint_that_tells_the_fix_and_records_why(tmp_path, scripts):
    """A file written before the check (or by hand) holds a telling hint that a student validated: `validate`
    rejects it before any student call, keeps it with the check's reasons, and tries the next stored hint."""
    out = tmp_path / "run"
    assert runner.invoke(app, hints_args(out, scripts, "bad", "--trials", "2")).exit_code == 0
    (record,) = lines(out / "hints.jsonl")
    assert [t["leak_reasons"] for t in record["trials"]] == [[], []]  # two hints that do not tell
    record["trials"][0]["hint"] = TELLING
    (out / "hints.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    checked, unchecked = tmp_path / "checked.jsonl", tmp_path / "unchecked.jsonl"
    args = ["hints", "validate", str(out / "hints.jsonl"), "--n", "2", "--student-model", scripts["good"]]
    result = runner.invoke(app, [*args, "-o", str(checked)])
    assert result.exit_code == 0, result.output
    assert "[1 told the fix]" in result.output and "1 rejected as telling the fix" in result.output
    (again,) = lines(checked)
    first, second = again["trials"]
    assert first["hint"] == TELLING and first["validation"] is None and first["calls"] == 0
    assert any("total += n" in reason for reason in first["leak_reasons"])
    assert second["validation"]["accepted"] and second["leak_reasons"] == []
    assert again["accepted_trial"] == 1 and again["hint"] == "What should total become on each pass?"
    assert again["calls"]["student"] == second["validation"]["calls"]  # no student call on the telling hint
    assert again["config"]["check_leaks"] is True
    # Off, the same hint is validated (the scripted student repairs anyway) and the reasons are still recorded.
    result = runner.invoke(app, [*args, "-o", str(unchecked), "--no-check-leaks"])
    assert result.exit_code == 0, result.output
    (loose,) = lines(unchecked)
    assert loose["accepted_trial"] == 0 and loose["hint"] == TELLING and loose["trials"][0]["leak_reasons"]
    assert loose["config"]["check_leaks"] is False


def test_a_revalidate_worker_builds_its_parts_once_per_process_and_a_pickled_copy_builds_its_own(tmp_path, scripts):
    import pickle
    from concurrent.futures import ThreadPoolExecutor

    from student_sim.hints import HintRecord
    from student_sim.hints_cli import RevalidateWorker

    out = tmp_path / "run"
    assert runner.invoke(app, hints_args(out, scripts, "good")).exit_code == 0
    record = HintRecord.model_validate(lines(out / "hints.jsonl")[0])
    worker = RevalidateWorker({}, scripts["good"], 64, [])
    config = record.config.model_copy()
    with ThreadPoolExecutor(4) as pool:  # racing threads share one pipeline, one sandbox, one bank
        pipelines = list(pool.map(lambda _: worker._pipeline_for(record, config), range(8)))
        banks = list(pool.map(lambda _: worker._bank.get(), range(8)))
    assert len({id(p) for p in pipelines}) == 1 and len({id(b) for b in banks}) == 1
    assert pipelines[0].sandbox is worker._sandbox.get()
    copy = pickle.loads(pickle.dumps(worker))  # what a process executor or a Ray actor receives
    again = copy._pipeline_for(record, config)
    assert again is not pipelines[0] and again.sandbox is copy._sandbox.get() is not worker._sandbox.get()
    assert copy((0, record)).accepted
    copy.close()
    worker.close()
    assert worker._pipeline_for(record, config) is not pipelines[0]  # closed: the next call builds anew
    worker.close()
