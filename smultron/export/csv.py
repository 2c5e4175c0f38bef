"""CSV of the filtered places: attributes, the geometry as WKT (in the chosen CRS)
and a representative point as WGS 84 longitude/latitude. Streamed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import Float, Numeric, cast, func
from sqlalchemy.orm import Session

from smultron.export.query import Scope, places_select
from smultron.models import Place

BATCH = 2000
COLUMNS = ("place_id", "category", "category_sv", "feeling", "children_count", "age_group",
           "season", "comment", "preschool", "department", "campaign", "created",
           "lon", "lat", "wkt")


def _select(scope: Scope, srid: int):
    point = func.ST_PointOnSurface(Place.geom)
    return places_select(scope, None, srid, geometry="wkt").add_columns(
        cast(func.round(cast(func.ST_X(point), Numeric), 7), Float).label("lon"),
        cast(func.round(cast(func.ST_Y(point), Numeric), 7), Float).label("lat"))


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula gets a leading quote
    (what the children said is free text: "=HYPERLINK(…)" must stay text)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def stream_csv(session: Session, scope: Scope, srid: int,
               counts: dict | None = None) -> Iterator[str]:
    """The CSV in pieces (UTF-8 with a BOM so that Excel reads å, ä, ö)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield "\ufeff" + _take(buffer)
    written = 0
    for row in session.execute(_select(scope, srid), execution_options={"yield_per": BATCH}):
        mapping = row._mapping
        values = [mapping[name] for name in COLUMNS if name != "wkt"] + [row.geom]
        writer.writerow(cell(v) for v in values)
        written += 1
        if written % BATCH == 0:
            yield _take(buffer)
    yield _take(buffer)
    if counts is not None:
        counts["places"] = written


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
