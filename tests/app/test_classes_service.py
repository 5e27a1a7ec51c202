"""Sign-up modes, classes and their reveal policy, as the service decides them."""

from __future__ import annotations

import pytest

from tutor.errors import InputDataError, NotAllowedError, NotFoundError
from tutor.service_views import TurnResult


def _staff(service):
    tess = service.store.create_user("tess", "correct horse", "teacher")
    tom = service.store.create_user("tom", "correct horse", "teacher")
    return tess, tom


def test_open_sign_up_takes_an_optional_code(service):
    tess, _ = _staff(service)
    code = service.create_class(tess, "7B").join_code
    assert service.signup_mode == "open"
    service.sign_up("ada", "correct horse")
    bea = service.sign_up("bea", "correct horse", join_code=code)
    assert [c.name for c in service.list_classes(bea)] == ["7B"]


def test_invite_sign_up_needs_a_real_class_code(service):
    tess, _ = _staff(service)
    code = service.create_class(tess, "7B").join_code
    service.settings.access.signup = "invite"
    with pytest.raises(InputDataError, match="needs your class's join code"):
        service.sign_up("ada", "correct horse")
    with pytest.raises(NotFoundError, match="no class has that join code"):
        service.sign_up("ada", "correct horse", join_code="WRONG123")
    ada = service.sign_up("ada", "correct horse", join_code=code.lower())
    assert [s.username for s in service.class_members(tess, service.list_classes(tess)[0].id)] == ["ada"]
    assert service.log_in("ada", "correct horse") == ada


def test_closed_sign_up_refuses_everyone_but_accounts_from_the_command_line_still_log_in(service):
    service.settings.access.signup = "closed"
    service.store.create_user("ada", "correct horse")
    with pytest.raises(NotAllowedError, match="sign-up is closed"):
        service.sign_up("bea", "correct horse", join_code="ANYTHING")
    assert service.log_in("ada", "correct horse").username == "ada"


def test_only_staff_make_classes_and_only_their_own_are_theirs(service):
    tess, tom = _staff(service)
    ada = service.sign_up("ada", "correct horse")
    with pytest.raises(NotAllowedError, match="only teachers and researchers can manage classes"):
        service.create_class(ada, "my class")
    klass = service.create_class(tess, "7B")
    with pytest.raises(NotFoundError):
        service.set_reveal_policy(tom, klass.id, 2)
    with pytest.raises(NotFoundError):
        service.list_sessions(tom, class_id=klass.id)
    with pytest.raises(NotFoundError):
        service.export_class(tom, klass.id)
    with pytest.raises(NotAllowedError):
        service.export_class(ada, klass.id)
    with pytest.raises(InputDataError, match="only students join"):
        service.join_class(tom, klass.join_code)


def _reveal_allowed_after_two_wrong_answers(service, student, staff) -> bool:
    session = service.start(student, "toy-math-pencils").session_id
    for wrong in ("is it 99?", "maybe 98?"):
        assert any(isinstance(item, TurnResult) for item in service.send(student, session, wrong))
    record = service.open(staff, session).messages[-1].record
    assert record is not None
    return bool(record["leak"]["reveal_allowed"])


def test_the_class_reveal_policy_reaches_the_tutor(service):
    tess, _ = _staff(service)
    klass = service.create_class(tess, "7B")
    ada = service.sign_up("ada", "correct horse", join_code=klass.join_code)
    loner = service.sign_up("cy", "correct horse")
    service.settings.policy.reveal_after_failed_attempts = 5
    assert service.reveal_policy(ada) is None  # a new class never reveals, whatever the server default
    assert service.reveal_policy(loner) == 5
    assert not _reveal_allowed_after_two_wrong_answers(service, ada, tess)
    service.set_reveal_policy(tess, klass.id, 1)
    assert service.reveal_policy(ada) == 1
    assert _reveal_allowed_after_two_wrong_answers(service, ada, tess)
    second = service.store.create_class(tess, "7C")
    service.join_class(ada, second.join_code)
    assert service.reveal_policy(ada) is None  # in two classes the strictest wins


def test_a_class_export_holds_every_session_of_its_students_only(service):
    tess, _ = _staff(service)
    klass = service.create_class(tess, "7B")
    ada = service.sign_up("ada", "correct horse", join_code=klass.join_code)
    cy = service.sign_up("cy", "correct horse")
    first = service.start(ada, "toy-math-pencils").session_id
    second = service.start(ada, "toy-math-pencils").session_id
    service.start(cy, "toy-math-pencils")
    pages = service.export_class(tess, klass.id)
    assert [p.session_id for p in pages] == [first, second]
    assert all(p.owner == "ada" for p in pages)
    assert [s.id for s in service.list_sessions(tess, class_id=klass.id, student="ada")] == [second, first]
