"""What every chat model over an engine in this process (llama.cpp, transformers) shares, written once.

A backend says only what is its own: which lock guards its engine, how one call runs (`_complete`), how a
streamed call turns the engine's output into text pieces (`_parts`) and how a schema reaches the model
(`_structured_call`). This class turns those into LangChain messages with the metadata the rest of the code
reads: `response_metadata` (finish_reason, model_name, latency_s) and `usage_metadata`.

Why not derive `_generate` from `_stream` (LangChain's `generate_from_stream`): llama.cpp reports token
counts only on a whole completion, and transformers' text streamer decodes piece by piece, which need not
equal one decode of the whole reply; a whole call stays the engine's own whole call.
"""

from __future__ import annotations

import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import BaseModel

from tutor.models.structured import structured_runnable


def usage(input_tokens: int, output_tokens: int, total_tokens: int | None = None) -> UsageMetadata:
    """LangChain's usage record; the total is the engine's own when it reports one."""
    total = input_tokens + output_tokens if total_tokens is None else total_tokens
    return {"input_tokens": int(input_tokens), "output_tokens": int(output_tokens), "total_tokens": int(total)}


class Completion(NamedTuple):
    """One whole reply of an engine."""

    text: str
    finish_reason: str | None
    usage: UsageMetadata


class Part(NamedTuple):
    """One piece of a streamed reply; the finish reason (and usage, where the engine knows it) come on the
    piece where the engine reports them, possibly with empty text."""

    text: str
    finish_reason: str | None = None
    usage: UsageMetadata | None = None


class EngineChatModel(BaseChatModel):
    """A chat model whose engine runs in this process, one call at a time behind the engine's lock."""

    max_retries: int = 2

    @abstractmethod
    def _engine_lock(self) -> threading.Lock:
        """The lock held for a whole call, so that two callers never interleave on one engine."""

    @abstractmethod
    def _metadata_model_name(self) -> str:
        """The model name put in `response_metadata`."""

    @abstractmethod
    def _complete(self, messages: list[BaseMessage], stop: list[str] | None, options: dict[str, Any]) -> Completion:
        """Run one whole call (the lock is held); `options` are the call's keyword arguments, a copy."""

    @abstractmethod
    def _parts(self, messages: list[BaseMessage], stop: list[str] | None, options: dict[str, Any]) -> Iterator[Part]:
        """Run one streamed call (the lock is held while it is consumed)."""

    @abstractmethod
    def _structured_call(self, schema: type[BaseModel] | dict[str, Any]) -> Callable[[Any], BaseMessage]:
        """A call whose reply should be a JSON object matching `schema` (parsed and validated by the caller)."""

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        lock = self._engine_lock()  # before the clock starts: a first call loads the engine here
        start = time.perf_counter()
        with lock:
            done = self._complete(messages, stop, dict(kwargs))
        message = AIMessage(
            content=done.text,
            response_metadata={
                "finish_reason": done.finish_reason,
                "model_name": self._metadata_model_name(),
                "latency_s": time.perf_counter() - start,
            },
            usage_metadata=done.usage,
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        finish: str | None = None
        used: UsageMetadata | None = None
        # The lock is held for the whole stream: a second caller waits instead of interleaving tokens.
        with self._engine_lock():
            for part in self._parts(messages, stop, dict(kwargs)):
                finish, used = part.finish_reason or finish, part.usage or used
                if not part.text:
                    continue
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=part.text))
                if run_manager:
                    run_manager.on_llm_new_token(part.text, chunk=chunk)
                yield chunk
            last = AIMessageChunk(
                content="",
                response_metadata={"finish_reason": finish, "model_name": self._metadata_model_name()},
                usage_metadata=used,
            )
            yield ChatGenerationChunk(message=last)

    def with_structured_output(  # type: ignore[override]
        self, schema: type[BaseModel] | dict[str, Any], *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[Any, Any]:
        """Parse and validate the reply into `schema`, asking again up to `max_retries` times if it does not
        parse; the last failure is a `ModelOutputError`."""
        return structured_runnable(
            self._structured_call(schema), schema, retries=self.max_retries, include_raw=include_raw
        )
