"""saml_request: the SAML logins under way

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

One row per AuthnRequest sent to the SAML identity provider, removed when the answer to
it is taken: a response that answers the same request again (a replay) finds no row and
is refused. Rows older than the login's time limit are removed as new logins start.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "saml_request",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saml_request")),
    )


def downgrade():
    op.drop_table("saml_request")
