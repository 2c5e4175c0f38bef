"""Preschools: list, create, edit, archive (never delete one that has places),
departments, and the neighbourhood polygon (default: a 1 km buffer)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from shapely.geometry import MultiPoint, Point, Polygon
from sqlalchemy import delete as sql_delete
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from smultron.core.db import taken
from smultron.core.geo import buffer_metres, from_db, to_db
from smultron.core.geojson import DrawnArea, read_polygons
from smultron.core.messages import M
from smultron.core.parsing import ParseError
from smultron.core.problems import N_, Collector, fail
from smultron.models import (
    METRIC_SRID,
    Department,
    MappingSession,
    Municipality,
    Place,
    Preschool,
)

DEFAULT_RADIUS = 1000
MAX_NEIGHBOURHOOD_KM2 = 200
MAX_VERTICES = 2000
MAX_GEOJSON_CHARACTERS = 200_000  # 2,000 corners with room to spare
NAME_MAX, UNIT_CODE_MAX, ADDRESS_MAX, DEPARTMENT_MAX = 200, 40, 300, 200
ENROLLED_MAX = 100_000


@dataclass(frozen=True)
class PreschoolInput:
    municipality_id: int
    name: str
    unit_code: str | None
    address: str | None
    enrolled_children: int
    point: Point
    neighbourhood: Polygon | None  # None = a circle of ``radius`` metres around the point
    radius: int


def place_count(preschool_id_column):
    return (select(func.count(Place.id))
            .where(Place.preschool_id == preschool_id_column, Place.deleted_at.is_(None))
            .scalar_subquery())


def list_preschools(session: Session, include_archived: bool = False, text: str = "",
                    limit: int = 200, offset: int = 0) -> list:
    """Rows of (preschool, live places, departments), archived ones last; ``text``
    matches the name, unit code or address."""
    departments = (select(func.count(Department.id))
                   .where(Department.preschool_id == Preschool.id).scalar_subquery())
    query = (select(Preschool, place_count(Preschool.id).label("places"),
                    departments.label("departments"))
             .order_by(Preschool.archived_at.is_not(None), Preschool.name))
    if not include_archived:
        query = query.where(Preschool.archived_at.is_(None))
    if text.strip():
        pattern = f"%{like_escape(text.strip()[:100])}%"
        query = query.where(Preschool.name.ilike(pattern, escape="\\")
                            | Preschool.unit_code.ilike(pattern, escape="\\")
                            | Preschool.address.ilike(pattern, escape="\\"))
    return list(session.execute(query.limit(limit).offset(offset)))


def like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def get(session: Session, preschool_id: int) -> Preschool:
    preschool = session.get(Preschool, preschool_id)
    if preschool is None:
        raise fail(N_("There is no such preschool"), status=404)
    return preschool


def municipalities(session: Session) -> list[Municipality]:
    return list(session.scalars(select(Municipality).order_by(Municipality.name)))


def parse(session: Session, form: Mapping) -> PreschoolInput:
    """Check a preschool form (every problem at once)."""
    problems = Collector()
    fields = check_fields(form, problems)
    radius = problems.integer(form, "radius", 50, 10_000, default=DEFAULT_RADIUS,
                              label=N_("The radius"))
    municipality = _municipality(session, form, problems)
    neighbourhood = _neighbourhood(form.get("neighbourhood"), fields.point, problems)
    if fields.point is not None and municipality is not None and outside_municipality(
            session, municipality, [fields.point]):
        problems.add(OUTSIDE, "lon", municipality=municipality.name)
    problems.raise_if_any()
    return PreschoolInput(municipality.id, fields.name, fields.unit_code, fields.address,
                          fields.enrolled_children, fields.point, neighbourhood, radius)


@dataclass(frozen=True)
class Fields:
    """What a form and a row of an import file both give (None where it is wrong)."""

    name: str | None
    unit_code: str | None
    address: str | None
    enrolled_children: int | None
    point: Point | None


def check_fields(values: Mapping, problems: Collector) -> Fields:
    """The checks the preschool form and the importer share: name, unit code, address,
    enrolled children, longitude and latitude."""
    name = problems.text(values, "name", NAME_MAX, label=N_("The name"))
    unit_code = problems.text(values, "unit_code", UNIT_CODE_MAX, required=False,
                              label=N_("The unit code"))
    address = problems.text(values, "address", ADDRESS_MAX, required=False,
                            label=N_("The address"))
    enrolled = problems.integer(values, "enrolled_children", 0, ENROLLED_MAX, default=0,
                                label=N_("Enrolled children"))
    lon = problems.number(values, "lon", -180, 180, label=N_("The longitude"))
    lat = problems.number(values, "lat", -90, 90, label=N_("The latitude"))
    point = Point(lon, lat) if lon is not None and lat is not None else None
    return Fields(name, unit_code, address, enrolled, point)


OUTSIDE = N_("The location lies outside %(municipality)s")


def outside_municipality(session: Session, municipality: Municipality,
                         points: list[Point]) -> set[int]:
    """The positions (0-based) of the points that lie outside the municipality's extent,
    in one query however many there are; none when the municipality has no extent."""
    if municipality.extent is None or not points:
        return set()
    dumped = select(func.ST_Dump(to_db(MultiPoint(points))).label("part")).subquery()
    part = dumped.c.part
    rows = session.scalars(select(part.path[1]).where(
        ~func.ST_Contains(select(Municipality.extent)
                          .where(Municipality.id == municipality.id).scalar_subquery(),
                          part.geom)))
    return {position - 1 for position in rows}


def _municipality(session: Session, form: Mapping, problems: Collector) -> Municipality | None:
    found = municipalities(session)
    chosen = str(form.get("municipality_id") or "")
    if chosen:
        found = [m for m in found if str(m.id) == chosen]
    if len(found) == 1:
        return found[0]
    if not found:
        problems.add(N_("Add a municipality first"), "municipality_id")
    else:
        problems.add(N_("Choose the municipality"), "municipality_id")
    return None


NEIGHBOURHOOD = DrawnArea(
    not_geojson=M("The neighbourhood is not a GeoJSON polygon"),
    not_polygon=M("The neighbourhood must be one polygon"),
    max_corners=MAX_VERTICES, max_characters=MAX_GEOJSON_CHARACTERS,
    too_many_corners=M("The neighbourhood has more than %(max)s corners", max=MAX_VERTICES))


def _neighbourhood(raw, point: Point | None, problems: Collector) -> Polygon | None:
    """The drawn polygon (GeoJSON), or None for the default circle."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        geometry = read_polygons(raw, NEIGHBOURHOOD)[0]
    except ParseError as exc:
        problems.add_message(exc.message, "neighbourhood")
        return None
    if point is not None and not geometry.contains(point):
        problems.add(N_("The neighbourhood must contain the preschool"), "neighbourhood")
    return geometry


def _check_unique(session: Session, data: PreschoolInput, own_id: int | None) -> None:
    if taken(session, Preschool, own_id, Preschool.municipality_id == data.municipality_id,
             Preschool.name == data.name):
        raise fail(N_("A preschool called %(name)s exists already"), "name", status=409,
                   name=data.name)
    if data.unit_code and taken(session, Preschool, own_id,
                                Preschool.unit_code == data.unit_code):
        raise fail(N_("Another preschool has the unit code %(code)s"), "unit_code",
                   status=409, code=data.unit_code)


def _apply(session: Session, preschool: Preschool, data: PreschoolInput) -> None:
    preschool.municipality_id = data.municipality_id
    preschool.name, preschool.unit_code, preschool.address = (
        data.name, data.unit_code, data.address)
    preschool.enrolled_children = data.enrolled_children
    preschool.location = to_db(data.point)
    if data.neighbourhood is not None:
        preschool.neighbourhood = to_db(data.neighbourhood)
    else:
        preschool.neighbourhood = select(
            buffer_metres(to_db(data.point), data.radius)).scalar_subquery()
    session.flush()
    area = session.scalar(select(func.ST_Area(func.ST_Transform(Preschool.neighbourhood,
                                                                METRIC_SRID)))
                          .where(Preschool.id == preschool.id))
    if area > MAX_NEIGHBOURHOOD_KM2 * 1_000_000:
        raise fail(N_("The neighbourhood is larger than %(max)s km²"), "neighbourhood",
                   max=MAX_NEIGHBOURHOOD_KM2)


def create(session: Session, data: PreschoolInput, departments: list[str] = ()) -> Preschool:
    _check_unique(session, data, None)
    preschool = Preschool(municipality_id=data.municipality_id)
    session.add(preschool)
    _apply(session, preschool, data)
    for name in departments:
        add_department(session, preschool, name)
    session.refresh(preschool)
    return preschool


def update(session: Session, preschool: Preschool, data: PreschoolInput) -> dict:
    """Save the form; returns what changed (for the audit log)."""
    _check_unique(session, data, preschool.id)
    before = summary(preschool)
    _apply(session, preschool, data)
    session.refresh(preschool)
    after = summary(preschool)
    return {key: [before[key], after[key]] for key in after if before[key] != after[key]}


def summary(preschool: Preschool) -> dict:
    return {"name": preschool.name, "unit_code": preschool.unit_code,
            "address": preschool.address, "enrolled_children": preschool.enrolled_children,
            "location": list(from_db(preschool.location).coords[0]),
            "neighbourhood_vertices": len(from_db(preschool.neighbourhood).exterior.coords),
            "neighbourhood_bounds": [round(v, 5) for v in
                                     from_db(preschool.neighbourhood).bounds]}


def geojson(preschool: Preschool) -> dict:
    """Point and neighbourhood for the map editor."""
    from shapely.geometry import mapping

    return {"point": mapping(from_db(preschool.location)),
            "neighbourhood": mapping(from_db(preschool.neighbourhood))}


def neighbourhood_km2(session: Session, preschool: Preschool) -> float:
    return session.scalar(select(func.ST_Area(func.ST_Transform(
        Preschool.neighbourhood, METRIC_SRID))).where(Preschool.id == preschool.id)) / 1_000_000


def has_history(session: Session, preschool: Preschool) -> bool:
    """Places (even deleted ones) or mapping sessions: then archive, never delete."""
    return bool(session.scalar(select(
        exists().where(MappingSession.preschool_id == preschool.id)
        | exists().where(Place.preschool_id == preschool.id))))


def archive(session: Session, preschool: Preschool) -> None:
    if preschool.archived_at is None:
        preschool.archived_at = datetime.now(UTC)


def restore(session: Session, preschool: Preschool) -> None:
    preschool.archived_at = None


def delete(session: Session, preschool: Preschool) -> None:
    if has_history(session, preschool):
        raise fail(N_("%(name)s has places or mapping sessions, so it cannot be deleted: "
                      "archive it instead"), status=409, name=preschool.name)
    # The database cascades to departments and to campaign and user scoping.
    session.execute(sql_delete(Preschool).where(Preschool.id == preschool.id))
    session.expunge(preschool)


def add_department(session: Session, preschool: Preschool, name: str) -> Department:
    name = _department_name(name)
    if any(d.name == name for d in preschool.departments):
        raise fail(N_("%(preschool)s has a department called %(name)s already"),
                   "department", status=409, preschool=preschool.name, name=name)
    department = Department(preschool_id=preschool.id, name=name)
    session.add(department)
    session.flush()
    session.refresh(preschool)
    return department


def _department_name(name: str) -> str:
    problems = Collector()
    name = problems.check_text(name, "department", DEPARTMENT_MAX,
                               label=N_("The department's name"))
    problems.raise_if_any()
    return name


def get_department(session: Session, preschool: Preschool, department_id: int) -> Department:
    department = session.get(Department, department_id)
    if department is None or department.preschool_id != preschool.id:
        raise fail(N_("There is no such department"), status=404)
    return department


def rename_department(session: Session, department: Department, name: str) -> str:
    name = _department_name(name)
    clash = session.scalar(select(Department.id).where(
        Department.preschool_id == department.preschool_id, Department.name == name,
        Department.id != department.id))
    if clash is not None:
        raise fail(N_("%(preschool)s has a department called %(name)s already"),
                   "department", status=409, preschool=department.preschool.name, name=name)
    old, department.name = department.name, name
    session.flush()
    return old


def delete_department(session: Session, department: Department) -> None:
    used = session.scalar(select(exists().where(MappingSession.department_id == department.id)))
    if used:
        raise fail(N_("The department %(name)s has mapping sessions, so it cannot be "
                      "deleted: rename it instead"), status=409, name=department.name)
    session.delete(department)
    session.flush()


def create_municipality(session: Session, form: Mapping) -> Municipality:
    """A municipality (code, e.g. the SCB code 2584, and name); no extent = anywhere."""
    problems = Collector()
    code = problems.text(form, "code", 10, label=N_("The code"))
    name = problems.text(form, "name", 200, label=N_("The name"))
    problems.raise_if_any()
    if session.scalar(select(Municipality.id).where(Municipality.code == code)) is not None:
        raise fail(N_("A municipality with the code %(code)s exists already"), "code",
                   status=409, code=code)
    municipality = Municipality(code=code, name=name)
    session.add(municipality)
    session.flush()
    return municipality


def staff_of(session: Session, preschool: Preschool) -> list:
    """The accounts scoped to this preschool (staff), active ones first."""
    from smultron.models import User, user_preschool

    return list(session.scalars(
        select(User).join(user_preschool, user_preschool.c.user_id == User.id)
        .where(user_preschool.c.preschool_id == preschool.id)
        .order_by(User.active.desc(), User.email)))


CSV_COLUMNS = ("name", "lon", "lat", "unit_code", "address", "enrolled_children", "departments")


def csv_rows(session: Session, include_archived: bool = False):
    """The preschools in the importer's CSV format (a round trip through a spreadsheet)."""
    yield CSV_COLUMNS
    for preschool, _places, _departments in list_preschools(session, include_archived):
        point = from_db(preschool.location)
        yield (preschool.name, f"{point.x:.6f}", f"{point.y:.6f}", preschool.unit_code or "",
               preschool.address or "", preschool.enrolled_children,
               ";".join(d.name for d in preschool.departments))
