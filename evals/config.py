"""Eval configs (YAML): tutor variants x student profiles x problem sets x seeds.

    name: default
    problems: [toy-math-pencils, toy-debug-average]   # as in generation specs: toy | all | [ids] | {...}
    profiles: [ava-adds-instead, grace-strong-all-rounder]
    seeds: [0]                                        # a list, or a count n meaning 0..n-1
    max_turns: 6                                      # N of Success@k / Telling@k
    stuck_after: 4
    models: {tutor: local, student: local}            # null: the settings' role spec
    student_policy: rules
    model_options: {max_tokens: 160}
    concurrency: 1
    variants:                                         # each: a name and tutor.agent.TutorConfig fields
      - {name: socratic, tutor: {}}
      - {name: assist, tutor: {mode: assist}}
    reference: socratic                               # the row the ablation table compares against
    judge: {enabled: false, spec: null, max_turns_per_dialogue: 2}

Each variant runs as one generation spec (`student_sim.gen_spec.GenerationSpec`) into its own run
folder, so the dialogues are made by exactly the function the generator uses, and resume the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from student_sim.gen_spec import GenerationSpec, ModelRoles, ProblemSelection
from tutor.agent import TutorConfig
from tutor.errors import ConfigError
from tutor.problems.bank import datasets_dir
from tutor.problems.schema import SLUG_PATTERN


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Variant(_Model):
    """One tutor under test: a name, its features, and optionally its own model."""

    name: str = Field(pattern=SLUG_PATTERN, description="Slug; names the variant's folder and table row.")
    description: str = ""
    tutor: dict[str, Any] = Field(default_factory=dict, description="tutor.agent.TutorConfig fields.")
    model: str | None = Field(default=None, description="Tutor model spec for this variant (null: the config's).")
    model_options: dict[str, Any] = Field(default_factory=dict, description="Overrides of the config's options.")

    @field_validator("tutor")
    @classmethod
    def _valid_tutor_config(cls, value: dict[str, Any]) -> dict[str, Any]:
        TutorConfig(**value)  # fail at load time, naming the field, not halfway through a run
        return value


class JudgeConfig(_Model):
    """The LLM judge on tutor turns (MRBench dimensions). Off by default: it costs a call per turn."""

    enabled: bool = False
    spec: str | None = Field(default=None, description="Judge model spec (null: the settings' `roles.judge`).")
    max_turns_per_dialogue: int | None = Field(
        default=2, ge=1, description="Judge at most this many tutor turns per dialogue (null: all)."
    )


class BootstrapConfig(_Model):
    samples: int = Field(default=2000, ge=100, le=100_000)
    seed: int = 0


class EvalConfig(_Model):
    """An eval run: every variant on the same problems x profiles x seeds."""

    name: str = Field(default="eval", pattern=SLUG_PATTERN)
    description: str = ""
    problems: ProblemSelection = Field(default_factory=lambda: ProblemSelection(toy=True))
    profiles: list[str] | Literal["all"] = "all"
    profile_paths: list[str] = Field(default_factory=list)
    seeds: list[int] = Field(default_factory=lambda: [0])
    max_turns: int = Field(default=6, ge=1, le=200)
    stuck_after: int = Field(default=4, ge=1)
    models: ModelRoles = Field(default_factory=ModelRoles)
    model_options: dict[str, Any] = Field(default_factory=dict)
    student_policy: Literal["rules", "llm"] = "rules"
    concurrency: int = Field(default=1, ge=1, le=256)
    variants: list[Variant] = Field(min_length=1)
    reference: str | None = Field(default=None, description="Variant the ablation table compares to (default: first).")
    judge: JudgeConfig = Field(default_factory=JudgeConfig)
    bootstrap: BootstrapConfig = Field(default_factory=BootstrapConfig)
    examples_per_variant: int = Field(default=3, ge=0, le=50)

    @field_validator("problems", mode="before")
    @classmethod
    def _problems_shorthand(cls, value: Any) -> Any:
        # The same shorthands as generation specs: `toy`, `all`, or a list of ids.
        return (
            {"toy": True}
            if value == "toy"
            else {"all": True}
            if value == "all"
            else ({"ids": value} if isinstance(value, list) else value)
        )

    @field_validator("seeds", mode="before")
    @classmethod
    def _seed_count(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 1:
                raise ValueError("a seed count must be at least 1")
            return list(range(value))
        return value

    @model_validator(mode="after")
    def _names(self) -> EvalConfig:
        names = [v.name for v in self.variants]
        if len(names) != len(set(names)):
            raise ValueError(f"variant names must be unique, got {names}")
        if self.reference is not None and self.reference not in names:
            raise ValueError(f"reference {self.reference!r} is not one of the variants {names}")
        return self

    @property
    def reference_variant(self) -> str:
        return self.reference or self.variants[0].name

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise ConfigError(f"no variant {name!r} in eval {self.name!r}", f"use one of {[v.name for v in self.variants]}")

    def generation_spec(self, variant: Variant) -> GenerationSpec:
        """The generation spec that makes this variant's dialogues."""
        models = ModelRoles(tutor=variant.model or self.models.tutor, student=self.models.student)
        return GenerationSpec(
            name=f"{self.name}-{variant.name}",
            problems=self.problems,
            profiles=self.profiles,
            profile_paths=self.profile_paths,
            seeds=self.seeds,
            max_turns=self.max_turns,
            stuck_after=self.stuck_after,
            models=models,
            model_options={**self.model_options, **variant.model_options},
            student_policy=self.student_policy,
            concurrency=self.concurrency,
            tutor=dict(variant.tutor),
        )


def evals_dir() -> Path:
    """`datasets/evals/`: the bundled eval configs and the calibration fixture."""
    return datasets_dir() / "evals"


def resolve_config_path(path: str | Path) -> Path:
    """A config path as given, else the bundled config of that name (`default`: the bundled default.yaml)."""
    given = Path(path)
    if given.exists():
        return given
    bundled = evals_dir() / (given.name if given.suffix else f"{given.name}.yaml")
    if bundled.exists():
        return bundled
    raise ConfigError(f"eval config {path} not found", f"give a YAML file, or one of {bundled_configs()}")


def bundled_configs() -> list[str]:
    return sorted(p.stem for p in evals_dir().glob("*.yaml"))


def load_config(path: str | Path) -> EvalConfig:
    """Read an eval config; errors name the file and the field."""
    path = resolve_config_path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read eval config {path}: {exc}") from None
    return parse_config(data, str(path))


def parse_config(data: Any, where: str = "(eval config)") -> EvalConfig:
    """Validate config data (e.g. from a run's manifest)."""
    try:
        return EvalConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "(the config)"
        raise ConfigError(f"{where}: field `{field}`: {first['msg']}", "see datasets/evals/default.yaml") from None


__all__ = [
    "BootstrapConfig",
    "EvalConfig",
    "JudgeConfig",
    "Variant",
    "bundled_configs",
    "evals_dir",
    "load_config",
    "parse_config",
    "resolve_config_path",
]
