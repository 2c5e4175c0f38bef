"""photo_objects: a photo's bytes may live in an S3-compatible object store

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

With SMULTRON_PHOTO_STORE=s3://bucket/prefix a new photo's JPEG and thumbnail are the
objects ``<object_key>/full.jpg`` and ``<object_key>/thumb.jpg`` (smultron/photos/store.py)
and its row holds ``object_key`` instead of the bytes. A row holds one or the other, never
both or neither. Existing rows keep their bytes (and are read from them).
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

WHERE = ("(object_key IS NULL AND content IS NOT NULL AND thumb IS NOT NULL) OR "
         "(object_key IS NOT NULL AND content IS NULL AND thumb IS NULL)")


def upgrade() -> None:
    op.add_column("place_photo", sa.Column("object_key", sa.String(length=300),
                                           nullable=True))
    op.alter_column("place_photo", "content", existing_type=sa.LargeBinary(), nullable=True)
    op.alter_column("place_photo", "thumb", existing_type=sa.LargeBinary(), nullable=True)
    op.create_check_constraint(op.f("ck_place_photo_bytes_or_object"), "place_photo", WHERE)


def downgrade() -> None:
    # Photos in the object store cannot come back into rows here: refuse rather than lose.
    op.execute("DO $$ BEGIN IF EXISTS (SELECT 1 FROM place_photo WHERE object_key IS NOT "
               "NULL) THEN RAISE EXCEPTION 'photos are in the object store: copy them into "
               "the rows first'; END IF; END $$")
    op.drop_constraint(op.f("ck_place_photo_bytes_or_object"), "place_photo", type_="check")
    op.alter_column("place_photo", "thumb", existing_type=sa.LargeBinary(), nullable=False)
    op.alter_column("place_photo", "content", existing_type=sa.LargeBinary(), nullable=False)
    op.drop_column("place_photo", "object_key")
