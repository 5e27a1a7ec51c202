"""Engines and schema migrations: opening a database URL and bringing its schema to the current head.

Migrations live inside the package (`tutor/storage/migrations/`) and run through an Alembic config built
here, so an installed wheel migrates its database without any alembic.ini. To add a revision after
changing `models.py`:

    python -m tutor.storage.migrate revision "add the foo column"

autogenerates it against a scratch SQLite database at the current head; read and fix what it wrote.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from tutor.errors import StorageError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Any constant works; it only has to be the same in every process that migrates the same database.
_PG_MIGRATION_LOCK = 0x50C2A71C

# Alembic keeps the running migration in module globals (alembic.context, alembic.op): one at a time
# per process. Across processes the database's own lock orders them (see upgrade()).
_ALEMBIC_LOCK = threading.Lock()

# Execution option that makes a SQLite transaction start with BEGIN IMMEDIATE (see _sqlite_events).
SQLITE_BEGIN = "tutor_sqlite_begin"


def parse_url(url: str) -> URL:
    """Parse a database URL; bare `postgresql://` and `postgres://` mean psycopg 3, the driver we ship."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise StorageError(f"'{url}' is not a database URL", "use sqlite:///path or postgresql://...") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def safe_url(url: URL) -> str:
    """The URL as text with the password masked, for messages and logs."""
    return url.render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for in-memory and `file:` URI databases."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or url.query.get("uri") == "true":
        return None
    return Path(database).expanduser()


def build_engine(url: URL, *, for_migrations: bool = False) -> Engine:
    """An engine for `url`, with SQLite set up for a multi-threaded web server (WAL, busy timeout).

    The migration engine keeps SQLite foreign keys off: Alembic's batch mode copies and drops tables,
    which would otherwise cascade-delete child rows. It uses no pool, so the setting dies with it.
    """
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        kwargs["pool_pre_ping"] = True  # survives a restarted database server
    if for_migrations:
        kwargs["poolclass"] = NullPool
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        _sqlite_events(engine, foreign_keys=not for_migrations)
    return engine


def _sqlite_events(engine: Engine, *, foreign_keys: bool) -> None:
    """Per-connection pragmas, and transactions under our control instead of pysqlite's.

    pysqlite opens transactions lazily and as DEFERRED: a transaction that reads and then writes can fail
    at once with "database is locked" when another writer got in between, whatever the busy timeout.
    Write transactions therefore begin IMMEDIATE (they queue on the write lock, up to the busy timeout);
    read transactions stay DEFERRED, and under WAL they never wait for writers.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            if sqlite_path(engine.url) is not None:
                _enable_wal(cursor)
                cursor.execute("PRAGMA synchronous = NORMAL")  # durable at each WAL checkpoint; safe with WAL
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL (a persistent, one-time change), retrying while another connection does too.

    Two connections switching a brand-new file at the same moment deadlock on the lock upgrade, and
    SQLite then answers "database is locked" at once instead of waiting out the busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def alembic_config(script_location: Path = MIGRATIONS_DIR) -> Config:
    """An Alembic config for the packaged migrations, without any .ini file."""
    cfg = Config()
    # Config values go through configparser interpolation, where '%' is special.
    cfg.set_main_option("script_location", str(script_location).replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest migration revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the packaged migrations have no head revision"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the connected database is at (None: not under migration control)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(url: URL, revision: str = "head") -> None:
    """Create the database if needed and migrate it to `revision`, in one transaction.

    Concurrent starts are safe: SQLite serialises them on the write lock (BEGIN IMMEDIATE), PostgreSQL on
    an advisory lock, and the second one then finds nothing left to do.

    Raises:
        StorageError: the database cannot be created, reached or migrated; the message names the URL
            (password masked).
    """
    where = safe_url(url)
    path = sqlite_path(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the folder for database {where}: {exc}") from exc
    try:
        engine = build_engine(url, for_migrations=True)
    except (ArgumentError, ImportError) as exc:
        raise StorageError(
            f"cannot open database {where}: {exc}", "use sqlite:///path or postgresql+psycopg://..."
        ) from exc
    try:
        with _ALEMBIC_LOCK, engine.connect() as conn:
            conn = conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if conn.dialect.name == "sqlite":
                    bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if bad:
                        raise StorageError(f"migrating {where} left broken foreign keys: {bad[:5]}")
    except CommandError as exc:
        raise StorageError(
            f"cannot migrate database {where}: {exc}",
            "the database may come from a newer version of socratic-tutor; upgrade the package",
        ) from exc
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot open or migrate database {where}: {_first_line(exc)}") from exc
    finally:
        engine.dispose()


def _first_line(exc: BaseException) -> str:
    # Driver errors carry the SQL and a help URL on further lines; the first line is the reason.
    detail = str(getattr(exc, "orig", None) or exc)
    return detail.strip().splitlines()[0] if detail.strip() else type(exc).__name__


def new_revision(message: str, script_location: Path = MIGRATIONS_DIR) -> Path:
    """Autogenerate a revision for the difference between `models.py` and the current head.

    Returns:
        The path of the new revision file.
    """
    with tempfile.TemporaryDirectory() as scratch:
        url = make_url(f"sqlite:///{Path(scratch) / 'head.db'}")
        engine = build_engine(url, for_migrations=True)
        try:
            with _ALEMBIC_LOCK, engine.begin() as conn:
                cfg = alembic_config(script_location)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                head = ScriptDirectory.from_config(cfg).get_current_head()
                # Numbered revisions (0001, 0002, ...) keep the versions folder in order.
                rev_id = f"{int(head) + 1:04d}" if head and head.isdigit() else None
                script = command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
        finally:
            engine.dispose()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "revision":
        print('usage: python -m tutor.storage.migrate revision "what changed"', file=sys.stderr)
        return 2
    print(new_revision(argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
