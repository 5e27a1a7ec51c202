"""Serve a local spec as an OpenAI-compatible HTTP server, using llama-cpp-python's own server.

Two things are added to it, as in the app: the engine keeps each conversation's prompt state
(`tutor.models.prompt_states`), so clients taking turns do not make it re-read each other's conversations;
and generation requests go through a fair line (`FairLine`): served one at a time in arrival order, and a
request that waits longer than the limit gets a clear 503 with Retry-After instead of hanging.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio

from tutor.errors import ConfigError, ModelUnavailableError
from tutor.models.spec import parse_spec
from tutor.settings import Settings

GENERATION_PATHS = ("/v1/chat/completions", "/v1/completions")


class FairLine:
    """ASGI middleware: generation requests one at a time, first come first served (anyio's lock hands
    itself to the longest waiter), each waiting at most `max_wait_s`."""

    def __init__(self, app: Any, max_wait_s: float) -> None:
        self.app, self.max_wait_s = app, max_wait_s
        self._lock = anyio.Lock()
        self.waiting = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("path") not in GENERATION_PATHS:
            await self.app(scope, receive, send)
            return
        self.waiting += 1
        try:
            with anyio.move_on_after(self.max_wait_s) as waited:
                await self._lock.acquire()
        finally:
            self.waiting -= 1
        if waited.cancelled_caught:
            await _busy(send, self.max_wait_s, self.waiting)
            return
        try:
            await self.app(scope, receive, send)  # returns when the response, streamed or not, is complete
        finally:
            self._lock.release()


async def _busy(send: Any, max_wait_s: float, waiting: int) -> None:
    message = f"the model is busy: the request waited {max_wait_s:g} s behind {waiting} other(s); send it again later"
    body = json.dumps({"error": {"message": message, "type": "server_busy", "code": 503}}).encode()
    headers = [(b"content-type", b"application/json"), (b"retry-after", b"5")]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _keep_prompt_states(settings: Settings) -> None:
    """Give the server's engine the app's prompt-state store (the server builds a plain `Llama`)."""
    from llama_cpp.server import app as server

    from tutor.models.llamacpp import state_keeping
    from tutor.models.prompt_states import StateBudget

    proxy = getattr(server, "_llama_proxy", None)
    llm = getattr(proxy, "_current_model", None)
    if llm is None:  # another llama-cpp-python layout: serve without saved states rather than fail
        return
    budget = StateBudget(
        memory_bytes=settings.model.prompt_states_memory_mb * 2**20,
        disk_bytes=settings.model.prompt_states_disk_mb * 2**20,
    )
    state_keeping(llm, budget, settings.cache_dir / "prompt-states")


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
    from tutor.models.llamacpp import kv_cache_args

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
        use_mmap=settings.model.n_gpu_layers != 0,  # see tutor.models.llamacpp.load_engine
        **kv_cache_args(settings.model.kv_cache_type),
        verbose=False,
    )
    # interrupt_requests=False: a second client waits its turn instead of cutting off the first reply.
    app = create_app(server_settings=ServerSettings(interrupt_requests=False), model_settings=[model_settings])
    _keep_prompt_states(settings)
    return FairLine(app, settings.queue.max_wait_s)


def serve(spec: str, settings: Settings, host: str, port: int, alias: str | None = None) -> None:
    import uvicorn

    app = server_app(spec, settings, alias)
    print(f"serving {spec} at http://{host}:{port}/v1 (OpenAI-compatible); Ctrl-C to stop", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
