"""Tutoring sessions: isolation between users, the turn protocol, crash safety, atomic tutor turns."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event

from tests.storage.conftest import FAST_PASSWORDS, People
from tutor.errors import InputDataError, NotFoundError
from tutor.storage import SessionView, Store, UserView
from tutor.storage.models import KnowledgeSnapshot

STATE0 = {"plan": {"node": "n1", "children": ["n1a", "n1b"]}, "attempts": 0}


def _start(store: Store, owner: UserView, problem_id: str = "math-001") -> SessionView:
    return store.start_session(owner.id, problem_id, "math", f"Problem {problem_id}", STATE0)


# -- isolation -----------------------------------------------------------------------------------------


def test_a_student_cannot_read_or_write_another_students_session(store: Store, people: People) -> None:
    session = _start(store, people.ada)
    store.add_student_message(session.id, people.ada, "my private answer is 42")

    attempts: list[Callable[[], Any]] = [
        lambda: store.get_session(session.id, people.bob),
        lambda: store.transcript(session.id, people.bob),
        lambda: store.knowledge_history(session.id, people.bob),
        lambda: store.pending_student_message(session.id, people.bob),
        lambda: store.add_student_message(session.id, people.bob, "hi"),
        lambda: store.add_tutor_turn(session.id, people.bob, "hi", {}, {}),
        lambda: store.update_code(session.id, people.bob, "print(1)"),
        lambda: store.set_status(session.id, people.bob, "abandoned"),
    ]
    for attempt in attempts:
        with pytest.raises(NotFoundError) as info:
            attempt()
        # Same answer as for an id that does not exist: guessing ids reveals nothing.
        with pytest.raises(NotFoundError) as missing:
            store.get_session("x" * 24, people.bob)
        assert str(info.value) == str(missing.value)
    assert [m.text for m in store.transcript(session.id, people.ada)] == ["my private answer is 42"]
    assert store.get_session(session.id, people.ada).status == "active"


def test_students_list_only_their_own_sessions_and_staff_list_all(store: Store, people: People) -> None:
    ada1, ada2, bob1 = (
        _start(store, people.ada, "p1"),
        _start(store, people.ada, "p2"),
        _start(store, people.bob, "p3"),
    )
    assert {s.id for s in store.list_sessions(people.ada)} == {ada1.id, ada2.id}
    assert {s.id for s in store.list_sessions(people.bob)} == {bob1.id}
    for staff in (people.teacher, people.researcher):
        listed = store.list_sessions(staff)
        assert {s.id for s in listed} == {ada1.id, ada2.id, bob1.id}
        assert {s.owner_username for s in listed} == {"ada", "bob"}


def test_sessions_are_listed_most_recently_active_first(store: Store, people: People) -> None:
    first, second, third = (_start(store, people.ada, f"p{i}") for i in range(3))
    store.add_student_message(first.id, people.ada, "back to the first one")
    assert [s.id for s in store.list_sessions(people.ada)] == [first.id, third.id, second.id]
    assert [s.id for s in store.list_sessions(people.ada, limit=2)] == [first.id, third.id]


def test_staff_read_student_sessions_but_cannot_write_into_them(store: Store, people: People) -> None:
    session = _start(store, people.ada)
    store.add_student_message(session.id, people.ada, "is it 12?")
    for staff in (people.teacher, people.researcher):
        assert store.get_session(session.id, staff).owner_username == "ada"
        assert [m.text for m in store.transcript(session.id, staff)] == ["is it 12?"]
        assert store.pending_student_message(session.id, staff) is not None
        with pytest.raises(NotFoundError):
            store.add_student_message(session.id, staff, "let me answer for you")
        with pytest.raises(NotFoundError):
            store.set_status(session.id, staff, "solved")


def test_a_forged_viewer_gets_the_role_stored_in_the_database(store: Store, people: People) -> None:
    ada_session = _start(store, people.ada)
    forged = UserView(id=people.bob.id, username="bob", role="teacher", created_at=people.bob.created_at)
    with pytest.raises(NotFoundError):
        store.get_session(ada_session.id, forged)
    assert store.list_sessions(forged) == []
    ghost = UserView(id=99_999, username="ghost", role="teacher", created_at=people.bob.created_at)
    with pytest.raises(NotFoundError):
        store.get_session(ada_session.id, ghost)


def test_session_ids_are_long_random_and_url_safe(store: Store, people: People) -> None:
    ids = {_start(store, people.ada, f"p{i}").id for i in range(30)}
    assert len(ids) == 30
    assert all(len(i) == 24 and all(c.isalnum() or c in "-_" for c in i) for i in ids)


def test_starting_a_session_for_an_unknown_user_fails(store: Store) -> None:
    with pytest.raises(NotFoundError, match="user"):
        store.start_session(12345, "p1", "math", "t", {})


# -- the turn protocol ---------------------------------------------------------------------------------


def test_a_full_turn_stores_message_record_state_and_knowledge(store: Store, people: People) -> None:
    session = _start(store, people.ada)
    student = store.add_student_message(session.id, people.ada, "I think it's 12 apples")
    assert (student.index, student.role, student.record) == (0, "student", None)
    assert store.pending_student_message(session.id, people.ada) == student

    record = {
        "evaluation": "incorrect",
        "decision": {"strategy": "ask question"},
        "calls": [{"latency_s": 0.4}],
    }
    state = {**STATE0, "attempts": 1}
    tutor = store.add_tutor_turn(
        session.id, people.ada, "How many did she give away?", record, state, {"division": 0.3}
    )
    assert (tutor.index, tutor.role, tutor.record) == (1, "tutor", record)
    assert store.pending_student_message(session.id, people.ada) is None

    view = store.get_session(session.id, people.ada)
    assert (view.state, view.message_count, view.status) == (state, 2, "active")
    assert view.updated_at >= session.updated_at
    assert [(k.turn_index, k.mastery) for k in store.knowledge_history(session.id, people.ada)] == [
        (1, {"division": 0.3})
    ]
    assert store.transcript(session.id, people.ada) == [student, tutor]


def test_a_tutor_turn_can_mark_the_session_solved_in_the_same_transaction(store: Store, people: People) -> None:
    session = _start(store, people.ada)
    store.add_student_message(session.id, people.ada, "18!")
    store.add_tutor_turn(session.id, people.ada, "Well reasoned.", {"evaluation": "correct"}, STATE0, status="solved")
    assert store.get_session(session.id, people.ada).status == "solved"
    assert store.knowledge_history(session.id, people.ada) == []  # no knowledge given, no snapshot


def test_the_tutor_may_open_a_session_before_any_student_message(store: Store, people: People) -> None:
    session = _start(store, people.ada)
    opening = store.add_tutor_turn(session.id, people.ada, "What do we know so far?", {"kind": "opening"}, STATE0)
    assert opening.index == 0
    assert store.pending_student_message(session.id, people.ada) is None


def test_a_second_student_message_before_the_reply_is_kept_and_is_the_pending_one(store: Store, people: People) -> None:
    session = _start(store, people.ada)
    store.add_student_message(session.id, people.ada, "first")
    second = store.add_student_message(session.id, people.ada, "second")
    assert store.pending_student_message(session.id, people.ada) == second
    assert [m.index for m in store.transcript(session.id, people.ada)] == [0, 1]


def test_code_and_status_updates(store: Store, people: People) -> None:
    session = store.start_session(people.ada.id, "debug-007", "debugging", "Fix it", STATE0, code="def f(:\n  pass")
    assert session.code == "def f(:\n  pass"
    assert store.update_code(session.id, people.ada, "def f():\n    return 1\n").code == "def f():\n    return 1\n"
    assert store.update_code(session.id, people.ada, "").code == ""
    assert store.set_status(session.id, people.ada, "abandoned").status == "abandoned"
    with pytest.raises(InputDataError):
        store.set_status(session.id, people.ada, "paused")  # type: ignore[arg-type]


# -- crash safety and atomicity ------------------------------------------------------------------------


def test_a_student_message_survives_a_crash_before_the_tutor_replies(db_url: str, store: Store, people: People) -> None:
    session = _start(store, people.ada)
    # A separate process commits the student's message, then dies the hard way while "calling the model".
    script = textwrap.dedent(
        f"""
        import os
        from tutor.storage import Store
        store = Store.open({db_url!r})
        ada = store.get_user({people.ada.id})
        store.add_student_message({session.id!r}, ada, "is the answer 18?")
        os._exit(9)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr

    with Store.open(db_url, passwords=FAST_PASSWORDS) as reopened:
        pending = reopened.pending_student_message(session.id, people.ada)
        assert pending is not None and pending.text == "is the answer 18?" and pending.index == 0
        reopened.add_tutor_turn(session.id, people.ada, "What makes you think so?", {"e": "unclear"}, STATE0)
        assert reopened.pending_student_message(session.id, people.ada) is None


@pytest.fixture
def failing_snapshot_insert() -> Iterator[None]:
    """Make the last step of add_tutor_turn (the knowledge snapshot insert) fail, as a crash would."""

    def explode(*_: object) -> None:
        raise RuntimeError("disk pulled out mid-turn")

    event.listen(KnowledgeSnapshot, "before_insert", explode)
    try:
        yield
    finally:
        event.remove(KnowledgeSnapshot, "before_insert", explode)


def test_a_failure_inside_add_tutor_turn_stores_nothing_of_the_turn(
    store: Store, people: People, failing_snapshot_insert: None
) -> None:
    session = _start(store, people.ada)
    student = store.add_student_message(session.id, people.ada, "12?")
    with pytest.raises(RuntimeError, match="mid-turn"):
        store.add_tutor_turn(
            session.id,
            people.ada,
            "Not quite.",
            {"e": "incorrect"},
            {"changed": True},
            {"c": 0.1},
            status="solved",
        )
    after = store.get_session(session.id, people.ada)
    assert (after.state, after.status, after.message_count) == (STATE0, "active", 1)
    assert store.transcript(session.id, people.ada) == [student]
    assert store.knowledge_history(session.id, people.ada) == []
    assert store.pending_student_message(session.id, people.ada) == student


def test_after_a_failed_tutor_turn_the_retry_takes_the_next_index(store: Store, people: People) -> None:
    session = _start(store, people.ada)
    store.add_student_message(session.id, people.ada, "12?")
    with pytest.raises(InputDataError):
        store.add_tutor_turn(session.id, people.ada, "Not quite.", {"e": "incorrect"}, {"bad": float("nan")})
    assert store.add_tutor_turn(session.id, people.ada, "Not quite.", {"e": "incorrect"}, STATE0).index == 1
