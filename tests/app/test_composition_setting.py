"""`policy.composition`: who writes the reply, chosen by the server's settings (auto: by the tutor model)."""

from __future__ import annotations

import pytest

from tutor.problems.bank import ProblemBank
from tutor.sandbox import Sandbox
from tutor.service import TutoringService
from tutor.service_config import composition_for
from tutor.service_views import TurnResult
from tutor.settings import Settings
from tutor.storage.store import Store


@pytest.mark.parametrize(
    ("spec", "base_url", "expected"),
    [
        ("local", None, "scaffold"),  # the bundled model: the teacher-read better composition
        ("gguf:/models/small.gguf", None, "guided"),
        ("openai:gpt-4o-mini", None, "free"),
        ("anthropic:claude-sonnet", None, "free"),
        ("openai:qwen?base_url=http://127.0.0.1:8080/v1", None, "guided"),  # a self-hosted server
        ("openai:qwen", "http://127.0.0.1:8080/v1", "guided"),
    ],
)
def test_auto_composition_follows_the_tutor_model(spec, base_url, expected):
    assert composition_for(spec, base_url) == expected


@pytest.mark.parametrize("composition", ["scaffold", "guided"])
def test_the_setting_reaches_the_tutor(tmp_path, scripted_spec, composition):
    settings = Settings.load(
        data_dir=str(tmp_path / "data"), roles={"tutor": scripted_spec}, policy={"composition": composition}
    )
    service = TutoringService(settings, Store.from_settings(settings), ProblemBank.load(), Sandbox())
    ada = service.sign_up("ada", "correct horse")
    session = service.start(ada, "toy-math-pencils").session_id
    model = service._model("tutor")
    result = [i for i in service.send(ada, session, "is it 2.80?") if isinstance(i, TurnResult)][-1]
    assert result.reply.strip()
    assert bool(model.calls) == (composition == "guided")  # the scaffold's own words need no model call
