"""The `openai:` path against a real OpenAI-compatible server on loopback (`socratic serve-model`)."""

from __future__ import annotations

import openai
from pydantic import BaseModel

from tutor.models import get_chat_model
from tutor.settings import ModelOptions


class City(BaseModel):
    name: str
    population: int


def test_official_openai_client_chats_and_streams(openai_server):
    client = openai.OpenAI(base_url=openai_server, api_key="x")
    reply = client.chat.completions.create(
        model="tiny", messages=[{"role": "user", "content": "Say hello."}], max_tokens=8
    )
    assert reply.choices[0].message.content
    pieces = [
        c.choices[0].delta.content or ""
        for c in client.chat.completions.create(
            model="tiny", messages=[{"role": "user", "content": "Count to three."}], max_tokens=8, stream=True
        )
        if c.choices
    ]
    assert len([p for p in pieces if p]) >= 2


def test_langchain_openai_invoke_stream_and_structured_output(openai_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = get_chat_model(f"openai:tiny?base_url={openai_server}", ModelOptions(max_tokens=48, temperature=0))
    assert model.invoke("Say hello.").content
    chunks = [c.content for c in model.stream("Count to three.")]
    assert len([c for c in chunks if c]) >= 2
    city = model.with_structured_output(City).invoke("Name a city and its population.")
    assert isinstance(city, City)
