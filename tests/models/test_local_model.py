"""The bundled model through the seam: chat, stream, structured output, concurrency, prefix reuse."""

from __future__ import annotations

import threading

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from tutor.models import get_chat_model
from tutor.settings import ModelOptions

pytestmark = pytest.mark.model


class Calculation(BaseModel):
    expression: str
    value: float


@pytest.fixture(scope="module")
def local(local_model_path):
    return get_chat_model("local", ModelOptions(max_tokens=64, temperature=0, n_ctx=4096))


def test_local_model_answers_a_chat(local):
    reply = local.invoke([HumanMessage(content="What is the capital of France? One word.")])
    assert "paris" in str(reply.content).lower()
    assert reply.usage_metadata["output_tokens"] > 0


def test_local_model_streams_several_chunks(local):
    chunks = [str(c.content) for c in local.stream("Count from 1 to 5, separated by commas.")]
    assert len([c for c in chunks if c]) >= 3
    assert "3" in "".join(chunks)


def test_structured_output_is_a_valid_pydantic_object(local):
    model = get_chat_model("local", ModelOptions(max_tokens=160, temperature=0, n_ctx=4096))
    result = model.with_structured_output(Calculation).invoke("Write the expression 7*1.2/3 and its value.")
    assert isinstance(result, Calculation)
    assert result.value == pytest.approx(2.8, abs=0.01)


def test_concurrent_callers_do_not_interleave(local):
    prompts = ["List three fruits.", "List three colours."]
    expected = {p: str(local.invoke(p).content) for p in prompts}
    results: dict[str, str] = {}

    def worker(prompt: str) -> None:
        results[prompt] = "".join(str(c.content) for c in local.stream(prompt))

    threads = [threading.Thread(target=worker, args=(p,)) for p in prompts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert results == expected


def test_next_turn_only_evaluates_the_new_tokens(local, monkeypatch):
    llm = local.engine().llm
    evaluated: list[int] = []
    real_eval = llm.eval
    monkeypatch.setattr(llm, "eval", lambda tokens: (evaluated.append(len(tokens)), real_eval(tokens))[1])
    history = [SystemMessage(content="You are a patient maths tutor. " * 20), HumanMessage(content="Hi, I need help.")]
    first = local.invoke(history)
    prompt_1 = sum(evaluated)
    history += [AIMessage(content=str(first.content)), HumanMessage(content="What is a fraction?")]
    evaluated.clear()
    local.invoke(history)
    # The second prompt is longer than the first, yet only its new tail (plus generated tokens) is evaluated.
    assert sum(evaluated) < prompt_1
