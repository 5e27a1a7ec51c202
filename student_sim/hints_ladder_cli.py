"""`socratic hints generate` in ladder mode (the default): a validated hint ladder per bug.

Writes OUT/ladders.jsonl (one `LadderRecord` per bug, appended as each finishes; a rerun with the same
options skips the bugs already there), OUT/ladders.json (the tutor's format, `tutor.problems.ladders`) and
OUT/manifest.json. `--ladders FILE` also writes the tutor's file there, e.g. `datasets/hints/bank.json`,
where the bank picks it up.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from student_sim.executors import Executor, SequentialExecutor
from student_sim.hint_ladder import LadderConfig, LadderPipeline, LadderRecord, ladder_file, recheck_accepted
from student_sim.hints import ModelsUsed
from student_sim.lazy import PerProcess
from tutor.errors import ConfigError, InputDataError
from tutor.problems.ladders import HINT_LEVELS, HintLevel
from tutor.problems.schema import DebuggingProblem

BugJob = tuple[DebuggingProblem, str]  # a problem and the id of one of its bugs


class LadderWorker:
    """Writes one bug's ladder. Picklable, so any executor can run it (threads, processes, Ray actors): the
    models and the sandbox are built on first use in whichever process runs it."""

    def __init__(self, config: LadderConfig, models: ModelsUsed, max_tokens: int) -> None:
        self.config, self.models, self.max_tokens = config, models, max_tokens
        self._pipeline = PerProcess(functools.partial(_new_pipeline, config, models, max_tokens))

    def pipeline(self) -> LadderPipeline:
        """The pipeline of this process (its models and sandbox), built once."""
        return self._pipeline.get()

    def __call__(self, job: BugJob) -> LadderRecord:
        problem, bug_id = job
        return self.pipeline().generate_bug(problem, problem.bug(bug_id))

    def close(self) -> None:
        pipeline = self._pipeline.discard()
        if pipeline is not None:
            pipeline.sandbox.close()


def _new_pipeline(config: LadderConfig, models: ModelsUsed, max_tokens: int) -> LadderPipeline:
    from tutor.models import get_chat_model  # heavy imports stay out of `socratic --help`
    from tutor.sandbox import Sandbox
    from tutor.settings import Settings

    settings = Settings.load()

    def build(spec: str) -> Any:
        return get_chat_model(spec, settings.model, cache_dir=settings.cache_dir, max_tokens=max_tokens)

    return LadderPipeline(build(models.hint), build(models.student), Sandbox(), config, models)


def read_ladder_records(path: Path) -> list[LadderRecord]:
    """The records of a ladders.jsonl file; errors name the line."""
    records = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputDataError(f"cannot read {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(LadderRecord.model_validate_json(line))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "(record)"
            raise InputDataError(f"{path}: line {number}: field `{where}`: {first['msg']}") from None
    return records


def ladder_line(record: LadderRecord) -> str:
    """One line per bug: each level's outcome, e.g. `pointer ok (n1=0/3 n2=2/3)` or `conceptual -`."""
    head = f"{record.problem_id} {record.bug_id}:"
    if record.status != "ok":
        return f"{head} {record.status.replace('_', ' ')}"
    parts = []
    for level in record.levels:
        leaked = sum(bool(t.leak_reasons) for t in level.trials)
        accepted = level.accepted
        if accepted is not None and accepted.validation is not None:
            v = accepted.validation
            parts.append(f"{level.level} accepted (n1={v.n1}/{v.done_without} n2={v.n2}/{v.done_with})")
        else:
            parts.append(f"{level.level} none")
        if leaked:
            parts[-1] += f" [{leaked} told the fix]"
    return f"{head} {'; '.join(parts)}; {record.calls.total} calls"


def ladder_summary(records: list[LadderRecord]) -> dict[str, object]:
    """Coverage per level, leak rejections and calls per accepted hint."""
    ok = [r for r in records if r.status == "ok"]
    accepted = {lv: sum(any(x.level == lv and x.accepted for x in r.levels) for r in ok) for lv in HINT_LEVELS}
    trials = [t for r in ok for lv in r.levels for t in lv.trials]
    total_accepted = sum(accepted.values())
    calls = sum(r.calls.total for r in ok)
    return {
        "bugs": len(records),
        "bugs_with_a_task": len(ok),
        "accepted_per_level": accepted,
        "coverage_per_level": {lv: (accepted[lv] / len(ok) if ok else None) for lv in HINT_LEVELS},
        "hints_written": sum(t.hint is not None for t in trials),
        "rejected_as_telling": sum(bool(t.leak_reasons) and t.validation is None for t in trials),
        "calls_total": calls,
        "student_calls": sum(r.calls.student for r in ok),
        "hint_calls": sum(r.calls.hint for r in ok),
        "calls_per_accepted_hint": calls / total_accepted if total_accepted else None,
    }


def _same_config(stored: object, config: LadderConfig) -> bool:
    """Whether a folder's stored settings are `config` (a setting added since, at its default, matches)."""
    try:
        return LadderConfig.model_validate(stored) == config
    except ValidationError:
        return False


def generate_ladders(
    worker: LadderWorker,
    chosen: list[DebuggingProblem],
    out: Path,
    ladders_path: Path | None,
    executor: Executor | None = None,
    known: Mapping[str, DebuggingProblem] | None = None,
    tutor_levels: Sequence[HintLevel] = HINT_LEVELS,
) -> None:
    """Run the ladder pipeline over `chosen` into `out` (resumable; the bugs run on `executor`, one at a time
    by default), then write the tutor's ladder file (the accepted hints of `tutor_levels`). This process is the
    only writer of the folder.

    The tutor's file holds only accepted hints the fix-leak check as it is now still passes
    (`recheck_accepted`; `known` maps the ids of records made by earlier runs to their problems)."""
    out.mkdir(parents=True, exist_ok=True)
    records_file, manifest = out / "ladders.jsonl", out / "manifest.json"
    head = {"config": worker.config.model_dump(mode="json"), "models": worker.models.model_dump()}
    done: set[tuple[str, str]] = set()
    if records_file.exists():
        done = {(r.problem_id, r.bug_id) for r in read_ladder_records(records_file)}
        stored = json.loads(manifest.read_text(encoding="utf-8")).get("config") if manifest.exists() else None
        if done and not _same_config(stored, worker.config):
            raise ConfigError(f"{out} holds ladders made with other settings", "use another --out, or the same options")
    manifest.write_text(json.dumps(head, indent=2) + "\n", encoding="utf-8")
    jobs = [(p, b.id) for p in chosen for b in p.bugs if (p.id, b.id) not in done]
    try:
        for (problem, bug_id), outcome in (executor or SequentialExecutor()).run(jobs, worker):
            if isinstance(outcome, BaseException):
                typer.echo(f"{problem.id} {bug_id}: failed ({type(outcome).__name__}: {outcome}); rerun to retry")
                continue
            with records_file.open("a", encoding="utf-8") as fh:
                fh.write(outcome.model_dump_json() + "\n")
            typer.echo(ladder_line(outcome))
    finally:
        worker.close()
    records = read_ladder_records(records_file)
    summary = ladder_summary(records)
    manifest.write_text(json.dumps({**head, "summary": summary}, indent=2) + "\n", encoding="utf-8")
    from tutor.sandbox import Sandbox

    with Sandbox() as box:
        checked, dropped = recheck_accepted(records, {**(known or {}), **{p.id: p for p in chosen}}, box)
    for line in dropped:
        typer.echo(f"left out of the tutor's file: {line}")
    tutor_file = ladder_file(checked, tutor_levels).model_dump_json(indent=2) + "\n"
    (out / "ladders.json").write_text(tutor_file, encoding="utf-8")
    if ladders_path is not None:
        ladders_path.parent.mkdir(parents=True, exist_ok=True)
        ladders_path.write_text(tutor_file, encoding="utf-8")
    cover = ", ".join(f"{lv} {n}/{summary['bugs_with_a_task']}" for lv, n in summary["accepted_per_level"].items())  # type: ignore[attr-defined]
    typer.echo(f"accepted per level: {cover}; {summary['rejected_as_telling']} hints rejected as telling the fix")
    typer.echo(f"{summary['calls_total']} model calls -> {records_file}, {out / 'ladders.json'}")
