"""languages: the account's and the session's language, category labels per language

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

user.language: the interface language a person chose last (sv, en, fi, fit, se).
mapping_session.language: the language a session was held in (the five, or other);
NULL for sessions from before it was recorded.
category.labels: the labels in fi, fit and se ({"fi": …}); a missing one shows the
Swedish label. The seeded categories get their drafted labels from `smultron db upgrade`.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

LANGUAGES = "'sv', 'en', 'fi', 'fit', 'se'"


def upgrade():
    op.add_column("user", sa.Column("language", sa.String(length=3), nullable=True))
    op.create_check_constraint(op.f("ck_user_language"), "user",
                               f"language IS NULL OR language IN ({LANGUAGES})")
    op.add_column("mapping_session", sa.Column("language", sa.String(length=5), nullable=True))
    op.create_check_constraint(op.f("ck_mapping_session_language"), "mapping_session",
                               f"language IS NULL OR language IN ({LANGUAGES}, 'other')")
    op.add_column("category", sa.Column("labels", postgresql.JSONB(astext_type=sa.Text()),
                                        server_default="{}", nullable=False))


def downgrade():
    op.drop_column("category", "labels")
    op.drop_constraint(op.f("ck_mapping_session_language"), "mapping_session", type_="check")
    op.drop_column("mapping_session", "language")
    op.drop_constraint(op.f("ck_user_language"), "user", type_="check")
    op.drop_column("user", "language")
