"""Opening databases: creation, migrations matching the ORM, upgrades with data, and clear failures."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, text
from sqlalchemy.pool import NullPool

from tests.storage.conftest import FAST_PASSWORDS
from tutor.errors import StorageError
from tutor.settings import Settings
from tutor.storage import Store
from tutor.storage.migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
    new_revision,
    parse_url,
    upgrade,
)
from tutor.storage.models import Base, MessageRow, TutoringSession, User

TABLES = {
    "users",
    "tutoring_sessions",
    "messages",
    "knowledge_snapshots",
    "runs",
    "classes",
    "class_members",
    "student_mastery",
    "practice_choices",
    "alembic_version",
}


def _table_names(db_url: str) -> set[str]:
    engine = create_engine(parse_url(db_url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_open_creates_the_sqlite_file_and_its_missing_folders(tmp_path: Path) -> None:
    db_file = tmp_path / "not" / "yet" / "there" / "socratic.db"
    with Store.open(f"sqlite:///{db_file}", passwords=FAST_PASSWORDS) as store:
        assert db_file.is_file()
        assert store.create_user("ada", "ada-password").username == "ada"
    assert _table_names(f"sqlite:///{db_file}") == TABLES


def test_default_settings_put_the_database_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.load(data_dir=tmp_path / "data")
    with Store.from_settings(settings, passwords=FAST_PASSWORDS) as store:
        assert store.url == f"sqlite:///{tmp_path / 'data' / 'socratic.db'}"
    assert (tmp_path / "data" / "socratic.db").is_file()


def test_migrations_produce_exactly_the_orm_schema(db_url: str) -> None:
    upgrade(parse_url(db_url))
    engine = create_engine(parse_url(db_url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_upgrading_from_the_first_revision_keeps_existing_data(db_url: str) -> None:
    url = parse_url(db_url)
    upgrade(url, "0001")
    assert "runs" not in _table_names(db_url)
    now = datetime.now(UTC)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            assert current_revision(conn) == "0001"
            conn.execute(
                insert(User),
                {
                    "id": 7,
                    "username": "old-ada",
                    "password_hash": FAST_PASSWORDS.hash("old-password"),
                    "role": "student",
                    "created_at": now,
                },
            )
            conn.execute(
                insert(TutoringSession),
                {
                    "id": "s" * 24,
                    "user_id": 7,
                    "problem_id": "p1",
                    "domain": "math",
                    "title": "Old",
                    "status": "active",
                    "state": {"node": "n2"},
                    "code": None,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            conn.execute(
                insert(MessageRow),
                {
                    "session_id": "s" * 24,
                    "index": 0,
                    "role": "student",
                    "text": "from before",
                    "record": None,
                    "created_at": now,
                },
            )
    finally:
        engine.dispose()

    with Store.open(db_url, passwords=FAST_PASSWORDS) as store:
        ada = store.authenticate("old-ada", "old-password")
        assert ada is not None and ada.id == 7
        assert store.get_session("s" * 24, ada).state == {"node": "n2"}
        assert [m.text for m in store.transcript("s" * 24, ada)] == ["from before"]
        assert store.pending_student_message("s" * 24, ada) is not None
        assert store.create_run("eval", {"k": 1}).kind == "eval"  # the table added by 0002
    assert TABLES <= _table_names(db_url)


def test_reopening_a_current_database_keeps_its_data(db_url: str) -> None:
    with Store.open(db_url, passwords=FAST_PASSWORDS) as store:
        ada = store.create_user("ada", "ada-password")
    with Store.open(db_url, passwords=FAST_PASSWORDS) as store:
        assert store.authenticate("ada", "ada-password") == ada


def test_downgrade_to_base_and_upgrade_again_round_trip(db_url: str) -> None:
    url = parse_url(db_url)
    upgrade(url)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
    finally:
        engine.dispose()
    assert _table_names(db_url) <= {"alembic_version"}
    upgrade(url)
    assert _table_names(db_url) == TABLES


def test_concurrent_first_starts_both_succeed(db_url: str) -> None:
    errors: list[BaseException] = []

    def start() -> None:
        try:
            Store.open(db_url, passwords=FAST_PASSWORDS).close()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _table_names(db_url) == TABLES


def test_database_from_a_newer_version_is_refused_clearly(db_url: str) -> None:
    upgrade(parse_url(db_url))
    engine = create_engine(parse_url(db_url), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(StorageError, match="newer version") as info:
        Store.open(db_url, passwords=FAST_PASSWORDS)
    assert parse_url(db_url).render_as_string(hide_password=True) in str(info.value)


def test_unreachable_server_error_names_the_url_but_not_the_password() -> None:
    with pytest.raises(StorageError) as info:
        Store.open("postgresql://alice:s3cret-pw@127.0.0.1:1/nodb")
    message = str(info.value)
    assert "postgresql+psycopg://alice:***@127.0.0.1:1/nodb" in message
    assert "s3cret-pw" not in message


def test_a_file_that_is_not_a_database_is_a_storage_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="junk.db"):
        Store.open(f"sqlite:///{junk}")


def test_a_folder_that_cannot_be_created_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(StorageError, match="cannot create the folder"):
        Store.open(f"sqlite:///{blocker}/sub/socratic.db")


@pytest.mark.parametrize("url", ["not a url", "nosuchdb://x/y"])
def test_unusable_urls_are_storage_errors(url: str) -> None:
    with pytest.raises(StorageError):
        Store.open(url)


def test_new_revision_on_unchanged_models_is_numbered_and_empty(tmp_path: Path) -> None:
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    path = new_revision("nothing changed", scripts)
    assert path.name == f"{int(head_revision()) + 1:04d}_nothing_changed.py"
    body = path.read_text()
    assert "op." not in body.split("def upgrade", 1)[1], body
