"""Classes in the store: join codes, who manages and sees what, reveal policies, sessions narrowed by class."""

from __future__ import annotations

import pytest

from tutor.errors import InputDataError, NotFoundError
from tutor.storage import Store
from tutor.storage.accounts import CODE_LENGTH


def test_a_teacher_makes_a_class_and_students_join_it_with_its_code(store: Store) -> None:
    tess = store.create_user("tess", "correct horse", "teacher")
    ada = store.create_user("ada", "correct horse")
    made = store.create_class(tess, "  7B maths ")
    assert (made.name, made.members, made.reveal_after_failed_attempts) == ("7B maths", 0, None)
    assert len(made.join_code) == CODE_LENGTH and made.join_code.isalnum()
    # A student may type it in lower case, with a space or a dash.
    typed = f"{made.join_code[:4].lower()}-{made.join_code[4:]} "
    joined = store.join_class(ada, typed)
    assert (joined.id, joined.join_code) == (made.id, "")  # a student's view carries no code
    store.join_class(ada, made.join_code)  # twice is a no-op
    assert [c.members for c in store.list_classes(tess)] == [1]
    assert [(c.name, c.join_code) for c in store.list_classes(ada)] == [("7B maths", "")]
    assert [u.username for u in store.class_members(tess, made.id)] == ["ada"]


def test_a_wrong_code_joins_nothing_and_sign_up_with_it_makes_no_account(store: Store) -> None:
    tess = store.create_user("tess", "correct horse", "teacher")
    code = store.create_class(tess, "7B").join_code
    with pytest.raises(NotFoundError, match="no class has that join code"):
        store.create_user("bea", "correct horse", join_code="NOPE1234")
    assert store.authenticate("bea", "correct horse") is None
    bea = store.create_user("bea", "correct horse", join_code=code)
    assert [c.name for c in store.list_classes(bea)] == ["7B"]
    with pytest.raises(NotFoundError):
        store.join_class(bea, "")


def test_teachers_manage_only_their_classes_and_researchers_all(store: Store) -> None:
    tess = store.create_user("tess", "correct horse", "teacher")
    tom = store.create_user("tom", "correct horse", "teacher")
    rita = store.create_user("rita", "correct horse", "researcher")
    ada = store.create_user("ada", "correct horse")
    mine = store.create_class(tess, "7B")
    store.create_class(tom, "8A")
    assert [c.name for c in store.list_classes(tess)] == ["7B"]
    assert [c.name for c in store.list_classes(rita)] == ["7B", "8A"]
    for outsider in (tom, ada):
        with pytest.raises(NotFoundError, match="class not found"):
            store.set_reveal_policy(outsider, mine.id, 3)
        with pytest.raises(NotFoundError):
            store.class_members(outsider, mine.id)
    with pytest.raises(InputDataError, match="only teachers"):
        store.create_class(ada, "my own class")
    assert store.set_reveal_policy(rita, mine.id, 3).reveal_after_failed_attempts == 3


def test_reveal_policies_are_read_per_student_and_bounded(store: Store) -> None:
    tess = store.create_user("tess", "correct horse", "teacher")
    ada = store.create_user("ada", "correct horse")
    strict, lenient = store.create_class(tess, "7B"), store.create_class(tess, "7C")
    assert store.reveal_policies(ada.id) == []
    store.set_reveal_policy(tess, lenient.id, 2)
    store.join_class(ada, strict.join_code)
    store.join_class(ada, lenient.join_code)
    assert sorted(store.reveal_policies(ada.id), key=str) == [2, None]
    for bad in (0, 21):
        with pytest.raises(InputDataError, match="between 1 and 20"):
            store.set_reveal_policy(tess, strict.id, bad)
    with pytest.raises(InputDataError, match="needs a name"):
        store.create_class(tess, "   ")


def test_staff_narrow_the_session_list_to_a_class_and_a_student(store: Store) -> None:
    tess = store.create_user("tess", "correct horse", "teacher")
    ada, bea, cy = (store.create_user(n, "correct horse") for n in ("ada", "bea", "cy"))
    klass = store.create_class(tess, "7B")
    for student in (ada, bea):
        store.join_class(student, klass.join_code)
    for student in (ada, bea, cy):
        store.start_session(student.id, "toy-change", "math", "Change", {"tutor": {}})
    assert {s.owner_username for s in store.list_sessions(tess)} == {"ada", "bea", "cy"}
    assert {s.owner_username for s in store.list_sessions(tess, class_id=klass.id)} == {"ada", "bea"}
    assert {s.owner_username for s in store.list_sessions(tess, class_id=klass.id, student="BEA")} == {"bea"}
    assert store.list_sessions(tess, student="nobody") == []
    # A student's list stays their own whatever the filters say.
    assert {s.owner_username for s in store.list_sessions(cy, class_id=klass.id)} == set()
    assert {s.owner_username for s in store.list_sessions(cy)} == {"cy"}
