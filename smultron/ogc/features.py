"""Collections and items for OGC API - Features, as plain functions on a Session.

Coordinates: without ``crs`` the response is CRS84 (longitude, latitude). With
``crs`` (Part 2) it is in that CRS *in the CRS's own axis order*, as the
standard requires: EPSG:4326 is (latitude, longitude) and SWEREF 99
(EPSG:3006–3018) is (northing, easting) - which is what QGIS expects when it
asks for them. ``bbox`` follows the same rule for ``bbox-crs``.

Paging is by keyset (the feature id), so pages never overlap or skip when
places are added meanwhile, and no request counts the whole table.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import String, and_, cast, func, select
from sqlalchemy.orm import Session

from smultron.core import parsing
from smultron.core.access import Viewer
from smultron.core.errors import AppError, NotFound
from smultron.core.geo import extent
from smultron.core.messages import M
from smultron.core.parsing import ParseError
from smultron.models import AGE_GROUPS, FEELINGS, SEASONS, SRID, Municipality, Place, Preschool
from smultron.photos import PhotoUrl, approved_ids, approved_urls
from smultron.places.query import (
    ALLOWED_SRIDS,
    PLACE_KINDS,
    Filters,
    check_words,
    place_columns,
    places_from,
    resolve,
)

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
STORAGE_CRS = EPSG_URI.format(SRID)
DEFAULT_LIMIT, MAX_LIMIT = 100, 10000
SWEDEN = (10.5, 55.0, 24.5, 69.5)
PLACE_PROPERTIES = ("category", "feeling", "season", "preschool", "campaign", "age_group")
PRESCHOOL_PROPERTIES = ("name",)


@dataclass(frozen=True)
class Collection:
    id: str
    title: str  # English Messages: the web layer translates them
    description: str
    kind: str | None  # PostGIS geometry type of places; None = preschools
    geometry: str  # GeoJSON geometry type

    @property
    def queryables(self) -> tuple[str, ...]:
        return PLACE_PROPERTIES if self.kind else PRESCHOOL_PROPERTIES


COLLECTIONS = {c.id: c for c in (
    Collection("places_points", M("Children's places (points)"),
               M("Places preschool children chose, as points: category, feeling, how many "
                 "children, season, approved comment."), PLACE_KINDS["places_points"],
               "Point"),
    Collection("places_areas", M("Children's places (areas)"),
               M("Places the children chose, drawn as areas."), PLACE_KINDS["places_areas"],
               "Polygon"),
    Collection("places_routes", M("Children's routes"), M("Routes the children chose."),
               PLACE_KINDS["places_routes"], "LineString"),
    Collection("preschools", M("Preschools"), M("Preschools with their enrolled children."),
               None, "Point"),
)}


def crs_uri(srid: int | None) -> str:
    return CRS84 if srid is None else EPSG_URI.format(srid)


def crs_list() -> list[str]:
    return [CRS84, *(EPSG_URI.format(code) for code in sorted(ALLOWED_SRIDS))]


def parse_crs(raw: str | None) -> int | None:
    """A CRS URI (or EPSG:n / [EPSG:n] CURIE) -> srid; None = CRS84. Unknown -> 400."""
    if raw in (None, ""):
        return None
    text = raw.strip().strip("[]")
    if text in (CRS84, "OGC:CRS84", "CRS84"):
        return None
    match = re.fullmatch(r"(?:http://www\.opengis\.net/def/crs/EPSG/0/|EPSG:)(\d+)", text)
    if match and int(match.group(1)) in ALLOWED_SRIDS:
        return int(match.group(1))
    raise AppError(M("The CRS '%(crs)s' is not supported. Use one of: %(choices)s.",
                     crs=raw, choices=", ".join(crs_list())))


def get_collection(collection_id: str) -> Collection:
    try:
        return COLLECTIONS[collection_id]
    except KeyError:
        raise NotFound(M("There is no collection '%(id)s'. Collections: %(choices)s.",
                         id=collection_id, choices=", ".join(COLLECTIONS))) from None


def spatial_extent(session: Session) -> list[float]:
    """The municipalities' extent (cheap: a handful of rows), else Sweden."""
    box = extent(session, Municipality.extent)
    return [round(v, 6) for v in box] if box is not None else list(SWEDEN)


def parse_limit(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_LIMIT
    limit = parsing.identifier(raw)
    if limit is None:
        raise AppError(M("'limit' must be a whole number from 1 to %(max)s, not '%(value)s'.",
                         max=MAX_LIMIT, value=raw[:40]))
    return min(limit, MAX_LIMIT)


def parse_bbox(raw: str | None, bbox_crs: int | None):
    """SQL envelope in EPSG:4326 for ``bbox`` (in ``bbox_crs`` and its axis order)."""
    if raw in (None, ""):
        return None
    # degrees within the globe; metres (the SWEREF 99 grids) within 10,000 km
    bounds = parsing.DEGREES if bbox_crs in (None, SRID) else parsing.METRES
    try:
        minx, miny, maxx, maxy = parsing.bbox(raw, bounds=bounds, allow_height=True,
                                              yx=bbox_crs is not None)
    except ParseError as exc:
        raise AppError(exc.message) from None
    envelope = func.ST_MakeEnvelope(minx, miny, maxx, maxy, bbox_crs or SRID)
    return envelope if bbox_crs in (None, SRID) else func.ST_Transform(envelope, SRID)


def _instant(text: str, end: bool) -> datetime | None:
    if text in ("", ".."):
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise AppError(M("'datetime' must be RFC 3339 (2026-09-01T00:00:00Z or 2026-09-01), "
                         "an interval a/b or with '..', not '%(value)s'.",
                         value=text[:40])) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_datetime(raw: str | None) -> tuple[datetime | None, datetime | None] | None:
    if raw in (None, ""):
        return None
    if "/" in raw:
        start_text, _sep, end_text = raw.partition("/")
        start, end = _instant(start_text, False), _instant(end_text, True)
        if start and end and end < start:
            raise AppError(M("'datetime': the interval ends before it starts."))
        return start, end
    return _instant(raw, False), _instant(raw, True)


@dataclass(frozen=True)
class ItemQuery:
    collection: Collection
    limit: int = DEFAULT_LIMIT
    after: str | None = None  # keyset cursor: the last id of the previous page
    srid: int | None = None  # None = CRS84
    bbox: object = None
    interval: tuple | None = None
    properties: tuple[tuple[str, str], ...] = ()


def _geojson_geometry(column, srid: int | None):
    if srid is None:
        return func.ST_AsGeoJSON(column, 7)
    digits = 7 if srid == SRID else 2
    return func.ST_AsGeoJSON(func.ST_FlipCoordinates(func.ST_Transform(column, srid)), digits)


def _place_filters(properties) -> Filters:
    names = {"category": "categories", "feeling": "feelings", "season": "seasons",
             "preschool": "preschools", "campaign": "campaigns"}
    values = {names[k]: tuple(v.split(",")) for k, v in properties if k in names}
    return Filters(**values)


def _places_statement(session: Session, viewer: Viewer, query: ItemQuery, limit: int,
                      extra: tuple = ()):
    filters = _place_filters(query.properties)
    check_words(filters.feelings, FEELINGS, "feeling")
    check_words(filters.seasons, SEASONS, "season")
    scope = resolve(session, viewer, filters)
    conditions = [*scope.place_conditions(),
                  func.ST_GeometryType(Place.geom) == query.collection.kind]
    ages = [v for k, v in query.properties if k == "age_group"]
    if ages:
        wanted = tuple(ages[0].split(","))
        check_words(wanted, AGE_GROUPS, "age_group")
        conditions.append(Place.age_group.in_(wanted))
    if query.bbox is not None:
        conditions.append(Place.geom.op("&&")(query.bbox))
        conditions.append(func.ST_Intersects(Place.geom, query.bbox))
    if query.interval:
        start, end = query.interval
        if start:
            conditions.append(Place.created_at >= start)
        if end:
            conditions.append(Place.created_at <= end)
    if query.after:
        conditions.append(Place.id > _uuid(query.after))
    # The page's ids first (primary-key order, LIMIT), then the joins for those rows only.
    page = (select(Place.id).where(and_(*conditions, *extra)).order_by(Place.id).limit(limit)
            .subquery("page"))
    stmt = places_from(select(*place_columns(), approved_ids(Place.id).label("photo_ids"),
                              _geojson_geometry(Place.geom, query.srid).label("geometry")))
    return stmt.join(page, page.c.id == Place.id).order_by(Place.id)


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound(NO_FEATURE) from None


NO_FEATURE = M("There is no such feature.")


def _preschools_statement(viewer: Viewer, query: ItemQuery):
    conditions = [Preschool.archived_at.is_(None), viewer.preschool_filter(Preschool.id)]
    names = [v for k, v in query.properties if k == "name"]
    if names:
        conditions.append(Preschool.name.in_(names[0].split(",")))
    if query.bbox is not None:
        conditions.append(func.ST_Intersects(Preschool.location, query.bbox))
    if query.after:
        after = parsing.identifier(query.after)
        if after is None:
            raise AppError(M("This 'next' link is not valid; start again from the first "
                             "page."))
        conditions.append(Preschool.id > after)
    return (select(cast(Preschool.id, String).label("place_id"), Preschool.name,
                   Preschool.unit_code, Preschool.address, Preschool.enrolled_children,
                   _geojson_geometry(Preschool.location, query.srid).label("geometry"))
            .where(and_(*conditions)).order_by(Preschool.id))


def _feature(row, photo_url: PhotoUrl, id_column: str = "place_id") -> dict:
    """A feature; a place's ``photos`` are the addresses of its approved photos."""
    mapping = dict(row._mapping)
    geometry = json.loads(mapping.pop("geometry"))
    feature_id = mapping.pop(id_column)
    photo_ids = mapping.pop("photo_ids", False)
    properties = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in mapping.items()}
    if photo_ids is not False:
        properties["photos"] = approved_urls(feature_id, photo_ids, photo_url)
    return {"type": "Feature", "id": feature_id, "geometry": geometry, "properties": properties}


@dataclass(frozen=True)
class Page:
    features: list[dict]
    next_after: str | None


def items(session: Session, viewer: Viewer, query: ItemQuery, photo_url: PhotoUrl) -> Page:
    """One page of features; ``next_after`` is set when there may be more."""
    viewer.require_raw_places()
    if query.collection.kind:
        stmt = _places_statement(session, viewer, query, query.limit + 1)
    else:
        stmt = _preschools_statement(viewer, query).limit(query.limit + 1)
    rows = session.execute(stmt).all()
    more = len(rows) > query.limit
    features = [_feature(row, photo_url) for row in rows[:query.limit]]
    return Page(features, features[-1]["id"] if more else None)


def item(session: Session, viewer: Viewer, collection: Collection, feature_id: str,
         srid: int | None, photo_url: PhotoUrl) -> dict:
    viewer.require_raw_places()
    query = ItemQuery(collection, srid=srid)
    if collection.kind:
        stmt = _places_statement(session, viewer, query, 1,
                                 extra=(Place.id == _uuid(feature_id),))
    else:
        preschool_id = parsing.identifier(feature_id)
        if preschool_id is None:
            raise NotFound(NO_FEATURE)
        stmt = _preschools_statement(viewer, query).where(Preschool.id == preschool_id)
    row = session.execute(stmt).first()
    if row is None:
        raise NotFound(NO_FEATURE)
    return _feature(row, photo_url)
