"""The transformers backend loads the tiny GGUF model on the CPU and generates a few tokens."""

import pytest

pytest.importorskip("torch", reason="the hf extra is not installed (pip install -e '.[hf]')")
pytest.importorskip("transformers")

from tutor.models import get_chat_model  # noqa: E402
from tutor.settings import ModelOptions  # noqa: E402

pytestmark = pytest.mark.hf


def test_transformers_backend_generates_from_a_gguf_file(tiny_gguf):
    model = get_chat_model(f"hf:{tiny_gguf}", ModelOptions(max_tokens=8, temperature=0))
    reply = model.invoke("Say hello.")
    assert isinstance(reply.content, str) and reply.content.strip()
    assert 0 < reply.usage_metadata["output_tokens"] <= 8
    chunks = list(model.stream("Say hi."))
    assert "".join(str(c.content) for c in chunks).strip()
    last = [c for c in chunks if c.response_metadata][-1]
    assert last.response_metadata["finish_reason"] in {"stop", "length"}
    assert 0 < last.usage_metadata["output_tokens"] <= 8
