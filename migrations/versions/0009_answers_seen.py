"""answers_seen: when each user last opened a preschool's answers page

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

One row per user and preschool, its time moved on each visit of
/map/preschools/<id>/answers; the staff's landing page counts the planners' answers
shown since ("3 new answers from the planners"). Removed with the user or the preschool.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "answers_seen",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("preschool_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE",
                                name=op.f("fk_answers_seen_user_id_user")),
        sa.ForeignKeyConstraint(["preschool_id"], ["preschool.id"], ondelete="CASCADE",
                                name=op.f("fk_answers_seen_preschool_id_preschool")),
        sa.PrimaryKeyConstraint("user_id", "preschool_id", name=op.f("pk_answers_seen")),
    )


def downgrade():
    op.drop_table("answers_seen")
