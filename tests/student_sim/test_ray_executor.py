"""The Ray executor on a local 2-CPU Ray cluster: the same dialogues as the local executor, a killed worker's
job retried, a killed driver resumed with no job lost and none done twice."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from student_sim.executors import ThreadExecutor, make_executor
from student_sim.gen_spec import load_spec
from student_sim.generate import generate
from tests.student_sim.test_generate import ROOT, _default_sigint, _wait_for_lines, ids_in, write_spec

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray instance for this module's in-process tests (the executor leaves it running)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    yield
    ray.shutdown()


def _square_or_fail(job: tuple[int, str]) -> int:
    """Squares n; n == 5 raises; n == 3 kills its own worker process the first time (a marker file says)."""
    n, marker = job
    if n == 3 and not Path(marker).exists():
        Path(marker).write_text("killed once", encoding="utf-8")
        os.kill(os.getpid(), signal.SIGKILL)
    if n == 5:
        raise ValueError("five is not allowed")
    return n * n


def test_jobs_come_back_with_results_errors_and_a_killed_worker_retried(local_ray, tmp_path):
    marker = str(tmp_path / "killed")
    executor = make_executor("ray", 2)
    outcomes = {job[0]: outcome for job, outcome in executor.run([(n, marker) for n in range(8)], _square_or_fail)}
    assert Path(marker).exists()  # the worker running job 3 really died
    assert {n: v for n, v in outcomes.items() if n != 5} == {n: n * n for n in range(8) if n != 5}
    assert isinstance(outcomes[5], ValueError) and "five is not allowed" in str(outcomes[5])
    assert "raised in a Ray worker" in outcomes[5].__notes__[0]  # the worker's traceback travels with it
    assert sum(executor.nodes.values()) == 7


TIMING_FIELDS = {"created_at", "duration_s", "timings", "latency_s", "first_token_s"}


def _without_timing(value):
    """The record with every clock reading taken out (turn records are JSON strings inside the dialogue)."""
    if isinstance(value, str) and value.startswith("{"):
        return _without_timing(json.loads(value))
    if isinstance(value, dict):
        return {k: _without_timing(v) for k, v in value.items() if k not in TIMING_FIELDS}
    if isinstance(value, list):
        return [_without_timing(v) for v in value]
    return value


def _content(run_dir: Path) -> dict[str, str]:
    """Job id -> hash of the dialogue without its timings."""
    found = {}
    for kind in ("dialogues", "rejected"):
        path = run_dir / f"{kind}.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
            record = _without_timing(json.loads(line))
            found[record["id"]] = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
    return found


def test_a_ray_run_writes_the_same_dialogues_as_a_local_run(local_ray, tmp_path):
    spec = load_spec(write_spec(tmp_path, seeds=1, profiles=["ava-adds-instead", "grace-strong-all-rounder"]))
    local = generate(spec, tmp_path / "local", executor=ThreadExecutor(2), progress=False)
    on_ray = generate(spec, tmp_path / "ray", executor=make_executor("ray", 2), progress=False)
    assert (local.errors, on_ray.errors) == (0, 0)
    assert local.generated == on_ray.generated == 14
    assert _content(tmp_path / "local") == _content(tmp_path / "ray")
    manifest = json.loads((tmp_path / "ray" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["runs"][-1]["executor"] == "RayExecutor"


def _generate_on_ray(spec: Path, out: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "socratic_cli", "generate", "--spec", str(spec), "--out", str(out)]
    return subprocess.Popen(
        [*command, "--no-progress", "--executor", "ray", "--concurrency", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_default_sigint,
        start_new_session=True,  # its own process group: the driver and the Ray processes it starts
        env={k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"},  # a local instance of its own
    )


def test_a_killed_ray_driver_resumes_with_no_job_lost_and_none_done_twice(tmp_path):
    spec_path = write_spec(tmp_path, seeds=2, profiles=["ava-adds-instead", "grace-strong-all-rounder"])
    out = tmp_path / "run"
    driver = _generate_on_ray(spec_path, out)
    _wait_for_lines(out / "dialogues.jsonl", 4, driver, timeout=180)
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and its local Ray instance die at once, as on a crash
    driver.wait(timeout=30)
    before = set(ids_in(out / "dialogues.jsonl")) | set(ids_in(out / "rejected.jsonl"))
    rerun = _generate_on_ray(spec_path, out)
    assert rerun.wait(timeout=240) == 0, rerun.stdout.read() if rerun.stdout else ""
    done = ids_in(out / "dialogues.jsonl") + ids_in(out / "rejected.jsonl")
    assert len(done) == len(set(done)) == 28 and before <= set(done)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["runs"][-1]["skipped"] == len(before) and manifest["runs"][-1]["executor"] == "RayExecutor"


def _served_by(run_dir: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in (run_dir / "dialogues.jsonl").read_text(encoding="utf-8").splitlines():
        server = json.loads(line)["provenance"]["tutor_model"].split("base_url=", 1)[1]
        counts[server] = counts.get(server, 0) + 1
    return counts


def test_jobs_spread_over_several_servers_with_a_bound_per_server(tmp_path):
    from bench.bench_generation import SlotServer

    with SlotServer(slots=8, latency_s=0.02) as one, SlotServer(slots=8, latency_s=0.02) as two:
        spec = load_spec(write_spec(tmp_path, seeds=1, models={"tutor": "openai:sim"}, servers=[one.url, two.url]))
        spec = spec.model_copy(update={"max_in_flight_per_server": 2})
        report = generate(spec, tmp_path / "run", executor=ThreadExecutor(6), progress=False)
    assert (report.generated, report.errors) == (21, 0)
    assert one.max_in_flight <= 2 and two.max_in_flight <= 2  # 6 threads, but 2 jobs per server at most
    served = _served_by(tmp_path / "run")
    assert set(served) == {one.url, two.url} and sum(served.values()) == 21
    figures = report.manifest["runs"][-1]["servers"]
    assert {url: f["dialogues"] for url, f in figures.items()} == served
    assert all(f["model_calls_per_dialogue"] and f["model_calls_per_dialogue"] >= 1 for f in figures.values())


def test_ray_actors_spread_over_the_servers_and_the_manifest_says_who_served_what(local_ray, tmp_path):
    from bench.bench_generation import SlotServer

    with SlotServer(slots=8, latency_s=0.02) as one, SlotServer(slots=8, latency_s=0.02) as two:
        spec = load_spec(write_spec(tmp_path, seeds=1, models={"tutor": "openai:sim"}, servers=[one.url, two.url]))
        report = generate(spec, tmp_path / "run", executor=make_executor("ray", 2), progress=False)
    assert (report.generated, report.errors) == (21, 0)
    served = _served_by(tmp_path / "run")
    assert set(served) == {one.url, two.url}  # the two actors start at different servers
    run = report.manifest["runs"][-1]
    assert {url: f["dialogues"] for url, f in run["servers"].items()} == served
    assert sum(run["nodes"].values()) == 21


def test_servers_need_an_openai_compatible_model(tmp_path):
    from tutor.errors import ConfigError

    spec = load_spec(write_spec(tmp_path, servers=["http://127.0.0.1:9/v1"]))
    with pytest.raises(ConfigError, match="cannot be spread over servers"):
        generate(spec, tmp_path / "run", progress=False)


def test_an_eval_on_ray_scores_the_same_dialogues_as_a_local_eval(local_ray, tmp_path):
    from evals.runner import run_eval
    from tests.evals.test_runner import constant_judge, make_config
    from tutor.settings import Settings

    config = make_config(tmp_path)
    results = {}
    for name, executor in (("local", ThreadExecutor(2)), ("ray", make_executor("ray", 2))):
        results[name] = run_eval(
            config, tmp_path / name, settings=Settings.load(), judge_model=constant_judge, executor=executor,
            progress=False,
        )  # fmt: skip
    local, on_ray = (
        {v.name: _content(v) for v in sorted((tmp_path / name / "variants").iterdir())} for name in ("local", "ray")
    )
    assert local == on_ray and sorted(on_ray) == ["assist", "socratic"]
    assert [len(dialogues) for dialogues in on_ray.values()] == [2, 2]  # 2 problems x 1 profile x 1 seed


def test_hint_ladders_on_ray_are_the_ladders_written_one_bug_at_a_time(local_ray, tmp_path):
    import yaml

    from student_sim.hint_ladder import LadderConfig
    from student_sim.hints import ModelsUsed
    from student_sim.hints_ladder_cli import LadderWorker, generate_ladders
    from tutor.problems import toy_bank

    bank = toy_bank()
    problems = [bank.get("toy-debug-average"), bank.get("toy-debug-count-vowels")]
    hint, student = tmp_path / "hint.yaml", tmp_path / "student.yaml"
    # One reply each, so every process's scripted model answers alike whatever ran before it.
    hint.write_text(yaml.safe_dump([json.dumps({"hint": "What does test_three expect, and what do you get?"})]))
    student.write_text(yaml.safe_dump([f"```python\n{problems[0].fixed_code}```"]))
    models = ModelsUsed(hint=f"scripted:{hint}", student=f"scripted:{student}")
    ladders = {}
    for name, executor in (("sequential", None), ("ray", make_executor("ray", 2))):
        generate_ladders(LadderWorker(LadderConfig(), models, 256), problems, tmp_path / name, None, executor)
        lines = (tmp_path / name / "ladders.jsonl").read_text(encoding="utf-8").splitlines()
        ladders[name] = {(r["problem_id"], r["bug_id"]): r for r in map(json.loads, lines)}
    assert len(ladders["ray"]) == sum(len(p.bugs) for p in problems) >= 2
    assert ladders["ray"] == ladders["sequential"]
