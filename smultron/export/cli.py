"""``smultron export OUT.gpkg [--crs EPSG:3006] [--campaign NAME]… [filters]``."""

from __future__ import annotations

import time
from pathlib import Path

import click

from smultron.core.access import Viewer
from smultron.export import record_export

DEFAULT_HEX_SIZE = 250  # as smultron.export.layers (not imported here: keeps `smultron` fast)

# The CLI runs with the database owner's rights: it sees every preschool.
CLI_VIEWER = Viewer(user_id=0, role="admin", preschool_ids=frozenset())
LANGUAGES = ("sv", "en")  # as smultron.core.i18n.LANGUAGES
LAYER_NAMES = ("places_points", "places_areas", "places_routes", "preschools",
               "neighbourhoods", "density_hex", "plan_conflicts")


def register(main, pass_context) -> None:
    @main.command("export")
    @click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--crs", default="EPSG:3006", show_default=True,
                  help="EPSG:3006, EPSG:4326 or a local SWEREF 99 zone EPSG:3007–3018.")
    @click.option("--campaign", "campaigns", multiple=True, help="Campaign name (repeatable).")
    @click.option("--preschool", "preschools", multiple=True, help="Preschool name (repeatable).")
    @click.option("--category", "categories", multiple=True, help="Category code (repeatable).")
    @click.option("--feeling", "feelings", multiple=True, help="favourite or scary.")
    @click.option("--season", "seasons", multiple=True, help="summer, winter or all_year.")
    @click.option("--from", "date_from", default=None, help="Created on or after (YYYY-MM-DD).")
    @click.option("--to", "date_to", default=None, help="Created on or before (YYYY-MM-DD).")
    @click.option("--hex-size", default=DEFAULT_HEX_SIZE, show_default=True, type=int,
                  help="Hexagon size in metres for density_hex.")
    @click.option("--layer", "layers", multiple=True, type=click.Choice(LAYER_NAMES),
                  help="Write only these layers (repeatable; default all).")
    @click.option("--plan", "plan", default=None,
                  help="Name or id of a plan area: adds the plan_conflicts layer.")
    @click.option("--buffer", "buffer_m", default=100, show_default=True, type=int,
                  help="Buffer around the plan area in metres.")
    @click.option("--lang", default="sv", show_default=True, type=click.Choice(LANGUAGES),
                  help="Language of the layer titles, descriptions and metadata in the file.")
    @pass_context
    def export_command(ctx, out: Path, crs, campaigns, preschools, categories, feelings,
                       seasons, date_from, date_to, hex_size, layers, plan, buffer_m, lang):
        """Write the filtered places into one styled GeoPackage (QGIS opens it styled)."""
        from smultron import plans
        from smultron.export.gpkg import ExportOptions, export_geopackage
        from smultron.places.query import filters_from_mapping, parse_srid

        filters = filters_from_mapping({
            "campaign": campaigns, "preschool": preschools, "category": categories,
            "feeling": feelings, "season": seasons, "from": date_from, "to": date_to})
        srid = parse_srid(crs)
        if not str(out).lower().endswith(".gpkg"):
            raise click.BadParameter("the file name must end with .gpkg", param_hint="OUT")
        started = time.perf_counter()
        with ctx.session() as session:
            options = ExportOptions(srid=srid, threshold=ctx.config["ANONYMITY_THRESHOLD"],
                                    hex_size=hex_size, layers=tuple(layers) or None,
                                    lang=lang)
            if plan:
                area = plans.find_plan_area(session, plan)
                options.plan_layer = plans.conflicts_layer(session, CLI_VIEWER, filters,
                                                           area.id, buffer_m, srid)
            result = export_geopackage(session, ctx.engine.url, CLI_VIEWER, filters, out,
                                       options)
            record_export(session, out.name, filters, result.counts, actor="cli",
                          crs=f"EPSG:{srid}")
            session.commit()
        seconds = time.perf_counter() - started
        for name, count in result.counts.items():
            click.echo(f"  {name:16} {count:>9,}")
        click.echo(f"Wrote {out} (EPSG:{srid}) in {seconds:.2f} s.")
