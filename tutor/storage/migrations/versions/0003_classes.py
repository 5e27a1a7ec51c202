"""Classes (a teacher's, with a join code and a reveal policy) and their members.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("join_code", sa.String(length=16), nullable=False),
        sa.Column("reveal_after_failed_attempts", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["teacher_id"], ["users.id"], name=op.f("fk_classes_teacher_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classes")),
        sa.UniqueConstraint("join_code", name=op.f("uq_classes_join_code")),
    )
    with op.batch_alter_table("classes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_classes_teacher_id"), ["teacher_id"], unique=False)

    op.create_table(
        "class_members",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_class_members_class_id_classes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_class_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("class_id", "user_id", name=op.f("pk_class_members")),
    )
    with op.batch_alter_table("class_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_class_members_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("class_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_class_members_user_id"))

    op.drop_table("class_members")
    with op.batch_alter_table("classes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_classes_teacher_id"))

    op.drop_table("classes")
