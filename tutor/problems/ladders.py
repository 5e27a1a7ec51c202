"""Validated hint ladders for debugging bugs: the file format the tutor reads.

`socratic hints generate --problems debugging` writes one JSON file per bank (`ladders.json`): per problem
and bug, the hints a simulated student validated at each level of the ladder (pointer -> conceptual ->
next step), each with the figures that accepted it. The bank attaches the files it finds under
`datasets/hints/` to its bugs (`Bug.hint_ladder`), and the tutor's debugging moves give these hints instead
of its generic templates where a level has one. The tutor only reads this format; writing it belongs to the
hint generator, so no tutor code depends on how the hints were made.

    {"schema_version": 1, "models": {"hint": "local", "student": "local"}, "config": {...},
     "ladders": {"toy-debug-average": {"b1": [{"level": "pointer", "text": "...", "n1": 0, "n2": 2,
                                                "attempts": 3, ...}]}}}
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tutor.errors import InputDataError

LADDER_SCHEMA_VERSION = 1
HintLevel = Literal["pointer", "conceptual", "next_step"]
HINT_LEVELS: tuple[HintLevel, ...] = ("pointer", "conceptual", "next_step")


class LadderHint(BaseModel):
    """One validated hint at one level of a bug's ladder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: HintLevel
    text: str = Field(min_length=1, description="What the tutor says; checked not to contain the fix.")
    n1: int = Field(ge=0, description="Simulated-student repairs that passed without this hint (earlier levels shown).")
    n2: int = Field(ge=0, description="... and with it.")
    attempts: int = Field(ge=1, description="Repair attempts made with the hint (the without arm may stop sooner).")
    attempts_without: int = Field(0, ge=0, description="Repair attempts made without it.")
    student_model: str = Field(description="Spec of the simulated student.")
    hint_model: str = Field(description="Spec of the model that wrote the hint.")


class LadderFile(BaseModel):
    """A bank's validated ladders: problem id -> bug id -> accepted hints, in ladder order."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = LADDER_SCHEMA_VERSION
    models: dict[str, str] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict, description="The generator's knobs, for provenance.")
    ladders: dict[str, dict[str, list[LadderHint]]] = Field(default_factory=dict)


def read_ladder_file(path: Path) -> LadderFile:
    """One ladder file; a malformed one is an error naming the file and field."""
    try:
        return LadderFile.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputDataError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(file)"
        raise InputDataError(f"{path}: field `{where}`: {first['msg']}") from None


def ladder_files(folder: Path) -> list[Path]:
    """The ladder files in `folder` (`*.json`), sorted; none when the folder is missing."""
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def merged_ladders(paths: Iterable[Path]) -> dict[str, dict[str, tuple[LadderHint, ...]]]:
    """problem id -> bug id -> hints, from several files (a later file's ladder for a bug replaces an earlier)."""
    merged: dict[str, dict[str, tuple[LadderHint, ...]]] = {}
    for path in paths:
        for problem_id, bugs in read_ladder_file(path).ladders.items():
            for bug_id, hints in bugs.items():
                merged.setdefault(problem_id, {})[bug_id] = tuple(hints)
    return merged
