"""Benchmark of the sandbox -> bench/results/sandbox.json.

Figures (milliseconds, wall time seen by the caller, p50/p95 over `--iterations` runs after warm-up):
- `tiny`: a tutor calculation, `print(7 * 1.2 / 3)`;
- `tests10`: a 10-test unit-test run of a small debugging program (one sandboxed process per run);
for the warm fork server, a cold interpreter per run, bubblewrap (when installed), and the fork server
without namespaces (to show what the namespaces cost). Every configuration but the last has all
isolation layers on; the layers in force are recorded next to the figures.

Run: .venv/bin/python bench/bench_sandbox.py [--iterations 40]
"""

from __future__ import annotations

import argparse
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


def _time_ms(fn: Any, iterations: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def bench_config(name: str, box: Sandbox, iterations: int) -> dict[str, Any]:
    started = time.perf_counter()
    first = box.run(TINY)
    first_ms = (time.perf_counter() - started) * 1000
    assert first.ok and first.stdout.strip() == str(7 * 1.2 / 3), first
    tests = box.run_tests(PROGRAM, TESTS)
    assert tests.all_passed, tests.results

    tiny = _time_ms(lambda: box.run(TINY), iterations, warmup=3)
    tests10 = _time_ms(lambda: box.run_tests(PROGRAM, TESTS), max(10, iterations // 2), warmup=2)
    return {
        "config": name,
        "backend": box.backend,
        "isolation": first.isolation,
        "first_run_ms": round(first_ms, 1),
        "tiny_ms": summary(tiny),
        "tests10_ms": summary(tests10),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=40)
    args = parser.parse_args()

    configs: list[tuple[str, dict[str, Any]]] = [
        ("warm-forkserver", {"backend": "forkserver"}),
        ("cold-process", {"backend": "process"}),
    ]
    if shutil.which("bwrap"):
        configs.append(("cold-bwrap", {"backend": "bwrap"}))
    configs.append(("warm-forkserver-no-namespaces", {"backend": "forkserver", "namespaces": "off"}))

    results = []
    for name, options in configs:
        with Sandbox(**options) as box:
            results.append(bench_config(name, box, args.iterations))
        print(f"{name}: tiny p50 {results[-1]['tiny_ms']['p50']:.1f} ms, "
              f"10 tests p50 {results[-1]['tests10_ms']['p50']:.1f} ms", file=sys.stderr)

    warm = results[0]
    write("sandbox", {
        "unit": "ms",
        "workloads": {"tiny": TINY, "tests10": f"{len(TESTS)} assert snippets against a 5-line program"},
        "target": {"tiny_p50_ms_all_layers": TARGET_TINY_P50_MS,
                   "met": warm["tiny_ms"]["p50"] < TARGET_TINY_P50_MS},
        "configs": results,
    })


if __name__ == "__main__":
    main()
