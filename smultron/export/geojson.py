"""GeoJSON (RFC 7946: WGS 84 longitude/latitude) of the filtered places, streamed."""

from __future__ import annotations

import json
from collections.abc import Iterator

from sqlalchemy.orm import Session

from smultron.models import SRID, Place
from smultron.photos import PhotoUrl, approved_ids, approved_urls
from smultron.places.query import Scope, places_select

BATCH = 2000
PROPERTY_NAMES = ("category", "category_sv", "feeling", "children_count", "age_group",
                  "season", "comment", "preschool", "department",
                  "session_language", "campaign", "created",
                  "response_status", "response_text", "response_plan", "answered_at")


def feature(row, photo_url: PhotoUrl) -> str:
    """One Feature as JSON text (the geometry is PostGIS's own GeoJSON); ``photos`` are
    the addresses of its approved photos."""
    properties = {name: getattr(row, name) for name in PROPERTY_NAMES}
    properties["created"] = row.created.isoformat() if row.created else None
    properties["answered_at"] = row.answered_at.isoformat() if row.answered_at else None
    properties["photos"] = approved_urls(row.place_id, row.photo_ids, photo_url)
    head = json.dumps({"type": "Feature", "id": row.place_id, "properties": properties},
                      ensure_ascii=False)
    return f'{head[:-1]}, "geometry": {row.geom}}}'


def stream_geojson(session: Session, scope: Scope, photo_url: PhotoUrl,
                   counts: dict | None = None) -> Iterator[str]:
    """The FeatureCollection in pieces; ``counts['places']`` is set once it is done."""
    stmt = places_select(scope, None, SRID, geometry="geojson").add_columns(
        approved_ids(Place.id).label("photo_ids"))
    yield '{"type": "FeatureCollection", "features": ['
    written = 0
    for row in session.execute(stmt, execution_options={"yield_per": BATCH}):
        yield ("," if written else "") + "\n" + feature(row, photo_url)
        written += 1
    yield "\n]}\n"
    if counts is not None:
        counts["places"] = written
