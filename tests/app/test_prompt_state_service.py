"""The app on the bundled model: a session is prefilled as it opens, and its turn after another student's
restores its saved prompt state instead of processing the conversation again."""

from __future__ import annotations

import time

import pytest

from tutor.problems.bank import ProblemBank
from tutor.sandbox import Sandbox
from tutor.service import TutoringService
from tutor.service_views import TurnResult
from tutor.settings import Settings
from tutor.storage.store import Store

pytestmark = pytest.mark.model


def _until(condition, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_prefill_on_open_and_restore_after_another_students_turn(tmp_path, local_model_path):
    settings = Settings.load(
        data_dir=str(tmp_path / "data"),
        roles={"tutor": "local"},
        model={"n_ctx": 3072, "temperature": 0.0},
        policy={"composition": "guided"},  # auto gives the bundled model the scaffold's words: no model to prefill
    )
    service = TutoringService(settings, Store.from_settings(settings), ProblemBank.load(), Sandbox())
    states = service._model("tutor").engine().states
    assert states is not None
    ada, bea = service.sign_up("ada", "correct horse"), service.sign_up("bea", "correct horse")

    saves = states.saves
    first = service.start(ada, "toy-math-pencils").session_id
    _until(lambda: states.saves > saves and service.queue.status() == (0, 0))  # prefilled while ada reads
    saves = states.saves
    service.start(bea, "math-001-library-books")
    _until(lambda: states.saves > saves and service.queue.status() == (0, 0))  # the engine now holds bea's

    hits = states.hits
    items = list(service.send(ada, first, "is it 7.40?"))
    assert states.hits > hits  # ada's prompt came back from the saved state
    result = items[-1]
    assert isinstance(result, TurnResult) and result.reply.strip()
    assert isinstance(items[0], str) and items[0].strip()  # the acknowledgement came first
