"""CSV of the filtered places: attributes, the geometry as WKT (in the chosen CRS)
and a representative point as WGS 84 longitude/latitude. Streamed through the one CSV
writer (smultron.core.csvfile: formulas neutralised, a BOM, comma or semicolon)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Float, Numeric, cast, func
from sqlalchemy.orm import Session

from smultron.core import csvfile
from smultron.models import Place
from smultron.photos import PhotoUrl, approved_ids, approved_urls
from smultron.places.query import Scope, places_select

BATCH = 2000
COLUMNS = ("place_id", "category", "category_sv", "feeling", "children_count", "age_group",
           "season", "comment", "preschool", "department", "session_language", "campaign",
           "created",
           "response_status", "response_text", "response_plan", "answered_at",
           "lon", "lat", "photos", "wkt")


def _select(scope: Scope, srid: int):
    point = func.ST_PointOnSurface(Place.geom)
    return places_select(scope, None, srid, geometry="wkt").add_columns(
        cast(func.round(cast(func.ST_X(point), Numeric), 7), Float).label("lon"),
        cast(func.round(cast(func.ST_Y(point), Numeric), 7), Float).label("lat"),
        approved_ids(Place.id).label("photo_ids"))


def stream_csv(session: Session, scope: Scope, srid: int, photo_url: PhotoUrl,
               dialect: csvfile.Dialect = csvfile.COMMA,
               counts: dict | None = None) -> Iterator[str]:
    """The CSV in pieces; ``counts['places']`` is set once it is done. ``photos`` holds
    the addresses of the place's approved photos, separated by spaces."""
    def rows():
        yield COLUMNS
        written = 0
        for row in session.execute(_select(scope, srid),
                                   execution_options={"yield_per": BATCH}):
            mapping = row._mapping
            urls = " ".join(approved_urls(row.place_id, row.photo_ids, photo_url))
            yield [mapping[name] for name in COLUMNS[:-2]] + [urls, row.geom]
            written += 1
        if counts is not None:
            counts["places"] = written
    return csvfile.stream(rows(), dialect)
