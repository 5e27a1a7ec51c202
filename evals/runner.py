"""Running an eval: every variant's dialogues (through the generator), the optional judge, the scores.

    result = run_eval(load_config("default"), "runs/eval-default", store=store)
    scores, summary = rescore("runs/eval-default")        # no model: recompute from stored dialogues

Each variant is one `student_sim.generate.generate` call into `variants/<name>/`, so dialogues come from
the same `run_dialogue` as generated datasets, with the same job ids, bounded concurrency, progress bar
and resume: run the same command on the same folder again and only the missing dialogues are made.
The run is recorded in the database (kind `eval`) with its headline figures as the summary.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from tqdm import tqdm

from evals.aggregate import HEADLINE, summarise
from evals.config import EvalConfig
from evals.files import (
    SUMMARY,
    JudgeRecord,
    append_judge,
    judged_turns,
    read_dialogues,
    read_judge,
    run_config,
    variant_dir,
    write_scores,
)
from evals.judge import Judge, JudgeLike, judge_inputs
from evals.judge_factory import make_judge
from evals.metrics import score_dialogue
from evals.scores import DialogueScore
from student_sim.executors import Executor
from student_sim.generate import generate
from student_sim.provenance import config_hash, machine, versions
from student_sim.runfolder import RunFolder
from tutor.errors import ConfigError, NotFoundError
from tutor.files import write_json
from tutor.settings import Settings
from tutor.storage.store import Store

ModelFactory = Callable[[str], BaseChatModel]


@dataclass(frozen=True)
class EvalResult:
    """What one `run_eval` call did."""

    run_dir: Path
    run_id: str
    jobs: int  # dialogues in the config (all variants)
    generated: int  # made by this call
    skipped: int  # already there
    errors: int  # failed in this call (see variants/<name>/errors.jsonl)
    judged: int  # tutor messages judged by this call
    duration_s: float
    summary: dict[str, Any]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def headline(summary: dict[str, Any]) -> dict[str, Any]:
    """The figures that go into the database row: headline metrics per variant."""
    return {
        "dialogues": summary.get("dialogues", 0),
        "variants": {
            v: {"n": block["n"], **{m: block["metrics"].get(m) for m in HEADLINE}}
            for v, block in summary.get("variants", {}).items()
        },
    }


def run_eval(
    config: EvalConfig,
    run_dir: str | Path,
    *,
    settings: Settings | None = None,
    store: Store | None = None,
    concurrency: int | None = None,
    executor: Executor | None = None,
    judge_model: ModelFactory | None = None,
    progress: bool = True,
    report: bool = True,
) -> EvalResult:
    """Run (or resume) an eval into `run_dir`, score it, and write its report.

    Args:
        config: the eval config.
        run_dir: the run folder (created; a folder of the same config resumes).
        settings: model roles and options (default: `Settings.load()`).
        store: where the run is recorded (None: not recorded).
        concurrency, executor: how the dialogues run (default: the config's concurrency, threads).
        judge_model: builds the judge's chat model from a spec (default: `get_chat_model`).
        progress: progress bars on stderr.
        report: write report.md / report.html.

    Raises:
        ConfigError: the folder holds a run of another config, or is in use.
    """
    settings = settings or Settings.load()
    run_dir = Path(run_dir)
    started, started_at = time.perf_counter(), _now()
    config_json = config.model_dump(mode="json")
    cfg_hash = config_hash(config_json)
    folder = RunFolder(run_dir)
    with folder:
        manifest = _opening_manifest(config, settings, folder.read_manifest(), cfg_hash, run_dir)
        run_id, history = str(manifest["run_id"]), manifest["runs"]
        folder.write_manifest(manifest)
        _record_start(store, run_id, config_json, run_dir)
        counts = _Counts()
        try:
            _generate_variants(config, run_dir, settings, counts, concurrency, executor, progress)
            if config.judge.enabled:
                judge_spec = config.judge.spec or settings.spec_for("judge")
                judge = _judge(judge_spec, settings, judge_model)
                max_turns = config.judge.max_turns_per_dialogue
                counts.judged = judge_run(run_dir, judge, judge_spec, max_turns=max_turns, progress=progress)
            counts.status = "done" if counts.errors == 0 else "partial"
        except KeyboardInterrupt:
            counts.status = "interrupted"
            raise
        finally:
            history.append(counts.as_run(started_at, round(time.perf_counter() - started, 2)))
            manifest.update(status=counts.status, runs=history)
            folder.write_manifest(manifest)
            if counts.status in ("failed", "interrupted"):
                _record_end(store, run_id, "cancelled" if counts.status == "interrupted" else "failed", None)
    try:
        scores, summary = rescore(run_dir, report=report)
    except BaseException:
        _record_end(store, run_id, "failed", None)
        raise
    _record_end(store, run_id, "done" if counts.errors == 0 else "failed", summary)
    duration = round(time.perf_counter() - started, 2)
    c = counts
    return EvalResult(run_dir, run_id, c.jobs, c.generated, c.skipped, c.errors, c.judged, duration, summary)


@dataclass
class _Counts:
    """What one call of `run_eval` did; `status` stays "failed" unless the call gets to the end."""

    jobs: int = 0
    generated: int = 0
    skipped: int = 0
    errors: int = 0
    judged: int = 0
    status: str = "failed"

    def as_run(self, started_at: str, duration: float) -> dict[str, Any]:
        """This call's entry in the manifest's `runs`."""
        return {
            "started_at": started_at,
            "finished_at": _now(),
            "duration_s": duration,
            "generated": self.generated,
            "skipped": self.skipped,
            "errors": self.errors,
            "judged": self.judged,
            "status": self.status,
        }


def _opening_manifest(
    config: EvalConfig, settings: Settings, previous: dict[str, Any] | None, cfg_hash: str, run_dir: Path
) -> dict[str, Any]:
    """The manifest of a run that starts or resumes (a folder resumes only a run of the same config)."""
    if previous is not None and previous.get("config_hash") != cfg_hash:
        raise ConfigError(
            f"{run_dir} holds an eval run of another config (hash {previous.get('config_hash')}, this one {cfg_hash})",
            "resume with the same config, or use another --out",
        )
    fresh_id = f"{config.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
    run_id = str(previous["run_id"]) if previous else fresh_id
    return {
        "kind": "eval",
        "run_id": run_id,
        "name": config.name,
        "status": "running",
        "config_hash": cfg_hash,
        "config": config.model_dump(mode="json"),
        "models": _models(config, settings),
        "machine": machine(),
        "versions": versions().model_dump(),
        "variants": {v.name: f"variants/{v.name}" for v in config.variants},
        "runs": list(previous.get("runs", [])) if previous else [],
    }


def _generate_variants(
    config: EvalConfig,
    run_dir: Path,
    settings: Settings,
    counts: _Counts,
    concurrency: int | None,
    executor: Executor | None,
    progress: bool,
) -> None:
    """Each variant's dialogues, by the generator, into its own run folder (resuming what is there)."""
    for variant in config.variants:
        result = generate(
            config.generation_spec(variant),
            variant_dir(run_dir, variant.name),
            settings=settings,
            concurrency=concurrency,
            executor=executor,
            progress=progress,
        )
        counts.jobs += result.jobs
        counts.generated += result.generated
        counts.skipped += result.skipped
        counts.errors += result.errors


def _models(config: EvalConfig, settings: Settings) -> dict[str, Any]:
    return {
        "tutor": {v.name: v.model or config.models.tutor or settings.spec_for("tutor") for v in config.variants},
        "student": (config.models.student or settings.spec_for("student")) if config.student_policy == "llm" else None,
        "judge": (config.judge.spec or settings.spec_for("judge")) if config.judge.enabled else None,
    }


def _judge(spec: str, settings: Settings, factory: ModelFactory | None) -> JudgeLike:
    if factory is not None:
        return Judge(factory(spec))
    return make_judge(spec, settings)  # an LLM judge, or the learned judge (`learned`, `learned:PATH`)


def _record_start(store: Store | None, run_id: str, config: dict[str, Any], run_dir: Path) -> None:
    if store is None:
        return
    try:
        store.get_run(run_id)
    except NotFoundError:
        store.create_run("eval", config, run_dir=run_dir.resolve(), run_id=run_id)
    else:
        store.update_run(run_id, status="running", run_dir=run_dir.resolve())


def _record_end(store: Store | None, run_id: str, status: str, summary: dict[str, Any] | None) -> None:
    if store is not None:
        store.update_run(run_id, status=status, summary=headline(summary) if summary else None)  # type: ignore[arg-type]


def judge_run(
    run_dir: str | Path, judge: JudgeLike, judge_spec: str, *, max_turns: int | None = 2, progress: bool = True
) -> int:
    """Judge the tutor messages of a run that `judge_spec` has not judged yet; returns how many it judged.

    Verdicts go to judge.jsonl as they come, so an interrupted judging resumes where it stopped.
    """
    run_dir = Path(run_dir)
    config = run_config(run_dir)
    done = {(r.variant, r.dialogue_id, r.index) for r in read_judge(run_dir) if r.judge == judge_spec}
    todo = [
        (variant.name, dialogue.id, index, item)
        for variant in config.variants
        for dialogue in read_dialogues(run_dir, variant.name)
        for index, item in judge_inputs(dialogue, max_turns)
        if (variant.name, dialogue.id, index) not in done
    ]
    for variant, dialogue_id, index, item in tqdm(todo, disable=not progress, unit="turn", desc="judge"):
        verdict = judge.judge(item)
        append_judge(
            run_dir,
            JudgeRecord(
                dialogue_id=dialogue_id,
                variant=variant,
                index=index,
                judge=judge_spec,
                labels=verdict.labels,
                error=verdict.error,
            ),
        )
    return len(todo)


def rescore(run_dir: str | Path, *, report: bool = True) -> tuple[list[DialogueScore], dict[str, Any]]:
    """Recompute every score of a run from its stored dialogues and judge cache (no model is called),
    rewrite scores.jsonl and summary.json, and the report unless `report=False`."""
    run_dir = Path(run_dir)
    config = run_config(run_dir)
    judged = judged_turns(run_dir)
    scores: list[DialogueScore] = []
    for variant in config.variants:
        dialogues = sorted(
            read_dialogues(run_dir, variant.name),
            key=lambda d: (d.problem_id, d.profile_id, d.provenance.seed),
        )
        scores += [score_dialogue(d, variant.name, judged.get((variant.name, d.id))) for d in dialogues]
    write_scores(run_dir, scores)
    summary = summarise(scores, config.max_turns)
    summary["errors"] = {v.name: RunFolder(variant_dir(run_dir, v.name)).summary()["errors"] for v in config.variants}
    write_json(run_dir / SUMMARY, summary)
    if report:
        from evals.report import write_report  # matplotlib is imported only when a report is written

        write_report(run_dir, config, scores, summary)
    return scores, summary


__all__ = ["EvalResult", "headline", "judge_run", "rescore", "run_eval"]
