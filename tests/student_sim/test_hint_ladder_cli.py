"""`socratic hints generate` in ladder mode through the real CLI app, with scripted model files: the ladder
records, the tutor's ladder file, and a bank that reads it."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from socratic_cli import app, main
from tutor.problems import toy_bank
from tutor.problems.ladders import read_ladder_file

runner = CliRunner()
TELLS = "Use `total += n` instead of `total = n`."
POINTS = "When test_three runs, what value does total hold after line 4?"


def test_generate_writes_a_validated_ladder_per_bug_and_the_tutor_file(tmp_path):
    average = toy_bank().get("toy-debug-average")
    hint = tmp_path / "hint.yaml"
    # The writer tells the fix first, then points; every later level gets the pointer again.
    hint.write_text(yaml.safe_dump([json.dumps({"hint": TELLS})] + [json.dumps({"hint": POINTS})] * 9), "utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump([f"```python\n{average.fixed_code}```"]), encoding="utf-8")
    out, tutor_file = tmp_path / "run", tmp_path / "hints" / "bank.json"
    args = [
        "hints", "generate", "--problems", "toy-debug-average", "--out", str(out), "--n", "2",
        "--hint-model", f"scripted:{hint}", "--student-model", f"scripted:{good}", "--ladders", str(tutor_file),
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "toy-debug-average b1: pointer accepted (n1=0/0 n2=2/2) [1 told the fix]" in result.output  # early stop
    assert "hints rejected as telling the fix" in result.output
    (record,) = [json.loads(line) for line in (out / "ladders.jsonl").read_text().splitlines()]
    first = record["levels"][0]["trials"][0]
    assert first["hint"] == TELLS and first["leak_reasons"] and first["validation"] is None
    ladder = read_ladder_file(tutor_file).ladders["toy-debug-average"]["b1"]
    assert ladder[0].text == POINTS and TELLS not in {h.text for h in ladder}
    assert (out / "ladders.json").read_text() == tutor_file.read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["summary"]["rejected_as_telling"] == 1 and manifest["summary"]["bugs_with_a_task"] == 1
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and len((out / "ladders.jsonl").read_text().splitlines()) == 1
    # A record accepted before the check knew better: the tutor's file, rewritten on resume, leaves out the
    # telling hint and the levels validated on top of it; the record itself stays as it was.
    first_level = record["levels"][0]
    accepted = next(t for t in first_level["trials"] if t["trial"] == first_level["accepted_trial"])
    accepted["hint"] = TELLS
    (out / "ladders.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    rechecked = runner.invoke(app, args)
    assert rechecked.exit_code == 0, rechecked.output
    assert "left out of the tutor's file: toy-debug-average b1 pointer: tells the fix" in (rechecked.output)
    assert "toy-debug-average" not in read_ladder_file(tutor_file).ladders
    assert json.loads((out / "ladders.jsonl").read_text()) == record


def test_single_hint_options_without_single_are_a_clear_error(tmp_path):
    assert main(["hints", "generate", "--out", str(tmp_path / "x"), "--curve-data"]) == 1


def test_a_ladder_worker_builds_its_pipeline_once_per_process_and_a_pickled_copy_builds_its_own(tmp_path):
    import pickle
    from concurrent.futures import ThreadPoolExecutor

    from student_sim.hint_ladder import LadderConfig
    from student_sim.hints import ModelsUsed
    from student_sim.hints_ladder_cli import LadderWorker

    hint, student = tmp_path / "hint.yaml", tmp_path / "student.yaml"
    hint.write_text(yaml.safe_dump([json.dumps({"hint": POINTS})]), encoding="utf-8")
    student.write_text(yaml.safe_dump(["no idea"]), encoding="utf-8")
    worker = LadderWorker(LadderConfig(), ModelsUsed(hint=f"scripted:{hint}", student=f"scripted:{student}"), 64)
    with ThreadPoolExecutor(4) as pool:
        pipelines = list(pool.map(lambda _: worker.pipeline(), range(8)))
    assert len({id(p) for p in pipelines}) == 1
    copy = pickle.loads(pickle.dumps(worker))  # what a process executor or a Ray actor receives
    assert copy.pipeline() is not pipelines[0] and copy.pipeline().sandbox is not pipelines[0].sandbox
    copy.close()
    worker.close()
    assert worker.pipeline() is not pipelines[0]  # closed: the next call builds anew
    worker.close()


def test_the_tutor_file_keeps_only_the_levels_asked_for(tmp_path):
    average = toy_bank().get("toy-debug-average")
    hint = tmp_path / "hint.yaml"
    hint.write_text(yaml.safe_dump([json.dumps({"hint": POINTS})]), "utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump([f"```python\n{average.fixed_code}```"]), encoding="utf-8")
    out, tutor_file = tmp_path / "run", tmp_path / "bank.json"
    args = [
        "hints", "generate", "--problems", "toy-debug-average", "--out", str(out), "--n", "1",
        "--hint-model", f"scripted:{hint}", "--student-model", f"scripted:{good}", "--ladders", str(tutor_file),
    ]  # fmt: skip
    result = runner.invoke(app, [*args, "--tutor-levels", "next_step"])
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in (out / "ladders.jsonl").read_text().splitlines()]
    assert [lv["accepted_trial"] for lv in record["levels"]] == [0, 0, 0]  # the run keeps every level
    assert [h.level for h in read_ladder_file(tutor_file).ladders["toy-debug-average"]["b1"]] == ["next_step"]
    assert main([*args, "--tutor-levels", "hint"]) == 1
