"""``smultron open publish --campaign NAME… [--hex-size M]`` and
``smultron open unpublish DATASET``."""

from __future__ import annotations

import click

DEFAULT_HEX_SIZE = 500  # as smultron.opendata.DEFAULT_HEX_SIZE (keeps `smultron` fast)


def register(main, pass_context) -> None:
    @main.group("open")
    def open_group():
        """Open data: anonymous results published for everyone (/open)."""

    @open_group.command("publish")
    @click.option("--campaign", "campaigns", multiple=True, required=True,
                  help="Campaign name (repeatable: one dataset of several campaigns).")
    @click.option("--hex-size", default=DEFAULT_HEX_SIZE, show_default=True, type=int,
                  help="Hexagon edge in metres: 250, 500 or 1000.")
    @click.option("--licence", default="CC0-1.0", show_default=True,
                  type=click.Choice(["CC0-1.0", "CC-BY-4.0"]))
    @click.option("--min-preschool-size", "min_preschool", default=20, show_default=True,
                  type=int, help="A preschool with fewer enrolled children is never named.")
    @pass_context
    def open_publish(ctx, campaigns, hex_size, licence, min_preschool):
        """Publish (or republish: a new version) the campaigns' anonymous results."""
        from smultron import opendata

        options = opendata.Options(hex_size=hex_size, licence=licence,
                                   min_preschool=min_preschool)
        with ctx.session() as session:
            ids = [opendata.campaign_by_name(session, name).id for name in campaigns]
            version = opendata.publish(session, ids, options,
                                       open_threshold=ctx.config["OPEN_THRESHOLD"],
                                       actor=opendata.Actor(name="cli"))
            session.commit()
        base = ctx.config["BASE_URL"] or "http://127.0.0.1:5000"
        click.echo(f"Published dataset {version.dataset_id} (version {version.version}): "
                   f"{base}/open/{version.dataset_id}")

    @open_group.command("unpublish")
    @click.argument("dataset", type=int)
    @pass_context
    def open_unpublish(ctx, dataset: int):
        """Take a dataset off every public address at once (its versions are kept)."""
        from smultron import opendata

        with ctx.session() as session:
            opendata.unpublish(session, dataset, actor=opendata.Actor(name="cli"))
            session.commit()
        click.echo(f"Unpublished dataset {dataset}.")
