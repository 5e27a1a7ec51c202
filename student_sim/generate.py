"""`generate`: a spec -> jobs -> bounded concurrency -> a resumable run folder of dialogues.

    report = generate(load_spec("datasets/generation/default.yaml"), "runs/default")

Interrupt it (Ctrl-C, a kill) and run it again with the same spec and folder: finished jobs are skipped
by id, a torn last line is cut off, and the rest is generated, so no dialogue is duplicated or lost.
A job that raises (model server down, sandbox broken) is logged to `errors.jsonl` and retried next run.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from student_sim.dialogue import Dialogue
from student_sim.executors import Executor, make_executor
from student_sim.fidelity import fidelity_for_run, write_fidelity
from student_sim.gen_spec import GenerationSpec, Job, expand_jobs
from student_sim.lazy import PerProcess
from student_sim.provenance import canonical_json, config_hash, versions
from student_sim.runfolder import FileKind, Recovery, RunFolder
from student_sim.runner import DialogueLimits, RunInfo, run_dialogue
from student_sim.servers import ServerPool, server_of, with_base_url
from student_sim.student import StudentSimulator
from tutor.errors import ConfigError, TutorError
from tutor.settings import ModelOptions, Settings

if TYPE_CHECKING:
    from tutor.sandbox import Sandbox


class DialogueWorker:
    """Runs one job. Picklable: models and the sandbox are built on first use, in the running process."""

    def __init__(self, spec: GenerationSpec, tutor_spec: str, student_spec: str, settings: Settings) -> None:
        self.spec = spec
        self.tutor_spec = tutor_spec
        self.student_spec = student_spec
        self.settings = settings
        self.config = spec.config(tutor_spec, student_spec)
        self._sandbox = PerProcess(_new_sandbox)  # holds processes and pipes: each process makes its own
        self.servers = ServerPool(spec.servers, spec.max_in_flight_per_server) if spec.servers else None
        if spec.servers:
            with_base_url(tutor_spec, spec.servers[0])  # refuses a model that cannot be spread over servers

    def _options(self, seed: int) -> ModelOptions:
        base = self.settings.model.model_dump()
        try:
            return ModelOptions(**{**base, **self.spec.model_options, "seed": seed})
        except ValueError as exc:
            raise ConfigError(f"invalid model_options in the spec: {exc}") from None

    def for_worker(self, index: int) -> DialogueWorker:
        """The copy a cluster's worker `index` runs (its server pool starts at a different server)."""
        copy = DialogueWorker(self.spec, self.tutor_spec, self.student_spec, self.settings)
        copy.servers = self.servers.for_worker(index) if self.servers is not None else None
        return copy

    def __call__(self, job: Job) -> Dialogue:
        if self.servers is None:
            return self._run(job, self.tutor_spec, self.student_spec)
        with self.servers.lease() as url:
            llm_student = self.spec.student_policy == "llm" and self.student_spec.startswith("openai:")
            student_spec = with_base_url(self.student_spec, url) if llm_student else self.student_spec
            return self._run(job, with_base_url(self.tutor_spec, url), student_spec)

    def _run(self, job: Job, tutor_spec: str, student_spec: str) -> Dialogue:
        from tutor.agent import TutorAgent  # heavy imports stay out of `socratic --help`
        from tutor.models import get_chat_model

        options = self._options(job.seed)
        tutor_model = get_chat_model(tutor_spec, options, cache_dir=self.settings.cache_dir)
        student_model = None
        if self.spec.student_policy == "llm":
            student_model = get_chat_model(student_spec, options, cache_dir=self.settings.cache_dir)
        agent = TutorAgent(job.problem, tutor_model, self._sandbox.get(), self.spec.tutor)
        student = StudentSimulator(job.problem, job.profile, policy=self.spec.student_policy, model=student_model)
        info = RunInfo(
            tutor_model=tutor_spec,
            student_model=student_spec if self.spec.student_policy == "llm" else None,
            student_policy=self.spec.student_policy,
            config=self.config,
            job_id=job.id,
        )
        limits = DialogueLimits(max_turns=self.spec.max_turns, stuck_after=self.spec.stuck_after)
        return run_dialogue(
            job.problem, job.profile, tutor=agent, student=student, seed=job.seed, limits=limits, info=info
        )

    def close(self) -> None:
        sandbox = self._sandbox.discard()
        if sandbox is not None:
            sandbox.close()


def _new_sandbox() -> Sandbox:
    from tutor.sandbox import Sandbox  # heavy imports stay out of `socratic --help`

    return Sandbox()


@dataclass(frozen=True)
class GenerationReport:
    """What one `generate` call did."""

    run_dir: Path
    jobs: int  # in the spec
    skipped: int  # already done before this call
    generated: int  # finished in this call (accepted + rejected)
    errors: int  # failed in this call
    dropped_lines: int  # torn lines cut off on resume
    interrupted: bool
    duration_s: float
    manifest: dict[str, Any]
    fidelity: Path  # the run's fidelity.md (fidelity.json beside it)


def generate(
    spec: GenerationSpec,
    out_dir: str | Path,
    *,
    settings: Settings | None = None,
    concurrency: int | None = None,
    limit: int | None = None,
    executor: Executor | None = None,
    progress: bool = True,
) -> GenerationReport:
    """Generate the spec's dialogues into `out_dir` (resuming what is there).

    Args:
        spec: the generation spec.
        out_dir: the run folder.
        settings: model roles and options (default: `Settings.load()`).
        concurrency: overrides the spec's concurrency.
        limit: generate at most this many new dialogues in this call.
        executor: how jobs run (default: threads, `concurrency` at a time).
        progress: show a progress bar on stderr.

    Raises:
        ConfigError: the folder holds a run made with a different config, or is in use.
    """
    settings = settings or Settings.load()
    tutor_spec = spec.models.tutor or settings.spec_for("tutor")
    student_spec = spec.models.student or settings.spec_for("student")
    worker = DialogueWorker(spec, tutor_spec, student_spec, settings)
    cfg_hash = config_hash(worker.config)
    n_workers = concurrency or spec.concurrency
    executor = executor or make_executor("threads" if n_workers > 1 else "sequential", n_workers)
    folder = RunFolder(out_dir)
    started, started_at = time.perf_counter(), _now()
    with folder:
        previous = folder.read_manifest()
        _refuse_another_config(folder, previous, cfg_hash)
        recovery = folder.recover()
        jobs = expand_jobs(spec, cfg_hash)
        pending = [j for j in jobs if j.id not in recovery.done]
        todo = pending[:limit] if limit is not None else pending
        runs = list(previous.get("runs", [])) if previous else []
        folder.write_manifest(_manifest(worker, cfg_hash, len(jobs), folder, runs, "running"))
        tally = _Tally()
        try:
            _run_jobs(executor, todo, worker, folder, tally, progress)
        finally:
            worker.close()
            duration = time.perf_counter() - started
            runs.append(tally.as_run(started_at, duration, n_workers, executor, len(jobs) - len(pending), recovery))
            left = len(pending) - tally.generated
            status = "interrupted" if tally.interrupted else ("complete" if left == 0 else "partial")
            manifest = _manifest(worker, cfg_hash, len(jobs), folder, runs, status)
            folder.write_manifest(manifest)
        # From the folder's files, not this call's dialogues, so a resumed run gets the card of all of them.
        _, fidelity = write_fidelity(folder.path, fidelity_for_run(folder.path))
    return GenerationReport(
        run_dir=folder.path,
        jobs=len(jobs),
        skipped=len(jobs) - len(pending),
        generated=tally.generated,
        errors=tally.errors,
        dropped_lines=recovery.dropped_lines,
        interrupted=tally.interrupted,
        duration_s=round(time.perf_counter() - started, 2),
        manifest=manifest,
        fidelity=fidelity,
    )


def _refuse_another_config(folder: RunFolder, previous: dict[str, Any] | None, cfg_hash: str) -> None:
    """A folder resumes only the run it holds: same config hash, hence the same job ids."""
    if previous is not None and previous.get("config_hash") != cfg_hash:
        raise ConfigError(
            f"{folder.path} holds a run made with another config (hash {previous.get('config_hash')}, "
            f"this spec gives {cfg_hash})",
            "resume with the same spec and models, or use another --out",
        )


def _model_calls(dialogue: Dialogue) -> int:
    """The tutor's model calls over the dialogue (from its turn records)."""
    return sum(len(turn.model_calls) for t in dialogue.turns if (turn := t.tutor_turn()) is not None)


@dataclass
class _Tally:
    """What one call of `generate` did so far."""

    generated: int = 0
    errors: int = 0
    interrupted: bool = False
    # server ("" when the model names none) -> [dialogues, tutor model calls]
    by_server: dict[str, list[int]] = field(default_factory=dict)

    def count(self, dialogue: Dialogue) -> None:
        self.generated += 1
        counts = self.by_server.setdefault(server_of(dialogue.provenance.tutor_model), [0, 0])
        counts[0] += 1
        counts[1] += _model_calls(dialogue)

    def per_server(self, duration: float) -> dict[str, dict[str, float | int | None]]:
        """Dialogues, dialogues per hour and tutor model calls per dialogue, per server."""
        return {
            server or "default": {
                "dialogues": n,
                "dialogues_per_hour": round(n / duration * 3600, 1) if duration > 0 else None,
                "model_calls_per_dialogue": round(calls / n, 2) if n else None,
            }
            for server, (n, calls) in sorted(self.by_server.items())
        }

    def as_run(
        self, started_at: str, duration: float, workers: int, executor: Executor, skipped: int, recovery: Recovery
    ) -> dict[str, Any]:
        """This call's entry in the manifest's `runs`."""
        return {
            "started_at": started_at,
            "finished_at": _now(),
            "duration_s": round(duration, 2),
            "concurrency": workers,
            "executor": type(executor).__name__,
            "skipped": skipped,
            "generated": self.generated,
            "errors": self.errors,
            "dropped_lines": recovery.dropped_lines,
            "interrupted": self.interrupted,
            "dialogues_per_hour": round(self.generated / duration * 3600, 1) if duration > 0 else None,
            "servers": self.per_server(duration),
            # Machines that ran jobs (cluster executors report them) -> jobs each finished.
            "nodes": dict(getattr(executor, "nodes", {}) or {"local": self.generated}),
        }


def _run_jobs(
    executor: Executor, todo: list[Job], worker: DialogueWorker, folder: RunFolder, tally: _Tally, progress: bool
) -> None:
    """Run the jobs, appending each result to the folder as it comes; Ctrl-C marks the tally interrupted."""
    bar = tqdm(total=len(todo), disable=not progress, unit="dlg", desc=worker.spec.name, dynamic_ncols=True)
    try:
        for job, outcome in executor.run(todo, worker):
            if isinstance(outcome, BaseException):
                tally.errors += 1
                folder.append("errors", canonical_json(_error_record(job, outcome)))
            else:
                kind: FileKind = "dialogues" if outcome.quality.passed else "rejected"
                folder.append(kind, outcome.to_json_line())
                tally.count(outcome)
            bar.update(1)
            bar.set_postfix(errors=tally.errors, refresh=False)
    except KeyboardInterrupt:
        tally.interrupted = True
        raise
    finally:
        bar.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _error_record(job: Job, exc: BaseException) -> dict[str, Any]:
    message = exc.message if isinstance(exc, TutorError) else str(exc)
    return {
        "id": job.id,
        "problem_id": job.problem.id,
        "profile_id": job.profile.id,
        "seed": job.seed,
        "error": type(exc).__name__,
        "message": message[:2000],
        "at": _now(),
        "traceback": "".join(traceback.format_exception(exc))[-4000:],
    }


def _manifest(
    worker: DialogueWorker, cfg_hash: str, n_jobs: int, folder: RunFolder, runs: list[dict[str, Any]], status: str
) -> dict[str, Any]:
    spec, tutor_spec, student_spec, config = worker.spec, worker.tutor_spec, worker.student_spec, worker.config
    summary = folder.summary()
    done = summary["accepted"] + summary["rejected"]
    return {
        "name": spec.name,
        "status": status,
        "config_hash": cfg_hash,
        "config": config,
        "spec": spec.model_dump(mode="json"),
        "models": {"tutor": tutor_spec, "student": student_spec if spec.student_policy == "llm" else None},
        "versions": versions().model_dump(),
        "counts": {"jobs": n_jobs, "done": done, "pending": n_jobs - done, **summary},
        "files": {"dialogues": "dialogues.jsonl", "rejected": "rejected.jsonl", "errors": "errors.jsonl"},
        "runs": runs,
    }
