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

An eval config is a generation spec (`student_sim.gen_spec.GenerationSpec`: the same fields, shorthands and
checks, with eval defaults) plus its variants. Its own `tutor:` (optional) is what every variant starts from;
a variant's `tutor:` fields go over it. Each variant runs as one generation spec into its own run folder, so
the dialogues are made by exactly the function the generator uses, and resume the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from student_sim.gen_spec import GenerationSpec, GivenTutorConfig, ModelRoles, merged
from tutor.agent import TutorConfig
from tutor.errors import ConfigError
from tutor.files import load_model, validate_as
from tutor.problems.bank import datasets_dir
from tutor.problems.schema import SLUG_PATTERN

_HINT = "see datasets/evals/default.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Variant(_Model):
    """One tutor under test: a name, its features, and optionally its own model."""

    name: str = Field(pattern=SLUG_PATTERN, description="Slug; names the variant's folder and table row.")
    description: str = ""
    tutor: GivenTutorConfig = Field(
        default_factory=TutorConfig, description="tutor.agent.TutorConfig fields, over the config's `tutor`."
    )
    model: str | None = Field(default=None, description="Tutor model spec for this variant (null: the config's).")
    model_options: dict[str, Any] = Field(default_factory=dict, description="Overrides of the config's options.")


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


# The fields of an eval config when its runs were first stored (see EvalConfig's serializer).
_FIELDS_OF_STORED_RUNS = frozenset(
    {
        "name",
        "description",
        "problems",
        "profiles",
        "profile_paths",
        "seeds",
        "max_turns",
        "stuck_after",
        "models",
        "model_options",
        "student_policy",
        "concurrency",
        "variants",
        "reference",
        "judge",
        "bootstrap",
        "examples_per_variant",
    }
)


class EvalConfig(GenerationSpec):
    """An eval run: every variant on the same problems x profiles x seeds (a generation spec per variant)."""

    name: str = Field(default="eval", pattern=SLUG_PATTERN)
    description: str = ""
    max_turns: int = Field(default=6, ge=1, le=200, description="N of Success@k / Telling@k.")
    stuck_after: int = Field(default=4, ge=1)
    variants: list[Variant] = Field(min_length=1)
    reference: str | None = Field(default=None, description="Variant the ablation table compares to (default: first).")
    judge: JudgeConfig = Field(default_factory=JudgeConfig)
    bootstrap: BootstrapConfig = Field(default_factory=BootstrapConfig)
    examples_per_variant: int = Field(default=3, ge=0, le=50)

    @model_serializer(mode="wrap")
    def _without_unset_new_fields(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # The dump is what a run's manifest stores and hashes, and a folder resumes only under the same hash:
        # a field added since runs were first stored (the shared `tutor:`, anything new in GenerationSpec)
        # appears only when the config gives it, so runs made before it keep resuming.
        data: dict[str, Any] = handler(self)
        for name in set(data) - _FIELDS_OF_STORED_RUNS - self.model_fields_set:
            del data[name]
        return data

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
        shared = {name: getattr(self, name) for name in GenerationSpec.model_fields}
        return GenerationSpec.model_validate(
            {
                **shared,
                "name": f"{self.name}-{variant.name}",
                "models": ModelRoles(tutor=variant.model or self.models.tutor, student=self.models.student),
                "model_options": {**self.model_options, **variant.model_options},
                "tutor": merged(self.tutor, variant.tutor),
            }
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
    return load_model(EvalConfig, resolve_config_path(path), what="eval config", hint=_HINT)


def parse_config(data: Any, where: str = "(eval config)") -> EvalConfig:
    """Validate config data (e.g. from a run's manifest)."""
    return validate_as(EvalConfig, data, where, whole="(the config)", error=ConfigError, hint=_HINT)


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
