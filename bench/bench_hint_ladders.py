"""Figures of the hint ladders -> bench/results/hint_ladders.json (each section says what made it).

- `real_ladders` (real model): ladder records made with `--no-early-stop` by the bundled model as hint writer
  and student. Coverage per level, hints rejected as telling the fix, calls per accepted hint with the
  fixed-n procedure and with the early stop replayed on the recorded outcomes (each outcome depends only
  on (arm, index) through its seed, so the replay is what an early-stopped run would have done).
- `bank_run`, `socratic_debugging_run` (real model, hand labels): early-stopped ladder runs on the bank and on
  imported Socratic Debugging problems; the fixed-n calls are counted from the same records; every accepted hint's
  hand label (datasets/evals/hint_labels_ladder_runs.json): telling and appropriate, per level.
- `model_hints` (real model, hand labels): how many of the bundled model's labelled hints tell the fix, per level.
- `labels` (hand labels): the check's precision and recall on the held-out hand-labelled hints, by source,
  and on the tuning split it was written against (datasets/evals/hint_labels.jsonl).
- `templates` (scripted): the check on the tutor's generic template ladders of every bug (they are the
  fallback, so they must not tell).
- `simulated` (scripted hint writer, simulated student): the ladder pipeline over every bank bug with the real
  sandbox: a writer whose first hint per level tells the fix, and a student whose success rate depends on
  the problem and the hint; fixed n against early stop on the same seeds.

- `run_facts` (real model, hand labels): the same bugs with and without `--run-facts`, every written hint labelled.
- the curve: `bench/results/<records>_curve.png`, precision (hand label `appropriate`) against coverage.

Run: .venv/bin/python bench/bench_hint_ladders.py --real-records bench/results/hint_ladders_real_records.jsonl \
  --bank-records bench/results/hint_ladders_bank_records.jsonl --sd-records runs/hints-sd/ladders.jsonl \
  --sd-problems runs/sd/sd.jsonl --facts-records bench/results/hint_ladders_facts_records.jsonl \
  --run-labels datasets/evals/hint_labels_ladder_runs.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from langchain_core.messages import AIMessage, BaseMessage  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatResult  # noqa: E402

from bench.common import RESULTS, write  # noqa: E402
from student_sim.fix_leak import FixFacts, check_hint  # noqa: E402
from student_sim.hint_curve import Slot, knob_settings, plot_curve, slots_point  # noqa: E402
from student_sim.hint_ladder import (  # noqa: E402
    BugTask,
    LadderConfig,
    LadderPipeline,
    LadderRecord,
    LevelTrial,
    bug_task,
    recheck_accepted,
    unusable,
)
from student_sim.hint_validation import AttemptRecord, ValidationConfig, run_validation  # noqa: E402
from student_sim.hints import ModelsUsed  # noqa: E402
from student_sim.hints_ladder_cli import ladder_summary  # noqa: E402
from tutor.models.scripted import ScriptedChatModel  # noqa: E402
from tutor.planning.plan import PlanTree  # noqa: E402
from tutor.policy import bug_hints  # noqa: E402
from tutor.problems.bank import ProblemBank  # noqa: E402
from tutor.problems.ladders import HINT_LEVELS  # noqa: E402
from tutor.problems.schema import DebuggingProblem  # noqa: E402
from tutor.sandbox import Sandbox  # noqa: E402

EVALS = Path(__file__).resolve().parent.parent / "datasets" / "evals"


def fixed_n_of_early_stop(records: list[LadderRecord]) -> dict[str, Any]:
    """Student calls of early-stopped validations (measured), and of the fixed-n procedure on the same trials
    (counted): it makes n attempts with every validated hint, and n without it once per level (later trials
    reuse them; the pyfixv rule never reads that arm). The early stop takes the fixed-n decisions by
    construction (each attempt's seed depends only on (arm, index)), so the trials are the same."""
    early = missing = 0
    for record in records:
        for level in record.levels:
            validations = [t.validation for t in level.trials if t.validation is not None]
            if not validations:
                continue
            early += sum(v.calls for v in validations)
            missing += sum(v.config.n - v.done_with for v in validations)  # one call per attempt not made
            if validations[0].config.mode == "gpt4hints":
                missing += validations[0].config.n - max(v.done_without for v in validations)
    return {"fixed_student_calls": early + missing, "early_student_calls": early, "fixed_n": "counted, not run"}


def replay_early_stop(records: list[LadderRecord]) -> dict[str, Any]:
    """Student calls of the recorded fixed-n validations, and of the early stop replayed on them."""
    if any(t.validation and not t.validation.complete for r in records for lv in r.levels for t in lv.trials):
        return fixed_n_of_early_stop(records)
    fixed = early = agree = total = 0
    for record in records:
        for level in record.levels:
            cache: dict[int, AttemptRecord] = {}
            for trial in level.trials:
                v = trial.validation
                if v is None:
                    continue
                if not v.complete:
                    raise SystemExit(f"{record.problem_id} {record.bug_id}: not validated with --no-early-stop")
                outcomes = {(a.arm, a.index): a for a in v.attempts}

                def attempt(
                    arm: str, index: int, got: dict[tuple[Any, int], AttemptRecord] = outcomes
                ) -> AttemptRecord:
                    return got[(arm, index)].model_copy(update={"reused": False, "calls": 1})

                replay = run_validation(attempt, v.config.model_copy(update={"early_stop": True}), without_cache=cache)
                fixed += v.calls
                early += replay.calls
                agree += replay.accepted == v.accepted
                total += 1
    return {"fixed_student_calls": fixed, "early_student_calls": early, "same_decisions": f"{agree}/{total}"}


def read_records(path: Path) -> list[LadderRecord]:
    return [LadderRecord.model_validate_json(line) for line in path.read_text().splitlines() if line.strip()]


def real_section(
    path: Path,
    extra: tuple[Path, ...] = (),
    labels: Path | None = None,
    only: list[LadderRecord] | None = None,
    name: str = "run",
) -> dict[str, Any]:
    """Figures of one run's records (`only`: these records instead of the file's, a subset of bugs, drawn
    without a curve)."""
    records = only if only is not None else read_records(path)
    flags = _flags_now(records, extra)
    summary = ladder_summary(records)
    replay = replay_early_stop(records)
    accepted = sum(summary["accepted_per_level"].values())  # type: ignore[attr-defined]
    hint_calls = int(summary["hint_calls"])  # type: ignore[call-overload]
    per_hint = {
        "fixed_n": round((hint_calls + replay["fixed_student_calls"]) / accepted, 2) if accepted else None,
        "early_stop": round((hint_calls + replay["early_student_calls"]) / accepted, 2) if accepted else None,
    }
    return {
        "label": "real model",
        "records": path.name,
        "models": records[0].models.model_dump(),
        "validation": records[0].config.validation.model_dump(),
        "max_trials": records[0].config.max_trials,
        "bug_ids": [f"{r.problem_id}/{r.bug_id}" for r in records],
        **summary,
        "flagged_by_the_current_check": _recheck(flags),
        **replay,
        "calls_per_accepted_hint": per_hint,
        **({"hand_labels": run_labels_section(records, labels, flags, extra)} if labels else {}),
        **({"curve": ladder_curve_section(records, labels, name)} if labels and only is None else {}),
    }


def run_facts_section(facts: Path, baseline: Path, labels: Path | None) -> dict[str, Any]:
    """The same bugs with and without the failing test's run shown to the hint writer (same seeds, same
    student): both runs' figures and hand labels, the baseline cut to the bugs the facts run made."""
    with_facts = read_records(facts)
    made = {(r.problem_id, r.bug_id) for r in with_facts}
    without = [r for r in read_records(baseline) if (r.problem_id, r.bug_id) in made]
    rows = json.loads(labels.read_text(encoding="utf-8"))["labels"] if labels else []
    return {
        "label": "real model, hand labels",
        "bugs": len(made),
        "with_run_facts": {
            **real_section(facts, labels=labels, only=with_facts),
            "written": _written(with_facts, rows),
        },
        "without (the bank run)": {
            **real_section(baseline, labels=labels, only=without),
            "written": _written(without, rows),
        },
    }


def _written(records: list[LadderRecord], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Hand labels of every hint the records wrote (accepted or not)."""
    by_key = {(r["problem_id"], r["bug_id"], r["level"], r["hint"]): r for r in rows}
    keys = [(r.problem_id, r.bug_id, lv.level, t.hint) for r in records for lv in r.levels for t in lv.trials if t.hint]
    counts = _label_counts([by_key[k] for k in keys if k in by_key])
    return {"hints": len(keys), "labelled": counts.pop("accepted"), **counts}


def ladder_curve_section(records: list[LadderRecord], labels: Path, name: str) -> dict[str, Any]:
    """Precision (hand label `appropriate`) against coverage (bug-levels with a hint) as the validation
    knobs move, decided again from the stored attempts. A hint without a hand label is `unjudged`; a
    bug-level the early-stopped attempts cannot settle at a setting is `undetermined` (left out)."""
    rows = json.loads(labels.read_text(encoding="utf-8"))["labels"]
    verdicts = {(r["problem_id"], r["bug_id"], r["level"], r["hint"]): bool(r["appropriate"]) for r in rows}
    slots, keys = [], {}
    for record in (r for r in records if r.status == "ok"):
        for level in record.levels:
            slots.append(Slot(level.trials, len(level.trials) >= record.config.max_trials))
            for trial in level.trials:
                keys[id(trial)] = (record.problem_id, record.bug_id, level.level, trial.hint)
    n = records[0].config.validation.n
    points = [
        slots_point(slots, config, lambda trial: verdicts.get(keys[id(trial)]))
        for mode in ("pyfixv", "gpt4hints")
        for config in knob_settings(n, mode, betas=(0.25,))  # type: ignore[arg-type]
    ]
    figure = plot_curve(
        points, RESULTS / f"hint_ladders_{name}_curve.png", title=f"hint ladders, {name} run (real model)"
    )
    return {"label": "real model, hand labels", "plot": figure.name, "points": [p.model_dump() for p in points]}


def run_labels_section(
    records: list[LadderRecord], path: Path, flags: dict[HintKey, tuple[bool, bool]], extra: tuple[Path, ...] = ()
) -> dict[str, Any]:
    """The hand labels of a run's accepted hints (every one must have a label): telling and appropriate, as the
    run accepted them and as the tutor's file keeps them (`recheck_accepted`: the checks as they are now); and
    the fix-leak check on every written hint with a label, as it was at run time and as it is now."""
    rows = json.loads(path.read_text(encoding="utf-8"))["labels"]
    by_key = {(r["problem_id"], r["bug_id"], r["level"], r["hint"]): r for r in rows}
    run = _accepted_labels(records, by_key, path)
    problems = ProblemBank.load(extra, ladders=False)
    with Sandbox() as box:
        debugging = {r.problem_id: problems.get(r.problem_id) for r in records}
        kept, dropped = recheck_accepted(
            records, {k: p for k, p in debugging.items() if isinstance(p, DebuggingProblem)}, box
        )
    tutor = _accepted_labels(kept, by_key, path)
    return {
        "label": "hand labels (read)",
        "file": path.name,
        **_label_counts(run),
        "per_level": {
            lv: _label_counts([r for r in run if r["level"] == lv]) for lv in ("pointer", "conceptual", "next_step")
        },
        "tutor_file": {
            **_label_counts(tutor),
            "per_level": {lv: _label_counts([r for r in tutor if r["level"] == lv]) for lv in HINT_LEVELS},
            "left_out": dropped,
        },
        "check_on_written_hints": _check_on_run(rows, flags),
        "grounding_on_written_hints": _grounding_on_run(records, rows, extra),
    }


def _grounding_on_run(records: list[LadderRecord], rows: list[dict[str, Any]], extra: tuple[Path, ...]) -> dict:
    """`ungrounded` (as it is now) on every labelled hint the run wrote, against the hand label `appropriate`:
    a hint it names should never be one a teacher calls appropriate."""
    by_key = {(r["problem_id"], r["bug_id"], r["level"], r["hint"]): r for r in rows}
    named = appropriate_named = appropriate = labelled = 0
    for key, trial, task, _ in _written_hints(records, extra):
        row = by_key.get(key)
        if row is None:
            continue
        why = unusable(trial.hint or "", task)
        is_named = bool(why and "not about this program" in why)
        labelled += 1
        named += is_named
        appropriate += bool(row["appropriate"])
        appropriate_named += is_named and bool(row["appropriate"])
    return {"labelled": labelled, "named": named, "appropriate": appropriate, "appropriate_named": appropriate_named}


def _accepted_labels(records: list[LadderRecord], by_key: dict[HintKey, Any], path: Path) -> list[dict[str, Any]]:
    keys = [
        (r.problem_id, r.bug_id, lv.level, lv.accepted.hint)
        for r in records
        for lv in r.levels
        if lv.accepted is not None and lv.accepted.hint
    ]
    missing = [k for k in keys if k not in by_key]
    if missing:
        raise SystemExit(f"{path}: no label for {len(missing)} accepted hint(s), e.g. {missing[0]}")
    return [by_key[k] for k in keys]


def _label_counts(labelled: list[dict[str, Any]]) -> dict[str, Any]:
    appropriate = sum(bool(r["appropriate"]) for r in labelled)
    return {
        "accepted": len(labelled),
        "tells": sum(r["tells"] for r in labelled),
        "appropriate": appropriate,
        "share_appropriate": round(appropriate / len(labelled), 3) if labelled else None,
    }


def _check_on_run(rows: list[dict[str, Any]], flags: dict[HintKey, tuple[bool, bool]]) -> dict[str, Any]:
    """Precision and recall of the check on the run's own hints against the hand labels. At run time no
    label of these hints had been read, so those figures are held out; the check changed after reading
    some of them (the report says which), so the figures for the check as it is now are optimistic."""
    labelled = [r for r in rows if (r["problem_id"], r["bug_id"], r["level"], r["hint"]) in flags]
    at_run = [{"tells": r["tells"], "check": bool(r["check_at_run"])} for r in labelled]
    now = [
        {"tells": r["tells"], "check": flags[(r["problem_id"], r["bug_id"], r["level"], r["hint"])][0]}
        for r in labelled
    ]
    return {"written": len(flags), "labelled": len(labelled), "at_run_time": _ratios(at_run), "now": _ratios(now)}


HintKey = tuple[str, str, str, str]  # problem, bug, level, hint text


def _flags_now(records: list[LadderRecord], extra: tuple[Path, ...] = ()) -> dict[HintKey, tuple[bool, bool]]:
    """Every written hint that reached the fix-leak check (not rejected before it as cut off or not about the
    program): (flagged by the check as it is now, was it the level's accepted hint)."""
    out: dict[HintKey, tuple[bool, bool]] = {}
    for key, trial, task, accepted in _written_hints(records, extra):
        if trial.error is None:  # reached the check
            out[key] = (check_hint(trial.hint or "", task.facts).leaks, accepted)
    return out


def _written_hints(
    records: list[LadderRecord], extra: tuple[Path, ...]
) -> Iterator[tuple[HintKey, LevelTrial, BugTask, bool]]:
    """Every written hint of records whose bug has a repair task, with that task (the sandbox finds it) and
    whether it was its level's accepted hint."""
    bank = ProblemBank.load(extra, ladders=False)
    with Sandbox() as box:
        for record in records:
            problem = bank.get(record.problem_id)
            assert isinstance(problem, DebuggingProblem)
            task = bug_task(problem, problem.bug(record.bug_id), box)
            if isinstance(task, str):
                continue
            for level in record.levels:
                for trial in (t for t in level.trials if t.hint):
                    key = (record.problem_id, record.bug_id, level.level, trial.hint or "")
                    yield key, trial, task, trial.trial == level.accepted_trial


def _recheck(flags: dict[HintKey, tuple[bool, bool]]) -> dict[str, int]:
    """The written and the accepted hints the check flags as it is now (it may have changed since the run)."""
    return {
        "written": len(flags),
        "flagged": sum(f for f, _ in flags.values()),
        "accepted": sum(a for _, a in flags.values()),
        "accepted_flagged": sum(f and a for f, a in flags.values()),
    }


def model_hints_section(path: Path) -> dict[str, Any]:
    """How often the bundled model's own hints tell the fix, by hand label, per level (all its labelled hints)."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    mine = [r for r in rows if r["source"].startswith("model")]
    by_level = {}
    for level in sorted({r["level"] for r in mine}):
        these = [r for r in mine if r["level"] == level]
        by_level[level] = {"hints": len(these), "tell_by_hand_label": sum(r["tells"] for r in these)}
    return {
        "label": "real model, hand labels",
        "hints": len(mine),
        "tell_by_hand_label": sum(r["tells"] for r in mine),
        "appropriate_by_hand_label": sum(bool(r["appropriate"]) for r in mine),
        "per_level": by_level,
    }


def _ratios(rows: list[dict[str, Any]]) -> dict[str, Any]:
    tp = sum(r["tells"] and r["check"] for r in rows)
    fp = sum(not r["tells"] and r["check"] for r in rows)
    fn = sum(r["tells"] and not r["check"] for r in rows)
    return {
        "hints": len(rows),
        "labelled_telling": tp + fn,
        "flagged": tp + fp,
        "true_positive": tp,
        "false_positive": fp,
        "false_negative": fn,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
    }


def labels_section(path: Path, bank: ProblemBank) -> dict[str, Any]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for row in rows:
        problem = bank.get(row["problem_id"])
        assert isinstance(problem, DebuggingProblem)
        bug = problem.bug(row["bug_id"])
        row["check"] = check_hint(row["hint"], _facts(problem, bug.id)).leaks
    held = [r for r in rows if r["split"] == "heldout"]
    sources = sorted({r["source"] for r in held})
    return {
        "label": "hand labels",
        "file": path.name,
        "heldout": _ratios(held),
        "heldout_by_source": {s: _ratios([r for r in held if r["source"] == s]) for s in sources},
        "tuning": _ratios([r for r in rows if r["split"] == "tuning"]),
    }


def _facts(problem: DebuggingProblem, bug_id: str) -> FixFacts:
    with Sandbox() as box:
        task = bug_task(problem, problem.bug(bug_id), box)
    if isinstance(task, str):
        raise SystemExit(f"{problem.id} {bug_id}: {task}")
    return task.facts


def templates_section(bank: ProblemBank, box: Sandbox) -> dict[str, Any]:
    flagged: list[str] = []
    checked = 0
    for problem in bank.list("debugging"):
        assert isinstance(problem, DebuggingProblem)
        plan = PlanTree.for_problem(problem)
        for bug in problem.bugs:
            task = bug_task(problem, bug, box)
            if isinstance(task, str):
                continue
            for kind in ("understand", "fix"):
                if f"{bug.id}.{kind}" not in {n.id for n in plan.nodes}:
                    continue
                for text in bug_hints(problem, plan.node(f"{bug.id}.{kind}")):
                    checked += 1
                    if check_hint(text, task.facts).leaks:
                        flagged.append(f"{problem.id}/{bug.id}: {text}")
    return {"label": "scripted", "templates_checked": checked, "flagged": flagged}


def _u(*parts: object) -> float:
    return random.Random(":".join(str(p) for p in parts)).random()


class SimulatedStudent(ScriptedChatModel):
    """Answers the fixed program with probability p(problem, hints shown), else the buggy one; the draw
    depends only on the sampling seed."""

    fixes: dict[str, tuple[str, str]]  # buggy program -> (fixed program, problem id)

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        text = str(messages[-1].content)
        buggy = next(b for b in self.fixes if b.rstrip("\n") in text)
        fixed, pid = self.fixes[buggy]
        shown = text.split("Your tutor's hints:", 1)[1] if "Your tutor's hints:" in text else ""
        p = 0.5 * _u("without", pid) + (0.5 * _u("with", pid, shown) if shown else 0.0)
        code = fixed if _u("draw", kw["seed"]) < p else buggy
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=f"```python\n{code}```"))])


def simulated_writer() -> ScriptedChatModel:
    """A hint writer whose first hint of every level states the fixed line (the check must reject it)."""
    seen: dict[str, int] = {}

    def reply(messages: list[BaseMessage]) -> str:
        prompt = str(messages[-1].content)
        key = prompt.split("The mistake is on line", 1)[0] + prompt.split("Reply with", 1)[1]
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 1 and "For you only, the corrected line" in prompt:
            fixed = prompt.split("never quote, describe or hint at this text):\n", 1)[1].splitlines()[0].strip()
            return json.dumps({"hint": f"Write `{fixed}` there."})
        return json.dumps({"hint": f"Look again at the failing test (hint {seen[key]})."})

    return ScriptedChatModel(reply_fn=reply)


class CachedSandbox:
    """The sandbox with test runs remembered by program: the simulated student only ever answers the buggy or
    the fixed program, so each distinct run happens once (the figures are calls, not sandbox time)."""

    def __init__(self, box: Sandbox) -> None:
        self.box = box
        self.cache: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}

    def run_tests(self, program: str, tests: list[tuple[str, str]], limits: Any = None) -> Any:
        key = (program, tuple(tests))
        if key not in self.cache:
            self.cache[key] = self.box.run_tests(program, tests, limits)
        return self.cache[key]


def simulated_section(bank: ProblemBank, real_box: Sandbox, n: int) -> dict[str, Any]:
    box: Any = CachedSandbox(real_box)
    problems = [p for p in bank.list("debugging") if isinstance(p, DebuggingProblem) and not p.id.startswith("toy-")]
    out: dict[str, Any] = {"label": "scripted writer, simulated student", "n": n}
    decisions: dict[str, list[tuple[int | None, ...]]] = {}
    for name, early in (("fixed_n", False), ("early_stop", True)):
        fixes = {}
        for p in problems:
            for bug in p.bugs:
                task = bug_task(p, bug, box)
                if not isinstance(task, str):
                    fixes[task.task.buggy_code] = (task.fixed, p.id)
        student = SimulatedStudent(fixes=fixes)
        config = LadderConfig(validation=ValidationConfig(n=n, early_stop=early))
        pipeline = LadderPipeline(simulated_writer(), student, box, config, ModelsUsed(hint="scripted", student="sim"))
        records = [r for p in problems for r in pipeline.generate(p)]
        out[name] = ladder_summary(records)
        decisions[name] = [tuple(lv.accepted_trial for lv in r.levels) for r in records]
    same = sum(a == b for a, b in zip(decisions["fixed_n"], decisions["early_stop"], strict=True))
    out["same_decisions"] = f"{same}/{len(decisions['fixed_n'])}"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real-records", type=Path, default=None)
    parser.add_argument("--bank-records", type=Path, default=None, help="ladders.jsonl of a run on the bank")
    parser.add_argument("--sd-records", type=Path, default=None, help="ladders.jsonl of imported problems")
    parser.add_argument("--sd-problems", type=Path, default=None, help="the imported problems (a collection)")
    parser.add_argument("--run-labels", type=Path, default=None, help="hand labels of the runs' accepted hints")
    parser.add_argument("--labels", type=Path, default=EVALS / "hint_labels.jsonl")
    parser.add_argument("--facts-records", type=Path, default=None, help="ladders.jsonl of a --run-facts run")
    parser.add_argument("--n", type=int, default=10)
    args = parser.parse_args()
    bank = ProblemBank.load(ladders=False)
    figures: dict[str, Any] = {}
    figures["real_ladders"] = real_section(args.real_records) if args.real_records else None
    if args.bank_records:
        figures["bank_run"] = real_section(args.bank_records, labels=args.run_labels, name="bank")
    if args.sd_records and args.sd_problems:
        sd = real_section(args.sd_records, (args.sd_problems,), args.run_labels, name="socratic_debugging")
        figures["socratic_debugging_run"] = sd
    if args.facts_records and args.bank_records:
        figures["run_facts"] = run_facts_section(args.facts_records, args.bank_records, args.run_labels)
    figures["labels"] = labels_section(args.labels, bank)
    figures["model_hints"] = model_hints_section(args.labels)
    with Sandbox() as box:
        figures["templates"] = templates_section(bank, box)
        figures["simulated"] = simulated_section(bank, box, args.n)
    path = write("hint_ladders", figures)
    print(json.dumps(figures, indent=1)[:3000])
    print(f"-> {path}")


if __name__ == "__main__":
    main()
