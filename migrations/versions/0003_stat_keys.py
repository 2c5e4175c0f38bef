"""stat_key: a secret record key per place and per mapping session

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

The reports perturb every published count by a small fixed amount looked up from the
sum of its records' keys (the cell-key method, smultron/reports/anonymity.py), so the
same places always move the same way and a difference of two reports is never exact.
The key is a random integer in [0, 2^31), set once by the database (a volatile default:
every existing row gets its own) and never shown, sent or exported.
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

DEFAULT = "floor(random() * 2147483648)::integer"


def upgrade():
    for table in ("place", "mapping_session"):
        op.add_column(table, sa.Column("stat_key", sa.Integer(), nullable=False,
                                       server_default=sa.text(DEFAULT)))


def downgrade():
    for table in ("place", "mapping_session"):
        op.drop_column(table, "stat_key")
