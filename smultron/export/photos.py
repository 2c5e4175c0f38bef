"""Approved photos of the exported places, for QGIS: the GeoPackage's ``place_photos``
table (no geometry), one row per photo with its place's ``place_id``, the JPEG as a BLOB,
the day it was taken and the photo's id.

Only approved photos of the places in the export leave the database (a pending or hidden
photo never does; a deleted place has none). The QGIS project relates the table to each
place layer by ``place_id`` (``qgis_project``), and its default style (``styles.photo_style``)
is an attribute form that shows the photo, so a planner who opens a place in QGIS sees its
photos under it.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pyarrow as pa
import pyogrio
from sqlalchemy import Integer, Select, String, and_, cast, func, select

from smultron.core.messages import M
from smultron.export.layers import Layer
from smultron.models import Place, PlacePhoto
from smultron.photos import store
from smultron.places.query import PLACE_KINDS, Scope

LAYER = "place_photos"
TITLE = M("Photos of the places")
DESCRIPTION = M("Approved photos of the children's places (of places only, never of a "
                "person), related to the place layers by place_id.")
# the place layers a photo belongs to (their place_id is the photo's place_id)
RELATED = ("places_points", "places_areas", "places_routes")


def photos_select(scope: Scope, layers: tuple[str, ...] = RELATED) -> Select:
    """The approved photos of the filtered places in ``layers`` (place layers), by place
    and then oldest first."""
    kinds = [PLACE_KINDS[name] for name in layers]
    return (select(cast(PlacePhoto.place_id, String).label("place_id"),
                   cast(PlacePhoto.id, String).label("photo_id"),
                   PlacePhoto.taken_on.label("taken_on"),
                   cast(PlacePhoto.width, Integer).label("width"),
                   cast(PlacePhoto.height, Integer).label("height"),
                   PlacePhoto.content.label("photo"),
                   PlacePhoto.object_key.label("object_key"))
            .join(Place, Place.id == PlacePhoto.place_id)
            .where(and_(PlacePhoto.state == "approved", *scope.place_conditions(),
                        func.ST_GeometryType(Place.geom).in_(kinds)))
            .order_by(PlacePhoto.place_id, PlacePhoto.created_at, PlacePhoto.id))


def layer(scope: Scope, layers: tuple[str, ...]) -> Layer:
    """The table as an export ``Layer`` (its title, description and SELECT; no
    geometry), for the styles, the metadata and the QGIS project."""
    return Layer(LAYER, "None", photos_select(scope, layers), TITLE, DESCRIPTION)


FETCHED = 16  # photos fetched from the object store per Arrow batch (each at most 4 MB)


def _with_bytes(reader, objects: store.S3Store | None, failures: list):
    """``reader``'s batches with each photo in the object store fetched into ``photo``
    (in slices of ``FETCHED``, so memory stays bounded) and ``object_key`` left out."""
    schema = reader.schema.remove(reader.schema.get_field_index("object_key"))
    photo_at = schema.get_field_index("photo")

    def batches():
        try:
            for batch in reader:
                for start in range(0, batch.num_rows, FETCHED):
                    part = batch.slice(start, FETCHED)
                    keys = part.column("object_key").to_pylist()
                    part = part.drop_columns(["object_key"])
                    if any(keys):
                        if objects is None:
                            raise store.StoreDown()
                        inline = part.column("photo").to_pylist()
                        fetched = [data if key is None else objects.get(key, "full")
                                   for data, key in zip(inline, keys, strict=True)]
                        part = part.set_column(photo_at, schema.field(photo_at),
                                               pa.array(fetched, schema.field(photo_at).type))
                    yield part
        except store.StoreDown as exc:
            failures.append(exc)
            raise
    return pa.RecordBatchReader.from_batches(schema, batches())


def write_photos(reader, path: Path, t, objects: store.S3Store | None = None) -> None:
    """Write the photos (an Arrow reader of ``photos_select``) as the attribute table
    ``place_photos``; ``t`` translates into the export's language. A photo in the object
    store is read from ``objects`` (503 when that does not answer)."""
    failures: list = []
    try:
        pyogrio.write_arrow(_with_bytes(reader, objects, failures), str(path), layer=LAYER,
                            driver="GPKG", layer_options={"FID": "fid",
                                                          "IDENTIFIER": t(TITLE),
                                                          "DESCRIPTION": t(DESCRIPTION)})
    except Exception:
        if failures:
            raise failures[0] from None
        raise


def photo_count(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        known = db.execute("SELECT 1 FROM gpkg_contents WHERE table_name = ?", (LAYER,))
        if known.fetchone() is None:
            return 0
        return db.execute(f"SELECT count(*) FROM {LAYER}").fetchone()[0]  # noqa: S608
