"""Persistence: users, tutoring sessions with every turn, knowledge snapshots, generation and eval runs.

`Store` is the only code that touches the database; it hands out frozen views. SQLite (default, a file in
the user data directory) and PostgreSQL (`TUTOR_DATABASE_URL=postgresql+psycopg://...`) behave the same.
The schema is migrated with the Alembic revisions in `migrations/` whenever a Store opens.
"""

from tutor.storage.models import MessageRole, RunKind, RunStatus, SessionStatus, UserRole
from tutor.storage.passwords import Passwords
from tutor.storage.store import Store
from tutor.storage.views import KnowledgeView, MessageView, RunView, SessionSummary, SessionView, UserView

__all__ = [
    "KnowledgeView",
    "MessageRole",
    "MessageView",
    "Passwords",
    "RunKind",
    "RunStatus",
    "RunView",
    "SessionStatus",
    "SessionSummary",
    "SessionView",
    "Store",
    "UserRole",
    "UserView",
]
