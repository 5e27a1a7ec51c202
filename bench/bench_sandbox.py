"""Benchmark of the sandbox -> bench/results/sandbox.json.

Figures (milliseconds, wall time seen by the caller, p50/p95 over `--iterations` runs; the
configurations take turns in rounds so that a change in machine load does not favour one):
- `tiny`: a tutor calculation, `print(7 * 1.2 / 3)`;
- `tests10`: a 10-test unit-test run of a small debugging program (one sandboxed process per run);
for the warm fork server, a cold interpreter per run, bubblewrap (when installed), and the fork server
without namespaces (to show what the namespaces cost). Every configuration but the last has all
isolation layers on; the layers in force are recorded next to the figures.

Run: .venv/bin/python bench/bench_sandbox.py [--iterations 60]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import summary, write  # noqa: E402
from tutor.sandbox import Sandbox  # noqa: E402

TINY = "print(7 * 1.2 / 3)"
PROGRAM = """\
def average(nums):
    total = 0
    for n in nums:
        total += n
    return total / len(nums)
"""
TESTS = [(f"test_{i}", f"assert average([{i}, {i + 2}]) == {i + 1}") for i in range(10)]
TARGET_TINY_P50_MS = 50.0


def _time_ms(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def bench(boxes: dict[str, Sandbox], iterations: int, rounds: int = 5) -> list[dict[str, Any]]:
    """Interleave the configurations in rounds, so a change in machine load hits them all alike."""
    figures: dict[str, dict[str, Any]] = {}
    for name, box in boxes.items():
        started = time.perf_counter()
        first = box.run(TINY)
        assert first.ok and first.stdout.strip() == str(7 * 1.2 / 3), first
        assert box.run_tests(PROGRAM, TESTS).all_passed
        figures[name] = {
            "config": name,
            "backend": box.backend,
            "isolation": first.isolation,
            "first_run_ms": round((time.perf_counter() - started) * 1000, 1),
            "tiny": [],
            "tests10": [],
        }
    per_round = max(1, iterations // rounds)
    for _ in range(rounds):
        for name, box in boxes.items():
            figures[name]["tiny"] += [_time_ms(lambda b=box: b.run(TINY)) for _ in range(per_round)]
            figures[name]["tests10"] += [
                _time_ms(lambda b=box: b.run_tests(PROGRAM, TESTS)) for _ in range(max(1, per_round // 2))
            ]
    return [
        {
            **{k: v for k, v in f.items() if k not in ("tiny", "tests10")},
            "tiny_ms": summary(f["tiny"]),
            "tests10_ms": summary(f["tests10"]),
        }
        for f in figures.values()
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=60)
    args = parser.parse_args()

    configs: list[tuple[str, dict[str, Any]]] = [
        ("warm-forkserver", {"backend": "forkserver"}),
        ("cold-process", {"backend": "process"}),
    ]
    if shutil.which("bwrap"):
        configs.append(("cold-bwrap", {"backend": "bwrap"}))
    configs.append(("warm-forkserver-no-namespaces", {"backend": "forkserver", "namespaces": "off"}))

    load_before = os.getloadavg()[0]
    boxes = {name: Sandbox(**options) for name, options in configs}
    try:
        results = bench(boxes, args.iterations)
    finally:
        for box in boxes.values():
            box.close()
    for r in results:
        print(
            f"{r['config']}: tiny p50 {r['tiny_ms']['p50']:.1f} ms, 10 tests p50 {r['tests10_ms']['p50']:.1f} ms",
            file=sys.stderr,
        )

    warm = results[0]
    write(
        "sandbox",
        {
            "unit": "ms",
            "workloads": {"tiny": TINY, "tests10": f"{len(TESTS)} assert snippets against a 5-line program"},
            "target": {
                "tiny_p50_ms_all_layers": TARGET_TINY_P50_MS,
                "met": warm["tiny_ms"]["p50"] < TARGET_TINY_P50_MS,
            },
            "configs": results,
            # Latency here is mostly scheduling: on a shared machine read it next to the load average.
            "load_avg_1m": {"before": load_before, "after": os.getloadavg()[0]},
        },
    )


if __name__ == "__main__":
    main()
