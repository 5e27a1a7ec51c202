from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import free_port
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


@pytest.fixture
def running_app(service):
    """The real app on loopback, as `main()` serves it: (url, service)."""
    import app as web

    demo = web.build_app(service)
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", service
    demo.close()
