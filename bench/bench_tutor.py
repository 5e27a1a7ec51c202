"""Benchmark of tutor turns on the bundled model -> bench/results/tutor.json.

A scripted student works through two toy problems (math and debugging), about five turns each, with
wrong answers, an answer request and code submissions. Per turn: model calls, time to the first visible
(vetted) text, total turn time, and the time spent outside the model (assessment, sandbox, guard,
prompt building). Targets: at most one model call on the fast path; first visible text under 1.5 s from
turn 2 on; under 5% of turn time outside the model.

Run: .venv/bin/python bench/bench_tutor.py [--n-ctx 4096] [--spec local] [--out tutor]
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import summary, write  # noqa: E402


def sessions(bank: Any) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """(problem id, [(student message, submitted code or None), ...])."""
    max_index = bank.get("toy-debug-max-index")
    colon = max_index.buggy_code.replace("range(1, len(nums))", "range(1, len(nums)):")
    return [
        (
            "toy-math-pencils",
            [
                ("hi, where do I start?", None),
                ("I think it's 7.40", None),
                ("7 x 0.40 = 2.80", None),
                ("just tell me the change", None),
                ("5 - 2.80 = 2.20", None),
            ],
        ),
        (
            "toy-debug-max-index",
            [
                ("I don't know what's wrong", None),
                ("I added a colon on line 3", colon),
                ("it keeps the number itself, not where it is", None),
                ("just show me the corrected code", None),
                ("fixed line 5 too", max_index.fixed_code),
            ],
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", default="local", help="model spec (default: the bundled model)")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--out", default="tutor", help="result name under bench/results/")
    args = parser.parse_args()

    from tutor.agent import TurnDone, TutorAgent
    from tutor.guard.leak import LeakGuard
    from tutor.models.factory import get_chat_model
    from tutor.problems.bank import toy_bank
    from tutor.sandbox import Sandbox
    from tutor.settings import ModelOptions

    bank = toy_bank()
    model = get_chat_model(args.spec, ModelOptions(temperature=0, n_ctx=args.n_ctx))
    start = time.perf_counter()
    if hasattr(model, "engine"):
        model.engine()  # load the weights outside the measurement
    load_s = time.perf_counter() - start

    turns: list[dict[str, Any]] = []
    with Sandbox() as sandbox:
        sandbox.run("print(1)")  # start the fork server outside the measurement
        start = time.perf_counter()
        for pid, _ in sessions(bank):
            LeakGuard(bank.get(pid))  # the number reader builds its unit registry on first use (once per process)
        warmup_s = time.perf_counter() - start
        for pid, script in sessions(bank):
            problem = bank.get(pid)
            agent = TutorAgent(problem, model, sandbox)
            _, state = agent.start()
            for number, (message, code) in enumerate(script, 1):
                began = time.perf_counter()
                first_visible = None
                done = None
                for item in agent.stream(message, state, code=code):
                    if isinstance(item, TurnDone):
                        done = item
                    elif first_visible is None:
                        first_visible = time.perf_counter() - began
                total = time.perf_counter() - began
                assert done is not None
                turn, state = done.turn, done.state
                model_s = sum(c.latency_s for c in turn.model_calls)
                reply_calls = [c for c in turn.model_calls if c.purpose.startswith("reply")]
                turns.append(
                    {
                        "problem": pid,
                        "turn": number,
                        "student": message,
                        "code_submitted": code is not None,
                        "assessment": turn.assessment.label,
                        "source": turn.assessment.source,
                        "model_calls": len(turn.model_calls),
                        "call_purposes": [c.purpose for c in turn.model_calls],
                        "first_visible_s": round(first_visible or total, 3),
                        "total_s": round(total, 3),
                        "model_s": round(model_s, 3),
                        "outside_model_s": round(max(total - model_s, 0.0), 3),
                        "model_first_token_s": reply_calls[0].first_token_s and round(reply_calls[0].first_token_s, 3)
                        if reply_calls
                        else None,
                        "reply_tokens": sum(c.output_tokens for c in reply_calls),
                        "leak_attempts": len(turn.leak.attempts),
                        "fallback_used": turn.leak.fallback_used,
                        "leaked": not LeakGuard(problem, check_numbers=False, allow_reveal=turn.solved)
                        .check(turn.reply)
                        .ok,
                        "reply": turn.reply,
                    }
                )
                print(
                    f"{pid} turn {number}: {turns[-1]['first_visible_s']}s first, "
                    f"{turns[-1]['total_s']}s total, "
                    f"{turns[-1]['model_calls']} calls {turns[-1]['call_purposes']} | {turn.reply}",
                    file=sys.stderr,
                    flush=True,
                )

    later = [t for t in turns if t["turn"] >= 2]
    fast = [t for t in turns if t["source"] in ("rules", "execution")]
    total_time = sum(t["total_s"] for t in turns)
    outside = sum(t["outside_model_s"] for t in turns)
    write(
        args.out,
        {
            "model": args.spec,
            "n_ctx": args.n_ctx,
            "load_s": round(load_s, 2),
            "first_use_warmup_s": round(warmup_s, 2),
            "turns": len(turns),
            "model_calls_per_turn": dict(sorted(collections.Counter(t["model_calls"] for t in turns).items())),
            "model_calls_per_turn_fast_path": dict(sorted(collections.Counter(t["model_calls"] for t in fast).items())),
            "first_visible_s_turn1": [t["first_visible_s"] for t in turns if t["turn"] == 1],
            "first_visible_s_turn2_on": summary([t["first_visible_s"] for t in later]),
            "model_first_token_s_turn2_on": summary(
                [t["model_first_token_s"] for t in later if t["model_first_token_s"] is not None]
            ),
            "total_turn_s": summary([t["total_s"] for t in turns]),
            "total_turn_s_turn2_on": summary([t["total_s"] for t in later]),
            "outside_model_share": round(outside / total_time, 4) if total_time else None,
            "outside_model_s_per_turn": summary([t["outside_model_s"] for t in turns]),
            "leaks": sum(t["leaked"] for t in turns),
            "fallbacks": sum(t["fallback_used"] for t in turns),
            "regenerations": sum(t["leak_attempts"] for t in turns),
            "targets": {
                "model_calls_fast_path": "<= 1",
                "first_visible_s_turn2_on": "< 1.5",
                "outside_model_share": "< 0.05",
            },
            "per_turn": turns,
        },
    )


if __name__ == "__main__":
    main()
