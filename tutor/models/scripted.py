"""A scripted chat model: a real, registered backend (`scripted:PATH`) that replays replies.

It makes whole pipelines (tutor turns, dialogues, evals) runnable without a model: in tests, in demos and
from the CLI. Replies come from a list (cycled) or from a function of the conversation.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import BaseModel, ConfigDict, PrivateAttr

from tutor.errors import ConfigError
from tutor.models.structured import structured_runnable

Reply = str | Exception
ReplyFn = Callable[[list[BaseMessage]], Reply]


class ScriptedChatModel(BaseChatModel):
    """Replies from `replies` in order (cycling), or from `reply_fn(messages)`.

    A reply that is an Exception instance is raised instead, to script backend faults.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    replies: Sequence[Reply] = ()
    reply_fn: ReplyFn | None = None
    max_retries: int = 0
    _index: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _calls: list[list[BaseMessage]] = PrivateAttr(default_factory=list)

    @property
    def calls(self) -> list[list[BaseMessage]]:
        """Every conversation this model was called with, in order (for tests and debugging)."""
        return self._calls

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _next(self, messages: list[BaseMessage]) -> str:
        with self._lock:
            self._calls.append(list(messages))
            if self.reply_fn is not None:
                reply = self.reply_fn(messages)
            elif self.replies:
                reply = self.replies[self._index % len(self.replies)]
                self._index += 1
            else:
                reply = "..."
        if isinstance(reply, Exception):
            raise reply
        return reply

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = self._next(messages)
        tokens = len(text.split())
        message = AIMessage(
            content=text,
            response_metadata={"finish_reason": "stop", "model_name": "scripted"},
            usage_metadata={"input_tokens": 0, "output_tokens": tokens, "total_tokens": tokens},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        text = self._next(messages)
        for piece in re.findall(r"\S+\s*|\s+", text):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk

    def with_structured_output(  # type: ignore[override]
        self, schema: type[BaseModel] | dict[str, Any], *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[Any, Any]:
        return structured_runnable(self.invoke, schema, retries=self.max_retries, include_raw=include_raw)


def load_script(path: str) -> ScriptedChatModel:
    """Build a scripted model from a YAML or JSON file holding a list of replies."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"scripted model file not found: {path}", "give a YAML/JSON file with a list of replies")
    try:
        data = (
            yaml.safe_load(file.read_text(encoding="utf-8"))
            if file.suffix in (".yaml", ".yml")
            else json.loads(file.read_text(encoding="utf-8"))
        )
    except (yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"scripted model file {path} cannot be parsed: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("replies")
    if not isinstance(data, list) or not all(isinstance(r, str) for r in data) or not data:
        raise ConfigError(f"scripted model file {path} must hold a non-empty list of reply strings")
    return ScriptedChatModel(replies=list(data))
