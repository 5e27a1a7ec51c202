from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tutor.problems.bank import ProblemBank
from tutor.sandbox import Sandbox
from tutor.service import TutoringService
from tutor.settings import Settings
from tutor.storage.store import Store

REPLIES = [
    "Good try! Let's look at it again. What operation combines seven equal prices?",
    "Nice thinking. What do you get when you do that calculation?",
]


@pytest.fixture
def scripted_spec(tmp_path: Path) -> str:
    path = tmp_path / "replies.yaml"
    path.write_text(yaml.safe_dump(REPLIES))
    return f"scripted:{path}"


@pytest.fixture
def service(tmp_path: Path, scripted_spec: str):
    settings = Settings.load(data_dir=str(tmp_path / "data"), roles={"tutor": scripted_spec, "student": scripted_spec})
    store = Store.from_settings(settings)
    sandbox = Sandbox()
    svc = TutoringService(settings, store, ProblemBank.load(), sandbox)
    yield svc
    store.close()
    sandbox.close()
