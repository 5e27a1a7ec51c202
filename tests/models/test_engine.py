"""The shared side of the in-process backends: metadata, usage, streaming under the lock, structured output."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langchain_core.messages import BaseMessage, HumanMessage
from pydantic import BaseModel, PrivateAttr

from tutor.errors import ModelOutputError
from tutor.models.engine import Completion, EngineChatModel, Part, usage


class Verdict(BaseModel):
    correct: bool


class EchoEngine(EngineChatModel):
    """Answers with its scripted replies in turn and records what each call was given."""

    replies: list[str] = ["hello there"]
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _seen: list[tuple[list[str] | None, dict[str, Any], bool]] = PrivateAttr(default_factory=list)
    _turn: int = PrivateAttr(default=0)

    @property
    def _llm_type(self) -> str:
        return "echo"

    def _engine_lock(self) -> threading.Lock:
        return self._lock

    def _metadata_model_name(self) -> str:
        return "echo-1"

    def _reply(self, stop: list[str] | None, options: dict[str, Any]) -> str:
        self._seen.append((stop, options, self._lock.locked()))
        text = self.replies[self._turn % len(self.replies)]
        self._turn += 1
        return text

    def _complete(self, messages: list[BaseMessage], stop: list[str] | None, options: dict[str, Any]) -> Completion:
        text = self._reply(stop, options)
        return Completion(text, "stop", usage(len(messages), len(text.split()), 99))

    def _parts(self, messages: list[BaseMessage], stop: list[str] | None, options: dict[str, Any]) -> Iterator[Part]:
        words = self._reply(stop, options).split(" ")
        for i, word in enumerate(words):
            yield Part(word if i == 0 else " " + word)
            assert self._lock.locked(), "the lock is held while the stream is consumed"
        yield Part("", "length", usage(len(messages), len(words)))

    def _structured_call(self, schema: Any) -> Callable[[Any], BaseMessage]:
        return self.invoke


def test_a_whole_call_carries_finish_reason_model_name_latency_and_usage():
    model = EchoEngine()
    reply = model.invoke([HumanMessage(content="hi")], stop=["\n"], max_tokens=5)
    assert reply.content == "hello there"
    assert reply.response_metadata["finish_reason"] == "stop" and reply.response_metadata["model_name"] == "echo-1"
    assert reply.response_metadata["latency_s"] >= 0
    assert reply.usage_metadata == {"input_tokens": 1, "output_tokens": 2, "total_tokens": 99}
    assert model._seen == [(["\n"], {"max_tokens": 5}, True)]


def test_a_stream_yields_the_pieces_then_one_chunk_with_finish_reason_and_usage():
    model = EchoEngine(replies=["one two three"])
    chunks = list(model.stream("count", stop=["four"]))
    assert [c.content for c in chunks if c.content] == ["one", " two", " three"]
    last = [c for c in chunks if c.response_metadata][-1]
    assert last.response_metadata == {"finish_reason": "length", "model_name": "echo-1"}
    assert last.usage_metadata == {"input_tokens": 1, "output_tokens": 3, "total_tokens": 4}
    assert model._seen[0][0] == ["four"] and not model._lock.locked()


def test_structured_output_asks_again_after_a_garbled_reply_and_fails_typed_after_the_last():
    model = EchoEngine(replies=["not json", '{"correct": true}'], max_retries=1)
    assert model.with_structured_output(Verdict).invoke("judge") == Verdict(correct=True)
    stubborn = EchoEngine(replies=["not json"], max_retries=2)
    with pytest.raises(ModelOutputError):
        stubborn.with_structured_output(Verdict).invoke("judge")
    assert len(stubborn._seen) == 3


def test_a_backend_missing_its_own_part_cannot_be_built():
    class Half(EngineChatModel):
        @property
        def _llm_type(self) -> str:
            return "half"

    with pytest.raises(TypeError):
        Half()  # type: ignore[abstract]
