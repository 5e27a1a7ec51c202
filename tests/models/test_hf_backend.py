"""The transformers backend loads the tiny GGUF model on the CPU and generates a few tokens."""

import threading

import pytest

pytest.importorskip("torch", reason="the hf extra is not installed (pip install -e '.[hf]')")
pytest.importorskip("transformers")

from tutor.errors import ModelBackendError  # noqa: E402
from tutor.models import get_chat_model  # noqa: E402
from tutor.settings import ModelOptions  # noqa: E402

pytestmark = pytest.mark.hf


@pytest.fixture(scope="module")
def hf_model(tiny_gguf):
    return get_chat_model(f"hf:{tiny_gguf}", ModelOptions(max_tokens=8, temperature=0))


def test_transformers_backend_generates_from_a_gguf_file(hf_model):
    reply = hf_model.invoke("Say hello.")
    assert isinstance(reply.content, str) and reply.content.strip()
    assert 0 < reply.usage_metadata["output_tokens"] <= 8
    chunks = list(hf_model.stream("Say hi."))
    assert "".join(str(c.content) for c in chunks).strip()
    last = [c for c in chunks if c.response_metadata][-1]
    assert last.response_metadata["finish_reason"] in {"stop", "length"}
    assert 0 < last.usage_metadata["output_tokens"] <= 8


def test_a_generation_failure_is_a_typed_error_streamed_too_not_a_hang(hf_model):
    with pytest.raises(ModelBackendError, match="max_new_tokens"):
        hf_model.invoke("hi", max_tokens=-1)
    errors: list[Exception] = []

    def read() -> None:
        try:
            list(hf_model.stream("hi", max_tokens=-1))
        except Exception as exc:
            errors.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=60)
    assert not reader.is_alive(), "the stream waited forever on a generation that had failed"
    assert isinstance(errors[0], ModelBackendError)


def test_a_stream_left_early_stops_generating_before_the_engine_is_free(hf_model):
    stream = hf_model.stream("Write a long story about a cat.", max_tokens=400)
    next(stream)
    stream.close()
    assert not hf_model._lock.locked()
    assert not [t for t in threading.enumerate() if t.name == "hf-generate"], "generation goes on after close"
