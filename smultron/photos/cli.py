"""``smultron photos move-to-store``: the photos kept in PostgreSQL rows (before
SMULTRON_PHOTO_STORE=s3://… was set) moved into the object store."""

from __future__ import annotations

import click


def register(main, pass_context) -> None:
    @main.group("photos")
    def photos_group():
        """Photos of places."""

    @photos_group.command("move-to-store")
    @click.option("--batch", default=20, show_default=True, type=click.IntRange(1, 500),
                  help="Photos moved per transaction.")
    @pass_context
    def move_to_store(ctx, batch: int):
        """Move the photos whose bytes are in the database into SMULTRON_PHOTO_STORE (again
        after an interruption: it goes on where it stopped)."""
        from smultron.core import audit
        from smultron.core.errors import CommandError
        from smultron.photos import store

        moved = 0
        with ctx.session() as session:
            try:
                while count := store.move_into_store(session, batch):
                    session.commit()
                    moved += count
            except store.ConfigError as exc:
                raise CommandError(str(exc)) from exc
            if moved:
                audit.record(session, "photos_moved", actor="cli",
                             target=store.of(session).settings.location(),
                             detail={"photos": moved})
                session.commit()
            location = store.of(session).settings.location()
        click.echo(f"moved {moved} photo(s) from the database into {location}")
