"""Fixtures: every store test runs against SQLite and, when TUTOR_TEST_POSTGRES_URL is set, PostgreSQL.

Each PostgreSQL test gets a schema of its own (dropped afterwards) through the connection's
search_path, so tests never see each other's tables and need only an ordinary database owner.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tutor.storage import Passwords, Store, UserView
from tutor.storage.migrate import parse_url

POSTGRES_ENV = "TUTOR_TEST_POSTGRES_URL"
# Argon2 at its cheapest: the tests exercise the logic, not the cost (the default costs ~0.5 s per hash).
FAST_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to a database that does not exist yet (SQLite) or an empty schema (PostgreSQL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/data/socratic.db"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f'{POSTGRES_ENV} is not set; `eval "$(.ci/postgres.sh)"` starts a server and sets it')
    schema = f"test_{secrets.token_hex(6)}"
    admin = create_engine(parse_url(base), poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = parse_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url, passwords=FAST_PASSWORDS) as opened:
        yield opened


@dataclass(frozen=True)
class People:
    ada: UserView
    bob: UserView
    teacher: UserView
    researcher: UserView


@pytest.fixture
def people(store: Store) -> People:
    return People(
        ada=store.create_user("ada", "ada-password", "student"),
        bob=store.create_user("bob", "bob-password", "student"),
        teacher=store.create_user("tess", "teacher-password", "teacher"),
        researcher=store.create_user("rhea", "researcher-password", "researcher"),
    )
