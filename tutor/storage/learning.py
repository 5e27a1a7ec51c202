"""What the store keeps about a student's learning across sessions: mastery per concept now, its history
(read from the sessions' knowledge snapshots), and the problems chosen for them to practise, with reasons.

`Learning` is a part of `Store` (a mixin over its transactions). Mastery rows are written by
`Store.add_tutor_turn` in the turn's own transaction, for the concepts the turn's knowledge state has
evidence on, so a student's estimate is never ahead of or behind their stored turns.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tutor.errors import InputDataError
from tutor.storage.clean import clean_json_object, clean_label, clean_text
from tutor.storage.models import ClassMember, KnowledgeSnapshot, PracticeChoice, StudentMastery, TutoringSession, User
from tutor.storage.views import MasteryPoint, PracticeChoiceView, UserView

if TYPE_CHECKING:
    from collections.abc import Callable

MAX_REASON_CHARS = 2000


def record_mastery(db: Session, user_id: int, knowledge: dict[str, Any], now: datetime) -> None:
    """Upsert the user's mastery of every concept the knowledge state has evidence on (inside a turn's
    transaction)."""
    mastery, observations = knowledge.get("mastery") or {}, knowledge.get("observations") or {}
    for concept, value in mastery.items():
        if not observations.get(concept) or not isinstance(value, int | float):
            continue  # a prior, not a measurement: it must not overwrite what another session measured
        row = db.get(StudentMastery, (user_id, concept[:64]))
        if row is None:
            db.add(StudentMastery(user_id=user_id, concept=concept[:64], mastery=float(value), updated_at=now))
        else:
            row.mastery, row.updated_at = float(value), now


class Learning:
    """Mastery and practice operations of the Store."""

    if TYPE_CHECKING:
        _tx: Callable[..., AbstractContextManager[Session]]

    def mastery_of(self, user_id: int) -> dict[str, float]:
        """The user's current mastery per concept (only concepts with evidence)."""
        with self._tx(write=False) as db:
            rows = db.scalars(select(StudentMastery).where(StudentMastery.user_id == user_id))
            return {row.concept: row.mastery for row in rows}

    def mastery_history(self, user_id: int) -> list[MasteryPoint]:
        """Every measured (time, concept, mastery) of the user, oldest first, from their sessions' snapshots."""
        with self._tx(write=False) as db:
            query = (
                select(KnowledgeSnapshot.created_at, KnowledgeSnapshot.mastery)
                .join(TutoringSession, KnowledgeSnapshot.session_id == TutoringSession.id)
                .where(TutoringSession.user_id == user_id)
                .order_by(KnowledgeSnapshot.created_at, KnowledgeSnapshot.turn_index)
            )
            points: list[MasteryPoint] = []
            last: dict[str, float] = {}
            for when, knowledge in db.execute(query):
                observed = knowledge.get("observations") or {}
                for concept, value in sorted((knowledge.get("mastery") or {}).items()):
                    if observed.get(concept) and last.get(concept) != value:  # only changes, not repeats
                        points.append(MasteryPoint.of(when, concept, float(value)))
                        last[concept] = value
            return points

    def class_mastery(self, class_id: int) -> dict[str, dict[str, float]]:
        """Student name -> concept -> mastery, for the members of a class (callers check who may see it)."""
        with self._tx(write=False) as db:
            query = (
                select(User.username, StudentMastery.concept, StudentMastery.mastery)
                .join(ClassMember, ClassMember.user_id == User.id)
                .outerjoin(StudentMastery, StudentMastery.user_id == User.id)
                .where(ClassMember.class_id == class_id)
                .order_by(User.username)
            )
            table: dict[str, dict[str, float]] = {}
            for name, concept, value in db.execute(query):
                row = table.setdefault(name, {})
                if concept is not None:
                    row[concept] = value
            return table

    def record_practice_choice(
        self, user: UserView, problem_id: str, reason: str, details: dict[str, Any]
    ) -> PracticeChoiceView:
        """Keep which problem was chosen for the user to practise next, and why."""
        with self._tx(write=True) as db:
            if db.get(User, user.id) is None:
                raise InputDataError("no such user")
            row = PracticeChoice(
                user_id=user.id,
                problem_id=clean_label(problem_id, "problem id", 200),
                reason=clean_text(reason, "reason", MAX_REASON_CHARS),
                details=clean_json_object(details, "choice details"),
                created_at=datetime.now(UTC),
            )
            db.add(row)
            db.flush()
            return PracticeChoiceView.of(row)

    def practice_choices(self, user_id: int, *, limit: int = 50) -> list[PracticeChoiceView]:
        """The user's recorded choices, newest first."""
        with self._tx(write=False) as db:
            query = (
                select(PracticeChoice)
                .where(PracticeChoice.user_id == user_id)
                .order_by(PracticeChoice.created_at.desc(), PracticeChoice.id.desc())
                .limit(limit)
            )
            return [PracticeChoiceView.of(row) for row in db.scalars(query)]
