"""``smultron db backup OUT`` and ``smultron db restore FILE``.

A backup is a pg_dump custom-format archive of the whole database (schema, data,
PostGIS included). A restore replaces the database's contents in one transaction
(the archive is turned into SQL by pg_restore and run by psql with --single-transaction),
so a failed restore leaves the database as it was. It refuses a database that holds
data unless --force is given.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import click
from sqlalchemy import Engine, inspect, text

from smultron.core.embedded_pg import _find_bindir
from smultron.core.errors import CommandError

# Tables whose rows make a database "not empty" (categories are seeded reference data).
DATA_TABLES = ("municipality", "preschool", "user", "campaign", "mapping_session", "place")


@dataclass(frozen=True)
class Target:
    """How the PostgreSQL client programs reach the database."""

    conninfo: str
    password: str | None
    bindir: Path

    def env(self) -> dict:
        env = {**os.environ, "LC_ALL": "C"}
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def run(self, argv: list[str], failure: str, **kwargs) -> subprocess.CompletedProcess:
        done = subprocess.run([str(self.bindir / argv[0]), *argv[1:]], env=self.env(),
                              capture_output=True, check=False, **kwargs)
        if done.returncode != 0:
            stderr = done.stderr.decode(errors="replace") if isinstance(done.stderr, bytes) \
                else done.stderr
            raise CommandError(failure, detail=stderr.strip()[-2000:] or None)
        return done


def target_for(engine: Engine, bindir: Path | None = None) -> Target:
    url = engine.url
    conninfo = url.set(drivername="postgresql", password=None)
    return Target(conninfo.render_as_string(hide_password=False), url.password,
                  bindir or _find_bindir())


def backup(engine: Engine, out: Path, bindir: Path | None = None) -> int:
    """Write a custom-format archive to ``out``; returns its size in bytes."""
    target = target_for(engine, bindir)
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    target.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(partial),
                "--dbname", target.conninfo], failure=f"The backup to {out} failed")
    partial.replace(out)
    return out.stat().st_size


def data_counts(engine: Engine) -> dict[str, int]:
    """Rows in each data table that exists (empty dict: a fresh database)."""
    existing = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        return {table: connection.execute(text(_count_sql(table))).scalar()
                for table in DATA_TABLES if table in existing}


def _count_sql(table: str) -> str:
    assert table in DATA_TABLES
    return f'SELECT count(*) FROM "{table}"'  # noqa: S608 - a name from DATA_TABLES


def restore(engine: Engine, archive: Path, force: bool = False,
            bindir: Path | None = None) -> None:
    """Replace the database's contents with ``archive`` (all or nothing)."""
    archive = Path(archive)
    if not archive.is_file():
        raise CommandError(f"There is no backup file {archive}")
    held = {table: n for table, n in data_counts(engine).items() if n}
    if held and not force:
        listed = ", ".join(f"{n} {table}" for table, n in held.items())
        raise CommandError(f"The database is not empty ({listed}). Restoring would replace all of "
                       "it; back it up first and add --force if that is what you want.")
    target = target_for(engine, bindir)
    script = target.run(["pg_restore", "--no-owner", "--file", "-", str(archive)],
                        failure=f"{archive} is not a Smultron backup (pg_dump custom format)")
    engine.dispose()  # the restore drops the schema: no pooled connection may hold it
    sql = b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n" + script.stdout
    target.run(["psql", "-X", "-q", "--single-transaction", "-v", "ON_ERROR_STOP=1",
                "--dbname", target.conninfo], failure="The restore failed; nothing was changed",
               input=sql)


def register(main, pass_context) -> None:
    db = main.commands["db"]

    @db.command("backup")
    @click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
    @pass_context
    def db_backup(ctx, out: Path):
        """Write the whole database to OUT (pg_dump custom format)."""
        size = backup(ctx.engine, out, _bindir(ctx))
        click.echo(f"Backed up to {out} ({size / 1e6:.1f} MB).")

    @db.command("restore")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Replace a database that holds data.")
    @pass_context
    def db_restore(ctx, file: Path, force: bool):
        """Restore FILE (from 'smultron db backup') into an empty database."""
        restore(ctx.engine, file, force, _bindir(ctx))
        click.echo(f"Restored {file}.")


def _bindir(ctx) -> Path | None:
    ctx.engine  # noqa: B018 - starts the embedded cluster when there is one
    return ctx.cluster.bindir if ctx.cluster is not None else None
