"""What goes in comes back out: long, multilingual and hostile text and JSON on both backends."""

from __future__ import annotations

from typing import Any

import pytest

from tests.storage.conftest import People
from tutor.errors import InputDataError
from tutor.storage import Store
from tutor.storage.clean import MAX_MESSAGE_CHARS

MIXED = (
    "Emoji 🎉👩🏽‍🔬🇩🇪, Hebrew שלום עולם, Arabic مرحبا بالعالم, a RTL mark \u200f, "
    "combining e\u0301, CJK 你好, math ∫x²dx, tab\tand\nnewlines\r\n, quotes ' \" ` and a backslash \\"
)


def _session(store: Store, people: People) -> str:
    return store.start_session(people.ada.id, "p1", "math", "t", {}).id


def test_a_20000_character_message_round_trips(store: Store, people: People) -> None:
    sid = _session(store, people)
    long_text = ("The train leaves at 9:40 and travels 120 km at 80 km/h. " * 400)[:20_000]
    assert len(long_text) == 20_000
    assert store.add_student_message(sid, people.ada, long_text).text == long_text
    assert store.transcript(sid, people.ada)[0].text == long_text


def test_emoji_and_right_to_left_text_round_trip_exactly(store: Store, people: People) -> None:
    sid = _session(store, people)
    record = {"reply": MIXED, MIXED: [MIXED, {"nested": MIXED}]}
    store.add_student_message(sid, people.ada, MIXED)
    store.add_tutor_turn(sid, people.ada, MIXED, record, {"note": MIXED})
    student, tutor = store.transcript(sid, people.ada)
    assert student.text == MIXED and tutor.text == MIXED
    assert tutor.record == record
    assert store.get_session(sid, people.ada).state == {"note": MIXED}


def test_nul_bytes_become_replacement_characters_in_text_and_json(store: Store, people: People) -> None:
    sid = _session(store, people)
    stored = store.add_student_message(sid, people.ada, "a\x00b\x00")
    assert stored.text == "a\ufffdb\ufffd"
    store.add_tutor_turn(sid, people.ada, "ok\x00", {"k\x00ey": ["v\x00"]}, {"s": "\x00"}, {"c\x00": 1.0})
    tutor = store.transcript(sid, people.ada)[1]
    assert tutor.text == "ok\ufffd"
    assert tutor.record == {"k\ufffdey": ["v\ufffd"]}
    assert store.get_session(sid, people.ada).state == {"s": "\ufffd"}
    assert store.knowledge_history(sid, people.ada)[0].mastery == {"c\ufffd": 1.0}
    assert store.update_code(sid, people.ada, "print('\x00')").code == "print('\ufffd')"


def test_lone_surrogates_are_replaced_rather_than_failing(store: Store, people: People) -> None:
    sid = _session(store, people)
    assert store.add_student_message(sid, people.ada, "half a pair: \ud83d").text == "half a pair: \ufffd"


def test_json_values_keep_their_types(store: Store, people: People) -> None:
    sid = _session(store, people)
    record: dict[str, Any] = {
        "int": 3,
        "float": 0.25,
        "big": 2**53,
        "bool": True,
        "none": None,
        "list": [1, "2", [3]],
        "empty": {},
        "neg": -1e-9,
    }
    store.add_tutor_turn(sid, people.ada, "ok", record, {})
    assert store.transcript(sid, people.ada)[0].record == record


def test_the_returned_view_equals_what_a_later_read_returns(store: Store, people: People) -> None:
    sid = _session(store, people)
    # Tuples are not JSON: what comes back is a list, and the view returned at write time says so too.
    written = store.add_tutor_turn(sid, people.ada, "ok", {"pair": (1, 2)}, {})
    assert written.record == {"pair": [1, 2]}
    assert store.transcript(sid, people.ada) == [written]


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_messages_are_rejected(store: Store, people: People, text: str) -> None:
    with pytest.raises(InputDataError, match="empty"):
        store.add_student_message(_session(store, people), people.ada, text)


def test_messages_over_the_limit_are_rejected_and_at_the_limit_accepted(store: Store, people: People) -> None:
    sid = _session(store, people)
    with pytest.raises(InputDataError, match="too long"):
        store.add_student_message(sid, people.ada, "x" * (MAX_MESSAGE_CHARS + 1))
    assert len(store.add_student_message(sid, people.ada, "x" * MAX_MESSAGE_CHARS).text) == MAX_MESSAGE_CHARS


@pytest.mark.parametrize(
    ("record", "state", "reason"),
    [
        ({"x": float("nan")}, {}, "JSON"),
        ({"x": float("inf")}, {}, "JSON"),
        ({"x": object()}, {}, "JSON"),
        ({}, ["not", "a", "dict"], "JSON object"),
    ],
)
def test_unstorable_json_is_rejected_before_touching_the_database(
    store: Store, people: People, record: Any, state: Any, reason: str
) -> None:
    sid = _session(store, people)
    with pytest.raises(InputDataError, match=reason):
        store.add_tutor_turn(sid, people.ada, "ok", record, state)
    assert store.transcript(sid, people.ada) == []


def test_long_titles_are_cut_and_empty_ones_fall_back_to_the_problem_id(store: Store, people: People) -> None:
    long = store.start_session(people.ada.id, "p1", "math", "word " * 100, {})
    assert len(long.title) == 200 and long.title.endswith("…")
    assert store.start_session(people.ada.id, "p2", "math", "  ", {}).title == "p2"
    with pytest.raises(InputDataError, match="problem id"):
        store.start_session(people.ada.id, " ", "math", "t", {})
