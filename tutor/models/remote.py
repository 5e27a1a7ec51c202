"""OpenAI and OpenAI-compatible servers (`openai:MODEL`), with faults mapped to typed errors.

The official client already retries connection errors, 429 and 5xx with exponential backoff
(`max_retries`) and enforces `timeout`; we only translate what is left into our error hierarchy so a
caller sees one clear line instead of an HTTP stack.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from tutor.errors import ModelBackendError, ModelOutputError, ModelUnavailableError, TutorError
from tutor.models.structured import json_schema_of, schema_name, structured_runnable


def translate_error(exc: Exception, where: str) -> TutorError:
    """Map an `openai` client exception to our hierarchy."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return ModelBackendError(
            f"the model server at {where} timed out", "raise model.timeout_s or check the server load"
        )
    if isinstance(exc, openai.APIConnectionError):
        return ModelBackendError(
            f"cannot connect to the model server at {where}", "is the server running and the base URL right?"
        )
    if isinstance(exc, openai.AuthenticationError):
        return ModelUnavailableError(
            f"the model server at {where} rejected the API key", "set OPENAI_API_KEY (or the key your server expects)"
        )
    if isinstance(exc, openai.NotFoundError):
        return ModelUnavailableError(
            f"the model server at {where} does not know this model: {exc.message}", "check the model name in the spec"
        )
    if isinstance(exc, openai.RateLimitError):
        return ModelBackendError(
            f"the model server at {where} is rate limiting (HTTP 429) after retries",
            "wait, lower concurrency, or raise model.max_retries",
        )
    if isinstance(exc, openai.APIStatusError):
        return ModelBackendError(
            f"the model server at {where} answered HTTP {exc.status_code} after retries: {exc.message}"
        )
    if isinstance(exc, (ValueError, KeyError, TypeError)):  # a body that is not a chat completion
        return ModelOutputError(f"the model server at {where} returned a malformed response: {exc}")
    return ModelBackendError(f"the model call to {where} failed: {exc}")


def _is_client_error(exc: Exception) -> bool:
    import openai

    # JSON/shape errors come from a server that answered 200 with something that is not a completion.
    return isinstance(exc, (openai.OpenAIError, ValueError, KeyError, TypeError)) and not isinstance(exc, TutorError)


class OpenAIChatModel(ChatOpenAI):
    """`ChatOpenAI` whose faults surface as `TutorError`s."""

    def _where(self) -> str:
        return str(self.openai_api_base or "api.openai.com")

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Turn the client's faults inside the block into `TutorError`s (sync and async, whole and streamed)."""
        try:
            yield
        except Exception as exc:
            if _is_client_error(exc):
                raise translate_error(exc, self._where()) from exc
            raise

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        with self._translated():
            return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)

    def _stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        with self._translated():
            yield from super()._stream(messages, stop=stop, run_manager=run_manager, **kwargs)

    async def _agenerate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        with self._translated():
            return await super()._agenerate(messages, stop=stop, run_manager=run_manager, **kwargs)

    async def _astream(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        with self._translated():
            async for chunk in super()._astream(messages, stop=stop, run_manager=run_manager, **kwargs):
                yield chunk

    def with_structured_output(  # type: ignore[override]
        self,
        schema: type[BaseModel] | dict[str, Any],
        *,
        include_raw: bool = False,
        method: str | None = None,
        **kwargs: Any,
    ) -> Runnable[Any, Any]:
        """Ask the server for JSON matching the schema, then validate it ourselves.

        Methods: `json_schema` (OpenAI's strict mode; the default for api.openai.com), `function_calling`
        (a forced tool call; the default with a base URL, because OpenAI-compatible servers such as
        llama.cpp, vLLM and Ollama all constrain a forced tool call to its schema) and `json_mode`.
        Validation and bounded retries are ours, so a garbled reply becomes a `ModelOutputError`, never
        half-parsed data.
        """
        call = self._structured_call(schema, method or ("function_calling" if self.openai_api_base else "json_schema"))
        return structured_runnable(call, schema, retries=self.max_retries or 0, include_raw=include_raw)

    def _structured_call(self, schema: type[BaseModel] | dict[str, Any], method: str) -> Callable[[Any], BaseMessage]:
        """A call whose reply text is the JSON object: a forced tool call's arguments, or the reply itself."""
        if method == "function_calling":
            tool = convert_to_openai_tool(schema)
            tool_name = tool["function"]["name"]
            bound = self.bind(tools=[tool], tool_choice={"type": "function", "function": {"name": tool_name}})

            def call(value: Any) -> BaseMessage:
                message = bound.invoke(value)
                calls = getattr(message, "tool_calls", None) or []
                content = json.dumps(calls[0]["args"]) if calls else str(message.content)
                return AIMessage(
                    content=content,
                    response_metadata=message.response_metadata,
                    usage_metadata=getattr(message, "usage_metadata", None),
                )

            return call
        if method == "json_mode":
            response_format: dict[str, Any] = {"type": "json_object"}
        else:
            json_schema = {"name": schema_name(schema), "schema": json_schema_of(schema)}
            response_format = {"type": "json_schema", "json_schema": json_schema}
        return self.bind(response_format=response_format).invoke


def build_openai(model: str, options: dict[str, Any]) -> OpenAIChatModel:
    """Build the OpenAI chat model; the key comes only from the environment."""
    base_url = options.pop("base_url", None) or os.environ.get("OPENAI_BASE_URL")
    api_key = os.environ.get("OPENAI_API_KEY")
    if not api_key:
        if base_url is None:
            raise ModelUnavailableError(
                "OPENAI_API_KEY is not set",
                "export OPENAI_API_KEY=... or give ?base_url= for a local compatible server",
            )
        api_key = "not-needed"  # local compatible servers usually accept any key
    if base_url is not None and options.get("max_tokens"):
        # langchain-openai sends `max_completion_tokens`, which some compatible servers (llama.cpp's) ignore:
        # send the classic field too, so generation stays bounded everywhere.
        options["extra_body"] = {**options.get("extra_body", {}), "max_tokens": options["max_tokens"]}
    return OpenAIChatModel(model=model, base_url=base_url, api_key=api_key, **options)


__all__ = ["OpenAIChatModel", "build_openai", "translate_error", "ModelOutputError"]
