"""Plan areas and the plan-impact check: which children's places a plan touches.

A planner uploads a plan area (GeoPackage or GeoJSON polygons, any CRS GDAL
knows; it is validated and reprojected to EPSG:4326) or draws one. The check
finds the filtered places inside it and within a buffer (metres, measured in
EPSG:3006), summarised by preschool and category in SQL.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyogrio
from shapely import make_valid
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from sqlalchemy import Float, Integer, Numeric, and_, case, cast, func, select
from sqlalchemy.orm import Session

from smultron import audit
from smultron.access import Viewer
from smultron.errors import AppError, NotFound
from smultron.export.layers import Layer
from smultron.export.query import (
    Filters,
    Scope,
    geometry_in,
    place_columns,
    places_from,
    resolve,
)
from smultron.geo import buffer_metres, to_db
from smultron.models import (
    METRIC_SRID,
    SRID,
    Category,
    Municipality,
    Place,
    PlanArea,
    Preschool,
    User,
)

DEFAULT_BUFFER_M = 100
LISTED_PLACES = 2000  # places listed on the page (the figures count them all)
MAX_BUFFER_M = 5000
MAX_FEATURES = 5000
# Sweden with a margin, in WGS 84: a plan area far outside it is a CRS mistake.
PLAUSIBLE = Polygon([(2, 50), (35, 50), (35, 72), (2, 72)])


@dataclass(frozen=True)
class Impact:
    plan: PlanArea
    buffer_m: int
    places: list  # rows: place columns + relation, distance_m, lon, lat
    by_preschool: list  # rows: preschool, inside, near, children
    by_category: list  # rows: category, label, colour, inside, near, children


def parse_buffer(raw, default: int = DEFAULT_BUFFER_M) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise AppError(f"The buffer must be a whole number of metres, not '{raw}'.") from None
    if not 0 <= value <= MAX_BUFFER_M:
        raise AppError(f"The buffer must be between 0 and {MAX_BUFFER_M} metres.")
    return value


def read_plan_file(data: bytes, filename: str) -> BaseGeometry:
    """The polygons of an uploaded GeoPackage or GeoJSON, reprojected to EPSG:4326."""
    lower = filename.lower()
    if not lower.endswith((".gpkg", ".geojson", ".json")):
        raise AppError("Upload a GeoPackage (.gpkg) or GeoJSON (.geojson) file with polygons.")
    if not data:
        raise AppError("The file is empty.")
    suffix = ".gpkg" if lower.endswith(".gpkg") else ".geojson"
    with tempfile.TemporaryDirectory(prefix="smultron-plan-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            frame = pyogrio.read_dataframe(path, max_features=MAX_FEATURES + 1)
        except Exception as exc:  # noqa: BLE001 - GDAL's errors are many: all "unreadable"
            raise AppError(f"The file could not be read as GeoPackage or GeoJSON: {exc}"
                           ) from None
    if len(frame) > MAX_FEATURES:
        raise AppError(f"The file has more than {MAX_FEATURES} features; send the plan area only.")
    if frame.crs is None:
        raise AppError("The file does not say which coordinate system it is in. Save it with "
                       "a CRS (for example EPSG:3006) and upload it again.")
    frame = frame[frame.geometry.notna()].to_crs(SRID)
    return polygons_only(list(frame.geometry))


def geometry_from_geojson(data) -> BaseGeometry:
    """A drawn plan area: a GeoJSON Polygon/MultiPolygon, Feature or FeatureCollection."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise AppError("The drawn area is not valid GeoJSON.") from None
    if not isinstance(data, dict):
        raise AppError("The drawn area is not valid GeoJSON.")
    if data.get("type") == "FeatureCollection":
        items = [f.get("geometry") for f in data.get("features") or []]
    elif data.get("type") == "Feature":
        items = [data.get("geometry")]
    else:
        items = [data]
    try:
        geometries = [shape(item) for item in items if item]
    except (ValueError, TypeError, AttributeError, KeyError):
        raise AppError("The drawn area is not a valid GeoJSON geometry.") from None
    return polygons_only(geometries)


def polygons_only(geometries: list[BaseGeometry]) -> MultiPolygon:
    """One valid MultiPolygon in EPSG:4326, or a 400 that says what is wrong."""
    polygons = []
    for geometry in geometries:
        if geometry.is_empty:
            continue
        if geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise AppError(f"A plan area must be polygons; the file has a {geometry.geom_type}.")
        geometry = make_valid(geometry)
        polygons += [g for g in getattr(geometry, "geoms", [geometry])
                     if g.geom_type == "Polygon" and not g.is_empty]
    if not polygons:
        raise AppError("The file has no polygons.")
    merged = unary_union(polygons)
    merged = merged if merged.geom_type == "MultiPolygon" else MultiPolygon([merged])
    if not merged.within(PLAUSIBLE):
        raise AppError("The plan area lies outside Sweden. Check the file's coordinate system.")
    return merged


def default_municipality(session: Session, user: User | None) -> int:
    if user is not None and user.municipality_id:
        return user.municipality_id
    ids = session.scalars(select(Municipality.id).order_by(Municipality.id).limit(2)).all()
    if not ids:
        raise AppError("There is no municipality yet; an administrator must add one first.")
    return ids[0]


def save_plan_area(session: Session, user: User | None, name: str, geometry: MultiPolygon,
                   source: str) -> PlanArea:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise AppError("Give the plan area a name (at most 200 characters).")
    area = PlanArea(municipality_id=default_municipality(session, user), name=name,
                    geom=to_db(geometry), source=source[:300],
                    uploaded_by=user.id if user is not None else None)
    session.add(area)
    session.flush()
    audit.record(session, "plan_area_created", user, target=f"plan_area:{area.id}",
                 detail={"name": name, "source": source[:300]})
    return area


def list_plan_areas(session: Session) -> list:
    area_ha = cast(func.round(cast(func.ST_Area(func.ST_Transform(PlanArea.geom, METRIC_SRID))
                                   / 10000.0, Numeric), 2), Float)
    return session.execute(select(PlanArea.id, PlanArea.name, PlanArea.source,
                                  PlanArea.created_at, area_ha.label("area_ha"))
                           .order_by(PlanArea.created_at.desc())).all()


def find_plan_area(session: Session, key: str | int) -> PlanArea:
    text = str(key).strip()
    condition = PlanArea.id == int(text) if text.isdigit() else PlanArea.name == text
    area = session.scalar(select(PlanArea).where(condition).order_by(PlanArea.id.desc()))
    if area is None:
        raise NotFound(f"There is no plan area '{text}'.")
    return area


def delete_plan_area(session: Session, user: User, plan_id: int) -> None:
    area = find_plan_area(session, plan_id)
    audit.record(session, "plan_area_deleted", user, target=f"plan_area:{area.id}",
                 detail={"name": area.name})
    session.delete(area)
    session.flush()


def _relation_columns(plan_geom, buffer_m: int):
    metric_place = func.ST_Transform(Place.geom, METRIC_SRID)
    metric_plan = func.ST_Transform(plan_geom, METRIC_SRID)
    relation = case((func.ST_Intersects(Place.geom, plan_geom), "inside"), else_="near")
    distance = cast(func.round(cast(func.ST_Distance(metric_place, metric_plan), Numeric), 1),
                    Float)
    near = and_(Place.geom.op("&&")(buffer_metres(plan_geom, buffer_m + 50)),
                func.ST_DWithin(metric_place, metric_plan, buffer_m))
    return relation.label("relation"), distance.label("distance_m"), near


def _conflicts_select(scope: Scope, plan_id: int, buffer_m: int, srid: int, geometry: str):
    plan_geom = select(PlanArea.geom).where(PlanArea.id == plan_id).scalar_subquery()
    relation, distance, near = _relation_columns(plan_geom, buffer_m)
    point = func.ST_PointOnSurface(Place.geom)
    geom = {"wkb": func.ST_AsBinary(geometry_in(point, srid)),
            "lonlat": func.ST_AsGeoJSON(point, 7)}[geometry]
    stmt = places_from(select(*place_columns(), relation, distance, geom.label("geom")))
    return stmt.where(and_(*scope.place_conditions(), near)).order_by(
        relation, distance, Place.id)


def conflicts_layer(session: Session, viewer: Viewer, filters: Filters, plan_id: int,
                    buffer_m: int, srid: int) -> Layer:
    """The ``plan_conflicts`` layer of an export: a point per affected place."""
    area = find_plan_area(session, plan_id)
    scope = resolve(session, viewer, filters)
    return Layer("plan_conflicts", "Point",
                 _conflicts_select(scope, area.id, buffer_m, srid, "wkb"),
                 f"Places affected by the plan '{area.name}'",
                 f"Children's places inside the plan area '{area.name}' (relation = inside) "
                 f"or within {buffer_m} m of it (relation = near), with the distance in metres; "
                 "a point on each place.")


def impact(session: Session, viewer: Viewer, filters: Filters, plan_id: int,
           buffer_m: int = DEFAULT_BUFFER_M, limit: int = LISTED_PLACES) -> Impact:
    """The places a plan touches, and the figures by preschool and by category."""
    area = find_plan_area(session, plan_id)
    scope = resolve(session, viewer, filters)
    rows = session.execute(_conflicts_select(scope, area.id, buffer_m, SRID, "lonlat")
                           .limit(limit)).all()
    return Impact(area, buffer_m, rows, *_summaries(session, scope, area.id, buffer_m))


def _summaries(session: Session, scope: Scope, plan_id: int, buffer_m: int):
    plan_geom = select(PlanArea.geom).where(PlanArea.id == plan_id).scalar_subquery()
    relation, _distance, near = _relation_columns(plan_geom, buffer_m)
    base = select(Place.preschool_id, Place.category_id, Place.children_count,
                  relation).where(and_(*scope.place_conditions(), near)).subquery()
    inside = cast(func.count().filter(base.c.relation == "inside"), Integer).label("inside")
    nearby = cast(func.count().filter(base.c.relation == "near"), Integer).label("near")
    children = cast(func.sum(base.c.children_count), Integer).label("children")
    by_preschool = session.execute(
        select(Preschool.name.label("preschool"), inside, nearby, children)
        .join(base, base.c.preschool_id == Preschool.id)
        .group_by(Preschool.name).order_by(Preschool.name)).all()
    by_category = session.execute(
        select(Category.code.label("category"), Category.label_sv.label("label"),
               Category.colour.label("colour"), inside, nearby, children)
        .join(base, base.c.category_id == Category.id)
        .group_by(Category.code, Category.label_sv, Category.colour, Category.sort_order)
        .order_by(Category.sort_order)).all()
    return by_preschool, by_category


def plan_geojson(session: Session, plan_id: int) -> dict:
    raw = session.scalar(select(func.ST_AsGeoJSON(PlanArea.geom, 7))
                         .where(PlanArea.id == plan_id))
    if raw is None:
        raise NotFound("There is no such plan area.")
    return json.loads(raw)
