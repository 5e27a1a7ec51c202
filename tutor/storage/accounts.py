"""Accounts and classes: users with their passwords, and a teacher's classes that students join with a code.

`Accounts` is a part of `Store` (a mixin over its transactions), kept apart so the store stays readable.
Rules enforced here: teachers manage only their own classes, researchers every class; students see only
the classes they are in, never their join codes. A code that names no class gets the same answer as a
malformed one. Usernames are case-insensitive (stored NFKC-normalized and case-folded).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, get_args

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tutor.errors import InputDataError, NotFoundError
from tutor.storage.clean import clean_title, normalize_username
from tutor.storage.models import ClassMember, Classroom, User, UserRole
from tutor.storage.passwords import Passwords, check_password_rules
from tutor.storage.views import ClassView, UserView

if TYPE_CHECKING:
    from collections.abc import Callable

# Letters and digits a student can read off a board without confusing 0/O or 1/l/I.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_REVEAL_AFTER = 20


def new_join_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code: str) -> str:
    """The code as stored: upper case, without spaces or dashes a student may type."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


class Accounts:
    """User and class operations of the Store."""

    if TYPE_CHECKING:
        _tx: Callable[..., AbstractContextManager[Session]]
        _passwords: Passwords

    # -- users ---------------------------------------------------------------------------------------

    def create_user(
        self, username: str, password: str, role: UserRole = "student", *, join_code: str | None = None
    ) -> UserView:
        """Register a user with an Argon2id password hash; with `join_code`, in that class (one transaction,
        so a wrong code makes no account).

        Raises:
            InputDataError: empty or malformed username, weak password, unknown role, or the name is taken.
            NotFoundError: `join_code` names no class.
        """
        name = normalize_username(username)
        check_password_rules(password, name)
        if role not in get_args(UserRole):
            raise InputDataError(f"unknown role '{role}'", f"choose one of: {', '.join(get_args(UserRole))}")
        password_hash = self._passwords.hash(password)
        with self._tx(write=True, conflict=f"username {name!r} is taken") as db:
            if db.scalar(select(User.id).where(User.username == name)) is not None:
                raise InputDataError(f"username {name!r} is taken")
            classroom = self._class_by_code(db, join_code) if join_code is not None else None
            row = User(username=name, password_hash=password_hash, role=role, created_at=datetime.now(UTC))
            db.add(row)
            db.flush()
            if classroom is not None:
                db.add(ClassMember(class_id=classroom.id, user_id=row.id, joined_at=datetime.now(UTC)))
            return UserView.of(row)

    def set_password(self, username: str, password: str) -> UserView:
        """Give the user a new password (staff reset a student's from the command line). Raises
        NotFoundError for an unknown name, InputDataError for a weak password."""
        name = normalize_username(username)
        check_password_rules(password, name)
        password_hash = self._passwords.hash(password)
        with self._tx(write=True) as db:
            row = db.scalar(select(User).where(User.username == name))
            if row is None:
                raise NotFoundError(f"no user is called {name!r}")
            row.password_hash = password_hash
            return UserView.of(row)

    def authenticate(self, username: str, password: str) -> UserView | None:
        """The user with these credentials, or None. Unknown names cost as much time as wrong passwords."""
        try:
            name = normalize_username(username)
        except InputDataError:
            name = None
        with self._tx(write=False) as db:
            row = db.scalar(select(User).where(User.username == name)) if name else None
            if row is None:
                self._passwords.burn(password)
                return None
            if not self._passwords.verify(row.password_hash, password):
                return None
            view, stored_hash = UserView.of(row), row.password_hash
        if self._passwords.needs_rehash(stored_hash):
            # The hashing cost was raised since this hash was made: upgrade it while we know the password.
            new_hash = self._passwords.hash(password)
            with self._tx(write=True) as db:
                row = db.get(User, view.id)
                if row is not None and row.password_hash == stored_hash:
                    row.password_hash = new_hash
        return view

    def user_named(self, username: str) -> UserView:
        """The user with this name (case-insensitive). Raises NotFoundError."""
        try:
            name = normalize_username(username)
        except InputDataError:
            raise NotFoundError(f"no user is called {username!r}") from None
        with self._tx(write=False) as db:
            row = db.scalar(select(User).where(User.username == name))
            if row is None:
                raise NotFoundError(f"no user is called {name!r}")
            return UserView.of(row)

    def get_user(self, user_id: int) -> UserView:
        """The user with this id (e.g. to restore a logged-in viewer). Raises NotFoundError."""
        with self._tx(write=False) as db:
            row = db.get(User, user_id)
            if row is None:
                raise NotFoundError(f"user {user_id} not found")
            return UserView.of(row)

    # -- classes -------------------------------------------------------------------------------------

    def create_class(self, teacher: UserView, name: str) -> ClassView:
        """A new class owned by `teacher` (a teacher or researcher), with a fresh join code and the reveal
        policy "never". Raises InputDataError for an empty name or a student."""
        title = clean_title(name, 100)
        if not title:
            raise InputDataError("the class needs a name", "e.g. '7B maths'")
        with self._tx(write=True) as db:
            owner = db.get(User, teacher.id)
            if owner is None or owner.role == "student":
                raise InputDataError("only teachers and researchers can make classes")
            code = new_join_code()
            while db.scalar(select(Classroom.id).where(Classroom.join_code == code)) is not None:
                code = new_join_code()
            row = Classroom(name=title, teacher_id=owner.id, join_code=code, created_at=datetime.now(UTC))
            db.add(row)
            db.flush()
            return ClassView.of(row, owner.username, members=0)

    def list_classes(self, viewer: UserView) -> list[ClassView]:
        """A teacher's own classes, every class for a researcher, the classes a student is in (no codes)."""
        with self._tx(write=False) as db:
            me = db.get(User, viewer.id)
            if me is None:
                return []
            return list(self._class_views(db, me))

    def _class_views(self, db: Session, me: User) -> Iterator[ClassView]:
        members = select(ClassMember.class_id, func.count().label("n")).group_by(ClassMember.class_id).subquery()
        query = (
            select(Classroom, User.username, members.c.n)
            .join(User, Classroom.teacher_id == User.id)
            .outerjoin(members, members.c.class_id == Classroom.id)
            .order_by(Classroom.name, Classroom.id)
        )
        if me.role == "teacher":
            query = query.where(Classroom.teacher_id == me.id)
        elif me.role == "student":
            query = query.join(ClassMember, ClassMember.class_id == Classroom.id).where(ClassMember.user_id == me.id)
        for row, teacher, n in db.execute(query):
            view = ClassView.of(row, teacher, members=n or 0)
            yield view.without_code() if me.role == "student" else view

    def _managed(self, db: Session, class_id: int, viewer: UserView) -> Classroom:
        """The class if `viewer` manages it (its teacher, or a researcher); NotFoundError otherwise."""
        me = db.get(User, viewer.id)
        row = db.get(Classroom, class_id) if isinstance(class_id, int) else None
        if me is None or row is None or not (me.role == "researcher" or row.teacher_id == me.id):
            raise NotFoundError("class not found", "pick one of your classes")
        return row

    def join_class(self, user: UserView, code: str) -> ClassView:
        """Put `user` in the class with this join code (joining twice is a no-op). Raises NotFoundError."""
        with self._tx(write=True) as db:
            row = self._class_by_code(db, code)
            if db.get(ClassMember, (row.id, user.id)) is None:
                db.add(ClassMember(class_id=row.id, user_id=user.id, joined_at=datetime.now(UTC)))
                db.flush()
            return _view(db, row).without_code()

    @staticmethod
    def _class_by_code(db: Session, code: str) -> Classroom:
        normalized = normalize_code(code)
        row = db.scalar(select(Classroom).where(Classroom.join_code == normalized)) if normalized else None
        if row is None:
            raise NotFoundError("no class has that join code", "check the code with your teacher")
        return row

    def set_reveal_policy(self, viewer: UserView, class_id: int, after_failed_attempts: int | None) -> ClassView:
        """Set when the tutor may reveal the answer in this class: never (None) or after N failed attempts."""
        if after_failed_attempts is not None and not 1 <= after_failed_attempts <= MAX_REVEAL_AFTER:
            raise InputDataError(f"the number of failed attempts must be between 1 and {MAX_REVEAL_AFTER}")
        with self._tx(write=True) as db:
            row = self._managed(db, class_id, viewer)
            row.reveal_after_failed_attempts = after_failed_attempts
            db.flush()
            return _view(db, row)

    def class_members(self, viewer: UserView, class_id: int) -> list[UserView]:
        """The students of a class the viewer manages, by name."""
        with self._tx(write=False) as db:
            self._managed(db, class_id, viewer)
            query = (
                select(User)
                .join(ClassMember, ClassMember.user_id == User.id)
                .where(ClassMember.class_id == class_id)
                .order_by(User.username)
            )
            return [UserView.of(u) for u in db.scalars(query)]

    def reveal_policies(self, user_id: int) -> list[int | None]:
        """The reveal policy of every class the user is in (empty: in no class)."""
        with self._tx(write=False) as db:
            query = (
                select(Classroom.reveal_after_failed_attempts)
                .join(ClassMember, ClassMember.class_id == Classroom.id)
                .where(ClassMember.user_id == user_id)
            )
            return list(db.scalars(query))


def _view(db: Session, row: Classroom) -> ClassView:
    teacher = db.get(User, row.teacher_id)
    members = db.scalar(select(func.count()).select_from(ClassMember).where(ClassMember.class_id == row.id))
    return ClassView.of(row, teacher.username if teacher is not None else "", members=members or 0)
