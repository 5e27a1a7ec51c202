"""Structured output's bounded retries: a garbled reply is asked again, the last error is typed, and a
failure that is not a parse failure is not retried."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from langchain_core.messages import AIMessage, BaseMessage
from pydantic import BaseModel

from tutor.errors import ModelOutputError
from tutor.models.structured import UnparseableOutputError, structured_runnable


class Verdict(BaseModel):
    correct: bool


def replies(*texts: str) -> tuple[list[str], Callable[[str], BaseMessage]]:
    """A model call that answers each text in turn and records what it was asked."""
    asked: list[str] = []
    answers: Iterator[str] = iter(texts)

    def call(value: str) -> BaseMessage:
        asked.append(value)
        return AIMessage(content=next(answers))

    return asked, call


def test_a_garbled_reply_is_asked_again_and_the_second_parses():
    asked, call = replies("not json", '```json\n{"correct": true}\n```')
    raw = structured_runnable(call, Verdict, retries=1, include_raw=True).invoke("judge")
    assert asked == ["judge", "judge"]
    assert raw["parsed"] == Verdict(correct=True) and raw["parsing_error"] is None
    assert raw["raw"].content.startswith("```json")


def test_after_the_last_attempt_the_last_parse_error_is_raised_with_the_raw_reply():
    asked, call = replies("not json", '{"correct": "maybe"}', '{"correct": true}')
    with pytest.raises(ModelOutputError) as info:
        structured_runnable(call, Verdict, retries=1).invoke("judge")
    assert len(asked) == 2
    assert "Verdict is invalid" in info.value.message and info.value.raw == '{"correct": "maybe"}'


def test_a_failure_of_the_call_itself_is_not_retried():
    asked: list[str] = []

    def call(value: str) -> BaseMessage:
        asked.append(value)
        raise ModelOutputError("the model server returned a malformed response")

    with pytest.raises(ModelOutputError) as info:
        structured_runnable(call, Verdict, retries=3).invoke("judge")
    assert asked == ["judge"] and not isinstance(info.value, UnparseableOutputError)


def test_a_reply_cut_off_at_max_tokens_is_a_parse_failure():
    def call(value: str) -> BaseMessage:
        return AIMessage(content='{"corr', response_metadata={"finish_reason": "length"})

    with pytest.raises(UnparseableOutputError, match="cut off at max_tokens"):
        structured_runnable(call, {"title": "Verdict"}, retries=0).invoke("judge")
