"""The GeoPackage export: PostGIS -> ADBC (Arrow record batches) -> pyogrio/GDAL.

Every layer is read in one REPEATABLE READ transaction (one consistent
snapshot per file) and streamed batch by batch into the file, so memory stays
bounded however many places there are. The file is written under a temporary
name next to its destination and renamed only once complete: a failed export
leaves nothing behind.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import adbc_driver_manager as adbc_errors
import adbc_driver_postgresql.dbapi as adbc
import pyogrio
from pyproj import CRS
from sqlalchemy import URL, make_url, select
from sqlalchemy.orm import Session

from smultron.core.access import Viewer
from smultron.core.errors import AppError
from smultron.core.messages import M, gettext_for, translate
from smultron.export import photos, qgis_project, styles
from smultron.export.enrich import Lookups, named
from smultron.export.layers import DEFAULT_HEX_SIZE, Layer, all_layers
from smultron.export.prefetch import Prefetch
from smultron.export.schema import write_schema
from smultron.models import Category
from smultron.photos import store as photo_store
from smultron.places.query import Filters, Scope, resolve, to_sql

GEOMETRY_COLUMN = "geom"
QGIS_METADATA_URI = "http://mrcc.com/qgis.dtd"


@dataclass
class ExportOptions:
    srid: int = 3006
    threshold: int = 5
    hex_size: int = DEFAULT_HEX_SIZE
    source: str = "Smultron"
    layers: tuple[str, ...] | None = None  # None = every layer
    plan_layer: Layer | None = None
    lang: str = "sv"  # titles, descriptions and metadata in the file
    # where photos in the object store are read from (smultron.photos.store; None: every
    # photo's bytes are in its row); export_geopackage takes it from the Session
    photo_store: object | None = None

    def t(self, message) -> str:
        """``message`` (a Message, or a dict or list of them) in the export's language."""
        return translate(message, gettext_for(self.lang))


@dataclass
class ExportResult:
    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    exported_at: str = ""


def libpq_uri(url: str | URL) -> str:
    """A libpq URI for ADBC from a SQLAlchemy URL (postgresql+psycopg://… -> postgresql://…).
    The embedded cluster's socket folder travels in the ``host`` query parameter."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def snapshot(uri: str) -> Iterator:
    """An ADBC cursor inside one read-only REPEATABLE READ transaction; a database that
    cannot be reached (or a pooler with no server connection to give) is a 503."""
    try:
        conn = adbc.connect(uri, autocommit=True)
    except adbc_errors.OperationalError:
        raise _unreachable() from None
    with conn, conn.cursor() as cur:
        try:
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        except adbc_errors.OperationalError:
            raise _unreachable() from None
        try:
            yield cur
        finally:
            cur.execute("ROLLBACK")


def _unreachable() -> AppError:
    return AppError(M("The database is not reachable right now. Try again in a moment."),
                    status=503)


def stream(cur, sql: str):
    """The rows of ``sql`` as an Arrow RecordBatchReader (batches, not one table)."""
    cur.execute(sql)
    return cur.fetch_record_batch()


def export_geopackage(session: Session, database_url: str | URL, viewer: Viewer,
                      filters: Filters, path: str | Path,
                      options: ExportOptions | None = None) -> ExportResult:
    """Write the filtered places (and the other layers) into one GeoPackage at ``path``."""
    options = options or ExportOptions()
    if options.photo_store is None:
        options.photo_store = photo_store.of(session)
    scope = resolve(session, viewer, filters)
    return write_scope(database_url, scope, Path(path), options)


def write_scope(database_url, scope: Scope, path: Path, options: ExportOptions) -> ExportResult:
    """Every layer of ``scope`` from one ADBC snapshot: the one connection the export
    holds while it runs (the caller's Session may give its own back to the pool first)."""
    layers = all_layers(scope, options.srid, options.threshold, options.hex_size,
                        options.plan_layer)
    if options.layers is not None:
        layers = [layer for layer in layers if layer.name in options.layers]
    related = tuple(layer.name for layer in layers if layer.name in photos.RELATED)
    photo_layer = photos.layer(scope, related) if related else None
    written = layers + ([photo_layer] if photo_layer else [])
    names_needed = any(layer.ids_for_names for layer in layers)
    exported_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    partial = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.partial.gpkg")
    try:
        with snapshot(libpq_uri(database_url)) as cur:
            categories = [styles.CategoryStyle(**row) for row in stream(
                cur, to_sql(_category_select(options.lang))).read_all().to_pylist()]
            lookups = (Lookups.read(lambda stmt: stream(cur, to_sql(stmt)).read_all())
                       if names_needed else None)
            for index, layer in enumerate(layers):
                _write_layer(cur, partial, layer, options, scope, exported_at, lookups,
                             first=index == 0)
            if photo_layer:
                photos.write_photos(stream(cur, to_sql(photo_layer.select)), partial,
                                    options.t, options.photo_store)
        _write_styles(partial, categories, [layer.name for layer in written], options)
        write_schema(partial, categories, options.t)
        _write_qgis_metadata(partial, written, options, scope, exported_at)
        qgis_project.store(partial, written, qgis_project.About(
            path.name, options.srid, options.t(scope.filters.describe()), exported_at,
            options.source, options.threshold, options.lang, options.t))
        counts = feature_counts(partial)
        if photo_layer:
            counts[photos.LAYER] = photos.photo_count(partial)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return ExportResult(path, counts, exported_at)


def _category_select(lang: str):
    return (select(Category.code, Category.label_sql(lang).label("label"), Category.colour)
            .order_by(Category.sort_order, Category.code))


def category_styles(session: Session, lang: str = "sv") -> list[styles.CategoryStyle]:
    return [styles.CategoryStyle(*row) for row in session.execute(_category_select(lang))]


def _description(layer: Layer, options: ExportOptions, scope: Scope, at: str) -> str:
    return options.t(M("%(description)s Source: %(source)s. Filters: %(filters)s. Exported "
                       "%(at)s. CRS: EPSG:%(srid)d.",
                       description=options.t(layer.description), source=options.source,
                       filters=options.t(scope.filters.describe()), at=at,
                       srid=options.srid))


def _write_layer(cur, path: Path, layer: Layer, options: ExportOptions, scope: Scope,
                 exported_at: str, lookups: Lookups | None, first: bool) -> None:
    reader = stream(cur, to_sql(layer.select))
    if layer.ids_for_names:
        reader = named(reader, lookups)
    with Prefetch(reader) as prefetched:
        _write_arrow(prefetched.reader(), path, layer, options, scope, exported_at, first)


def _write_arrow(reader, path: Path, layer: Layer, options: ExportOptions, scope: Scope,
                 exported_at: str, first: bool) -> None:
    dataset = {}
    if first:
        dataset = {"dataset_options": {"VERSION": "1.2"},
                   "dataset_metadata": _dataset_metadata(options, scope, exported_at)}
    pyogrio.write_arrow(
        reader, str(path), layer=layer.name, driver="GPKG", geometry_name=GEOMETRY_COLUMN,
        geometry_type=layer.geometry_type, crs=CRS.from_epsg(options.srid).to_wkt(),
        layer_options={"SPATIAL_INDEX": "YES", "IDENTIFIER": options.t(layer.title),
                       "DESCRIPTION": _description(layer, options, scope, exported_at)},
        layer_metadata={"TITLE": options.t(layer.title), "SOURCE": options.source,
                        "FILTERS": options.t(scope.filters.describe()),
                        "EXPORTED_AT": exported_at,
                        "CRS": f"EPSG:{options.srid}"},
        **dataset)


def _dataset_metadata(options: ExportOptions, scope: Scope, exported_at: str) -> dict:
    return {
        "TITLE": options.t(M("Barnens smultronställen – children's favourite places")),
        "SOURCE": options.source,
        "FILTERS": options.t(scope.filters.describe()),
        "EXPORTED_AT": exported_at,
        "CRS": f"EPSG:{options.srid}",
        "ANONYMITY_THRESHOLD": str(options.threshold),
        "HEXAGON_SIZE_M": str(options.hex_size),
        "LANGUAGE": options.lang,
        "NOTE": options.t(M("No child is stored as a person; a place says how many children "
                            "of which age group chose it. Only moderated (approved) comments "
                            "are included.")),
    }


def _hex_values(path: Path) -> list[int]:
    with closing(sqlite3.connect(path)) as db:
        known = db.execute("SELECT 1 FROM gpkg_contents WHERE table_name = 'density_hex'")
        if known.fetchone() is None:
            return []
        return [row[0] for row in db.execute("SELECT children FROM density_hex")]


def _write_styles(path: Path, categories, layer_names: list[str],
                  options: ExportOptions) -> None:
    table = styles.layer_styles(categories, _hex_values(path), layer_names, GEOMETRY_COLUMN,
                                options.t)
    pyogrio.write_arrow(table, str(path), layer="layer_styles", driver="GPKG",
                        layer_options={"FID": "id",
                                       "DESCRIPTION": options.t(M("QGIS default styles"))})


def _qgis_metadata_xml(layer: Layer, options: ExportOptions, scope: Scope, at: str) -> str:
    """QGIS's own layer metadata document (Layer Properties > Metadata in QGIS)."""
    crs = CRS.from_epsg(options.srid)
    abstract = escape(_description(layer, options, scope, at))
    return (
        '<!DOCTYPE qgis PUBLIC \'http://mrcc.com/qgis.dtd\' \'SYSTEM\'>'
        '<qgis version="3.22.0">'
        f"<identifier>{escape(layer.name)}</identifier>"
        f"<parentidentifier></parentidentifier><language>{escape(options.lang)}</language>"
        "<type>dataset</type>"
        f"<title>{escape(options.t(layer.title))}</title><abstract>{abstract}</abstract>"
        '<keywords vocabulary="gmd:topicCategory"><keyword>planningCadastre</keyword>'
        "<keyword>society</keyword></keywords>"
        "<contact><name></name><organization>"
        f"{escape(options.source)}</organization><position></position><voice></voice>"
        "<fax></fax><email></email><role>distributor</role></contact>"
        f"<links/><history>{escape(_history(at, scope, options))}</history>"
        "<fees></fees><encoding></encoding>"
        f"<crs><spatialrefsys><wkt>{escape(crs.to_wkt())}</wkt>"
        f"<authid>EPSG:{options.srid}</authid><description>{escape(crs.name)}</description>"
        "</spatialrefsys></crs><extent/></qgis>")


def _history(at: str, scope: Scope, options: ExportOptions) -> str:
    return options.t(M("Exported from Smultron %(at)s; filters: %(filters)s", at=at,
                       filters=options.t(scope.filters.describe())))


def _write_qgis_metadata(path: Path, layers: list[Layer], options: ExportOptions,
                         scope: Scope, at: str) -> None:
    """Add QGIS metadata documents beside GDAL's (the metadata extension GDAL registered)."""
    with closing(sqlite3.connect(path)) as db, db:
        for layer in layers:
            cursor = db.execute(
                "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) "
                "VALUES ('dataset', ?, 'text/xml', ?)",
                (QGIS_METADATA_URI, _qgis_metadata_xml(layer, options, scope, at)))
            db.execute(
                "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, "
                "column_name, row_id_value, timestamp, md_file_id, md_parent_id) VALUES "
                "('table', ?, NULL, NULL, strftime('%Y-%m-%dT%H:%M:%fZ','now'), ?, NULL)",
                (layer.name, cursor.lastrowid))


def feature_counts(path: Path) -> dict[str, int]:
    """Features per layer, from the counts GDAL keeps in gpkg_ogr_contents."""
    with closing(sqlite3.connect(path)) as db:
        return dict(db.execute(
            "SELECT o.table_name, o.feature_count FROM gpkg_ogr_contents o JOIN gpkg_contents c "
            "ON c.table_name = o.table_name WHERE c.data_type = 'features' ORDER BY 1"))
