"""A scripted chat model: a real, registered backend (`scripted:PATH`) that replays replies.

It makes whole pipelines (tutor turns, dialogues, evals) runnable without a model: in tests, in demos and
from the CLI. Replies come from a list (cycled) or from a function of the conversation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from tutor.errors import ConfigError
from tutor.files import read_data
from tutor.models.structured import structured_runnable

Reply = str | Exception
ReplyFn = Callable[[list[BaseMessage]], Reply]


class ScriptedChatModel(GenericFakeChatModel):
    """Replies from `replies` in order (cycling), or from `reply_fn(messages)`.

    A reply that is an Exception instance is raised instead, to script backend faults. LangChain's fake chat
    model does the rest (streaming in whitespace-separated pieces, callbacks); this class only routes a
    conversation to its reply and records the calls.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    replies: Sequence[Reply] = ()
    reply_fn: ReplyFn | None = None
    max_retries: int = 0
    # The parent's reply iterator; unused, because a reply may depend on the conversation.
    messages: Iterator[AIMessage | str] = Field(default_factory=lambda: iter(()))
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

    def with_structured_output(  # type: ignore[override]
        self, schema: type[BaseModel] | dict[str, Any], *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[Any, Any]:
        return structured_runnable(self.invoke, schema, retries=self.max_retries, include_raw=include_raw)


def load_script(path: str) -> ScriptedChatModel:
    """Build a scripted model from a YAML or JSON file holding a list of replies (or `{replies: [...]}`)."""
    data = read_data(path, what="scripted model file", error=ConfigError)
    if isinstance(data, dict):
        data = data.get("replies")
    if not isinstance(data, list) or not all(isinstance(r, str) for r in data) or not data:
        raise ConfigError(f"scripted model file {path} must hold a non-empty list of reply strings")
    return ScriptedChatModel(replies=list(data))
