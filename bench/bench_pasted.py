"""Pasted problems checked by self-consistency, on real MathDial problems -> bench/results/pasted.json.

For a sample of MathDial problems (problem text and gold answer from `mathdial/dev.jsonl`), the tutor builds
k = 3 independent scaffolds with the bundled model, exactly as `build_scaffold` does (the first as configured,
the others sampled with their own seeds; every step answer executed in the sandbox). From the same scaffolds:
k = 1 (the first scaffold alone, the behaviour before self-consistency), k = 3 with unanimity (the default)
and k = 3 with a 2-of-3 majority. A scaffold
whose steps never make a unit conversion the problem calls for counts as not built (`tutor.planning.units`);
the figures of the run made before that check, kept in `pasted_runs_before_unit_check.jsonl`, are reported
beside. Per rule: problems accepted with the gold answer, accepted with a wrong
one, and refused. Each problem's final answers are appended to `bench/results/pasted_runs.jsonl` as they
come, so an interrupted run resumes.

Run: .venv/bin/python bench/bench_pasted.py [--data DIR] [--n 24] [--spec local] [--max-minutes 60]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import RESULTS, write  # noqa: E402

RUNS = RESULTS / "pasted_runs.jsonl"
BEFORE = RESULTS / "pasted_runs_before_unit_check.jsonl"
K = 3
RULES = {"k=1": (1, 1), "k=3 unanimous (default)": (3, 3), "k=3 majority 2 of 3": (3, 2)}


def sample(data_dir: Path, n: int) -> list[dict[str, Any]]:
    """Every 7th line of dev.jsonl (distinct problems), up to `n`: (qid, question, gold answer)."""
    rows = [json.loads(line) for line in (data_dir / "mathdial" / "dev.jsonl").read_text().splitlines() if line]
    seen: set[str] = set()
    out = []
    for row in rows[::7]:
        if row["question"] in seen:
            continue
        seen.add(row["question"])
        last = row["ground_truth"].strip().splitlines()[-1]
        numbers = re.findall(r"-?\d+(?:\.\d+)?", last.replace(",", ""))
        if numbers:
            out.append({"qid": row["qid"], "question": row["question"], "gold": float(numbers[-1])})
    return out[:n]


def scaffold_finals(question: str, model: Any, sandbox: Any) -> tuple[list[float | None], list[Any]]:
    """The final answers of K independent scaffolds (None where a scaffold could not be built or was dropped),
    and for reading each scaffold's steps (question, program, executed value) or the reason it was dropped."""
    from tutor.errors import InputDataError
    from tutor.planning.scaffold import _one_scaffold, sampling_variant

    finals: list[float | None] = []
    scaffolds: list[Any] = []
    for index in range(K):
        try:
            problem = _one_scaffold(question, sampling_variant(model, index), sandbox, max_repairs=2)
            finals.append(float(problem.final_answer.value))  # type: ignore[union-attr]
            scaffolds.append([[s.question, s.program, s.answer.value] for s in problem.steps])  # type: ignore[union-attr]
        except InputDataError as exc:
            finals.append(None)
            scaffolds.append(str(exc))
    return finals, scaffolds


def outcomes(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """accepted-correct / accepted-wrong / refused per acceptance rule, from the recorded final answers."""
    from tutor.planning.scaffold import agreed_answer

    figures = {}
    for name, (k, needed) in RULES.items():
        counts = {"accepted_correct": 0, "accepted_wrong": 0, "refused": 0}
        for run in runs:
            finals = [v for v in run["finals"][:k] if v is not None]
            agreed = agreed_answer(finals, needed)
            if agreed is None:
                counts["refused"] += 1
            elif abs(agreed - run["gold"]) <= max(1e-6, 1e-4 * abs(run["gold"])):
                counts["accepted_correct"] += 1
            else:
                counts["accepted_wrong"] += 1
        n = len(runs) or 1
        figures[name] = {**counts, **{f"{key}_share": round(value / n, 3) for key, value in counts.items()}}
    return figures


def _before(problems: list[dict[str, Any]], spec: str) -> dict[str, Any] | None:
    """The same figures from the run made before scaffolds were checked for unit conversions, if kept."""
    if not BEFORE.exists():
        return None
    done = {r["qid"]: r for r in map(json.loads, BEFORE.read_text().splitlines()) if r.get("spec") == spec}
    runs = [done[p["qid"]] for p in problems if p["qid"] in done]
    return {"problems": len(runs), "rules": outcomes(runs)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=os.environ.get("TUTOR_REALDATA_DIR", "/work/shared/data"))
    parser.add_argument("--n", type=int, default=24)
    parser.add_argument("--spec", default="local")
    parser.add_argument("--max-minutes", type=float, default=60.0)
    parser.add_argument("--report-only", action="store_true", help="write pasted.json from the recorded runs")
    args = parser.parse_args()
    from tutor.models import get_chat_model
    from tutor.sandbox import Sandbox

    problems = sample(Path(args.data), args.n)
    done = {}
    if RUNS.exists():
        done = {r["qid"]: r for r in map(json.loads, RUNS.read_text().splitlines()) if r.get("spec") == args.spec}
    model, sandbox = (None, None) if args.report_only else (get_chat_model(args.spec), Sandbox())
    started = time.perf_counter()
    try:
        for problem in [] if args.report_only else problems:
            if problem["qid"] in done or time.perf_counter() - started > args.max_minutes * 60:
                continue
            t0 = time.perf_counter()
            finals, scaffolds = scaffold_finals(problem["question"], model, sandbox)
            seconds = round(time.perf_counter() - t0, 1)
            run = {**problem, "spec": args.spec, "finals": finals, "scaffolds": scaffolds, "seconds": seconds}
            with RUNS.open("a", encoding="utf-8") as out:
                out.write(json.dumps(run) + "\n")
            done[problem["qid"]] = run
            print(f"{problem['qid']}: gold {problem['gold']:g}, finals {finals}", flush=True)
    finally:
        if sandbox is not None:
            sandbox.close()
    runs = [done[p["qid"]] for p in problems if p["qid"] in done]
    write(
        "pasted",
        {
            "figures_from": "real model (bundled) building scaffolds; answers executed in the sandbox",
            "data": "MathDial dev.jsonl, every 7th line, distinct problems",
            "spec": args.spec,
            "problems": len(runs),
            "scaffolds_per_problem": K,
            "seconds_per_scaffold_p50": sorted(r["seconds"] / K for r in runs)[len(runs) // 2] if runs else None,
            "rules": outcomes(runs),
            "before_unit_check": _before(problems, args.spec),
        },
    )


if __name__ == "__main__":
    main()
