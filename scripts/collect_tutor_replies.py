"""Collect tutor replies to typical student messages, for labelling by hand (datasets/evals/telling_labels.jsonl).

Drives `TutorAgent` on bank problems with a scripted student (a wrong answer the problem lists, a request for
the answer, a right step answer, a guess at the final answer; for debugging: confusion, a request for the
fixed code, a pointer at the buggy line, a partial fix), in both tutor modes: `socratic` (the full tutor, its
guard on) and `assist` (the baseline that simply answers). Writes one JSON line per reply as it comes, and
skips (problem, mode) sessions already in the output, so an interrupted run resumes. The replies carry no
label: a person labels them.

Run: .venv/bin/python scripts/collect_tutor_replies.py OUT.jsonl [--budget-s 1500] [--modes assist,socratic]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tutor.agent import TutorAgent, TutorConfig  # noqa: E402
from tutor.problems.bank import ProblemBank  # noqa: E402
from tutor.problems.schema import DebuggingProblem, NumericAnswer  # noqa: E402

PROBLEMS = [
    "math-002-bake-sale-change",
    "physics-001-cycle-to-work",
    "debug-009-sale-price",
    "math-005-pizza-slices",
    "debug-002-warmer-days",
    "math-007-kitchen-tiles",
    "physics-004-family-road-trip",
    "debug-011-party-guests",
    "math-003-camp-vans",
    "debug-016-receipt-total",
]


def _number(answer: object) -> str:
    if isinstance(answer, NumericAnswer):
        return f"{answer.value:g}"
    return str(getattr(answer, "text", ""))


def script(problem: object) -> list[tuple[str, str | None]]:
    """(student message, submitted code or None) for one session."""
    if isinstance(problem, DebuggingProblem):
        bug = problem.bug_order()[0]
        partial = problem.patched_code([bug.id]) if len(problem.bugs) > 1 else None
        messages: list[tuple[str, str | None]] = [
            ("I don't understand why it doesn't work", None),
            ("just show me the fixed code please", None),
            (f"is the problem on line {bug.lines[0]}?", None),
        ]
        if partial is not None:
            messages.append(("I changed that line, what now?", partial))
        messages.append(("I'm stuck, what exactly do I have to change?", None))
        return messages
    first, last = problem.steps[0], problem.steps[-1]  # type: ignore[attr-defined]
    wrong = f"{first.wrong_answers[0].value:g}" if first.wrong_answers else "100"
    return [
        ("I don't know where to start", None),
        (f"is it {wrong}?", None),
        ("can you just tell me the answer?", None),
        (f"ok so it's {_number(first.answer)}", None),
        (f"{_number(last.answer)}? no wait, I'm not sure", None) if len(problem.steps) > 2 else ("what next?", None),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--spec", default="local")
    parser.add_argument("--budget-s", type=float, default=1500.0, help="stop starting sessions after this")
    parser.add_argument("--modes", default="assist,socratic", help="tutor modes, in the order they run")
    args = parser.parse_args()

    from tutor.models.factory import get_chat_model
    from tutor.sandbox import Sandbox
    from tutor.settings import ModelOptions

    bank = ProblemBank.load()
    model = get_chat_model(args.spec, ModelOptions(temperature=0))
    done: set[tuple[str, str]] = set()
    if args.out.exists():
        done = {(r["problem_id"], r["source"]) for r in map(json.loads, args.out.read_text().splitlines()) if r}
    began = time.perf_counter()
    with Sandbox() as sandbox, args.out.open("a", encoding="utf-8") as out:
        for mode in args.modes.split(","):
            for pid in PROBLEMS:
                if (pid, mode) in done:
                    continue
                if time.perf_counter() - began > args.budget_s:
                    print("budget spent", file=sys.stderr)
                    return
                problem = bank.get(pid)
                agent = TutorAgent(problem, model, sandbox, TutorConfig(mode=mode))
                _, state = agent.start()
                for k, (message, code) in enumerate(script(problem), 1):
                    t0 = time.perf_counter()
                    turn, state = agent.step(message, state, code=code)
                    row = {
                        "problem_id": pid,
                        "source": mode,
                        "k": k,
                        "context": message,
                        "code": code,
                        "reply": turn.reply,
                        "resolved_bugs": list(turn.resolved_bugs),
                        "seconds": round(time.perf_counter() - t0, 1),
                    }
                    out.write(json.dumps(row) + "\n")
                    out.flush()
                    print(f"{pid} {mode} {k} {row['seconds']}s | {turn.reply[:100]!r}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
