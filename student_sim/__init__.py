"""Simulated students, tutor x student dialogues, and generation of dialogue datasets at scale.

    from student_sim import StudentSimulator, get_profile, run_dialogue, generate, load_spec

Names are imported lazily, so `import student_sim` stays cheap and its modules may import each other.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "StudentProfile": "student_sim.profiles",
    "Misconception": "student_sim.profiles",
    "FalseBelief": "student_sim.profiles",
    "load_profiles": "student_sim.profiles",
    "get_profile": "student_sim.profiles",
    "from_mathdial": "student_sim.profiles",
    "from_seed": "student_sim.profiles",
    "StudentSimulator": "student_sim.student",
    "StudentState": "student_sim.state",
    "StudentTurn": "student_sim.state",
    "MessageReader": "student_sim.reading",
    "Reading": "student_sim.reading",
    "Screen": "student_sim.reading",
    "CognitiveModel": "student_sim.cognition",
    "Dialogue": "student_sim.dialogue",
    "read_dialogues": "student_sim.dialogue",
    "run_dialogue": "student_sim.runner",
    "DialogueLimits": "student_sim.runner",
    "RunInfo": "student_sim.runner",
    "GenerationSpec": "student_sim.gen_spec",
    "load_spec": "student_sim.gen_spec",
    "generate": "student_sim.generate",
    "to_openai": "student_sim.export",
    "to_sharegpt": "student_sim.export",
    "export_run": "student_sim.export",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'student_sim' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
