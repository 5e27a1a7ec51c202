"""A simulated cohort answers the bank's items, so their difficulty is estimated before real students see them.

Each simulated student (a profile and a seed; the rule-based student, reading only text) meets each problem
like a test paper: every step's question is put to it in turn, with no tutoring, and its first answer is
scored right or wrong with the step's own answer. A question or an off-topic remark instead of an answer
gets the same question again (at most `MAX_ASKS` times); a student that still gives no answer, or says it
does not know, is scored wrong. Before each step the paper moves on: the step before counts as left behind
(the student does not keep working on a step it got wrong), which is the only state the harness sets.

Jobs are (problem, profile, seed) with stable ids, run by the generation executors
(`student_sim.executors.make_executor`: sequential, threads, processes or ray), and appended to a run
folder (`attempts.jsonl`, `errors.jsonl`, `manifest.json`) with the dialogue generator's locking, torn-line
recovery and resume by job id. `student_sim.irt` fits the responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from student_sim.executors import Executor, SequentialExecutor
from student_sim.profiles import StudentProfile
from student_sim.provenance import config_hash, job_id
from student_sim.runfolder import FILES, FileKind, RunFolder
from student_sim.student import StudentSimulator
from tutor.errors import ConfigError
from tutor.problems.schema import MathProblem, PhysicsProblem

SteppedProblem = MathProblem | PhysicsProblem
MAX_ASKS = 3
COHORT_VERSION = 1
ATTEMPTS = "attempts.jsonl"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepResponse(_Record):
    """The student's first answer to one step."""

    step: str
    correct: bool
    kind: str  # answer | dont_know | question | off_topic (the last two: no answer after MAX_ASKS)
    value: float | None = None
    text: str | None = None
    misconception: str | None = None
    asks: int = 1  # how many times the question was put


class Attempt(_Record):
    """One simulated student's first answers on one problem."""

    id: str
    problem_id: str
    profile_id: str
    seed: int
    responses: tuple[StepResponse, ...]

    @property
    def student(self) -> str:
        return f"{self.profile_id}#{self.seed}"


@dataclass(frozen=True)
class CohortJob:
    """One problem for one simulated student."""

    id: str
    problem: SteppedProblem
    profile: StudentProfile
    seed: int


def attempt(job: CohortJob) -> Attempt:
    """The student's first answer on every step, in order, with no tutoring (module level: it pickles)."""
    student = StudentSimulator(job.problem, job.profile)
    state = student.start(job.seed)
    responses: list[StepResponse] = []
    for index, step in enumerate(job.problem.steps):
        behind = [s.id for s in job.problem.steps[:index]]
        state = state.model_copy(update={"stuck_on": None, "answered": behind})
        for asks in range(1, MAX_ASKS + 1):
            turn, state = student.step(step.question, state)
            intent = turn.intent
            if intent.kind in ("answer", "dont_know") or asks == MAX_ASKS:
                break
        answered = intent.kind == "answer" and intent.node_ref == step.id
        responses.append(
            StepResponse(
                step=step.id,
                correct=bool(answered and intent.correct),
                kind=intent.kind,
                value=intent.value,
                text=intent.answer_text,
                misconception=intent.misconception,
                asks=asks,
            )
        )
    return Attempt(
        id=job.id,
        problem_id=job.problem.id,
        profile_id=job.profile.id,
        seed=job.seed,
        responses=tuple(responses),
    )


def cohort_config(seeds: Sequence[int]) -> dict[str, Any]:
    """What makes an attempt what it is besides its problem, profile and seed (hashed into job ids)."""
    return {"cohort_version": COHORT_VERSION, "policy": "rules", "max_asks": MAX_ASKS, "seeds": list(seeds)}


def expand_jobs(
    problems: Sequence[SteppedProblem], profiles: Sequence[StudentProfile], seeds: Sequence[int]
) -> list[CohortJob]:
    """problems x profiles x seeds in a stable order; a profile written for other domains skips a problem."""
    cfg = config_hash(cohort_config(seeds))
    return [
        CohortJob(job_id(problem.id, profile.id, seed, cfg), problem, profile, seed)
        for problem in problems
        for profile in profiles
        if not profile.domains or problem.domain in profile.domains
        for seed in seeds
    ]


class CohortFolder(RunFolder):
    """A run folder whose finished records are attempts (`attempts.jsonl`), with the generator's lock,
    atomic appends and recovery."""

    def file(self, kind: FileKind) -> Path:
        return self.path / (ATTEMPTS if kind == "dialogues" else FILES[kind])

    def attempts(self) -> list[Attempt]:
        return [Attempt.model_validate(r) for r in self.read("dialogues")]


@dataclass(frozen=True)
class CohortReport:
    """What a simulate run did."""

    run_dir: Path
    new: int
    skipped: int
    errors: int
    attempts: list[Attempt]


def simulate(
    problems: Sequence[SteppedProblem],
    profiles: Sequence[StudentProfile],
    seeds: Sequence[int],
    run_dir: Path,
    *,
    executor: Executor | None = None,
    selection: dict[str, Any] | None = None,
) -> CohortReport:
    """Run every job not yet in `run_dir` and append its attempt; rerun to resume."""
    jobs = expand_jobs(problems, profiles, seeds)
    if not jobs:
        raise ConfigError("the cohort has no (problem, profile) pair", "check --problems and --profiles")
    folder = CohortFolder(run_dir)
    with folder:
        _refuse_other_config(folder, cohort_config(seeds), selection or {})
        done = folder.recover().done
        todo = [job for job in jobs if job.id not in done]
        errors = 0
        for job, outcome in (executor or SequentialExecutor()).run(todo, attempt):
            if isinstance(outcome, BaseException):
                errors += 1
                folder.append("errors", _error_line(job, outcome))
            else:
                folder.append("dialogues", outcome.model_dump_json())
        wanted = {job.id for job in jobs}
        attempts = [a for a in folder.attempts() if a.id in wanted]
    return CohortReport(run_dir, len(todo) - errors, len(jobs) - len(todo), errors, attempts)


def _refuse_other_config(folder: CohortFolder, config: dict[str, Any], selection: dict[str, Any]) -> None:
    previous = folder.read_manifest()
    if previous is not None and previous.get("config") != config:
        raise ConfigError(
            f"{folder.path} holds a cohort run with other settings", "use another --out, or the same options"
        )
    folder.write_manifest({"config": config, "selection": selection, "config_hash": config_hash(config)})


def _error_line(job: CohortJob, exc: BaseException) -> str:
    import json

    record = {"id": job.id, "problem_id": job.problem.id, "profile_id": job.profile.id, "seed": job.seed}
    return json.dumps({**record, "error": f"{type(exc).__name__}: {exc}"})
