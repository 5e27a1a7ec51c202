"""Provenance helpers: package versions, canonical config hashing, stable job ids."""

from __future__ import annotations

import hashlib
import json
import platform
from functools import lru_cache
from importlib import metadata
from typing import Any

from student_sim.dialogue import SCHEMA_VERSION, Versions


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not-installed"


@lru_cache(maxsize=1)
def versions() -> Versions:
    """Versions of what made a dialogue: this package, Python, LangChain core, llama.cpp bindings."""
    return Versions(
        package=_version("socratic-tutor"),
        python=platform.python_version(),
        langchain_core=_version("langchain-core"),
        llama_cpp=_version("llama-cpp-python"),
        schema_version=SCHEMA_VERSION,
    )


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no spaces: equal data, equal text, equal hash."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def config_hash(config: dict[str, Any]) -> str:
    """A short hash of a config mapping (16 hex digits of sha256 over its canonical JSON)."""
    return hashlib.sha256(canonical_json(config).encode("utf-8")).hexdigest()[:16]


def job_id(problem_id: str, profile_id: str, seed: int, cfg_hash: str) -> str:
    """The stable id of one dialogue job: same inputs, same id, across runs and machines."""
    key = f"{problem_id}\x1f{profile_id}\x1f{seed}\x1f{cfg_hash}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
