"""llama.cpp backend (`local`, `gguf:PATH`) as a LangChain chat model.

Why our own class rather than a community wrapper: we need (1) one loaded engine shared by every model
object that points at the same file, behind a lock, so two browser users cannot interleave tokens or crash
the engine; (2) JSON-schema constrained decoding for structured output; (3) typed errors.

llama.cpp keeps the KV cache of the last evaluated prompt and reuses its longest common prefix on the next
call, so turn N of a conversation only processes the new tokens. With several students on one engine the
last prompt is usually someone else's: `tutor.models.prompt_states` saves each call's state and restores the
best one before the next call, so a switch of student costs a restore (~0.03 s), not a re-read.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from langchain_core.messages import BaseMessage
from pydantic import BaseModel, ConfigDict, Field

from tutor.errors import ModelBackendError, ModelUnavailableError
from tutor.models.engine import Completion, EngineChatModel, Part, usage
from tutor.models.messages import to_openai_messages
from tutor.models.prompt_states import PromptStates, StateBudget
from tutor.models.structured import json_schema_of

log = logging.getLogger(__name__)


@dataclass
class _Engine:
    llm: Any
    lock: threading.Lock
    load_s: float
    states: PromptStates | None = None


_engines: dict[tuple[str, int, int, int, str], _Engine] = {}
_engines_lock = threading.Lock()


@functools.cache
def _state_keeping_llama() -> type:
    """`Llama` whose every generation first restores the best saved prompt state and saves its own after."""
    from llama_cpp import Llama

    class StateKeepingLlama(Llama):  # type: ignore[misc]
        prompt_states: PromptStates | None = None

        def generate(self, tokens: Any, *args: Any, **kwargs: Any) -> Generator[int, Any, None]:
            states = self.prompt_states
            if states is not None and kwargs.get("reset", True):
                states.restore(self, list(tokens))
            try:
                yield from super().generate(tokens, *args, **kwargs)
            finally:  # also when the caller stops early at a stop word: the state is complete
                if states is not None:
                    states.save(self)

    return StateKeepingLlama


def kv_cache_args(kv_cache_type: str) -> dict[str, Any]:
    """llama.cpp arguments for the KV cache's number type (a quantized V cache needs flash attention)."""
    if kv_cache_type == "f16":
        return {}
    import llama_cpp

    kind = {"q8_0": llama_cpp.GGML_TYPE_Q8_0}[kv_cache_type]
    return {"type_k": kind, "type_v": kind, "flash_attn": True}


def state_keeping(llm: Any, budget: StateBudget, folder: Path | None) -> PromptStates | None:
    """Make a loaded `Llama` keep prompt states under `budget` (None: the budget is zero)."""
    if budget.memory_bytes <= 0 and budget.disk_bytes <= 0:
        return None
    if not hasattr(llm, "prompt_states"):  # a plain Llama (llama-cpp-python's server builds its own)
        llm.__class__ = _state_keeping_llama()
    llm.prompt_states = PromptStates(budget, folder)
    return llm.prompt_states


def load_engine(
    path: str,
    n_ctx: int,
    n_threads: int | None,
    n_gpu_layers: int,
    states: StateBudget | None = None,
    states_dir: Path | None = None,
    kv_cache_type: str = "f16",
) -> _Engine:
    """Load (once per process) the llama.cpp engine for a GGUF file; a process-wide cache like lru_cache.

    `states` is the prompt-state budget (None: keep only llama.cpp's last prompt); the first load decides.
    """
    threads = n_threads or os.cpu_count() or 2
    key = (str(Path(path).resolve()), n_ctx, threads, n_gpu_layers, kv_cache_type)
    with _engines_lock:
        if key in _engines:
            return _engines[key]
        try:
            llama_class = _state_keeping_llama()
        except ImportError as exc:
            raise ModelUnavailableError(
                "llama-cpp-python is not installed", "pip install 'llama-cpp-python==0.3.36'"
            ) from exc
        if not Path(path).is_file():
            raise ModelUnavailableError(f"GGUF file not found: {path}", "check the path in the model spec")
        start = time.perf_counter()
        try:
            llm = llama_class(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                n_gpu_layers=n_gpu_layers,
                # On a CPU llama.cpp repacks the weights into its own buffers as it loads; a mapped file
                # would stay resident beside them (measured: 1.97 GB RSS mapped, 1.38 GB read).
                use_mmap=n_gpu_layers != 0,
                **kv_cache_args(kv_cache_type),
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelUnavailableError(
                f"cannot load GGUF model {path}: {exc}", "the file may be corrupt or not a GGUF model"
            ) from exc
        # Not LlamaRAMCache: measured here, every state it saved grew the process by ~70 MB (the copies of
        # the logits buffer are not counted against its capacity). PromptStates keeps the KV cache only.
        kept = state_keeping(llm, states, states_dir) if states is not None else None
        engine = _Engine(llm=llm, lock=threading.Lock(), load_s=time.perf_counter() - start, states=kept)
        _engines[key] = engine
        return engine


class LlamaCppChatModel(EngineChatModel):
    """A chat model over a local GGUF file run by llama.cpp."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    model_name: str = "gguf"
    n_ctx: int = 8192
    n_threads: int | None = None
    n_gpu_layers: int = 0
    max_tokens: int = Field(384, ge=1)
    temperature: float = 0.3
    seed: int | None = None
    prompt_states: StateBudget | None = Field(default_factory=StateBudget)
    prompt_states_dir: Path | None = None
    kv_cache_type: Literal["f16", "q8_0"] = "f16"

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "temperature": self.temperature}

    def engine(self) -> _Engine:
        return load_engine(
            self.model_path,
            self.n_ctx,
            self.n_threads,
            self.n_gpu_layers,
            self.prompt_states,
            self.prompt_states_dir,
            self.kv_cache_type,
        )

    def prefill(self, messages: list[BaseMessage]) -> float:
        """Process `messages` now (one generated token) so that a later call starting with them finds
        their state saved; returns the seconds it took. Used when a session opens, while the student reads."""
        start = time.perf_counter()
        with self.engine().lock:
            self._call_engine(messages, {"max_tokens": 1, "temperature": 0.0}, stream=False)
        return time.perf_counter() - start

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "max_tokens": min(int(kwargs.pop("max_tokens", self.max_tokens)), self.n_ctx),
            "temperature": kwargs.pop("temperature", self.temperature),
            "stop": stop or kwargs.pop("stop", None),
        }
        seed = kwargs.pop("seed", self.seed)
        if seed is not None:
            params["seed"] = seed
        if "response_format" in kwargs:
            params["response_format"] = kwargs.pop("response_format")
        return params

    def _call_engine(self, messages: list[BaseMessage], params: dict[str, Any], stream: bool) -> Any:
        try:
            return self.engine().llm.create_chat_completion(
                messages=to_openai_messages(messages), stream=stream, **params
            )
        except ValueError as exc:  # llama.cpp reports context overflow as ValueError
            raise ModelBackendError(
                f"the local model cannot process this request: {exc}",
                f"the conversation may exceed the context window (n_ctx={self.n_ctx}); shorten it or raise model.n_ctx",
            ) from exc
        except RuntimeError as exc:
            raise ModelBackendError(f"the local model failed: {exc}") from exc

    def _engine_lock(self) -> threading.Lock:
        return self.engine().lock

    def _metadata_model_name(self) -> str:
        return self.model_name

    def _complete(self, messages: list[BaseMessage], stop: list[str] | None, options: dict[str, Any]) -> Completion:
        out = self._call_engine(messages, self._params(stop, options), stream=False)
        choice = out["choices"][0]
        used = out.get("usage") or {}
        return Completion(
            text=choice["message"].get("content") or "",
            finish_reason=choice.get("finish_reason"),
            usage=usage(used.get("prompt_tokens", 0), used.get("completion_tokens", 0), used.get("total_tokens", 0)),
        )

    def _parts(self, messages: list[BaseMessage], stop: list[str] | None, options: dict[str, Any]) -> Iterator[Part]:
        # llama.cpp counts tokens only for a whole completion: a streamed reply has no usage.
        for chunk in self._call_engine(messages, self._params(stop, options), stream=True):
            choice = chunk["choices"][0]
            yield Part(choice.get("delta", {}).get("content") or "", choice.get("finish_reason"))

    def _structured_call(self, schema: type[BaseModel] | dict[str, Any]) -> Callable[[Any], BaseMessage]:
        """Constrain decoding to the JSON schema (a llama.cpp grammar); the caller validates with pydantic."""
        return self.bind(response_format={"type": "json_object", "schema": json_schema_of(schema)}).invoke
