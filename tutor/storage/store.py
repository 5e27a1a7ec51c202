"""The Store: the only code that reads or writes the database.

Every method is one short transaction and returns frozen views (`tutor.storage.views`), never ORM
objects. A Store is safe to share between the threads of a web server: each call takes its own
connection from the Store's pool.

Access rules, enforced here and not left to callers:
- Reading a session (get_session, transcript, knowledge_history, pending_student_message): its owner,
  and any teacher or researcher.
- Writing to a session (messages, tutor turns, code, status): its owner only.
- Anyone else gets `NotFoundError` with the same message as for an id that does not exist, so guessing
  ids reveals nothing. The viewer's role is re-read from the database on every call, not trusted from
  the view passed in.

Turn protocol (what makes "stop the server mid-turn, lose nothing" hold): the student's message is
committed by `add_student_message` before any model is called; the tutor's message, the new tutor state
and the knowledge snapshot are committed together by `add_tutor_turn`. After a crash,
`pending_student_message` returns the student message still waiting for its reply.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, get_args

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tutor.errors import InputDataError, NotFoundError, StorageError, TutorError
from tutor.storage.accounts import Accounts
from tutor.storage.clean import (
    MAX_CODE_CHARS,
    MAX_MESSAGE_CHARS,
    check_run_id,
    clean_json_object,
    clean_label,
    clean_text,
    clean_title,
    normalize_username,
)
from tutor.storage.learning import Learning, record_mastery
from tutor.storage.migrate import SQLITE_BEGIN, build_engine, parse_url, safe_url, upgrade
from tutor.storage.models import (
    RUN_CLASSES,
    ClassMember,
    KnowledgeSnapshot,
    MessageRow,
    Run,
    RunStatus,
    SessionStatus,
    TutoringSession,
    User,
)
from tutor.storage.passwords import Passwords
from tutor.storage.views import KnowledgeView, MessageView, RunView, SessionSummary, SessionView, UserView

if TYPE_CHECKING:
    from tutor.settings import Settings

_TERMINAL_RUN_STATUSES = frozenset({"done", "failed", "cancelled"})


def _now() -> datetime:
    return datetime.now(UTC)


def _check_choice(value: str, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        raise InputDataError(f"{what} {value!r} is not one of {', '.join(choices)}")


class Store(Accounts, Learning):
    """Users, tutoring sessions and runs in one SQL database (SQLite file or PostgreSQL).

    Build it with `Store.open(url)` or `Store.from_settings(settings)`; close it with `close()` or use it
    as a context manager.
    """

    def __init__(self, engine: Engine, url: URL, passwords: Passwords) -> None:
        self._engine = engine
        self._url = url
        self._passwords = passwords
        self._reader = sessionmaker(engine, expire_on_commit=False)
        # SQLite: a write transaction takes the write lock when it begins (see migrate._sqlite_events).
        self._writer = sessionmaker(engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}), expire_on_commit=False)

    # -- lifecycle -------------------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str, *, passwords: Passwords | None = None) -> Store:
        """Open the database at `url`, creating it (and a SQLite file's folder) and migrating it to head.

        Args:
            url: a SQLAlchemy URL, e.g. `sqlite:////home/ada/.local/share/socratic-tutor/socratic.db` or
                `postgresql+psycopg://user:pw@host/db` (plain `postgresql://` means psycopg 3 too).
            passwords: password hashing; the default is Argon2id with argon2-cffi's default cost.

        Raises:
            StorageError: the URL is not usable, the database cannot be reached, created or migrated;
                the message names the URL with its password masked.
        """
        parsed = parse_url(url)
        upgrade(parsed)
        # upgrade() has already built an engine for this URL, so this one cannot fail on the URL.
        return cls(build_engine(parsed), parsed, passwords or Passwords())

    @classmethod
    def from_settings(cls, settings: Settings, *, passwords: Passwords | None = None) -> Store:
        """`open` on `settings.resolved_database_url` (SQLite in the data dir unless TUTOR_DATABASE_URL)."""
        return cls.open(settings.resolved_database_url, passwords=passwords)

    @property
    def url(self) -> str:
        """The database URL with the password masked."""
        return safe_url(self._url)

    def close(self) -> None:
        """Close all pooled connections. The Store must not be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _tx(self, *, write: bool, conflict: str | None = None) -> Iterator[Session]:
        """One transaction; database faults become StorageError, a unique-key clash `conflict`."""
        maker = self._writer if write else self._reader
        try:
            with maker.begin() as db:
                yield db
        except TutorError:
            raise
        except IntegrityError as exc:
            if conflict is not None:
                raise InputDataError(conflict) from exc
            raise StorageError(f"database {self.url} refused a write: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StorageError(f"database {self.url} failed: {detail}") from exc

    # -- sessions ------------------------------------------------------------------------------------

    def start_session(
        self,
        user_id: int,
        problem_id: str,
        domain: str,
        title: str,
        state: dict[str, Any],
        *,
        code: str | None = None,
    ) -> SessionView:
        """Start a tutoring session owned by `user_id`, with the tutor's initial state.

        Args:
            code: the starting program of a debugging problem (the buggy code), if any.

        Raises:
            NotFoundError: no such user. InputDataError: empty ids, state not a JSON object, code too long.
        """
        problem_id = clean_label(problem_id, "problem id", 200)
        domain = clean_label(domain, "domain", 32)
        clean_state = clean_json_object(state, "session state")
        clean_code = None if code is None else clean_text(code, "code", MAX_CODE_CHARS, allow_empty=True)
        with self._tx(write=True) as db:
            owner = db.get(User, user_id)
            if owner is None:
                raise NotFoundError(f"user {user_id} not found")
            now = _now()
            row = TutoringSession(
                id=secrets.token_urlsafe(18),
                user_id=owner.id,
                problem_id=problem_id,
                domain=domain,
                title=clean_title(title) or problem_id,
                status="active",
                state=clean_state,
                code=clean_code,
                created_at=now,
                updated_at=now,
            )
            db.add(row)
            db.flush()
            return SessionView.of(row, owner.username, message_count=0)

    def list_sessions(
        self,
        viewer: UserView,
        *,
        limit: int | None = None,
        class_id: int | None = None,
        student: str | None = None,
    ) -> list[SessionSummary]:
        """Sessions `viewer` may read, most recently active first: a student's own, or all for staff;
        staff may narrow them to one class's students (`class_id`) and to one student (`student`, a name)."""
        with self._tx(write=False) as db:
            me = db.get(User, viewer.id)
            if me is None:
                return []
            query = (
                select(TutoringSession, User.username)
                .join(User, TutoringSession.user_id == User.id)
                .order_by(TutoringSession.updated_at.desc(), TutoringSession.id)
                .limit(limit)
            )
            if me.role == "student":
                query = query.where(TutoringSession.user_id == me.id)
            if class_id is not None:
                in_class = select(ClassMember.user_id).where(ClassMember.class_id == class_id)
                query = query.where(TutoringSession.user_id.in_(in_class))
            if student:
                query = query.where(User.username == normalize_username(student))
            return [SessionSummary.of(row, owner) for row, owner in db.execute(query)]

    def get_session(self, session_id: str, viewer: UserView) -> SessionView:
        """The session with its tutor state and code. Raises NotFoundError (also when not visible)."""
        with self._tx(write=False) as db:
            row = self._visible(db, session_id, viewer, write=False)
            return SessionView.of(row, row.owner.username, self._message_count(db, row.id))

    def transcript(self, session_id: str, viewer: UserView) -> list[MessageView]:
        """All messages of the session in order. Raises NotFoundError."""
        with self._tx(write=False) as db:
            self._visible(db, session_id, viewer, write=False)
            rows = db.scalars(select(MessageRow).where(MessageRow.session_id == session_id).order_by(MessageRow.index))
            return [MessageView.of(m) for m in rows]

    def knowledge_history(self, session_id: str, viewer: UserView) -> list[KnowledgeView]:
        """The knowledge snapshots of the session in turn order. Raises NotFoundError."""
        with self._tx(write=False) as db:
            self._visible(db, session_id, viewer, write=False)
            rows = db.scalars(
                select(KnowledgeSnapshot)
                .where(KnowledgeSnapshot.session_id == session_id)
                .order_by(KnowledgeSnapshot.turn_index)
            )
            return [KnowledgeView.of(k) for k in rows]

    def pending_student_message(self, session_id: str, viewer: UserView) -> MessageView | None:
        """The last message if it is the student's, i.e. still waiting for a tutor reply; else None.

        This is what resuming after a crash or restart uses. Raises NotFoundError.
        """
        with self._tx(write=False) as db:
            self._visible(db, session_id, viewer, write=False)
            last = db.scalar(
                select(MessageRow).where(MessageRow.session_id == session_id).order_by(MessageRow.index.desc()).limit(1)
            )
            return MessageView.of(last) if last is not None and last.role == "student" else None

    def add_student_message(self, session_id: str, viewer: UserView, text: str) -> MessageView:
        """Append and commit the student's message (call this before calling any model).

        Two student messages in a row are allowed (e.g. a new one sent before a crashed turn resumed).

        Raises:
            NotFoundError: no such session, or `viewer` does not own it.
            InputDataError: empty message or longer than MAX_MESSAGE_CHARS.
        """
        clean = clean_text(text, "message", MAX_MESSAGE_CHARS)
        with self._tx(write=True) as db:
            row = self._visible(db, session_id, viewer, write=True)
            message = MessageRow(
                session_id=row.id,
                index=self._next_index(db, row.id),
                role="student",
                text=clean,
                created_at=_now(),
            )
            db.add(message)
            row.updated_at = message.created_at
            db.flush()
            return MessageView.of(message)

    def add_tutor_turn(
        self,
        session_id: str,
        viewer: UserView,
        text: str,
        record: dict[str, Any],
        state: dict[str, Any],
        knowledge: dict[str, Any] | None = None,
        *,
        status: SessionStatus | None = None,
    ) -> MessageView:
        """Commit one tutor turn atomically: the tutor message with its full record, the session's new
        tutor state, the knowledge snapshot (when given) and a status change (e.g. "solved"). Either all
        of it is stored or none of it.

        Raises:
            NotFoundError: no such session, or `viewer` does not own it.
            InputDataError: empty text, record/state/knowledge not JSON objects, unknown status.
        """
        clean = clean_text(text, "tutor message", MAX_MESSAGE_CHARS)
        clean_record = clean_json_object(record, "tutor turn record")
        clean_state = clean_json_object(state, "session state")
        clean_knowledge = None if knowledge is None else clean_json_object(knowledge, "knowledge state")
        if status is not None:
            _check_choice(status, get_args(SessionStatus), "session status")
        with self._tx(write=True) as db:
            row = self._visible(db, session_id, viewer, write=True)
            now = _now()
            message = MessageRow(
                session_id=row.id,
                index=self._next_index(db, row.id),
                role="tutor",
                text=clean,
                record=clean_record,
                created_at=now,
            )
            db.add(message)
            # Flushed step by step so that a failure at any step leaves a half-written turn in the open
            # transaction, which the rollback then discards as a whole.
            db.flush()
            row.state = clean_state
            row.updated_at = now
            if status is not None:
                row.status = status
            db.flush()
            if clean_knowledge is not None:
                db.add(
                    KnowledgeSnapshot(
                        session_id=row.id, turn_index=message.index, mastery=clean_knowledge, created_at=now
                    )
                )
                record_mastery(db, row.user_id, clean_knowledge, now)
                db.flush()
            return MessageView.of(message)

    def update_code(self, session_id: str, viewer: UserView, code: str) -> SessionView:
        """Replace the student's current code of a debugging session. Raises NotFoundError, InputDataError."""
        clean = clean_text(code, "code", MAX_CODE_CHARS, allow_empty=True)
        with self._tx(write=True) as db:
            row = self._visible(db, session_id, viewer, write=True)
            row.code = clean
            row.updated_at = _now()
            db.flush()
            return SessionView.of(row, row.owner.username, self._message_count(db, row.id))

    def set_status(self, session_id: str, viewer: UserView, status: SessionStatus) -> SessionView:
        """Mark the session active, solved or abandoned. Raises NotFoundError, InputDataError."""
        _check_choice(status, get_args(SessionStatus), "session status")
        with self._tx(write=True) as db:
            row = self._visible(db, session_id, viewer, write=True)
            row.status = status
            row.updated_at = _now()
            db.flush()
            return SessionView.of(row, row.owner.username, self._message_count(db, row.id))

    def _visible(self, db: Session, session_id: str, viewer: UserView, *, write: bool) -> TutoringSession:
        """The session if `viewer` may read it (or write it); NotFoundError otherwise, one message for all."""
        # Deliberately without the id: the answer must not differ between "missing" and "not yours".
        not_found = NotFoundError("session not found", "check the link, or pick one of your sessions")
        if not isinstance(session_id, str) or not 0 < len(session_id) <= 32:
            raise not_found
        me = db.get(User, viewer.id)
        # Writers lock the session row: concurrent turns on one session queue instead of racing for the
        # next message index (PostgreSQL; SQLite already serialises writers with BEGIN IMMEDIATE).
        row = db.get(TutoringSession, session_id, with_for_update=write)
        if me is None or row is None:
            raise not_found
        if row.user_id != me.id and (write or me.role == "student"):
            raise not_found
        return row

    @staticmethod
    def _next_index(db: Session, session_id: str) -> int:
        last = db.scalar(select(func.max(MessageRow.index)).where(MessageRow.session_id == session_id))
        return 0 if last is None else last + 1

    @staticmethod
    def _message_count(db: Session, session_id: str) -> int:
        return db.scalar(select(func.count()).select_from(MessageRow).where(MessageRow.session_id == session_id)) or 0

    # -- runs ----------------------------------------------------------------------------------------

    def create_run(
        self,
        kind: str,
        config: dict[str, Any],
        *,
        run_dir: str | Path | None = None,
        run_id: str | None = None,
    ) -> RunView:
        """Record a new generation or eval run as "running".

        Args:
            kind: "generation" or "eval".
            config: the run's spec/config, as a JSON object.
            run_dir: the folder the run writes its data to.
            run_id: a caller-chosen id (e.g. the run folder's name); default: a random one.

        Raises:
            InputDataError: unknown kind, config not a JSON object, malformed or taken run id.
        """
        _check_choice(kind, tuple(RUN_CLASSES), "run kind")
        clean_config = clean_json_object(config, "run config")
        rid = check_run_id(run_id) if run_id is not None else secrets.token_hex(8)
        with self._tx(write=True, conflict=f"run id {rid!r} is taken") as db:
            if db.get(Run, rid) is not None:
                raise InputDataError(f"run id {rid!r} is taken")
            row = RUN_CLASSES[kind](
                id=rid,
                config=clean_config,
                status="running",
                summary={},
                run_dir=None if run_dir is None else str(run_dir),
                created_at=_now(),
            )
            db.add(row)
            db.flush()
            return RunView.of(row)

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        summary: dict[str, Any] | None = None,
        run_dir: str | Path | None = None,
    ) -> RunView:
        """Change a run's status, replace its summary (counts, metrics) and/or its folder.

        A terminal status (done, failed, cancelled) sets `finished_at`; "running" clears it (resumed run).

        Raises:
            NotFoundError: no such run. InputDataError: unknown status, summary not a JSON object.
        """
        if status is not None:
            _check_choice(status, get_args(RunStatus), "run status")
        clean_summary = None if summary is None else clean_json_object(summary, "run summary")
        with self._tx(write=True) as db:
            row = db.get(Run, run_id) if isinstance(run_id, str) else None
            if row is None:
                raise NotFoundError(f"run {str(run_id)[:64]!r} not found")
            if status is not None:
                row.status = status
                row.finished_at = _now() if status in _TERMINAL_RUN_STATUSES else None
            if clean_summary is not None:
                row.summary = clean_summary
            if run_dir is not None:
                row.run_dir = str(run_dir)
            db.flush()
            return RunView.of(row)

    def get_run(self, run_id: str) -> RunView:
        """The run with this id. Raises NotFoundError."""
        with self._tx(write=False) as db:
            row = db.get(Run, run_id) if isinstance(run_id, str) else None
            if row is None:
                raise NotFoundError(f"run {str(run_id)[:64]!r} not found")
            return RunView.of(row)

    def list_runs(self, kind: str | None = None, *, limit: int | None = None) -> list[RunView]:
        """Runs, newest first; only those of `kind` when given. Raises InputDataError for an unknown kind."""
        query = select(Run).order_by(Run.created_at.desc(), Run.id).limit(limit)
        if kind is not None:
            _check_choice(kind, tuple(RUN_CLASSES), "run kind")
            query = query.where(Run.kind == kind)
        with self._tx(write=False) as db:
            return [RunView.of(r) for r in db.scalars(query)]
