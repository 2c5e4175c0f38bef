"""sso_account: accounts that log in through the municipality's identity provider

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

One row per user who logs in with single sign-on (OpenID Connect or SAML): linked by
the provider (issuer or entity id) and the person's stable id there, not by e-mail.
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sso_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=10), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("protocol IN ('oidc', 'saml')", name=op.f("ck_sso_account_protocol")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_sso_account_user_id_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_account")),
        sa.UniqueConstraint("issuer", "subject", name="uq_sso_account_issuer_subject"),
        sa.UniqueConstraint("user_id", name=op.f("uq_sso_account_user_id")),
    )


def downgrade():
    op.drop_table("sso_account")
