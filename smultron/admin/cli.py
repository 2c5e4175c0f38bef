"""``smultron retention apply [--dry-run]`` and ``smultron retention show``."""

from __future__ import annotations

import click

from smultron import audit
from smultron.admin import retention


def register(main, pass_context) -> None:
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
