"""place_photo: photos of places (never of people), re-encoded and moderated

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

One row per photo under the device's UUID, in PostgreSQL (backups, restores, retention
and several app instances need nothing more): the re-encoded JPEG (at most 1600 px, no
metadata), its 320 px thumbnail, the upload's SHA-256 (a retry is recognised), the
moderation state. The photos go with their place (ON DELETE CASCADE).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "place_photo",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("place_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("thumb", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.SmallInteger(), nullable=False),
        sa.Column("height", sa.SmallInteger(), nullable=False),
        sa.Column("upload_sha256", sa.String(length=64), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderated_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'approved', 'hidden')",
                           name=op.f("ck_place_photo_state")),
        sa.CheckConstraint("octet_length(content) BETWEEN 1 AND 4194304",
                           name=op.f("ck_place_photo_content_size")),
        sa.CheckConstraint("octet_length(thumb) BETWEEN 1 AND 1048576",
                           name=op.f("ck_place_photo_thumb_size")),
        sa.CheckConstraint("width BETWEEN 1 AND 1600 AND height BETWEEN 1 AND 1600",
                           name=op.f("ck_place_photo_size")),
        sa.CheckConstraint("upload_sha256 ~ '^[0-9a-f]{64}$'",
                           name=op.f("ck_place_photo_upload_sha256_hex")),
        sa.ForeignKeyConstraint(["place_id"], ["place.id"],
                                name=op.f("fk_place_photo_place_id_place"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"],
                                name=op.f("fk_place_photo_municipality_id_municipality")),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"],
                                name=op.f("fk_place_photo_author_id_user"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["moderated_by"], ["user.id"],
                                name=op.f("fk_place_photo_moderated_by_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_photo")),
    )
    # Already compressed: no TOAST compression attempt on every write.
    op.execute("ALTER TABLE place_photo ALTER COLUMN content SET STORAGE EXTERNAL, "
               "ALTER COLUMN thumb SET STORAGE EXTERNAL")
    op.create_index("ix_place_photo_place", "place_photo", ["place_id", "created_at"])
    op.create_index("ix_place_photo_state", "place_photo", ["state", "created_at"])
    op.create_index(op.f("ix_place_photo_municipality_id"), "place_photo", ["municipality_id"])


def downgrade():
    op.drop_table("place_photo")
