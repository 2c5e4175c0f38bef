"""open_dataset, open_dataset_version: open data (smultron/opendata)

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02

A published dataset is one or more campaigns' results on the fixed hexagon grid (origin
0,0 in EPSG:3006, one edge size), anonymised with the public threshold and frozen: each
publication is a version holding every public figure as JSON. Only the newest version of
a dataset whose status is 'published' is served; 'unpublished' takes it off every public
address at once. A campaign is in one dataset at most (so no overlapping variants).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "open_dataset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("campaign_ids", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("hex_size", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("licence", sa.String(length=20), nullable=False),
        sa.Column("min_preschool", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("unpublished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('published', 'unpublished')",
                           name=op.f("ck_open_dataset_status")),
        sa.CheckConstraint("licence IN ('CC0-1.0', 'CC-BY-4.0')",
                           name=op.f("ck_open_dataset_licence")),
        sa.CheckConstraint("hex_size >= 250", name=op.f("ck_open_dataset_hex_size")),
        sa.CheckConstraint("threshold >= 2", name=op.f("ck_open_dataset_threshold")),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"],
                                name=op.f("fk_open_dataset_municipality_id_municipality")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_dataset")),
    )
    op.create_index(op.f("ix_open_dataset_municipality_id"), "open_dataset",
                    ["municipality_id"], unique=False)
    op.create_table(
        "open_dataset_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["open_dataset.id"], ondelete="CASCADE",
                                name=op.f("fk_open_dataset_version_dataset_id_open_dataset")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_dataset_version")),
        sa.UniqueConstraint("dataset_id", "version",
                            name=op.f("uq_open_dataset_version_dataset_version")),
    )
    op.create_index(op.f("ix_open_dataset_version_dataset_id"), "open_dataset_version",
                    ["dataset_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_open_dataset_version_dataset_id"), table_name="open_dataset_version")
    op.drop_table("open_dataset_version")
    op.drop_index(op.f("ix_open_dataset_municipality_id"), table_name="open_dataset")
    op.drop_table("open_dataset")
