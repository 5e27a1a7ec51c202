"""The tutor's configuration from the server's policy settings: shared by the app and the terminal tutor."""

from __future__ import annotations

from typing import Literal

from tutor.agent import TutorConfig
from tutor.models.spec import parse_spec
from tutor.settings import Settings


def tutor_config(settings: Settings, tutor_spec: str, reveal_after: int | None) -> TutorConfig:
    """The tutor's configuration from the policy settings (the app and the terminal tutor alike)."""
    policy = settings.policy
    composition = policy.composition
    if composition == "auto":
        composition = composition_for(tutor_spec, settings.model.base_url)
    return TutorConfig(
        reveal_after_failed_attempts=reveal_after,
        max_leak_regenerations=policy.max_leak_regenerations,
        max_code_repairs=policy.max_code_repairs,
        composition=composition,
    )


def composition_for(spec: str, base_url: str | None = None) -> Literal["guided", "scaffold", "free"]:
    """`policy.composition = "auto"`: the reply composition that a teacher's reading found best for the model.

    The bundled model gets `scaffold` (the scaffold's own words): read by hand, 9 of its 81 guided replies in
    bench/bench_replies.py were bad (double praise, a false area, walking a step unasked) against 0 of the same
    81 turns with the scaffold's words. Other local or self-hosted models (a GGUF file, a Hugging Face model, a
    server on a base URL) write only the guiding part; a hosted API model writes the whole reply.
    """
    parsed = parse_spec(spec)
    if parsed.kind == "local":
        return "scaffold"
    hosted = parsed.kind not in ("gguf", "hf", "scripted", "ollama")
    return "free" if hosted and not (base_url or parsed.options.get("base_url")) else "guided"
