"""Fair turns: tutor turns take the model in arrival order, waiting turns learn their place, a turn that waits
too long gives up without losing the student's message."""

from __future__ import annotations

import threading
import time

import pytest

from tutor.errors import InputDataError
from tutor.service_queue import TurnQueue, TutorBusyError, Waiting
from tutor.service_views import TurnResult


def _until(condition, timeout: float = 30.0) -> None:
    """Wait for `condition()` (threads on a busy machine start late; a fixed sleep would flake)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _admit(queue: TurnQueue, key: str, places: list[int], admitted: list[str]) -> None:
    for waiting in queue.wait_turn(key):
        places.append(waiting.position)
    admitted.append(key)


def test_turns_are_admitted_in_arrival_order_and_report_their_place():
    queue = TurnQueue(slots=1, poll_s=0.02)
    list(queue.wait_turn("first"))  # admitted at once: nobody in line
    admitted: list[str] = []
    places: dict[str, list[int]] = {"second": [], "third": []}
    threads = []
    for n, key in enumerate(("second", "third"), start=1):
        thread = threading.Thread(target=_admit, args=(queue, key, places[key], admitted))
        thread.start()
        threads.append(thread)
        _until(lambda n=n: queue.status() == (1, n))  # "second" is in line before "third" comes
    _until(lambda: bool(places["second"] and places["third"]))  # both have reported their place
    queue.done("first")
    _until(lambda: admitted == ["second"])
    time.sleep(0.1)
    assert admitted == ["second"]  # one slot: "third" still waits
    queue.done("second")
    for thread in threads:
        thread.join(timeout=5)
    assert admitted == ["second", "third"]
    assert places["second"] and set(places["second"]) == {1}
    assert places["third"][0] == 2 and places["third"][-1] == 1  # second in line, then next
    queue.done("third")
    assert queue.status() == (0, 0)


def test_one_turn_per_session_and_a_turn_that_waits_too_long_gives_up_and_leaves_the_line():
    queue = TurnQueue(slots=1, max_wait_s=0.2, poll_s=0.05)
    list(queue.wait_turn("a"))
    with pytest.raises(InputDataError, match="still answering"):
        list(queue.wait_turn("a"))
    seen: list[Waiting] = []
    with pytest.raises(TutorBusyError, match="busy with other students") as caught:
        for waiting in queue.wait_turn("b"):
            seen.append(waiting)
    assert seen and seen[-1].position == 1 and "press Send" in (caught.value.hint or "")
    assert queue.status() == (1, 0) and not queue.busy("b")


def test_a_student_in_line_sees_waiting_then_gets_the_reply_and_nothing_is_lost(service):
    service.queue = TurnQueue(slots=1, max_wait_s=60, poll_s=0.05)
    ada, bea = service.sign_up("ada", "correct horse"), service.sign_up("bea", "correct horse")
    first = service.start(ada, "toy-math-pencils").session_id
    second = service.start(bea, "toy-math-pencils").session_id
    list(service.queue.wait_turn("someone-else"))  # the model is busy with another student's turn
    items: list[object] = []
    worker = threading.Thread(target=lambda: items.extend(service.send(bea, second, "is it 2.80?")))
    worker.start()
    _until(lambda: service.queue.status() == (1, 1) and any(isinstance(i, Waiting) for i in items))
    with pytest.raises(InputDataError, match="still answering"):
        list(service.send(bea, second, "hello?"))  # one message at a time per session: nothing reordered
    service.queue.done("someone-else")
    worker.join(timeout=60)
    assert any(isinstance(i, Waiting) for i in items) and isinstance(items[-1], TurnResult)
    texts = [m.text for m in service.open(bea, second).messages if m.role == "student"]
    assert texts == ["is it 2.80?"]
    assert any(isinstance(i, TurnResult) for i in service.send(ada, first, "7 x 0.40"))


def test_a_turn_that_gives_up_keeps_the_message_for_the_next_send(service):
    service.queue = TurnQueue(slots=1, max_wait_s=0.2, poll_s=0.05)
    ada = service.sign_up("ada", "correct horse")
    session = service.start(ada, "toy-math-pencils").session_id
    list(service.queue.wait_turn("someone-else"))
    with pytest.raises(TutorBusyError):
        list(service.send(ada, session, "is it 2.80?"))
    assert service.open(ada, session).pending == "is it 2.80?"  # stored, waiting for its reply
    service.queue.done("someone-else")
    assert any(isinstance(i, TurnResult) for i in service.send(ada, session, ""))  # an empty Send answers it
    assert service.open(ada, session).pending is None


def test_the_acknowledgement_goes_out_before_the_turn_waits_for_the_model(service):
    service.queue = TurnQueue(slots=1, max_wait_s=60, poll_s=0.05)
    ada = service.sign_up("ada", "correct horse")
    session = service.start(ada, "toy-math-pencils").session_id
    list(service.queue.wait_turn("someone-else"))  # the model is busy with another student's turn
    items: list[object] = []
    worker = threading.Thread(target=lambda: items.extend(service.send(ada, session, "is it 2.80?")))
    worker.start()
    _until(lambda: any(isinstance(i, Waiting) for i in items))
    first_text = next(i for i in items if isinstance(i, str))
    assert items.index(first_text) < next(n for n, i in enumerate(items) if isinstance(i, Waiting))
    assert first_text.strip() and "2.80" not in first_text  # the rules' acknowledgement, not the model's words
    assert service.queue.busy(session)  # under way while it waits: a second message is refused
    with pytest.raises(InputDataError, match="still answering"):
        list(service.send(ada, session, "hello?"))
    service.queue.done("someone-else")
    worker.join(timeout=60)
    assert isinstance(items[-1], TurnResult) and not service.queue.busy(session)
    assert service.queue.status() == (0, 0)


def test_a_turn_the_rules_answer_without_the_model_never_joins_the_line(service):
    from tutor.agent import TutorConfig

    service._config = lambda student: TutorConfig(composition="scaffold")  # the scaffold's own words
    service.queue = TurnQueue(slots=1, max_wait_s=0.2, poll_s=0.05)
    ada = service.sign_up("ada", "correct horse")
    session = service.start(ada, "toy-math-pencils").session_id
    list(service.queue.wait_turn("someone-else"))  # the model is busy: this turn does not need it
    items = list(service.send(ada, session, "is it 2.80?"))
    assert isinstance(items[-1], TurnResult) and not any(isinstance(i, Waiting) for i in items)
    service.queue.done("someone-else")
