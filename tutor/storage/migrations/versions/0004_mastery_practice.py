"""A student's mastery per concept, carried across sessions, and the problems chosen for them to practise.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    # Frozen copy of models.JsonDoc: a migration must not change when models.py does.
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "practice_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "details",
            _json(),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_practice_choices_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_choices")),
    )
    with op.batch_alter_table("practice_choices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practice_choices_user_id"), ["user_id"], unique=False)

    op.create_table(
        "student_mastery",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("concept", sa.String(length=64), nullable=False),
        sa.Column("mastery", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_student_mastery_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "concept", name=op.f("pk_student_mastery")),
    )


def downgrade() -> None:
    op.drop_table("student_mastery")
    with op.batch_alter_table("practice_choices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_choices_user_id"))

    op.drop_table("practice_choices")
