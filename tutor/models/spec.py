"""Model spec strings: one string names a model for any role.

Grammar: ``KIND[:TARGET][?key=value&...]``

- ``local``                 the bundled default model (llama.cpp, CPU)
- ``gguf:PATH``             any GGUF file, same engine
- ``hf:REPO_OR_DIR``        Hugging Face transformers (GPU when available); ``?gguf_file=NAME`` for GGUF
- ``openai:MODEL``          OpenAI or any OpenAI-compatible server (``?base_url=http://host:port/v1``)
- ``scripted:PATH``         a scripted model replaying replies from a YAML/JSON file (for demos and tests)
- ``PROVIDER:MODEL``        anything LangChain's ``init_chat_model`` knows (anthropic, ollama, ...)

Query options become keyword options of the backend (numbers and booleans are parsed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tutor.errors import ConfigError

BUILTIN_KINDS = ("local", "gguf", "hf", "openai", "scripted")


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model spec."""

    kind: str
    target: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        text = self.kind if not self.target else f"{self.kind}:{self.target}"
        if self.options:
            text += "?" + "&".join(f"{k}={v}" for k, v in self.options.items())
        return text


def _coerce(value: str) -> Any:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def parse_spec(spec: str) -> ModelSpec:
    """Parse a spec string; raises `ConfigError` with the accepted forms when it cannot."""
    text = (spec or "").strip()
    if not text:
        raise ConfigError("empty model spec", "use e.g. 'local', 'gguf:/path/model.gguf' or 'openai:gpt-4o-mini'")
    # '?' starts options, but a URL inside an option value may hold ':' — split on the first '?' only.
    head, _, query = text.partition("?")
    options = {k: _coerce(v) for k, v in parse_qsl(query, keep_blank_values=True)} if query else {}
    kind, sep, target = head.partition(":")
    kind = kind.strip().lower()
    target = target.strip()
    if not kind.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(
            f"model spec '{spec}' has an invalid kind '{kind}'", "write KIND:TARGET, e.g. 'openai:gpt-4o-mini'"
        )
    if kind == "local":
        if target:
            raise ConfigError(f"model spec '{spec}': 'local' takes no target", "use 'local' or 'gguf:PATH'")
    elif not sep or not target:
        raise ConfigError(f"model spec '{spec}' needs a target after '{kind}:'", f"e.g. '{kind}:NAME'")
    return ModelSpec(kind=kind, target=target, options=options)
