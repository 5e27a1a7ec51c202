"""`serve-model`'s fair line: generation requests one at a time in arrival order, a clear 503 after the wait."""

from __future__ import annotations

import asyncio

import httpx

from tutor.models.serve import FairLine


def _slow_app(log: list[str], seconds: float):
    async def app(scope, receive, send):
        name = dict(scope["headers"]).get(b"x-name", b"?").decode()
        log.append(f"start {name}")
        await asyncio.sleep(seconds)
        log.append(f"end {name}")
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": name.encode()})

    return app


async def _post(client: httpx.AsyncClient, name: str, delay: float, path: str = "/v1/chat/completions"):
    await asyncio.sleep(delay)
    return await client.post(path, headers={"x-name": name}, json={})


def _run(line: FairLine, requests: list[tuple[str, float, str]]) -> list[httpx.Response]:
    async def main():
        transport = httpx.ASGITransport(app=line)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(*(_post(client, n, d, p) for n, d, p in requests))

    return asyncio.run(main())


def test_generation_requests_are_served_one_at_a_time_in_arrival_order():
    log: list[str] = []
    line = FairLine(_slow_app(log, 0.2), max_wait_s=30)
    chat = "/v1/chat/completions"
    replies = _run(line, [("a", 0.0, chat), ("b", 0.05, chat), ("c", 0.1, "/v1/completions")])
    assert [r.status_code for r in replies] == [200, 200, 200]
    assert log == ["start a", "end a", "start b", "end b", "start c", "end c"]


def test_other_paths_do_not_wait_in_line():
    log: list[str] = []
    line = FairLine(_slow_app(log, 0.2), max_wait_s=30)
    _run(line, [("a", 0.0, "/v1/chat/completions"), ("models", 0.05, "/v1/models")])
    assert log.index("start models") < log.index("end a")


def test_a_request_that_waits_too_long_gets_a_clear_503_with_retry_after():
    log: list[str] = []
    line = FairLine(_slow_app(log, 0.5), max_wait_s=0.1)
    first, second = _run(line, [("a", 0.0, "/v1/chat/completions"), ("b", 0.05, "/v1/chat/completions")])
    assert first.status_code == 200
    assert second.status_code == 503 and second.headers["retry-after"] == "5"
    error = second.json()["error"]
    assert error["type"] == "server_busy" and "busy" in error["message"]
    assert "start b" not in log


def test_the_served_engine_keeps_prompt_states(tiny_gguf, tmp_path):
    from llama_cpp.server import app as server

    from tutor.models.serve import server_app
    from tutor.settings import Settings

    settings = Settings.load(data_dir=str(tmp_path / "data"), model={"n_ctx": 1024, "n_threads": 2})
    app = server_app(f"gguf:{tiny_gguf}", settings, alias="tiny")
    assert isinstance(app, FairLine)
    llm = server._llama_proxy._current_model
    assert llm.prompt_states is not None
    for topic in ("apples", "trains", "apples"):  # conversations that share little but their first words
        system = f"You tutor one student. The problem is about {topic}. " + f"It has {topic} in it. " * 12
        llm.create_chat_completion(
            messages=[{"role": "system", "content": system}, {"role": "user", "content": "Hi"}], max_tokens=4
        )
    assert llm.prompt_states.hits == 1  # the third call came back to the first conversation's state
