"""Generation specs (YAML) and the jobs they expand to.

    name: default
    problems: toy                    # `toy`, `all`, a list of ids, or {ids, domains, toy, limit, extra_paths}
    profiles: [ava-adds-instead, grace-strong-all-rounder]   # or `all`
    profile_paths: []                # extra profile folders, YAML files or MathDial `.profiles.jsonl`
    seeds: [0]                       # a list, or a count n meaning 0..n-1
    max_turns: 10
    stuck_after: 6
    models: {tutor: local, student: local}    # null: the settings' role spec
    model_options: {max_tokens: 160}          # tutor.settings.ModelOptions fields
    student_policy: rules            # rules | llm
    concurrency: 1
    servers: []                      # OpenAI-compatible base URLs to spread jobs over (one per node)
    max_in_flight_per_server: 4
    tutor: {}                        # tutor.agent.TutorConfig fields

Every job is (problem, profile, seed) under one config; its id hashes those and the config hash, so the
same spec run twice gives the same ids (which is how a run resumes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

from student_sim.dialogue import SCHEMA_VERSION
from student_sim.profiles import StudentProfile, from_seed, get_profile, load_profile_file, load_profiles
from student_sim.provenance import config_hash, job_id
from tutor.agent import TutorConfig
from tutor.errors import ConfigError, InputDataError
from tutor.files import load_model
from tutor.problems.bank import ProblemBank
from tutor.problems.labelled import StudentProfileSeed, read_labelled_jsonl
from tutor.problems.schema import AnyProblem, Domain


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemSelection(_Model):
    """Which problems: ids, and/or every problem of some domains; the toy set; extra files."""

    ids: list[str] = Field(default_factory=list)
    domains: list[Domain] = Field(default_factory=list)
    toy: bool = Field(default=False, description="Only the toy set (datasets/toy/).")
    all: bool = Field(default=False, description="Every problem of the bank (and extra files).")
    limit: int | None = Field(default=None, ge=1, description="At most this many problems (after sorting by id).")
    extra_paths: list[str] = Field(default_factory=list, description="Extra problem files or folders.")


class ModelRoles(_Model):
    tutor: str | None = Field(default=None, description="Tutor model spec (null: settings `roles.tutor`).")
    student: str | None = Field(default=None, description="Student model spec for the llm policy.")


def given_fields(config: TutorConfig) -> dict[str, Any]:
    return config.model_dump(mode="json", exclude_unset=True)


# A tutor config written back as the fields the file gave, not every default: manifests read as the spec was
# written, and a spec's config hash (hence its job ids and resuming) does not move when a default is added.
GivenTutorConfig = Annotated[TutorConfig, PlainSerializer(given_fields, return_type=dict[str, Any])]


def merged(base: TutorConfig, override: TutorConfig) -> TutorConfig:
    """`override`'s given fields over `base`'s (both stay sparse: only given fields are set)."""
    return TutorConfig.model_validate({**given_fields(base), **given_fields(override)})


class GenerationSpec(_Model):
    """A generation run: problems x profiles x seeds under one tutor/student configuration."""

    name: str = "generation"
    problems: ProblemSelection = Field(default_factory=lambda: ProblemSelection(toy=True))
    profiles: list[str] | Literal["all"] = "all"
    profile_paths: list[str] = Field(default_factory=list)
    seeds: list[int] = Field(default_factory=lambda: [0])
    max_turns: int = Field(default=12, ge=1, le=200)
    stuck_after: int = Field(default=6, ge=1)
    models: ModelRoles = Field(default_factory=ModelRoles)
    model_options: dict[str, Any] = Field(default_factory=dict)
    student_policy: Literal["rules", "llm"] = "rules"
    concurrency: int = Field(default=1, ge=1, le=256)
    # Where jobs run, not what they are: left out of the config hash, so adding a server keeps the job ids.
    servers: list[str] = Field(
        default_factory=list, description="OpenAI-compatible base URLs the jobs spread over (openai: models)."
    )
    max_in_flight_per_server: int = Field(default=4, ge=1, le=256)
    tutor: GivenTutorConfig = Field(default_factory=TutorConfig, description="tutor.agent.TutorConfig fields.")

    @field_validator("problems", mode="before")
    @classmethod
    def _problems_shorthand(cls, value: Any) -> Any:
        if value == "toy":
            return {"toy": True}
        if value == "all":
            return {"all": True}
        if isinstance(value, list):
            return {"ids": value}
        return value

    @field_validator("seeds", mode="before")
    @classmethod
    def _seed_count(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 1:
                raise ValueError("a seed count must be at least 1")
            return list(range(value))
        return value

    def config(self, tutor_spec: str, student_spec: str | None) -> dict[str, Any]:
        """What makes a dialogue what it is, besides its problem, profile and seed (hashed into job ids)."""
        return {
            "tutor_model": tutor_spec,
            "student_model": student_spec if self.student_policy == "llm" else None,
            "student_policy": self.student_policy,
            "max_turns": self.max_turns,
            "stuck_after": self.stuck_after,
            "tutor": dict(sorted(given_fields(self.tutor).items())),
            "model_options": dict(sorted(self.model_options.items())),
            "schema_version": SCHEMA_VERSION,
        }


def load_spec(path: str | Path) -> GenerationSpec:
    """Read a spec file; errors name the file and the field."""
    return load_model(GenerationSpec, path, what="generation spec", hint="see datasets/generation/default.yaml")


@dataclass(frozen=True)
class Job:
    """One dialogue to generate."""

    id: str
    problem: AnyProblem
    profile: StudentProfile
    seed: int


def select_problems(selection: ProblemSelection) -> list[AnyProblem]:
    """The problems a selection names, sorted by id (ids keep their given order)."""
    bank = ProblemBank.load(selection.extra_paths, include_bank=not selection.toy, include_toy=True)
    if selection.ids:
        chosen = [bank.get(pid) for pid in selection.ids]
    elif selection.toy:
        chosen = [p for p in bank if p.id.startswith("toy-")]
    elif selection.domains or selection.all:
        chosen = [p for p in bank if not p.id.startswith("toy-") and (selection.all or p.domain in selection.domains)]
    else:
        raise ConfigError("the spec selects no problems", "give problems: toy | all | [ids] | {domains: [...]}")
    if selection.domains and selection.ids:
        chosen = [p for p in chosen if p.domain in selection.domains]
    return chosen[: selection.limit] if selection.limit else chosen


def select_profiles(spec: GenerationSpec) -> list[StudentProfile]:
    """The profiles a spec names: from the library and from `profile_paths`."""
    pool = list(load_profiles())
    for raw in spec.profile_paths:
        path = Path(raw)
        if path.is_dir():
            pool += load_profiles(path)
        elif path.suffix == ".jsonl":
            pool += [from_seed(r) for r in read_labelled_jsonl(path) if isinstance(r, StudentProfileSeed)]
        elif path.is_file():
            pool.append(load_profile_file(path))
        else:
            raise InputDataError(f"{path}: no such profile file or folder")
    if spec.profiles == "all":
        return pool
    return [get_profile(pid, pool) for pid in spec.profiles]


def expand_jobs(spec: GenerationSpec, cfg_hash: str) -> list[Job]:
    """problems x profiles x seeds, in a stable order, each with its stable id."""
    problems = select_problems(spec.problems)
    profiles = select_profiles(spec)
    jobs = [
        Job(job_id(problem.id, profile.id, seed, cfg_hash), problem, profile, seed)
        for problem in problems
        for profile in profiles
        for seed in spec.seeds
    ]
    if len({j.id for j in jobs}) != len(jobs):
        raise ConfigError("the spec names a problem, profile or seed twice", "remove the duplicates")
    return jobs


__all__ = [
    "GenerationSpec",
    "Job",
    "config_hash",
    "expand_jobs",
    "load_spec",
    "select_problems",
    "select_profiles",
]
