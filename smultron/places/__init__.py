"""Places the children chose: validate a GeoJSON Feature, create it idempotently under
the client's UUID, edit it with a version check, soft-delete and restore it, and list
what a viewer may see (filters + keyset paging).

Every query goes through ``Viewer.preschool_filter``; a place the viewer may not see
is "not found", never "forbidden", so its existence is not revealed.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from sqlalchemy import (
    JSON,
    ColumnElement,
    Text,
    and_,
    cast,
    func,
    literal_column,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from smultron import photos
from smultron.core import audit
from smultron.core.access import Viewer
from smultron.core.errors import AppError, Conflict, Forbidden, NotFound
from smultron.core.geo import from_db, from_geojson, to_db
from smultron.core.messages import M, Message
from smultron.models import (
    AGE_GROUPS,
    FEELINGS,
    SEASONS,
    Category,
    MappingSession,
    Municipality,
    Place,
    PlaceResponse,
    User,
)

MAX_COMMENT = 500
MAX_VERTICES = 1000
MAX_RINGS = 20
MAX_LIMIT = 1000
DEFAULT_LIMIT = 500
EDITOR_ROLES = frozenset({"staff"})
RESTORER_ROLES = frozenset({"planner", "admin"})
GEOMETRY_TYPES = ("Point", "LineString", "Polygon")
EDITABLE = ("category", "feeling", "children_count", "season", "comment", "age_group")
# YYMMDD-XXXX or YYYYMMDDXXXX, with or without a separator (-, + or space); the day may
# be a co-ordination number's day + 60.
PERSONNUMMER = re.compile(
    r"(?<!\d)(?:19|20)?\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
    r"[-+ ]?\d{4}(?!\d)")
CODE = re.compile(r"[a-z0-9_-]{1,40}")
LOCATION = re.compile(r"\[\s*([-+\d.eE]+)[ ,]+([-+\d.eE]+)\s*\]")


class ValidationError(AppError):
    """One message per field, in ``detail["fields"]``."""

    status = 422

    def __init__(self, fields: dict[str, Message]):
        super().__init__(M("Some of the place's details need fixing."),
                         detail={"fields": fields})
        self.fields = fields


class PreconditionFailed(AppError):
    status = 412


class PreconditionRequired(AppError):
    status = 428


@dataclass
class PlaceValues:
    """A validated place, ready to store."""

    id: uuid.UUID | None
    session: MappingSession
    geom: BaseGeometry
    category: Category
    feeling: str
    children_count: int
    age_group: str
    season: str
    comment: str | None

    def columns(self) -> dict:
        return {"geom": to_db(self.geom), "category_id": self.category.id,
                "feeling": self.feeling, "children_count": self.children_count,
                "age_group": self.age_group, "season": self.season, "comment": self.comment,
                "comment_state": "pending" if self.comment else "none"}


@dataclass
class PlaceFilter:
    bbox: tuple[float, float, float, float] | None = None
    campaign: int | None = None
    preschool: int | None = None
    session: uuid.UUID | None = None
    categories: tuple[str, ...] = ()
    updated_since: datetime | None = None
    include_deleted: bool = False


# -- validation -----------------------------------------------------------------------

def _number(value) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer with hundreds of digits
        return False


def _position(value) -> tuple[float, float] | Message:
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        return M("Each position is a list of two numbers: longitude and latitude.")
    if not all(_number(v) for v in value):
        return M("Coordinates must be numbers.")
    lon, lat = float(value[0]), float(value[1])
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        return M("Longitude must be between -180 and 180 and latitude between -90 and 90 "
                 "(in that order, in degrees).")
    return lon, lat


def _positions(values, minimum: int) -> list[tuple[float, float]] | Message:
    if not isinstance(values, list | tuple):
        return M("The coordinates are not a list of positions.")
    if len(values) < minimum:
        return M("At least %(n)d positions are needed here.", n=minimum)
    if len(values) > MAX_VERTICES:
        return M("Too many points: at most %(n)d.", n=MAX_VERTICES)
    result = []
    for value in values:
        position = _position(value)
        if isinstance(position, Message):
            return position
        result.append(position)
    return result


def _rings(values) -> list[list[tuple[float, float]]] | Message:
    if not isinstance(values, list | tuple) or not values:
        return M("An area's coordinates are a list of rings.")
    if len(values) > MAX_RINGS:
        return M("Too many holes in the area: at most %(n)d.", n=MAX_RINGS - 1)
    rings = []
    for value in values:
        ring = _positions(value, 4)
        if isinstance(ring, Message):
            return ring
        if ring[0] != ring[-1]:
            return M("An area's outline must end where it starts.")
        rings.append(ring)
    if sum(len(r) for r in rings) > MAX_VERTICES:
        return M("Too many points: at most %(n)d.", n=MAX_VERTICES)
    return rings


def _invalid_shape(geom: BaseGeometry) -> Message | None:
    if geom.is_valid:
        return None
    reason = explain_validity(geom)
    found = LOCATION.search(reason)
    where = f"{float(found.group(1)):.6f}, {float(found.group(2)):.6f}" if found else "?"
    if "self-intersection" in reason.lower():
        return M("The outline crosses itself near longitude, latitude %(where)s. Draw it "
                 "again without crossing lines.", where=where)
    if isinstance(geom, LineString):
        return M("A route needs at least two different points.")
    return M("The area is not valid (%(reason)s).", reason=reason)


def parse_geometry(data) -> BaseGeometry | Message:
    """A shapely geometry from GeoJSON, or the message that says what is wrong."""
    if not isinstance(data, dict):
        return M("A geometry is needed: a GeoJSON Point, LineString or Polygon.")
    kind, coordinates = data.get("type"), data.get("coordinates")
    if kind not in GEOMETRY_TYPES:
        return M("The geometry must be a Point, LineString or Polygon.")
    if kind == "Point":
        parsed = _position(coordinates)
        if isinstance(parsed, Message):
            return parsed
        return Point(parsed)
    if kind == "LineString":
        parsed = _positions(coordinates, 2)
        if isinstance(parsed, Message):
            return parsed
        geom = LineString(parsed)
    else:
        parsed = _rings(coordinates)
        if isinstance(parsed, Message):
            return parsed
        geom = Polygon(parsed[0], parsed[1:])
    return _invalid_shape(geom) or geom


def comment_problem(comment) -> Message | None:
    if not isinstance(comment, str):
        return M("What the children said must be text.")
    if len(comment) > MAX_COMMENT:
        return M("What the children said can be at most %(n)d characters (now %(length)d).",
                 n=MAX_COMMENT, length=len(comment))
    if PERSONNUMMER.search(comment):
        return M("This looks like a personal identity number. Remove it: Smultron never "
                 "stores who a child is.")
    if "\x00" in comment or not _utf8(comment):
        return M("What the children said contains a character that cannot be stored.")
    return None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate half
        return False
    return True


def _parse_uuid(value) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _load_session(db: Session, viewer: Viewer, value, errors: dict) -> MappingSession | None:
    session_id = _parse_uuid(value)
    if session_id is None:
        errors["session"] = M("The mapping session's id (a UUID) is missing or malformed.")
        return None
    found = db.scalar(select(MappingSession).where(
        MappingSession.id == session_id, viewer.preschool_filter(MappingSession.preschool_id)))
    if found is None:
        errors["session"] = M("There is no such mapping session.")
    return found


def _check_session_open(session: MappingSession, errors: dict) -> None:
    if session.finished_at is not None:
        errors["session"] = M("This mapping session is finished. Start a new session to add "
                              "places.")
    elif session.campaign.status != "open":
        errors["session"] = M("The campaign %(name)s is closed.", name=session.campaign.name)


def _choice(props: dict, name: str, allowed: tuple[str, ...], default, errors: dict):
    value = props.get(name, default)
    if value not in allowed:
        errors[name] = M("Choose one of: %(choices)s.", choices=", ".join(allowed))
    return value


def _category(db: Session, value, errors: dict) -> Category | None:
    found = None
    if isinstance(value, str) and CODE.fullmatch(value):
        found = db.scalar(select(Category).where(Category.code == value,
                                                 Category.hidden.is_(False)))
    if found is None:
        errors["category"] = M("Choose one of the categories.")
    return found


def _children(value, session: MappingSession | None, errors: dict) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        errors["children_count"] = M("How many children chose the place: a whole number, at "
                                     "least 1.")
    elif session is not None and value > session.children_present:
        errors["children_count"] = M("At most %(n)d children took part in this session.",
                                     n=session.children_present)
    return value


def _comment(value, errors: dict) -> str | None:
    if value is None:
        return None
    problem = comment_problem(value)
    if problem:
        errors["comment"] = problem
        return None
    return value.strip() or None


def _in_extent(db: Session, session: MappingSession, geom: BaseGeometry, errors: dict) -> None:
    extent = db.scalar(select(Municipality.extent).where(
        Municipality.id == session.municipality_id))
    if extent is not None and not from_db(extent).covers(geom):
        errors["geometry"] = M("The place is outside the municipality's area. Check that "
                               "longitude comes before latitude.")


def validate(db: Session, viewer: Viewer, feature, *, session: MappingSession | None = None,
             require_id: bool = True, check_open: bool = True) -> PlaceValues:
    """A validated place from a GeoJSON Feature, or ValidationError with every problem."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValidationError({"type": M("Send a GeoJSON Feature ({\"type\": \"Feature\", "
                                         "...}).")})
    errors: dict[str, Message] = {}
    place_id = _parse_uuid(feature.get("id"))
    if require_id and place_id is None:
        errors["id"] = M("The feature's id must be a UUID made by the device.")
    props = feature.get("properties")
    if not isinstance(props, dict):
        errors["properties"] = M("The feature needs its properties.")
        props = {}
    if session is None and "session" not in errors:
        session = _load_session(db, viewer, props.get("session"), errors)
    if session is not None and check_open:
        _check_session_open(session, errors)
    geom = parse_geometry(feature.get("geometry"))
    if isinstance(geom, Message):
        errors["geometry"] = geom
    elif session is not None:
        _in_extent(db, session, geom, errors)
    values = PlaceValues(
        id=place_id, session=session, geom=geom,
        category=_category(db, props.get("category"), errors),
        feeling=_choice(props, "feeling", FEELINGS, "favourite", errors),
        children_count=_children(props.get("children_count"), session, errors),
        age_group=_choice(props, "age_group", AGE_GROUPS,
                          session.age_group if session else "mixed", errors),
        season=_choice(props, "season", SEASONS, "all_year", errors),
        comment=_comment(props.get("comment"), errors))
    if errors:
        raise ValidationError(errors)
    return values


# -- reading ----------------------------------------------------------------------------

# The planner's shown answer to a place (smultron.responses), joined to every read.
ANSWER = aliased(PlaceResponse, name="answer")


def _with_answer(query):
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
_PROPERTIES = (  # (GeoJSON property, _SOURCE name)
    ("session", "session_id"), ("preschool", "preschool_id"), ("campaign", "campaign_id"),
    ("category", "category"), ("feeling", "feeling"), ("children_count", "children_count"),
    ("age_group", "age_group"), ("season", "season"), ("comment", "comment"),
    ("comment_state", "comment_state"), ("version", "version"),
    ("created_at", "created_at"), ("updated_at", "updated_at"), ("deleted_at", "deleted_at"),
    ("photos", "photos"),
    ("response_status", "response_status"), ("response_text", "response_text"),
    ("response_plan", "response_plan"), ("answered_at", "answered_at"),
)


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


def _columns():
    return (Place.id, Place.session_id, Place.preschool_id, Place.campaign_id,
            Category.code.label("category"), Place.feeling, Place.children_count,
            Place.age_group, Place.season, Place.comment, Place.comment_state, Place.version,
            Place.created_at, Place.updated_at, Place.deleted_at,
            _feature_json().label("feature_json"))


def feature(row) -> dict:
    """The GeoJSON Feature of one row of ``_columns()``."""
    return json.loads(row.feature_json)


def _select(viewer: Viewer):
    return (_with_answer(select(*_columns()).join(Category, Category.id == Place.category_id))
            .where(viewer.preschool_filter(Place.preschool_id)))


def _row(db: Session, viewer: Viewer, place_id, *, deleted: bool = False):
    """The row of a place the viewer may see (404 otherwise)."""
    parsed = place_id if isinstance(place_id, uuid.UUID) else _parse_uuid(place_id)
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
    return feature(_row(db, viewer, place_id, deleted=viewer.role in RESTORER_ROLES))


def encode_cursor(updated_at: datetime, place_id: uuid.UUID) -> str:
    raw = json.dumps([updated_at.isoformat(), str(place_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, place_id = json.loads(raw)
        parsed = datetime.fromisoformat(stamp), uuid.UUID(place_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
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
    query = _filtered(_with_answer(select(*(column.label(name)
                                            for name, column in _SOURCE.items()))
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


# -- writing ----------------------------------------------------------------------------

def _require_editor(viewer: Viewer) -> None:
    viewer.require_raw_places()
    if viewer.role not in EDITOR_ROLES:
        raise Forbidden(M("Places are marked and changed by the preschool's staff."))


def _same(row, values: PlaceValues) -> bool:
    stored = feature(row)["geometry"]
    return (from_geojson(stored).equals_exact(values.geom, 1e-9)
            and row.session_id == values.session.id and row.category == values.category.code
            and row.feeling == values.feeling and row.children_count == values.children_count
            and row.age_group == values.age_group and row.season == values.season
            and row.comment == values.comment and row.deleted_at is None)


def _integrity(exc: IntegrityError) -> ValidationError:
    text = str(exc.orig)
    name = "geometry" if "geom" in text else "properties"
    return ValidationError({name: M("The database refused the place (%(reason)s).",
                                    reason=text.splitlines()[0][:200])})


def _stored_same(db: Session, viewer: Viewer, values: PlaceValues) -> dict | None:
    existing = db.execute(_with_answer(select(*_columns()).join(Category)).where(
        Place.id == values.id)).one_or_none()
    if existing is None or not viewer.may_see_preschool(existing.preschool_id) \
            or not _same(existing, values):
        return None
    return feature(existing)


def _replayed(db: Session, viewer: Viewer, data, error: ValidationError) -> dict | None:
    """A retry of a place saved before its session was finished (or its campaign closed)
    still gets its stored place back, not a complaint about the session."""
    if set(error.fields) != {"session"}:
        return None
    try:
        values = validate(db, viewer, data, check_open=False)
    except ValidationError:
        return None
    return _stored_same(db, viewer, values) if values.id else None


def create_place(db: Session, viewer: Viewer, user: User, data) -> tuple[dict, bool]:
    """Store a new place under the client's UUID; (feature, created).

    The same id with the same content again is not an error (a retried upload): the
    stored feature comes back with created=False. The same id with other content is 409.
    The database decides (INSERT ... ON CONFLICT DO NOTHING), not a read before the write.
    """
    _require_editor(viewer)
    try:
        values = validate(db, viewer, data)
    except ValidationError as exc:
        stored = _replayed(db, viewer, data, exc)
        if stored is None:
            raise
        return stored, False
    session = values.session
    statement = insert(Place).values(
        id=values.id, municipality_id=session.municipality_id, session_id=session.id,
        preschool_id=session.preschool_id, campaign_id=session.campaign_id,
        author_id=user.id, version=1, **values.columns(),
    ).on_conflict_do_nothing(index_elements=["id"]).returning(Place.id)
    try:
        inserted = db.execute(statement).scalar()
    except IntegrityError as exc:
        db.rollback()
        raise _integrity(exc) from None
    if inserted is None:
        db.rollback()
        stored = _stored_same(db, viewer, values)
        if stored is None:
            raise Conflict(M("A different place was already saved with this id. Give the "
                             "new place a new id."))
        return stored, False
    audit.record(db, "place_created", user, target=f"place:{values.id}",
                 detail={"session": str(session.id), "category": values.category.code})
    db.commit()
    return feature(_row(db, viewer, values.id)), True


def parse_version(if_match: str | None, body_version=None) -> tuple[int | None, bool]:
    """(expected version, came from If-Match). Accepts "3", W/"3" and a bare 3."""
    if if_match:
        candidate = if_match.split(",")[0].strip()
        if candidate == "*":
            return None, True
        candidate = candidate.removeprefix("W/").strip('"')
        if candidate.isdigit():
            return int(candidate), True
        raise PreconditionFailed(M("If-Match must be the ETag of the place, e.g. \"3\"."))
    if isinstance(body_version, int) and not isinstance(body_version, bool):
        return body_version, False
    return None, False


def _stale(from_header: bool, current: int) -> AppError:
    error = PreconditionFailed if from_header else Conflict
    return error(M("Someone changed this place after you loaded it. Reload it and make your "
                   "change again."), detail={"version": current})


def _merged(row, patch: dict) -> dict:
    """The current feature with the patch's geometry and editable properties applied."""
    current = feature(row)
    props = patch.get("properties") if isinstance(patch.get("properties"), dict) else {}
    merged = {"type": "Feature", "id": current["id"],
              "geometry": patch.get("geometry", current["geometry"]),
              "properties": {k: props.get(k, current["properties"][k]) for k in EDITABLE}}
    if "properties" in patch and not isinstance(patch["properties"], dict):
        merged["properties"] = None
    return merged


def _open_session(db: Session, row) -> MappingSession:
    """The place's session; places of a closed campaign are no longer changed."""
    session = db.get(MappingSession, row.session_id)
    if session.campaign.status != "open":
        raise Conflict(M("The campaign %(name)s is closed.", name=session.campaign.name))
    return session


def _expected_version(if_match: str | None, props: dict) -> tuple[int | None, bool]:
    expected, from_header = parse_version(if_match, props.get("version"))
    if expected is None and not from_header:
        raise PreconditionRequired(M("Send the version you changed (If-Match: the place's "
                                     "ETag) so that no one else's change is overwritten."))
    return expected, from_header


def _write(db: Session, row, expected: int | None, columns: dict) -> bool:
    """UPDATE the place if it still has the expected version (compare-and-set)."""
    condition = [Place.id == row.id, Place.deleted_at.is_(None)]
    if expected is not None:
        condition.append(Place.version == expected)
    statement = (update(Place).where(*condition)
                 .values(version=Place.version + 1, updated_at=func.now(), **columns)
                 .returning(Place.id))
    try:
        return db.execute(statement).scalar() is not None
    except IntegrityError as exc:
        db.rollback()
        raise _integrity(exc) from None


def patch_place(db: Session, viewer: Viewer, user: User, place_id, patch,
                if_match: str | None = None) -> dict:
    """Change a place's geometry or properties if its version still is the expected one."""
    _require_editor(viewer)
    row = _row(db, viewer, place_id)
    if not isinstance(patch, dict):
        raise ValidationError({"type": M("Send a JSON object with the changes.")})
    props = patch.get("properties") if isinstance(patch.get("properties"), dict) else {}
    expected, from_header = _expected_version(if_match, props)
    values = validate(db, viewer, _merged(row, patch), session=_open_session(db, row),
                      require_id=False, check_open=False)
    if _same(row, values) and expected in (None, row.version):
        return feature(row)  # nothing changed: no new version
    columns = values.columns()
    if values.comment == row.comment:
        del columns["comment_state"]  # a moderated comment stays moderated
    if not _write(db, row, expected, columns):
        db.rollback()
        raise _stale(from_header, _row(db, viewer, row.id).version)
    changed = sorted(set(props) & set(EDITABLE)) + (["geometry"] if "geometry" in patch else [])
    audit.record(db, "place_updated", user, target=f"place:{row.id}",
                 detail={"fields": changed})
    db.commit()
    return feature(_row(db, viewer, row.id))


def delete_place(db: Session, viewer: Viewer, user: User, place_id,
                 if_match: str | None = None) -> None:
    """Soft delete (a planner can restore it). Deleting twice is not an error."""
    _require_editor(viewer)
    row = _row(db, viewer, place_id, deleted=True)
    if row.deleted_at is not None:
        return
    _open_session(db, row)
    expected, _from_header = parse_version(if_match)
    condition = [Place.id == row.id, Place.deleted_at.is_(None)]
    if expected is not None:
        condition.append(Place.version == expected)
    changed = db.execute(update(Place).where(*condition).values(
        deleted_at=func.now(), updated_at=func.now(), version=Place.version + 1,
    ).returning(Place.id)).scalar()
    if changed is None:
        db.rollback()
        current = _row(db, viewer, row.id, deleted=True)
        if current.deleted_at is not None:
            return
        raise _stale(True, current.version)
    audit.record(db, "place_deleted", user, target=f"place:{row.id}")
    db.commit()


def restore_place(db: Session, viewer: Viewer, user: User, place_id) -> dict:
    """Undo a soft delete (planners and admins)."""
    viewer.require_raw_places()
    if viewer.role not in RESTORER_ROLES:
        raise Forbidden(M("Only planners can restore a deleted place."))
    row = _row(db, viewer, place_id, deleted=True)
    if row.deleted_at is not None:
        db.execute(update(Place).where(Place.id == row.id).values(
            deleted_at=None, updated_at=func.now(), version=Place.version + 1))
        audit.record(db, "place_restored", user, target=f"place:{row.id}")
        db.commit()
    return feature(_row(db, viewer, row.id))
