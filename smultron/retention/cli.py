"""``smultron retention apply [--dry-run]`` and ``smultron retention show``."""

from __future__ import annotations

import os

import click

from smultron import accounts, retention
from smultron.accounts import users
from smultron.core import audit
from smultron.models import ROLES

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def register(main, pass_context) -> None:
    _register_retention(main, pass_context)
    _register_links(main, pass_context)


def _link_url(base_url: str | None, token: str) -> str:
    base = (base_url or os.environ.get("SMULTRON_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    return f"{base}/set-password/{token}"


def _register_links(main, pass_context) -> None:
    group = main.get_command(None, "user")
    base_url = click.option("--base-url", default=None,
                            help="The site's address (default: $SMULTRON_BASE_URL).")

    @group.command("invite")
    @click.argument("email")
    @click.option("--role", required=True, type=click.Choice(ROLES))
    @click.option("--preschool", "preschools", multiple=True, help="Repeat for several (staff).")
    @base_url
    @pass_context
    def invite(ctx, email, role, preschools, base_url):
        """Create a user without a password and print a one-time invitation link."""
        with ctx.session() as session:
            ids = [str(accounts.find_preschool(session, name).id) for name in preschools]
            data = users.parse(session, {"email": email, "role": role}, ids)
            user = users.create(session, data)
            token, expires_at = users.issue_link(session, user, "invite")
            audit.record(session, "user_created", target=user.email, actor="cli",
                         detail={**users.summary(user), "link": "invite",
                                 "link_expires_at": expires_at.isoformat()})
            session.commit()
        click.echo(f"Invited {user.email} ({role}). Hand over this link; it works once and "
                   f"expires {expires_at:%Y-%m-%d %H:%M} UTC:")
        click.echo(_link_url(base_url, token))

    @group.command("reset-link")
    @click.argument("email")
    @base_url
    @pass_context
    def reset_link(ctx, email, base_url):
        """Print a one-time password-reset link for EMAIL (earlier unused links stop working)."""
        with ctx.session() as session:
            user = accounts.find_user(session, email)
            token, expires_at = users.issue_link(session, user, "reset")
            audit.record(session, "link_issued", target=user.email, actor="cli",
                         detail={"link": "reset", "link_expires_at": expires_at.isoformat()})
            session.commit()
        click.echo(f"A reset link for {user.email}; it works once and expires "
                   f"{expires_at:%Y-%m-%d %H:%M} UTC:")
        click.echo(_link_url(base_url, token))


def _register_retention(main, pass_context) -> None:
    @main.group("retention")
    def retention_group():
        """Retention: remove what is past its period (for cron or a systemd timer)."""

    @retention_group.command("apply")
    @click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
    @pass_context
    def apply(ctx, dry_run: bool):
        """Remove comments, deleted places and audit events past their periods."""
        with ctx.session() as session:
            limits = retention.periods(session)
            outcome = retention.apply(session, dry_run=dry_run)
            if not dry_run and outcome.total:
                audit.record(session, "retention_applied", actor="cli",
                             detail={**outcome.as_dict(), "periods": limits})
            if dry_run:
                session.rollback()
            else:
                session.commit()
        for line in retention.describe(outcome, limits):
            click.echo(line)

    @retention_group.command("show")
    @pass_context
    def show(ctx):
        """Print the configured periods (change them under Administration → Retention)."""
        with ctx.session() as session:
            for key, value in retention.periods(session).items():
                click.echo(f"{key} = {value}")
