"""Generation at scale: run folder atomicity, resume after a real kill, HF loading, exports, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from student_sim.dialogue import Dialogue, render_dialogue_schema
from student_sim.executors import ProcessExecutor
from student_sim.export import to_openai, to_sharegpt
from student_sim.gen_spec import GenerationSpec, expand_jobs, load_spec
from student_sim.generate import generate
from student_sim.provenance import config_hash
from student_sim.runfolder import RunFolder
from tests.student_sim.conftest import TUTOR_LINES
from tutor.errors import ConfigError
from tutor.problems.bank import datasets_dir
from tutor.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def write_spec(tmp_path: Path, **changes) -> Path:
    script = tmp_path / "tutor-lines.yaml"
    script.write_text(yaml.safe_dump({"replies": list(TUTOR_LINES)}), encoding="utf-8")
    spec = {
        "name": "test",
        "problems": "toy",
        "profiles": ["ava-adds-instead", "grace-strong-all-rounder", "marco-accumulator-reset"],
        "seeds": 2,
        "max_turns": 6,
        "models": {"tutor": f"scripted:{script}"},
        **changes,
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def ids_in(path: Path) -> list[str]:
    """Ids of the complete lines (a torn last line has no newline yet)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")[:-1]
    return [json.loads(line)["id"] for line in lines if line.strip()]


def test_appends_from_many_threads_stay_whole_lines(tmp_path):
    folder = RunFolder(tmp_path)
    big = "x" * 200_000  # larger than a pipe buffer: a torn write would show

    def writer(k: int) -> None:
        for i in range(20):
            folder.append("dialogues", json.dumps({"id": f"{k}-{i}", "pad": big}))

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = folder.read("dialogues")
    assert sorted(r["id"] for r in records) == sorted(f"{k}-{i}" for k in range(4) for i in range(20))


def test_recover_cuts_a_torn_last_line(tmp_path):
    folder = RunFolder(tmp_path)
    folder.append("dialogues", json.dumps({"id": "a"}))
    with open(folder.file("dialogues"), "a", encoding="utf-8") as handle:
        handle.write('{"id": "b", "turns": [')  # a write cut short by a crash
    recovery = folder.recover()
    assert recovery.done == {"a"} and recovery.dropped_lines == 1
    assert folder.file("dialogues").read_text(encoding="utf-8") == '{"id": "a"}\n'


def test_a_second_generator_cannot_take_a_folder_in_use(tmp_path):
    with RunFolder(tmp_path), pytest.raises(ConfigError, match="another generator"):
        RunFolder(tmp_path).acquire()


def test_generate_then_rerun_skips_everything_and_a_changed_config_is_refused(tmp_path):
    spec = load_spec(write_spec(tmp_path, seeds=1))
    out = tmp_path / "run"
    first = generate(spec, out, progress=False, limit=5)
    assert (first.generated, first.skipped, first.manifest["status"]) == (5, 0, "partial")
    second = generate(spec, out, progress=False, concurrency=3)
    assert (second.skipped, second.generated, second.errors) == (5, 16, 0)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["counts"]["pending"] == 0
    assert manifest["counts"]["accepted"] + manifest["counts"]["rejected"] == 21
    assert manifest["models"]["tutor"].startswith("scripted:") and manifest["versions"]["package"]
    assert [r["generated"] for r in manifest["runs"]] == [5, 16]
    third = generate(spec, out, progress=False)
    assert (third.generated, third.skipped) == (0, 21)
    with pytest.raises(ConfigError, match="another config"):
        generate(spec.model_copy(update={"max_turns": 3}), out, progress=False)


def test_job_ids_are_stable_and_depend_on_the_config(tmp_path):
    spec = load_spec(write_spec(tmp_path))
    cfg = spec.config("scripted:x", "local")
    a = [j.id for j in expand_jobs(spec, config_hash(cfg))]
    b = [j.id for j in expand_jobs(spec, config_hash(dict(reversed(list(cfg.items())))))]
    assert a == b and len(set(a)) == 7 * 3 * 2
    changed = [j.id for j in expand_jobs(spec, config_hash({**cfg, "max_turns": 99}))]
    assert not set(a) & set(changed)


def _cli(spec: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "socratic_cli",
            "generate",
            "--spec",
            str(spec),
            "--out",
            str(out),
            "--no-progress",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # A shell without job control starts background commands with SIGINT ignored, and Python keeps an
        # ignored SIGINT: give the generator the default disposition a user's terminal would.
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_lines(path: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(ids_in(path)) >= n:
            return
        if proc.poll() is not None:
            pytest.fail(f"generator exited early: {proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.05)
    pytest.fail("generator too slow")


@pytest.mark.timeout(300)
def test_a_killed_run_resumes_with_no_duplicate_and_no_lost_dialogue(tmp_path):
    spec_path = write_spec(tmp_path, seeds=3)
    out = tmp_path / "run"
    proc = _cli(spec_path, out)
    _wait_for_lines(out / "dialogues.jsonl", 5, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with open(out / "dialogues.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"id": "torn", "turns": [{"index": 0')  # as if the kill landed mid-write
    before = set(ids_in(out / "dialogues.jsonl")) | set(ids_in(out / "rejected.jsonl"))
    rerun = _cli(spec_path, out)
    assert rerun.wait(timeout=240) == 0, rerun.stdout.read() if rerun.stdout else ""
    accepted, rejected = ids_in(out / "dialogues.jsonl"), ids_in(out / "rejected.jsonl")
    done = accepted + rejected
    spec = load_spec(spec_path)
    expected = {
        j.id
        for j in expand_jobs(spec, config_hash(spec.config(spec.models.tutor, Settings.load().spec_for("student"))))
    }
    assert len(done) == len(set(done)) == len(expected) == 63
    assert set(done) == expected and before <= set(done)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"][-1]["dropped_lines"] == 1 and manifest["runs"][-1]["skipped"] == len(before)


@pytest.mark.timeout(300)
def test_ctrl_c_stops_cleanly_and_marks_the_run_interrupted(tmp_path):
    spec_path = write_spec(tmp_path, seeds=20)
    out = tmp_path / "run"
    proc = _cli(spec_path, out)
    _wait_for_lines(out / "dialogues.jsonl", 3, proc)
    proc.send_signal(signal.SIGINT)
    # 130 from the CLI; rarely the process ends by the signal itself after it has saved its state.
    assert proc.wait(timeout=60) in (130, -signal.SIGINT)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["runs"][-1]["interrupted"]
    assert manifest["counts"]["done"] == len(ids_in(out / "dialogues.jsonl")) + len(ids_in(out / "rejected.jsonl"))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("gen")
    spec = load_spec(write_spec(tmp, seeds=1, profiles=["ava-adds-instead", "felix-bored-guesser"]))
    out = tmp / "run"
    generate(spec, out, progress=False, concurrency=2)
    # One rejected dialogue, so the two files can be loaded side by side.
    record = json.loads((out / "dialogues.jsonl").read_text().splitlines()[0])
    record["id"] = "rejected-example"
    record["quality"] = {"passed": False, "loop": True, "details": "loop: example"}
    record["outcome"]["leak_turn"] = 3
    (out / "rejected.jsonl").write_text(json.dumps(record) + "\n")
    return out


def test_dialogue_files_load_with_hugging_face_datasets(run_dir):
    datasets = pytest.importorskip("datasets")
    files = [str(run_dir / "dialogues.jsonl"), str(run_dir / "rejected.jsonl")]
    ds = datasets.load_dataset("json", data_files={"train": files}, split="train")
    assert ds.num_rows == len(ids_in(run_dir / "dialogues.jsonl")) + 1
    assert set(ds["domain"]) == {"math", "physics", "debugging"}
    row = ds[0]
    dialogue = Dialogue.model_validate(row)
    assert dialogue.turns[1].student_turn() is not None and dialogue.turns[2].tutor_turn() is not None


def test_exports_put_the_tutor_in_the_assistant_seat_and_hide_reasoning_unless_asked(run_dir):
    dialogue = Dialogue.model_validate(json.loads((run_dir / "dialogues.jsonl").read_text().splitlines()[0]))
    plain = to_openai(dialogue)["messages"]
    assert [m["role"] for m in plain[:3]] == ["system", "user", "assistant"]
    assert plain[-1]["role"] == "assistant" and plain[2]["content"] == dialogue.turns[0].text
    roles = [m["role"] for m in plain[2:]]
    assert all(a != b for a, b in zip(roles, roles[1:], strict=False))
    assert not any("<reasoning>" in m["content"] for m in plain)
    reasoned = to_openai(dialogue, include_reasoning=True)["messages"]
    assert sum("<reasoning>" in m["content"] for m in reasoned) == dialogue.outcome.tutor_turns - 1
    share = to_sharegpt(dialogue)["conversations"]
    assert [c["from"] for c in share[:3]] == ["system", "human", "gpt"]


def test_cli_exports_shows_and_checks_the_schema(run_dir, tmp_path):
    from socratic_cli import app

    runner = CliRunner()
    out = tmp_path / "sft.jsonl"
    result = runner.invoke(app, ["dialogues", "export", str(run_dir), "--format", "sharegpt", "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert len(lines) == len(ids_in(run_dir / "dialogues.jsonl"))
    bad = runner.invoke(app, ["dialogues", "export", str(run_dir), "--format", "alpaca", "-o", str(out)])
    assert bad.exit_code != 0
    shown = runner.invoke(app, ["dialogues", "show", str(run_dir)])
    assert shown.exit_code == 0 and "Tutor: " in shown.output and "Student: " in shown.output
    assert runner.invoke(app, ["dialogues", "schema", "--check"]).exit_code == 0
    assert "ava-adds-instead" in runner.invoke(app, ["profiles", "list"]).output
    assert "wrong-operation" in runner.invoke(app, ["profiles", "show", "ava-adds-instead"]).output


def test_committed_dialogue_schema_is_current():
    assert (datasets_dir() / "dialogue.schema.json").read_text(encoding="utf-8") == render_dialogue_schema()


def test_default_spec_is_valid_and_small():
    spec = load_spec(datasets_dir() / "generation" / "default.yaml")
    jobs = expand_jobs(spec, "x")
    assert spec.student_policy == "rules" and 1 <= len(jobs) <= 12


def test_process_executor_runs_the_picklable_worker(tmp_path):
    spec = load_spec(
        write_spec(
            tmp_path,
            seeds=1,
            profiles=["grace-strong-all-rounder"],
            problems=["toy-math-pencils", "toy-debug-average"],
        )
    )
    report = generate(spec, tmp_path / "run", executor=ProcessExecutor(2), progress=False)
    assert (report.generated, report.errors) == (2, 0)


def test_cli_imports_mathdial_profiles(tmp_path):
    from socratic_cli import app

    source = Path(__file__).parent / "fixtures" / "mathdial_records.jsonl"
    result = CliRunner().invoke(app, ["profiles", "import-mathdial", str(source), str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("*.yaml")) == ["mathdial-7001-1.yaml", "mathdial-7002-2.yaml"]
    listed = CliRunner().invoke(app, ["profiles", "list", "--path", str(tmp_path)])
    assert "mathdial-7001-1" in listed.output


def test_spec_errors_name_the_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("problems: toy\nstudent_policy: psychic\n")
    with pytest.raises(ConfigError, match="student_policy"):
        load_spec(path)
    assert GenerationSpec.model_validate({"seeds": 3}).seeds == [0, 1, 2]
    os.environ.pop("NOTHING", None)


def test_generation_against_an_openai_compatible_server_fills_its_parallel_slots(tmp_path):
    from bench.bench_generation import SlotServer

    with SlotServer(slots=4, latency_s=0.05) as server:
        spec = load_spec(write_spec(tmp_path, seeds=1, models={"tutor": f"openai:sim?base_url={server.url}"}))
        report = generate(spec, tmp_path / "run", concurrency=4, progress=False)
    assert (report.generated, report.errors) == (21, 0)
    assert server.max_in_flight == 4 and server.requests >= 21
