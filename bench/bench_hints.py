"""Benchmark of hint validation: model calls per hint, fixed n vs early stop -> bench/results/hints.json.

Three sections:
- `pipeline`: the whole pipeline (failing test in the sandbox, hint writing, up to 3 trials, every repair
  attempt run against the tests) over the toy and some bank debugging problems. The hint model is scripted
  and writes a different hint per trial; the student is scripted and succeeds with a probability that
  depends on the problem (without the hint) and on the hint (with it), drawn per attempt from its seed.
  Both rules, each run with the fixed-n procedure and with the early stop, on the same seeds: the
  decisions must match problem by problem. `paper_fixed` is the paper's count (2n student calls per trial
  for gpt4hints, n for pyfixv, no reuse of without-hint attempts across trials).
- `simulated`: the validation alone (no sandbox) on a grid of success probabilities, many repetitions:
  where the saving comes from.
- `real` (optional, `--real-records FILE`): records made by a real model with `--no-early-stop`; the early
  stop is replayed on their recorded outcomes (each outcome depends only on (arm, index) via its seed), so
  the saving is measured on real repair attempts without paying for a second run.

Run: .venv/bin/python bench/bench_hints.py [--problems 12] [--reps 200] [--real-records hints.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from langchain_core.messages import AIMessage, BaseMessage  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatResult  # noqa: E402

from bench.common import write  # noqa: E402
from student_sim.hint_validation import AttemptRecord, ValidationConfig, run_validation  # noqa: E402
from student_sim.hints import HintConfig, HintPipeline, HintRecord, ModelsUsed  # noqa: E402
from tutor.models.scripted import ScriptedChatModel  # noqa: E402
from tutor.problems.bank import ProblemBank  # noqa: E402
from tutor.problems.schema import DebuggingProblem  # noqa: E402
from tutor.sandbox import Sandbox  # noqa: E402

N = 10
HINT_MARK = "Your tutor's hint: "


def _u(*parts: object) -> float:
    return random.Random(":".join(str(p) for p in parts)).random()


class ProbabilisticStudent(ScriptedChatModel):
    """Answers the fixed program with probability p(problem, hint), else the buggy one; the draw depends
    only on the sampling seed, so the same attempt always has the same outcome."""

    problems: dict[str, DebuggingProblem]

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        text = str(messages[-1].content)
        problem = next(p for p in self.problems.values() if p.buggy_code.rstrip("\n") in text)
        if HINT_MARK in text:
            hint = text.split(HINT_MARK, 1)[1].split("\n", 1)[0]
            p = _u("with", problem.id, hint)
        else:
            p = 0.6 * _u("without", problem.id)
        code = problem.fixed_code if _u("draw", kwargs["seed"]) < p else problem.buggy_code
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=f"```python\n{code}```"))])


def hint_model() -> ScriptedChatModel:
    written: dict[str, int] = {}

    def reply(messages: list[BaseMessage]) -> str:
        key = str(messages[-1].content)
        written[key] = written.get(key, 0) + 1
        return json.dumps({"explanation": "Look at the failing test.", "hint": f"Hint number {written[key]}."})

    return ScriptedChatModel(reply_fn=reply)


def select(count: int) -> list[DebuggingProblem]:
    bank = ProblemBank.load()
    debugging = [p for p in bank.list("debugging") if isinstance(p, DebuggingProblem)]
    toy = [p for p in debugging if p.id.startswith("toy-")]
    rest = [p for p in debugging if not p.id.startswith("toy-")]
    return (toy + rest)[:count]


def _stats(records: list[HintRecord], wall: float) -> dict[str, Any]:
    needed = [r for r in records if r.status == "ok"]
    student = sum(r.calls.student for r in needed)
    hint = sum(r.calls.hint for r in needed)
    accepted = sum(r.accepted for r in needed)
    return {
        "problems": len(needed),
        "accepted": accepted,
        "trials": sum(len(r.trials) for r in needed),
        "student_calls": student,
        "hint_calls": hint,
        "calls_per_hint": round((student + hint) / len(needed), 2),
        "student_calls_per_hint": round(student / len(needed), 2),
        "calls_per_accepted_hint": round((student + hint) / accepted, 2) if accepted else None,
        "wall_s": round(wall, 2),
    }


def pipeline_section(problems: list[DebuggingProblem], box: Sandbox) -> dict[str, Any]:
    by_id = {p.id: p for p in problems}
    out: dict[str, Any] = {"problems": [p.id for p in problems], "n": N, "max_trials": 3}
    for mode in ("gpt4hints", "pyfixv"):
        runs: dict[str, list[HintRecord]] = {}
        for label, early in (("fixed", False), ("early", True)):
            config = HintConfig(validation=ValidationConfig(mode=mode, n=N, early_stop=early))
            models = ModelsUsed(hint="scripted", student="scripted-probabilistic")
            pipeline = HintPipeline(hint_model(), ProbabilisticStudent(problems=by_id), box, config, models)
            start = time.perf_counter()
            runs[label] = [pipeline.generate(p) for p in problems]
            out.setdefault(mode, {})[label] = _stats(runs[label], time.perf_counter() - start)
        same = [
            (a.accepted, a.accepted_trial) == (b.accepted, b.accepted_trial)
            for a, b in zip(runs["fixed"], runs["early"], strict=True)
        ]
        per_trial = 2 * N if mode == "gpt4hints" else N
        paper = sum(len(r.trials) * per_trial + r.calls.hint for r in runs["fixed"] if r.status == "ok")
        section = out[mode]
        section["same_decisions"] = f"{sum(same)}/{len(same)}"
        section["paper_fixed_calls_per_hint"] = round(paper / section["fixed"]["problems"], 2)
        section["saving_vs_fixed"] = round(
            1 - section["early"]["calls_per_hint"] / section["fixed"]["calls_per_hint"], 3
        )
        section["saving_vs_paper"] = round(
            1 - section["early"]["calls_per_hint"] / section["paper_fixed_calls_per_hint"], 3
        )
    return out


def simulated_section(reps: int) -> dict[str, Any]:
    grid = (0.1, 0.3, 0.5, 0.7, 0.9)
    rows: list[dict[str, Any]] = []
    for mode in ("gpt4hints", "pyfixv"):
        for p1 in grid:
            for p2 in grid:
                fixed_calls = early_calls = agree = accepted = 0
                for rep in range(reps):
                    table = {
                        arm: [_u(mode, p1, p2, rep, arm, i) < p for i in range(N)]
                        for arm, p in (("without", p1), ("with", p2))
                    }

                    def attempt(arm: str, index: int, table: dict[str, list[bool]] = table) -> AttemptRecord:
                        return AttemptRecord(arm=arm, index=index, seed=index, success=table[arm][index])

                    fixed = run_validation(attempt, ValidationConfig(mode=mode, n=N, early_stop=False))
                    early = run_validation(attempt, ValidationConfig(mode=mode, n=N))
                    fixed_calls += fixed.calls
                    early_calls += early.calls
                    agree += fixed.accepted == early.accepted
                    accepted += fixed.accepted
                rows.append(
                    {
                        "mode": mode,
                        "p_without": p1,
                        "p_with": p2,
                        "accept_rate": round(accepted / reps, 3),
                        "fixed_calls": round(fixed_calls / reps, 2),
                        "early_calls": round(early_calls / reps, 2),
                        "agree": round(agree / reps, 3),
                    }
                )
    return {"n": N, "reps_per_cell": reps, "cells": rows}


def real_section(path: Path) -> dict[str, Any]:
    records = [HintRecord.model_validate_json(line) for line in path.read_text().splitlines() if line.strip()]
    fixed_calls = early_calls = hint_calls = hints = 0
    agree = total = 0
    per_problem = []
    for record in records:
        if record.status != "ok":
            continue
        hints += 1
        hint_calls += record.calls.hint
        cache: dict[int, AttemptRecord] = {}
        early_record = 0
        for trial in record.trials:
            v = trial.validation
            if v is None:
                continue
            if not v.complete:
                raise SystemExit(f"{path}: {record.problem_id} was not validated with --no-early-stop")
            outcomes = {(a.arm, a.index): a for a in v.attempts}

            def attempt(
                arm: str, index: int, outcomes: dict[tuple[Any, int], AttemptRecord] = outcomes
            ) -> AttemptRecord:
                return outcomes[(arm, index)].model_copy(update={"reused": False, "calls": 1})

            replay = run_validation(attempt, v.config.model_copy(update={"early_stop": True}), without_cache=cache)
            fixed_calls += v.calls
            early_calls += replay.calls
            early_record += replay.calls
            agree += replay.accepted == v.accepted
            total += 1
        per_problem.append(
            {
                "problem": record.problem_id,
                "accepted": record.accepted,
                "fixed_student_calls": record.calls.student,
                "early_student_calls": early_record,
            }
        )
    first = records[0]
    return {
        "records": path.name,
        "models": first.models.model_dump(),
        "n": first.config.validation.n,
        "mode": first.config.validation.mode,
        "hints": hints,
        "fixed_calls_per_hint": round((fixed_calls + hint_calls) / hints, 2),
        "early_calls_per_hint": round((early_calls + hint_calls) / hints, 2),
        "same_decisions": f"{agree}/{total}",
        "per_problem": per_problem,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=12, help="toy problems first, then the bank")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--real-records", type=Path, default=None)
    parser.add_argument("--real-note", default="", help="how the real records were made (command, machine)")
    args = parser.parse_args()
    with Sandbox() as box:
        pipeline = pipeline_section(select(args.problems), box)
    figures: dict[str, Any] = {"pipeline": pipeline, "simulated": simulated_section(args.reps)}
    figures["real"] = real_section(args.real_records) if args.real_records else None
    if figures["real"] is not None:
        figures["real"]["note"] = args.real_note
    path = write("hints", figures)
    for mode in ("gpt4hints", "pyfixv"):
        s = pipeline[mode]
        fixed, paper = s["fixed"]["calls_per_hint"], s["paper_fixed_calls_per_hint"]
        print(
            f"{mode}: calls per hint fixed {fixed} (paper {paper}) -> early {s['early']['calls_per_hint']}; "
            f"same decisions {s['same_decisions']}"
        )
    if figures["real"]:
        r = figures["real"]
        calls = f"{r['fixed_calls_per_hint']} -> {r['early_calls_per_hint']}"
        print(f"real ({r['models']['student']}): calls per hint {calls}")
    print(f"-> {path}")


if __name__ == "__main__":
    main()
