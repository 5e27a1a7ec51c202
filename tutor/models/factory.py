"""The one model seam: a spec string -> a LangChain chat model.

Every caller (tutor, simulated student, judge, hint writer) goes through `get_chat_model`, so streaming,
`with_structured_output`, batching, retries and fallbacks work the same for every backend. Nothing is
loaded until the model is first called.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from tutor.errors import ConfigError, ModelUnavailableError
from tutor.models.spec import ModelSpec, parse_spec
from tutor.settings import ModelOptions, Settings, default_cache_dir

# LangChain providers we know the integration package of, for a helpful "install X" message.
_PROVIDER_PACKAGES = {
    "anthropic": "langchain-anthropic",
    "ollama": "langchain-ollama",
    "google_genai": "langchain-google-genai",
    "google_vertexai": "langchain-google-vertexai",
    "mistralai": "langchain-mistralai",
    "groq": "langchain-groq",
    "fireworks": "langchain-fireworks",
    "together": "langchain-together",
    "huggingface": "langchain-huggingface",
    "bedrock": "langchain-aws",
    "azure_openai": "langchain-openai",
    "deepseek": "langchain-deepseek",
    "xai": "langchain-xai",
}


def get_chat_model(
    spec: str, options: ModelOptions | None = None, *, cache_dir: Path | None = None, **overrides: Any
) -> BaseChatModel:
    """Build the chat model a spec names.

    Args:
        spec: `local`, `gguf:PATH`, `hf:REPO_OR_DIR`, `openai:MODEL[?base_url=URL]`, `scripted:PATH`, or any
            `provider:model` LangChain's `init_chat_model` accepts.
        options: shared options (max_tokens, temperature, timeouts...); defaults from `ModelOptions()`.
        cache_dir: where the bundled model is assembled (default: the user cache directory).
        **overrides: backend keyword options that win over `options` and the spec's query options.

    Raises:
        ConfigError: the spec cannot be parsed.
        ModelUnavailableError: the backend package, file or model is missing.
    """
    parsed = parse_spec(spec)
    opts = options or ModelOptions()
    extra = {**parsed.options, **overrides}
    if parsed.kind in ("local", "gguf"):
        return _llamacpp(parsed, opts, cache_dir, extra)
    if parsed.kind == "openai":
        from tutor.models.remote import build_openai

        kwargs: dict[str, Any] = {
            "max_tokens": opts.max_tokens,
            "temperature": opts.temperature,
            "timeout": opts.timeout_s,
            "max_retries": opts.max_retries,
            "base_url": opts.base_url,
        }
        if opts.seed is not None:
            kwargs["seed"] = opts.seed
        kwargs.update(extra)
        return build_openai(parsed.target, kwargs)
    if parsed.kind == "hf":
        from tutor.models.hf import HFChatModel

        return HFChatModel(
            target=parsed.target,
            max_tokens=extra.pop("max_tokens", opts.max_tokens),
            temperature=extra.pop("temperature", opts.temperature),
            max_retries=opts.max_retries,
            **extra,
        )
    if parsed.kind == "scripted":
        from tutor.models.scripted import load_script

        return load_script(parsed.target)
    return _init_chat_model(parsed, opts, extra)


def _llamacpp(parsed: ModelSpec, opts: ModelOptions, cache_dir: Path | None, extra: dict[str, Any]) -> BaseChatModel:
    from tutor.models.llamacpp import LlamaCppChatModel
    from tutor.models.prompt_states import StateBudget

    if parsed.kind == "local":
        from tutor.models import bundled

        path = bundled.ensure_bundled_model(cache_dir or default_cache_dir())
        name = "local"
    else:
        path = Path(parsed.target).expanduser()
        if not path.is_file():
            raise ModelUnavailableError(f"GGUF file not found: {path}", "check the path after 'gguf:'")
        name = path.name
    kwargs: dict[str, Any] = {
        "model_path": str(path),
        "model_name": name,
        "n_ctx": opts.n_ctx,
        "n_threads": opts.n_threads,
        "n_gpu_layers": opts.n_gpu_layers,
        "max_tokens": opts.max_tokens,
        "temperature": opts.temperature,
        "seed": opts.seed,
        "max_retries": opts.max_retries,
        "prompt_states": StateBudget(
            memory_bytes=opts.prompt_states_memory_mb * 2**20, disk_bytes=opts.prompt_states_disk_mb * 2**20
        ),
        "prompt_states_dir": (cache_dir or default_cache_dir()) / "prompt-states",
        "kv_cache_type": opts.kv_cache_type,
    }
    kwargs.update(extra)
    return LlamaCppChatModel(**kwargs)


def _init_chat_model(parsed: ModelSpec, opts: ModelOptions, extra: dict[str, Any]) -> BaseChatModel:
    from langchain.chat_models import init_chat_model

    package = _PROVIDER_PACKAGES.get(parsed.kind)
    if package:
        module = package.replace("-", "_")
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ModelUnavailableError(
                f"model provider '{parsed.kind}' needs the package {package}", f"pip install {package}"
            ) from exc
    kwargs: dict[str, Any] = {
        "max_tokens": opts.max_tokens,
        "temperature": opts.temperature,
        "timeout": opts.timeout_s,
        "max_retries": opts.max_retries,
    }
    kwargs.update(extra)
    try:
        return init_chat_model(parsed.target, model_provider=parsed.kind, **kwargs)
    except ImportError as exc:
        raise ModelUnavailableError(
            f"model provider '{parsed.kind}' is not installed: {exc}", "install its langchain-<provider> package"
        ) from exc
    except ValueError as exc:
        raise ConfigError(
            f"unknown model spec kind '{parsed.kind}': {str(exc).splitlines()[0]}",
            "use local, gguf:PATH, hf:REPO, openai:MODEL, scripted:PATH or a LangChain provider",
        ) from exc


def model_for_role(settings: Settings, role: str, **overrides: Any) -> BaseChatModel:
    """The chat model that plays `role` (tutor, student, judge, hint) in these settings."""
    return get_chat_model(settings.spec_for(role), settings.model, cache_dir=settings.cache_dir, **overrides)  # type: ignore[arg-type]
