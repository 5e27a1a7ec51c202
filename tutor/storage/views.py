"""Frozen views of stored rows: what the Store hands out instead of live ORM objects.

A view is a snapshot taken inside the transaction that read it, so callers can keep it across threads
and requests without detached-instance errors. JSON fields are plain dicts/lists owned by the view;
changing them changes nothing in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from tutor.storage.models import (
    Classroom,
    KnowledgeSnapshot,
    MessageRole,
    MessageRow,
    PracticeChoice,
    Run,
    RunStatus,
    SessionStatus,
    TutoringSession,
    User,
    UserRole,
)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; everything is stored in UTC, so say so."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class UserView:
    """A user without the password hash."""

    id: int
    username: str
    role: UserRole
    created_at: datetime

    @property
    def sees_all_sessions(self) -> bool:
        """Teachers and researchers read every session; students only their own."""
        return self.role != "student"

    @classmethod
    def of(cls, row: User) -> UserView:
        return cls(id=row.id, username=row.username, role=row.role, created_at=as_utc(row.created_at))  # type: ignore[arg-type]


@dataclass(frozen=True)
class SessionSummary:
    """A session as listed: everything but the (possibly large) tutor state and code."""

    id: str
    owner_id: int
    owner_username: str
    problem_id: str
    domain: str
    title: str
    status: SessionStatus
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: TutoringSession, owner_username: str) -> SessionSummary:
        return cls(
            id=row.id,
            owner_id=row.user_id,
            owner_username=owner_username,
            problem_id=row.problem_id,
            domain=row.domain,
            title=row.title,
            status=row.status,  # type: ignore[arg-type]
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
        )


@dataclass(frozen=True)
class ClassView:
    """A class. `join_code` is "" in the views students get."""

    id: int
    name: str
    teacher_id: int
    teacher_username: str
    join_code: str
    reveal_after_failed_attempts: int | None
    members: int
    created_at: datetime

    @classmethod
    def of(cls, row: Classroom, teacher_username: str, *, members: int) -> ClassView:
        return cls(
            id=row.id,
            name=row.name,
            teacher_id=row.teacher_id,
            teacher_username=teacher_username,
            join_code=row.join_code,
            reveal_after_failed_attempts=row.reveal_after_failed_attempts,
            members=members,
            created_at=as_utc(row.created_at),
        )

    def without_code(self) -> ClassView:
        return replace(self, join_code="")


@dataclass(frozen=True)
class SessionView:
    """A session with its serialized tutor state and, for debugging problems, the student's current code."""

    id: str
    owner_id: int
    owner_username: str
    problem_id: str
    domain: str
    title: str
    status: SessionStatus
    state: dict[str, Any]
    code: str | None
    message_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: TutoringSession, owner_username: str, message_count: int) -> SessionView:
        return cls(
            id=row.id,
            owner_id=row.user_id,
            owner_username=owner_username,
            problem_id=row.problem_id,
            domain=row.domain,
            title=row.title,
            status=row.status,  # type: ignore[arg-type]
            state=row.state,
            code=row.code,
            message_count=message_count,
            created_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
        )


@dataclass(frozen=True)
class MessageView:
    """One transcript entry. `record` is the full tutor-turn record for tutor turns, None for students."""

    session_id: str
    index: int
    role: MessageRole
    text: str
    record: dict[str, Any] | None
    created_at: datetime

    @classmethod
    def of(cls, row: MessageRow) -> MessageView:
        return cls(
            session_id=row.session_id,
            index=row.index,
            role=row.role,  # type: ignore[arg-type]
            text=row.text,
            record=row.record,
            created_at=as_utc(row.created_at),
        )


@dataclass(frozen=True)
class KnowledgeView:
    """Per-concept mastery after the tutor turn at transcript index `turn_index`."""

    session_id: str
    turn_index: int
    mastery: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, row: KnowledgeSnapshot) -> KnowledgeView:
        return cls(
            session_id=row.session_id,
            turn_index=row.turn_index,
            mastery=row.mastery,
            created_at=as_utc(row.created_at),
        )


@dataclass(frozen=True)
class RunView:
    """Bookkeeping of a generation or eval run; the data itself lives in `run_dir`."""

    id: str
    kind: str
    config: dict[str, Any]
    status: RunStatus
    summary: dict[str, Any]
    run_dir: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, row: Run) -> RunView:
        return cls(
            id=row.id,
            kind=row.kind,
            config=row.config,
            status=row.status,  # type: ignore[arg-type]
            summary=row.summary,
            run_dir=row.run_dir,
            created_at=as_utc(row.created_at),
            finished_at=as_utc(row.finished_at) if row.finished_at is not None else None,
        )


@dataclass(frozen=True)
class MasteryPoint:
    """One measured value of a student's mastery of a concept."""

    at: datetime
    concept: str
    mastery: float

    @classmethod
    def of(cls, at: datetime, concept: str, mastery: float) -> MasteryPoint:
        return cls(at=as_utc(at), concept=concept, mastery=mastery)


@dataclass(frozen=True)
class PracticeChoiceView:
    """A problem chosen for a student to practise, and why."""

    id: int
    user_id: int
    problem_id: str
    reason: str
    details: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, row: PracticeChoice) -> PracticeChoiceView:
        return cls(
            id=row.id,
            user_id=row.user_id,
            problem_id=row.problem_id,
            reason=row.reason,
            details=row.details,
            created_at=as_utc(row.created_at),
        )
