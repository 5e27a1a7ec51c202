"""Serve a local spec as an OpenAI-compatible HTTP server, using llama-cpp-python's own server."""

from __future__ import annotations

from pathlib import Path

from tutor.errors import ConfigError, ModelUnavailableError
from tutor.models.spec import parse_spec
from tutor.settings import Settings


def server_app(spec: str, settings: Settings, alias: str | None = None):  # type: ignore[no-untyped-def]
    """Build the ASGI app for `spec` (local or gguf:PATH)."""
    from tutor.models import bundled

    parsed = parse_spec(spec)
    if parsed.kind == "local":
        path = bundled.ensure_bundled_model(settings.cache_dir)
    elif parsed.kind == "gguf":
        path = Path(parsed.target)
    else:
        raise ConfigError(f"serve-model serves local specs only, not '{spec}'", "use 'local' or 'gguf:PATH'")
    try:
        from llama_cpp.server.app import create_app
        from llama_cpp.server.settings import ModelSettings, ServerSettings
    except ImportError as exc:
        raise ModelUnavailableError(
            "llama-cpp-python's server extra is missing", "pip install 'llama-cpp-python[server]==0.3.36'"
        ) from exc
    model_settings = ModelSettings(
        model=str(path),
        model_alias=alias or spec,
        n_ctx=settings.model.n_ctx,
        n_threads=settings.model.n_threads or ModelSettings.model_fields["n_threads"].default,
        n_gpu_layers=settings.model.n_gpu_layers,
        verbose=False,
    )
    # interrupt_requests=False: a second client waits its turn instead of cutting off the first reply.
    return create_app(server_settings=ServerSettings(interrupt_requests=False), model_settings=[model_settings])


def serve(spec: str, settings: Settings, host: str, port: int, alias: str | None = None) -> None:
    import uvicorn

    app = server_app(spec, settings, alias)
    print(f"serving {spec} at http://{host}:{port}/v1 (OpenAI-compatible); Ctrl-C to stop", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
