"""The ``smultron`` command (see README: CLI)."""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.orm import sessionmaker

from smultron import ROOT, accounts
from smultron.core import audit
from smultron.core import config as settings
from smultron.core.db import embedded_cluster, make_engine
from smultron.core.embedded_pg import EmbeddedPostgresError
from smultron.core.errors import AppError, CommandError

INSTANCE = ROOT / "instance"


class Context:
    """Lazily opens the database: the embedded cluster unless DATABASE_URL is set."""

    def __init__(self):
        self.config = settings.from_environment()
        settings.check(self.config)  # the same check as the app factory's
        self.cluster = None
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            url = self.config["DATABASE_URL"]
            if not url:
                self.cluster = embedded_cluster(INSTANCE).ensure()
                url = self.cluster.url()
            self._engine = make_engine(url, self.config["DB_POOLER"])
        return self._engine

    @contextmanager
    def session(self):
        from smultron.photos import store

        with sessionmaker(self.engine, expire_on_commit=False,
                          info=store.session_info(self.config))() as session:
            yield session

    def close(self):
        if self._engine is not None:
            self._engine.dispose()
        if self.cluster is not None and self.cluster.started_here:
            self.cluster.stop()


pass_context = click.make_pass_decorator(Context)


class SmultronGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (AppError, CommandError, EmbeddedPostgresError, settings.ConfigError) as exc:
            click.echo(f"Error: {getattr(exc, 'message', exc)}", err=True)
            if getattr(exc, "detail", None):
                click.echo(_format_detail(exc.detail), err=True)
            sys.exit(1)


def _format_detail(detail) -> str:
    if isinstance(detail, list):
        return "\n".join(f"  - {line}" for line in detail)
    return f"  {detail}"


@click.group(cls=SmultronGroup)
@click.pass_context
def main(ctx):
    """Smultron: children's favourite places, for planners."""
    ctx.obj = Context()
    ctx.call_on_close(ctx.obj.close)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@pass_context
def serve(ctx: Context, host: str, port: int):
    """Serve the app (development server; use gunicorn in production)."""
    from werkzeug.serving import run_simple

    from smultron import create_app

    ctx.engine  # noqa: B018 - starts the embedded cluster when there is one
    app = create_app({"SESSION_COOKIE_SECURE": ctx.config["SESSION_COOKIE_SECURE"]})
    demo_file = INSTANCE / "demo-accounts.txt"
    click.echo(f"\nSmultron serves http://{host}:{port}/  (Ctrl-C stops it)")
    if demo_file.exists():
        click.echo("Demo accounts:\n" + demo_file.read_text())
    for signum in (signal.SIGINT, signal.SIGTERM):  # stop cleanly, the database too
        signal.signal(signum, _exit_on_signal)
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        click.echo("Stopping Smultron.")


def _exit_on_signal(signum, _frame):
    raise SystemExit(128 + signum)


@main.group()
def db():
    """The database schema."""


@db.command("upgrade")
@pass_context
def db_upgrade(ctx: Context):
    """Migrate the database to the newest schema and seed reference data."""
    from smultron import reference

    reference.migrate_and_seed(ctx.engine)
    click.echo("The database is up to date.")


@main.command()
@click.option("--if-empty", is_flag=True, help="Only when the database has no preschools.")
@pass_context
def demo(ctx: Context, if_empty: bool):
    """Load the demo data (idempotent) and create the demo accounts."""
    from smultron import demo as demo_data

    with ctx.session() as session:
        if if_empty and demo_data.has_data(session):
            click.echo("The database has data already; no demo data loaded.")
            return
        summary = demo_data.load(session, INSTANCE / "demo-accounts.txt")
        session.commit()
    click.echo(summary)


@main.group()
def user():
    """User accounts."""


@user.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["staff", "planner", "official", "admin"]))
@click.option("--preschool", "preschools", multiple=True, help="Repeat for several (staff).")
@pass_context
def user_create(ctx: Context, email, role, preschools):
    """Create a user (the password is asked for, or read from stdin when piped)."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    with ctx.session() as session:
        created = accounts.create_user(session, email, role, password, list(preschools))
        audit.record(session, "user_created", target=created.email, actor="cli",
                     detail={"role": role, "preschools": list(preschools)})
        session.commit()
    click.echo(f"Created {created.email} ({role}).")


@main.group()
def token():
    """API tokens (for QGIS and scripts)."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="CLI", show_default=True)
@pass_context
def token_create(ctx: Context, email: str, name: str):
    """Print a new API token for EMAIL (shown once; keep it secret)."""
    with ctx.session() as session:
        owner = accounts.find_user(session, email)
        plain = accounts.create_token(session, owner, name)
        audit.record(session, "token_created", target=owner.email, actor="cli",
                     detail={"name": name})
        session.commit()
    click.echo(plain)


@main.group()
def preschools():
    """Preschools."""


@preschools.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--municipality", default=None, help="Municipality code (default: the only one).")
@pass_context
def preschools_import(ctx: Context, path: Path, municipality: str | None):
    """Import preschools from a GeoPackage, GeoJSON or CSV (all rows or none)."""
    from smultron.preschools import importing as preschool_domain

    with ctx.session() as session:
        result = preschool_domain.import_file(session, path, path.name, municipality)
        audit.record(session, "preschools_imported", actor="cli", target=path.name,
                     detail=result.as_dict())
        session.commit()
    click.echo(f"Imported {result.created} new and updated {result.updated} preschools.")


# Modules that bring their own commands: each has ``register(main, pass_context)``.
FEATURE_COMMANDS: tuple[str, ...] = (
    "smultron.export.cli",
    "smultron.retention.cli",
    "smultron.core.backup",
    "smultron.opendata.cli",
    "smultron.photos.cli",
)


def _register_feature_commands() -> None:
    import importlib

    for module in FEATURE_COMMANDS:
        importlib.import_module(module).register(main, pass_context)


_register_feature_commands()
