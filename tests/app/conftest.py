from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import free_port
from tutor.problems.bank import ProblemBank
from tutor.sandbox import Sandbox
from tutor.service import TutoringService
from tutor.settings import Settings
from tutor.storage.store import Store

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Headless in a container: no sandbox (no user namespaces), no GPU, and none of the background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

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


@contextmanager
def serving(service) -> Iterator[str]:
    """The real app for `service` on loopback, as `main()` serves it, built now (so it follows the
    service's settings as they are at this point); yields its URL."""
    import app as web

    demo = web.build_app(service)
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@pytest.fixture
def running_app(service):
    """The real app on loopback: (url, service)."""
    with serving(service) as url:
        yield url, service


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright; skips where either is missing. Screenshots go to
    ARTIFACTS."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
