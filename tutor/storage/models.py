"""The database schema as SQLAlchemy 2.0 typed ORM models.

Only `tutor.storage.store` uses these classes; everything outside the storage package gets frozen views
(`tutor.storage.views`). A change here needs a migration in `migrations/versions/` (see `migrate.py`);
a test checks that the migrations produce exactly this metadata.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

UserRole = Literal["student", "teacher", "researcher"]
SessionStatus = Literal["active", "solved", "abandoned"]
MessageRole = Literal["student", "tutor"]
RunKind = Literal["generation", "eval"]
RunStatus = Literal["running", "done", "failed", "cancelled"]

USER_ROLES: tuple[UserRole, ...] = get_args(UserRole)
SESSION_STATUSES: tuple[SessionStatus, ...] = get_args(SessionStatus)
MESSAGE_ROLES: tuple[MessageRole, ...] = get_args(MessageRole)
RUN_KINDS: tuple[RunKind, ...] = get_args(RunKind)
RUN_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)

# Deterministic constraint names: SQLite migrations (batch mode) can only alter named constraints.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON text on SQLite, JSONB on PostgreSQL (indexable, and it normalises on write). none_as_null keeps
# Python None as SQL NULL instead of the JSON literal 'null'.
JsonDoc = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JsonDoc}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", USER_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    sessions: Mapped[list[TutoringSession]] = relationship(back_populates="owner", passive_deletes=True)


class Classroom(Base):
    """A teacher's class: students join it with its code; its reveal policy applies to their sessions."""

    __tablename__ = "classes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Short and unguessable enough for a class (secrets), unique so a code names one class.
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    # NULL: the tutor never reveals the answer or fix in this class's sessions.
    reveal_after_failed_attempts: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClassMember(Base):
    """A student in a class."""

    __tablename__ = "class_members"

    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TutoringSession(Base):
    """One student working on one problem with the tutor."""

    __tablename__ = "tutoring_sessions"
    __table_args__ = (CheckConstraint(_in("status", SESSION_STATUSES), name="status"),)

    # Unguessable (secrets.token_urlsafe), because it appears in URLs.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    problem_id: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    state: Mapped[dict[str, Any]] = mapped_column()
    code: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    owner: Mapped[User] = relationship(back_populates="sessions")


class MessageRow(Base):
    """One turn of a session's transcript; `index` counts from 0 in transcript order."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("session_id", "index"),
        CheckConstraint(_in("role", MESSAGE_ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("tutoring_sessions.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    # The full TutorTurn record for tutor turns; NULL for student messages.
    record: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class KnowledgeSnapshot(Base):
    """The tutor's per-concept mastery estimate as it stood after the tutor turn `turn_index`."""

    __tablename__ = "knowledge_snapshots"
    __table_args__ = (UniqueConstraint("session_id", "turn_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("tutoring_sessions.id", ondelete="CASCADE"))
    turn_index: Mapped[int] = mapped_column(Integer)
    mastery: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StudentMastery(Base):
    """A student's mastery estimate of one concept as it stands now, carried from session to session."""

    __tablename__ = "student_mastery"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    concept: Mapped[str] = mapped_column(String(64), primary_key=True)
    mastery: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PracticeChoice(Base):
    """A problem chosen for a student to practise next, with the reason (what it targets, and why now)."""

    __tablename__ = "practice_choices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    problem_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Run(Base):
    """A dialogue-generation or eval run; the run folder on disk holds its data, this row its bookkeeping.

    One table, one class per kind (single-table inheritance). The kind set is checked in Python, not
    by a database constraint, so a new kind of run needs no migration.
    """

    __tablename__ = "runs"
    __table_args__ = (CheckConstraint(_in("status", RUN_STATUSES), name="status"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    config: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16))
    summary: Mapped[dict[str, Any]] = mapped_column()
    run_dir: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"polymorphic_on": "kind"}


class GenerationRun(Run):
    """A synthetic-dialogue (or hint) generation run."""

    __mapper_args__ = {"polymorphic_identity": "generation"}


class EvalRun(Run):
    """An offline eval run."""

    __mapper_args__ = {"polymorphic_identity": "eval"}


RUN_CLASSES: dict[str, type[Run]] = {"generation": GenerationRun, "eval": EvalRun}
