"""A place as the device sends it (a GeoJSON Feature), checked: the geometry, the
session, the category and the other properties, every problem at its field."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from smultron.core import geojson
from smultron.core.access import Viewer
from smultron.core.geo import from_db, to_db
from smultron.core.messages import M, Message
from smultron.core.problems import Invalid
from smultron.models import AGE_GROUPS, FEELINGS, SEASONS, Category, MappingSession, Municipality

MAX_COMMENT = 500
MAX_VERTICES = 1000
GEOMETRY_TYPES = ("Point", "LineString", "Polygon")
# YYMMDD-XXXX or YYYYMMDDXXXX, with or without a separator (-, + or space); the day may
# be a co-ordination number's day + 60.
PERSONNUMMER = re.compile(
    r"(?<!\d)(?:19|20)?\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
    r"[-+ ]?\d{4}(?!\d)")
CODE = re.compile(r"[a-z0-9_-]{1,40}")


def invalid(fields: dict[str, Message]) -> Invalid:
    """The place is refused: one message per field, in ``detail["fields"]``."""
    return Invalid.of_fields(fields, M("Some of the place's details need fixing."))


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


# -- validation -----------------------------------------------------------------------

def parse_geometry(data) -> BaseGeometry | Message:
    """A shapely geometry from GeoJSON, or the message that says what is wrong."""
    if not isinstance(data, dict):
        return M("A geometry is needed: a GeoJSON Point, LineString or Polygon.")
    kind, coordinates = data.get("type"), data.get("coordinates")
    if kind not in GEOMETRY_TYPES:
        return M("The geometry must be a Point, LineString or Polygon.")
    if kind == "Point":
        parsed = geojson.position(coordinates)
        if isinstance(parsed, Message):
            return parsed
        return Point(parsed)
    if kind == "LineString":
        parsed = geojson.positions(coordinates, 2, MAX_VERTICES)
        if isinstance(parsed, Message):
            return parsed
        geom = LineString(parsed)
    else:
        parsed = geojson.rings(coordinates, MAX_VERTICES)
        if isinstance(parsed, Message):
            return parsed
        geom = Polygon(parsed[0], parsed[1:])
    return geojson.invalid_shape(geom) or geom


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


def parse_uuid(value) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _load_session(db: Session, viewer: Viewer, value, errors: dict) -> MappingSession | None:
    session_id = parse_uuid(value)
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
    """A validated place from a GeoJSON Feature, or Invalid with every problem at its field."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise invalid({"type": M("Send a GeoJSON Feature ({\"type\": \"Feature\", "
                                         "...}).")})
    errors: dict[str, Message] = {}
    place_id = parse_uuid(feature.get("id"))
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
        raise invalid(errors)
    return values


