"""Provenance helpers: package versions, the machine, canonical config hashing, stable job ids."""

from __future__ import annotations

import hashlib
import json
import os
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


def _first_line_value(path: str, prefix: str) -> str | None:
    """The value of the first `prefix: value` line of a /proc file (None where there is no such file)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return next((line.split(":", 1)[1].strip() for line in fh if line.startswith(prefix)), None)
    except OSError:
        return None


def machine() -> dict[str, Any]:
    """The machine something ran on, for reading its timings: CPU, cores, memory, Python, load average."""
    memory_kib = _first_line_value("/proc/meminfo", "MemTotal")
    return {
        "cpu": _first_line_value("/proc/cpuinfo", "model name") or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory_kib.split()[0]) / 1024 / 1024, 1) if memory_kib else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


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
