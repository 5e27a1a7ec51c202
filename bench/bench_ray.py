"""Throughput of the Ray executor against the thread pool, on a simulated OpenAI-compatible slot server.

    python -m bench.bench_ray [--workers 1 2 4] [--latency 0.2] [--seeds 2]

The server (`bench.bench_generation.SlotServer`) answers each request after `--latency` seconds with as many
parallel slots as there are workers, so the figures measure the executors' scaling and overhead, not a
model: simulated server, real generator, tutor rules, sandbox and rule-based students. One run writes
`bench/results/ray.json`: dialogues per hour per executor and worker count, Ray's start-up time, and
the ratio Ray / threads for each count.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_generation import PROFILES, SlotServer
from bench.common import write
from student_sim.executors import Executor, ThreadExecutor
from student_sim.gen_spec import GenerationSpec
from student_sim.generate import generate


def _spec(url: str, seeds: int) -> GenerationSpec:
    return GenerationSpec.model_validate(
        {
            "name": "bench-ray",
            "problems": "toy",
            "profiles": PROFILES,
            "seeds": list(range(seeds)),
            "max_turns": 6,
            "models": {"tutor": f"openai:sim?base_url={url}"},
        }
    )


def _run(executor: Executor, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    with SlotServer(workers, args.latency) as server, tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        report = generate(_spec(server.url, args.seeds), Path(tmp) / "run", executor=executor, progress=False)
        wall = time.perf_counter() - started
        return {
            "workers": workers,
            "dialogues": report.generated,
            "errors": report.errors,
            "wall_s": round(wall, 2),
            "dialogues_per_hour": round(report.generated / wall * 3600, 1),
            "max_in_flight": server.max_in_flight,
            "requests": server.requests,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--latency", type=float, default=0.2, help="Seconds per simulated request.")
    parser.add_argument("--seeds", type=int, default=2, help="Seeds per (problem, profile).")
    args = parser.parse_args(argv)

    import ray

    from student_sim.ray_executor import RayExecutor

    started = time.perf_counter()
    ray.init(num_cpus=max(args.workers), include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    ray_start_s = round(time.perf_counter() - started, 2)
    rows = []
    try:
        for n in args.workers:
            threads = _run(ThreadExecutor(n), n, args)
            on_ray = _run(RayExecutor(n), n, args)
            ratio = round(on_ray["dialogues_per_hour"] / threads["dialogues_per_hour"], 2)
            rows.append({"workers": n, "threads": threads, "ray": on_ray, "ray_over_threads": ratio})
    finally:
        ray.shutdown()
    write(
        "ray",
        {
            "what": "simulated OpenAI-compatible slot server (one slot per worker, --latency s per request); "
            "real generator, tutor rules, sandbox and rule-based students; Ray local instance on this machine",
            "label": "simulated server",
            "latency_s": args.latency,
            "ray_start_s": ray_start_s,
            "rows": rows,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
