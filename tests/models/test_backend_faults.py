"""Backend faults become typed errors after bounded retries, and never hang.

A dead port, a server that never answers, HTTP 429/500 and garbage output are produced by small loopback
servers: faults a real server cannot be made to show on demand.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import BaseModel

from tests.conftest import free_port
from tutor.errors import ModelBackendError, ModelOutputError
from tutor.models import get_chat_model
from tutor.settings import ModelOptions


class Verdict(BaseModel):
    correct: bool
    reason: str


def _serve(handler_cls):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def _handler(status: int, body: dict | str, counter: list[int]):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            counter.append(1)
            self.rfile.read(int(self.headers.get("content-length", 0)))
            payload = body if isinstance(body, str) else json.dumps(body)
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("retry-after", "0")
            self.end_headers()
            self.wfile.write(payload.encode())

        def log_message(self, *args):
            pass

    return Handler


def _completion(content: str) -> dict:
    return {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def test_connection_refused_is_a_backend_error_naming_the_server():
    url = f"http://127.0.0.1:{free_port()}/v1"
    model = get_chat_model(f"openai:m?base_url={url}", ModelOptions(max_retries=1, timeout_s=2))
    with pytest.raises(ModelBackendError) as info:
        model.invoke("hi")
    assert "cannot connect" in str(info.value) and url in str(info.value)


def test_connection_refused_is_the_same_error_streamed_and_async():
    url = f"http://127.0.0.1:{free_port()}/v1"
    model = get_chat_model(f"openai:m?base_url={url}", ModelOptions(max_retries=0, timeout_s=2))

    async def first_chunk():
        async for chunk in model.astream("hi"):
            return chunk

    calls = [
        lambda: list(model.stream("hi")),
        lambda: asyncio.run(model.ainvoke("hi")),
        lambda: asyncio.run(first_chunk()),
    ]
    for call in calls:
        with pytest.raises(ModelBackendError, match="cannot connect"):
            call()


def test_a_server_that_never_answers_times_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # accepts connections, never replies
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    model = get_chat_model(f"openai:m?base_url={url}", ModelOptions(max_retries=0, timeout_s=1))
    start = time.monotonic()
    with pytest.raises(ModelBackendError) as info:
        model.invoke("hi")
    assert "timed out" in str(info.value)
    assert time.monotonic() - start < 30
    listener.close()


@pytest.mark.parametrize("status", [429, 500, 503])
def test_http_errors_are_retried_a_bounded_number_of_times(status):
    counter: list[int] = []
    server, url = _serve(_handler(status, {"error": {"message": "busy"}}, counter))
    model = get_chat_model(f"openai:m?base_url={url}", ModelOptions(max_retries=2, timeout_s=5))
    with pytest.raises(ModelBackendError) as info:
        model.invoke("hi")
    assert len(counter) == 3  # first try + 2 retries
    assert str(status) in str(info.value) or "rate limiting" in str(info.value)
    server.shutdown()


def test_garbage_structured_output_is_a_typed_error_after_retries():
    counter: list[int] = []
    server, url = _serve(_handler(200, _completion("this is { not json"), counter))
    model = get_chat_model(f"openai:m?base_url={url}", ModelOptions(max_retries=1, timeout_s=5))
    with pytest.raises(ModelOutputError) as info:
        model.with_structured_output(Verdict, method="json_mode").invoke("judge")
    assert info.value.raw == "this is { not json"
    assert len(counter) == 2
    server.shutdown()


def test_valid_json_of_the_wrong_shape_is_rejected_not_half_parsed():
    server, url = _serve(_handler(200, _completion('{"correct": "maybe"}'), []))
    model = get_chat_model(f"openai:m?base_url={url}", ModelOptions(max_retries=0, timeout_s=5))
    with pytest.raises(ModelOutputError) as info:
        model.with_structured_output(Verdict, method="json_mode").invoke("judge")
    assert "Verdict" in str(info.value)
    server.shutdown()


def test_garbage_body_from_server_is_a_backend_error():
    server, url = _serve(_handler(200, "<html>proxy error</html>", []))
    model = get_chat_model(f"openai:m?base_url={url}", ModelOptions(max_retries=0, timeout_s=5))
    with pytest.raises((ModelBackendError, ModelOutputError)):
        model.invoke("hi")
    server.shutdown()
