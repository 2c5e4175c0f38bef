"""recording: a category's or an answer status's name read aloud, per language

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

One row per subject (a category, or an answer status) and language: the uploaded file
as it came (ogg, mp3 or m4a, at most 1 MB and 30 s, checked with mutagen), its media
type, duration and SHA-256. In PostgreSQL like the photos (backups, restores and several
app instances need nothing more); a category's recordings go with it (ON DELETE CASCADE).
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

STATUSES = "'kept', 'improved', 'changed', 'not_possible', 'considering'"
LANGUAGES = "'sv', 'en', 'fi', 'fit', 'se'"
TYPES = "'audio/ogg', 'audio/mpeg', 'audio/mp4'"


def upgrade():
    op.create_table(
        "recording",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("language", sa.String(length=3), nullable=False),
        sa.Column("media_type", sa.String(length=20), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("num_nonnulls(category_id, status) = 1",
                           name=op.f("ck_recording_one_subject")),
        sa.CheckConstraint(f"status IS NULL OR status IN ({STATUSES})",
                           name=op.f("ck_recording_status")),
        sa.CheckConstraint(f"language IN ({LANGUAGES})", name=op.f("ck_recording_language")),
        sa.CheckConstraint(f"media_type IN ({TYPES})", name=op.f("ck_recording_media_type")),
        sa.CheckConstraint("octet_length(content) BETWEEN 1 AND 1048576",
                           name=op.f("ck_recording_content_size")),
        sa.CheckConstraint("duration_ms BETWEEN 1 AND 30000", name=op.f("ck_recording_duration")),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name=op.f("ck_recording_sha256_hex")),
        sa.ForeignKeyConstraint(["category_id"], ["category.id"],
                                name=op.f("fk_recording_category_id_category"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"],
                                name=op.f("fk_recording_author_id_user"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording")),
    )
    # Already compressed: no TOAST compression attempt on every write.
    op.execute("ALTER TABLE recording ALTER COLUMN content SET STORAGE EXTERNAL")
    op.create_index("uq_recording_category_language", "recording", ["category_id", "language"],
                    unique=True, postgresql_where=sa.text("category_id IS NOT NULL"))
    op.create_index("uq_recording_status_language", "recording", ["status", "language"],
                    unique=True, postgresql_where=sa.text("status IS NOT NULL"))


def downgrade():
    op.drop_table("recording")
