"""Reading places: one place, or a page of what a viewer may see (filters and keyset
paging), each Feature built as GeoJSON text by PostgreSQL.

Every query goes through ``Viewer.preschool_filter``; a place the viewer may not see
is "not found", never "forbidden", so its existence is not revealed.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, ColumnElement, Text, and_, cast, func, literal_column, select, tuple_
from sqlalchemy.orm import Session, aliased

from smultron import photos
from smultron.core import parsing
from smultron.core.access import PLANNERS, Viewer
from smultron.core.errors import AppError, NotFound
from smultron.core.messages import M
from smultron.core.parsing import ParseError
from smultron.models import Category, Place, PlaceResponse
from smultron.places.validation import parse_uuid

MAX_LIMIT = 1000
DEFAULT_LIMIT = 500


@dataclass
class PlaceFilter:
    bbox: tuple[float, float, float, float] | None = None
    campaign: int | None = None
    preschool: int | None = None
    session: uuid.UUID | None = None
    categories: tuple[str, ...] = ()
    updated_since: datetime | None = None
    include_deleted: bool = False


# The planner's shown answer to a place (smultron.responses), joined to every read.
ANSWER = aliased(PlaceResponse, name="answer")


def with_answer(query):
    return query.outerjoin(ANSWER, and_(ANSWER.place_id == Place.id,
                                        ANSWER.replaced_at.is_(None)))


# Each feature's GeoJSON text is built by PostgreSQL: a page of 1,000 places goes out
# without a json.loads / json.dumps per row in Python. Keys are literals of this module.
_SOURCE = {
    "id": Place.id, "geom": Place.geom, "session_id": Place.session_id,
    "preschool_id": Place.preschool_id, "campaign_id": Place.campaign_id,
    "category": Category.code, "feeling": Place.feeling,
    "children_count": Place.children_count, "age_group": Place.age_group,
    "season": Place.season, "comment": Place.comment, "comment_state": Place.comment_state,
    "version": Place.version, "created_at": Place.created_at,
    "updated_at": Place.updated_at, "deleted_at": Place.deleted_at,
    "photos": photos.photo_ids(Place.id),
    "response_status": ANSWER.status, "response_text": ANSWER.text,
    "response_plan": ANSWER.plan_id, "answered_at": ANSWER.created_at,
}
# The GeoJSON property of each _SOURCE column but the id and the geometry: the ids of
# what a place belongs to go out without their "_id".
_RENAMED = {"session_id": "session", "preschool_id": "preschool", "campaign_id": "campaign"}
_PROPERTIES = tuple((_RENAMED.get(name, name), name) for name in _SOURCE
                    if name not in ("id", "geom"))


def _json_object(pairs) -> ColumnElement:
    args = []
    for key, value in pairs:
        args += [literal_column(f"'{key}'"), value]
    return func.json_build_object(*args)


def _feature_json(source=_SOURCE) -> ColumnElement:
    """The Feature as GeoJSON text, from ``source``: _SOURCE, or the columns (``.c``) of a
    subquery that selects _SOURCE under its names."""
    geometry = cast(func.ST_AsGeoJSON(source["geom"], 15), JSON)
    properties = _json_object((key, source[name]) for key, name in _PROPERTIES)
    return cast(_json_object((("type", literal_column("'Feature'")), ("id", source["id"]),
                              ("geometry", geometry), ("properties", properties))), Text)


def _labelled():
    """The _SOURCE columns under their names (what a row of a place holds)."""
    return [column.label(name) for name, column in _SOURCE.items()]


def columns():
    """A place's row: the _SOURCE columns but the geometry, and the Feature as text."""
    return (*(c for c in _labelled() if c.name != "geom"),
            _feature_json().label("feature_json"))


def feature(row) -> dict:
    """The GeoJSON Feature of one row of ``columns()``."""
    return json.loads(row.feature_json)


def _select(viewer: Viewer):
    return (with_answer(select(*columns()).join(Category, Category.id == Place.category_id))
            .where(viewer.preschool_filter(Place.preschool_id)))


def row_of(db: Session, viewer: Viewer, place_id, *, deleted: bool = False):
    """The row of a place the viewer may see (404 otherwise)."""
    parsed = place_id if isinstance(place_id, uuid.UUID) else parse_uuid(place_id)
    row = None
    if parsed is not None:
        query = _select(viewer).where(Place.id == parsed)
        if not deleted:
            query = query.where(Place.deleted_at.is_(None))
        row = db.execute(query).one_or_none()
    if row is None:
        raise NotFound(M("There is no such place."))
    return row


def get_place(db: Session, viewer: Viewer, place_id) -> dict:
    viewer.require_raw_places()
    return feature(row_of(db, viewer, place_id, deleted=viewer.role in PLANNERS))


def encode_cursor(updated_at: datetime, place_id: uuid.UUID) -> str:
    raw = json.dumps([updated_at.isoformat(), str(place_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, place_id = parsing.json_document(raw, max_depth=1)
        parsed = datetime.fromisoformat(stamp), uuid.UUID(place_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, ParseError):
        raise AppError(M("The cursor is not valid: use the 'next' link of the previous "
                         "page."), 400) from None
    if parsed[0].tzinfo is None:
        raise AppError(M("The cursor is not valid: use the 'next' link of the previous "
                         "page."), 400)
    return parsed


def _filtered(query, filters: PlaceFilter):
    conditions = []
    if not filters.include_deleted:
        conditions.append(Place.deleted_at.is_(None))
    if filters.bbox is not None:
        envelope = func.ST_MakeEnvelope(*filters.bbox, 4326)
        conditions.append(func.ST_Intersects(Place.geom, envelope))
    if filters.campaign is not None:
        conditions.append(Place.campaign_id == filters.campaign)
    if filters.preschool is not None:
        conditions.append(Place.preschool_id == filters.preschool)
    if filters.session is not None:
        conditions.append(Place.session_id == filters.session)
    if filters.categories:
        conditions.append(Category.code.in_(filters.categories))
    if filters.updated_since is not None:
        conditions.append(Place.updated_at > filters.updated_since)
    return query.where(and_(*conditions)) if conditions else query


def list_places(db: Session, viewer: Viewer, filters: PlaceFilter, limit: int = DEFAULT_LIMIT,
                cursor: str | None = None) -> tuple[list[str], str | None]:
    """One page of features as GeoJSON texts (ordered by updated_at, id) and the cursor of
    the next page."""
    viewer.require_raw_places()
    limit = max(1, min(limit, MAX_LIMIT))
    query = _filtered(with_answer(select(*_labelled())
                                   .join(Category, Category.id == Place.category_id))
                      .where(viewer.preschool_filter(Place.preschool_id)), filters)
    if cursor:
        query = query.where(tuple_(Place.updated_at, Place.id) > tuple_(*decode_cursor(cursor)))
    # The page is chosen first; only its rows are turned into JSON.
    page = query.order_by(Place.updated_at, Place.id).limit(limit + 1).subquery()
    rows = db.execute(select(page.c.id, page.c.updated_at,
                             _feature_json(page.c).label("feature_json"))
                      .order_by(page.c.updated_at, page.c.id)).all()
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        following = encode_cursor(rows[-1].updated_at, rows[-1].id)
    return [row.feature_json for row in rows], following


