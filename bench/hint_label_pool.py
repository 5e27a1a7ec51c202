"""Hints written by a real model at every ladder level, unvalidated: the pool a person labels.

For each selected bug and each level (pointer -> conceptual -> next step), the hint model writes one hint
with the same prompt the ladder generator uses (`student_sim.hint_ladder.write_level_hint`), seeing the
earlier levels' hints of this pool. Nothing is rejected: the fix-leak check's verdict is stored next to
each hint so that the check can be scored against labels made without looking at it.

Run: .venv/bin/python bench/hint_label_pool.py --problems toy --out datasets/evals/hint_pool_tuning.jsonl
     .venv/bin/python bench/hint_label_pool.py --problems debugging --limit 20 --out datasets/evals/hint_pool.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from student_sim.fix_leak import check_hint  # noqa: E402
from student_sim.hint_ladder import bug_task, write_level_hint  # noqa: E402
from student_sim.hint_validation import CallCounter, derive_seed  # noqa: E402
from student_sim.hints_cli import select_debugging  # noqa: E402
from tutor.errors import ModelBackendError, ModelOutputError  # noqa: E402
from tutor.models import get_chat_model  # noqa: E402
from tutor.problems.ladders import HINT_LEVELS  # noqa: E402
from tutor.sandbox import Sandbox  # noqa: E402
from tutor.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default="toy")
    parser.add_argument("--limit", type=int, default=None, help="At most this many bugs.")
    parser.add_argument("--first-bug-only", action="store_true", help="One bug per problem.")
    parser.add_argument("--model", default="local")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    settings = Settings.load()
    model = get_chat_model(args.model, settings.model, cache_dir=settings.cache_dir, max_tokens=220)
    done = set()
    if args.out.exists():
        done = {(r["problem_id"], r["bug_id"]) for r in map(json.loads, args.out.read_text().splitlines())}
    pairs = [(p, b) for p in select_debugging(args.problems) for b in (p.bugs[:1] if args.first_bug_only else p.bugs)]
    with Sandbox() as sandbox:
        for problem, bug in pairs[: args.limit]:
            if (problem.id, bug.id) in done:
                continue
            task = bug_task(problem, bug, sandbox)
            if isinstance(task, str):
                continue
            earlier: tuple[str, ...] = ()
            rows = []
            for level in HINT_LEVELS:
                seed = derive_seed(args.seed, problem.id, bug.id, level, "pool")
                start = time.perf_counter()
                try:
                    hint = write_level_hint(
                        model, task, level, earlier, seed=seed, temperature=0.7, counter=CallCounter()
                    )
                except (ModelOutputError, ModelBackendError) as exc:
                    print(f"{problem.id} {bug.id} {level}: no hint ({exc.message})", flush=True)
                    continue
                verdict = check_hint(hint, task.facts)
                rows.append(
                    {
                        "problem_id": problem.id,
                        "bug_id": bug.id,
                        "level": level,
                        "hint": hint,
                        "model": args.model,
                        "seed": seed,
                        "seconds": round(time.perf_counter() - start, 1),
                        "check_leaks": verdict.leaks,
                        "check_reasons": list(verdict.reasons),
                    }
                )
                earlier += (hint,)
                print(f"{problem.id} {bug.id} {level} ({rows[-1]['seconds']} s): {hint}", flush=True)
            with args.out.open("a", encoding="utf-8") as fh:
                fh.writelines(json.dumps(r) + "\n" for r in rows)


if __name__ == "__main__":
    main()
