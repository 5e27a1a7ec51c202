"""Users: registration rules, Argon2 hashes, login, rehashing when the cost changes."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from tests.storage.conftest import FAST_PASSWORDS
from tutor.errors import InputDataError, NotFoundError
from tutor.storage import Passwords, Store
from tutor.storage.migrate import parse_url
from tutor.storage.models import User


def _stored_hash(db_url: str, username: str) -> str:
    engine = create_engine(parse_url(db_url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            value = conn.execute(select(User.password_hash).where(User.username == username)).scalar_one()
            return str(value)
    finally:
        engine.dispose()


def test_registered_user_logs_in_with_the_right_password_only(store: Store) -> None:
    ada = store.create_user("ada", "correct horse", "teacher")
    assert ada.role == "teacher"
    assert store.authenticate("ada", "correct horse") == ada
    assert store.authenticate("ada", "wrong horse!") is None
    assert store.authenticate("nobody", "correct horse") is None
    assert store.authenticate("", "correct horse") is None


def test_usernames_are_case_insensitive_and_trimmed(store: Store) -> None:
    ada = store.create_user("  Ada.Lovelace ", "correct horse")
    assert ada.username == "ada.lovelace"
    assert store.authenticate("ADA.LOVELACE", "correct horse") == ada
    with pytest.raises(InputDataError, match="taken"):
        store.create_user("ada.lovelace", "another password")


def test_password_is_stored_as_an_argon2id_hash(store: Store, db_url: str) -> None:
    store.create_user("ada", "correct horse")
    stored = _stored_hash(db_url, "ada")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored


@pytest.mark.parametrize("username", ["", "   ", "a b", "ada\x00", "x" * 65])
def test_bad_usernames_are_rejected(store: Store, username: str) -> None:
    with pytest.raises(InputDataError, match="username"):
        store.create_user(username, "correct horse")


def test_passwords_under_eight_characters_are_rejected(store: Store) -> None:
    with pytest.raises(InputDataError, match="at least 8"):
        store.create_user("ada", "1234567")
    assert store.create_user("ada", "tulip 4 moss").username == "ada"


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("ada", "12345678"),
        ("ada", "password1"),
        ("ada", "qwertyuiop"),
        ("bertrand", "bertrand2024"),
        ("ada", "aaaaaaaaaaaa"),
    ],
)
def test_easily_guessed_passwords_are_rejected_with_advice(store: Store, username: str, password: str) -> None:
    with pytest.raises(InputDataError, match="password too weak") as caught:
        store.create_user(username, password)
    assert "words" in (caught.value.hint or "")


def test_a_password_can_be_reset_and_the_old_one_stops_working(store: Store) -> None:
    store.create_user("ada", "correct horse")
    with pytest.raises(InputDataError, match="too weak"):
        store.set_password("ada", "password1")
    assert store.set_password("ADA", "violet kettle march").username == "ada"
    assert store.authenticate("ada", "correct horse") is None
    assert store.authenticate("ada", "violet kettle march") is not None
    with pytest.raises(NotFoundError, match="no user"):
        store.set_password("nobody", "violet kettle march")


def test_absurdly_long_passwords_are_rejected(store: Store) -> None:
    with pytest.raises(InputDataError, match="too long"):
        store.create_user("ada", "p" * 1025)


def test_unknown_role_is_rejected(store: Store) -> None:
    with pytest.raises(InputDataError, match="role"):
        store.create_user("ada", "correct horse", "admin")  # type: ignore[arg-type]


def test_get_user_finds_registered_users_only(store: Store) -> None:
    ada = store.create_user("ada", "correct horse")
    assert store.get_user(ada.id) == ada
    with pytest.raises(NotFoundError):
        store.get_user(ada.id + 1000)


def test_login_rehashes_a_password_made_with_an_older_cost(db_url: str) -> None:
    with Store.open(db_url, passwords=FAST_PASSWORDS) as store:
        store.create_user("ada", "correct horse")
    cheap = _stored_hash(db_url, "ada")

    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    with Store.open(db_url, passwords=stronger) as store:
        assert store.authenticate("ada", "wrong horse!") is None
        assert _stored_hash(db_url, "ada") == cheap  # a failed login changes nothing
        assert store.authenticate("ada", "correct horse") is not None
    upgraded = _stored_hash(db_url, "ada")
    assert upgraded != cheap and "t=2" in upgraded and "m=16" in upgraded
    with Store.open(db_url, passwords=stronger) as store:
        assert store.authenticate("ada", "correct horse") is not None
