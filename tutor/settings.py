"""Settings: one object, read from a TOML file, then `TUTOR_*` environment variables, then CLI flags.

Secrets (API keys) are never read from the file: backends take them from the environment themselves
(`OPENAI_API_KEY` and friends). Settings are passed explicitly to whatever needs them; nothing here is
global or built at import time.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import limits
import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from tutor.errors import ConfigError, validation_problem

APP_NAME = "socratic-tutor"
Role = Literal["tutor", "student", "judge", "hint"]
ROLES: tuple[Role, ...] = ("tutor", "student", "judge", "hint")


class RoleSpecs(BaseModel):
    """Which model spec plays each role (see `tutor.models.get_chat_model` for the spec syntax)."""

    model_config = ConfigDict(extra="forbid")
    tutor: str = "local"
    student: str = "local"
    judge: str = "local"
    hint: str = "local"


class ModelOptions(BaseModel):
    """Options every backend understands; a backend ignores what does not apply to it."""

    model_config = ConfigDict(extra="forbid")
    max_tokens: int = Field(384, ge=1, le=32768, description="Upper bound on generated tokens per call.")
    temperature: float = Field(0.3, ge=0.0, le=2.0)
    timeout_s: float = Field(120.0, gt=0, description="Per-call timeout for remote backends.")
    max_retries: int = Field(2, ge=0, le=10, description="Retries with backoff on transient faults.")
    n_ctx: int = Field(8192, ge=512, description="Context window of local GGUF models.")
    n_threads: int | None = Field(None, ge=1, description="CPU threads for local models (default: all).")
    n_gpu_layers: int = Field(0, description="Layers to offload to a GPU for local GGUF models (-1: all).")
    base_url: str | None = Field(None, description="Base URL for `openai:` specs (OpenAI-compatible servers).")
    seed: int | None = None
    prompt_states_memory_mb: int = Field(
        256, ge=0, description="Local models: memory for saved prompt states (one per conversation, ~28 KB a token)."
    )
    kv_cache_type: Literal["f16", "q8_0"] = Field(
        "f16",
        description="Local models: the KV cache's number type; q8_0 halves it and each saved prompt state (measured "
        "on the bundled model: 6 of 8 greedy tutor replies identical, same speed).",
    )
    prompt_states_disk_mb: int = Field(
        2048, ge=0, description="Local models: disk for prompt states that no longer fit in memory (0: none)."
    )


class TutorPolicy(BaseModel):
    """Teacher-controlled behaviour of the tutor."""

    model_config = ConfigDict(extra="forbid")
    reveal_after_failed_attempts: int | None = Field(
        None, ge=1, description="Allow revealing the answer/fix after this many failed attempts (None: never)."
    )
    max_leak_regenerations: int = Field(2, ge=0, le=5)
    max_code_repairs: int = Field(2, ge=0, le=5)
    composition: Literal["auto", "guided", "scaffold", "free"] = Field(
        "auto",
        description="How a reply is composed: `guided` (the acknowledgement from the assessment, the model writes the "
        "guiding sentence), `scaffold` (the scaffold's own words, no model call), `free` (the model writes it all). "
        "`auto`: scaffold for the bundled model, guided for other local and self-hosted models, free for hosted "
        "API models.",
    )


SignupMode = Literal["open", "invite", "closed"]


class RateLimits(BaseModel):
    """How many of each action a moving window allows, in the `limits` notation ("5/minute", "20 per hour")."""

    model_config = ConfigDict(extra="forbid")
    failed_logins_per_name: str = "5/minute"
    failed_logins_per_client: str = "20/minute"
    signups_per_client: str = "5/hour"
    messages_per_session: str = "12/minute"

    @field_validator("*")
    @classmethod
    def _readable(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError as exc:
            raise ValueError(f"'{value}' is not a rate limit; write it like '5/minute' or '20 per hour'") from exc
        return value


class TurnQueueSettings(BaseModel):
    """How the app shares the model between students: whole turns, in arrival order."""

    model_config = ConfigDict(extra="forbid")
    concurrent_turns: int = Field(
        1, ge=1, le=64, description="Tutor turns at once (1 for the local engine; a server's parallel slots)."
    )
    max_wait_s: float = Field(180.0, gt=0, description="A turn waiting longer gives up; the message is kept.")
    prefill_on_open: bool = Field(
        True,
        description="Process a new session's prompt (system prompt, problem, opening) as it opens, in line with "
        "the turns, so the student's first turn does not wait for it (local models).",
    )


class AccessPolicy(BaseModel):
    """Who may make an account in the web app, and the abuse limits (set by whoever runs the server)."""

    model_config = ConfigDict(extra="forbid")
    signup: SignupMode = Field(
        "open",
        description="open: anyone signs up; invite: sign-up needs a class join code (the student joins that "
        "class); closed: accounts are made on the command line only.",
    )
    limits: RateLimits = RateLimits()


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME))


def config_file_path() -> Path:
    """The settings file: `$TUTOR_CONFIG`, else `./socratic.toml`, else the user config directory."""
    if env := os.environ.get("TUTOR_CONFIG"):
        return Path(env)
    local = Path("socratic.toml")
    if local.exists():
        return local
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


class _TomlFileSource(TomlConfigSettingsSource):
    """pydantic-settings' TOML source (lowest priority after defaults), with the project's errors: a file
    that is not TOML, or that holds a secret, is a `ConfigError` naming it. A missing file gives nothing."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        try:
            super().__init__(settings_cls, toml_file=path)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"settings file {path} is not valid TOML: {exc}", "fix or remove it") from exc
        for secret in ("api_key", "openai_api_key"):
            if _contains_key(self.toml_data, secret):
                raise ConfigError(
                    f"settings file {path} contains '{secret}'",
                    "secrets come only from the environment, e.g. OPENAI_API_KEY",
                )


def _contains_key(data: Any, key: str) -> bool:
    if isinstance(data, dict):
        return any(k == key or _contains_key(v, key) for k, v in data.items())
    return False


class Settings(BaseSettings):
    """All settings of the project. Build with `Settings.load()`."""

    model_config = SettingsConfigDict(env_prefix="TUTOR_", env_nested_delimiter="__", extra="forbid")

    roles: RoleSpecs = RoleSpecs()
    model: ModelOptions = ModelOptions()
    policy: TutorPolicy = TutorPolicy()
    access: AccessPolicy = AccessPolicy()
    queue: TurnQueueSettings = TurnQueueSettings()
    data_dir: Path = Field(default_factory=default_data_dir)
    cache_dir: Path = Field(default_factory=default_cache_dir)
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in data_dir.")
    problems_path: list[Path] = Field(
        default_factory=list, description="Extra problem files or folders, on top of the bundled bank."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Earlier sources win: CLI flags (init) > environment > file.
        return (init_settings, env_settings, _TomlFileSource(settings_cls, config_file_path()))

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Build settings from file, environment and `overrides` (CLI flags; None values are ignored)."""
        clean = _drop_none(overrides)
        try:
            return cls(**clean)
        except ValidationError as exc:
            raise ConfigError(
                f"invalid settings: {validation_problem(exc, '(the settings)')}",
                "check the settings file and TUTOR_* variables",
            ) from exc

    def spec_for(self, role: Role) -> str:
        """The model spec string that plays `role`."""
        return str(getattr(self.roles, role))

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'socratic.db'}"


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            v = _drop_none(v)
            if not v:
                continue
        if v is not None:
            out[k] = v
    return out
