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

import numpy as np
import pyogrio
import shapely
import shapely.errors
from pyproj import Transformer
from shapely import make_valid
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from sqlalchemy import Float, Integer, Numeric, and_, case, cast, func, select
from sqlalchemy.orm import Session

from smultron.core import audit, geojson, parsing
from smultron.core.access import Viewer
from smultron.core.errors import AppError, NotFound
from smultron.core.geo import buffer_metres, to_db
from smultron.core.messages import M, Message
from smultron.core.parsing import ParseError
from smultron.export.layers import Layer
from smultron.models import (
    METRIC_SRID,
    SRID,
    Category,
    Municipality,
    Place,
    PlanArea,
    PlanWeighing,
    Preschool,
    User,
)
from smultron.places.query import (
    Filters,
    Scope,
    category_label,
    geometry_in,
    place_columns,
    places_from,
    resolve,
)
from smultron.places.validation import MAX_VERTICES as PLACE_MAX_VERTICES

DEFAULT_BUFFER_M = 100
LISTED_PLACES = 2000  # places listed on the page (the figures count them all)
MAX_BUFFER_M = 5000
MAX_FEATURES = 5000
MAX_NAME = 200
MAX_VERTICES = PLACE_MAX_VERTICES  # a stored plan area has at most as many corners as a place
MAX_SOURCE_VERTICES = 100_000  # corners read from a file or a drawing before simplifying
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DRAWN_CHARS = 300_000
SIMPLIFY_METRES = (0.5, 1, 2, 5, 10, 20, 50, 100, 200)
# The source of a drawn plan area, stored as this English text and shown translated
# (earlier versions stored the page's translation: both read as "drawn").
DRAWN = M("drawn on the map")
DRAWN_SOURCES = frozenset({"drawn on the map", "ritad på kartan"})
# Sweden with a margin, in WGS 84: a plan area far outside it is a CRS mistake.
PLAUSIBLE = Polygon([(2, 50), (35, 50), (35, 72), (2, 72)])
TO_METRIC = Transformer.from_crs(SRID, METRIC_SRID, always_xy=True)
FROM_METRIC = Transformer.from_crs(METRIC_SRID, SRID, always_xy=True)


@dataclass(frozen=True)
class Impact:
    plan: PlanArea
    buffer_m: int
    places: list  # rows: place columns + relation, distance_m, lon, lat
    by_preschool: list  # rows: preschool, inside, near, children
    by_category: list  # rows: category, label, colour, inside, near, children


@dataclass(frozen=True)
class PlanGeometry:
    """A plan area read from a file or a drawing, and what was changed to make it one
    valid, bounded MultiPolygon (said to the planner before it is saved)."""

    geometry: MultiPolygon
    repairs: tuple[Message, ...] = ()


def refuse(message: Message, field: str, status: int = 422) -> AppError:
    """An error about one form field (``detail["field"]``, e.g. for aria-invalid)."""
    return AppError(message, status=status, detail={"field": field})


def parse_buffer(raw, default: int = DEFAULT_BUFFER_M) -> int:
    if raw in (None, ""):
        return default
    try:
        return parsing.integer(raw, 0, MAX_BUFFER_M)
    except ParseError:
        raise refuse(M("The buffer must be a whole number of metres from 0 to %(max)d.",
                       max=MAX_BUFFER_M), "buffer", status=400) from None


def check_name(name) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise refuse(M("Give the plan area a name (at most %(n)d characters, no control "
                       "characters).", n=MAX_NAME), "name")
    return name


def read_plan_file(data: bytes, filename: str) -> PlanGeometry:
    """The polygons of an uploaded GeoPackage or GeoJSON, reprojected to EPSG:4326."""
    lower = filename.lower()
    if not lower.endswith((".gpkg", ".geojson", ".json")):
        raise refuse(M("Upload a GeoPackage (.gpkg) or GeoJSON (.geojson) file with "
                       "polygons."), "file")
    if not data:
        raise refuse(M("The file is empty."), "file")
    if len(data) > MAX_FILE_BYTES:
        raise refuse(M("The file is larger than %(mb)d MB; send the plan area only, or "
                       "simplify it in QGIS first.", mb=MAX_FILE_BYTES // 2**20), "file", 413)
    suffix = ".gpkg" if lower.endswith(".gpkg") else ".geojson"
    with tempfile.TemporaryDirectory(prefix="smultron-plan-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            frame = pyogrio.read_dataframe(path, max_features=MAX_FEATURES + 1)
        except Exception:  # noqa: BLE001 - GDAL's errors are many: all "unreadable"
            raise refuse(M("The file could not be read as GeoPackage or GeoJSON."),
                         "file") from None
    if len(frame) > MAX_FEATURES:
        raise refuse(M("The file has more than %(n)d features; send the plan area only.",
                       n=MAX_FEATURES), "file")
    if frame.crs is None:
        raise refuse(M("The file does not say which coordinate system it is in. Save it "
                       "with a CRS (for example EPSG:3006) and upload it again."), "file")
    geometries = [g for g in frame.geometry if g is not None]
    _check_size(geometries, "file")
    frame = frame[frame.geometry.notna()].to_crs(SRID)
    return polygons_only(list(frame.geometry), "file")


_TOO_DETAILED = M("The plan area has more than %(n)d corners; simplify it (in QGIS: "
                  "Vector › Geometry Tools › Simplify) and try again.", n=MAX_SOURCE_VERTICES)

DRAWN_AREA = geojson.DrawnArea(
    not_geojson=M("The drawn area is not valid GeoJSON."),
    not_polygon=M("The drawn area is not a valid GeoJSON geometry."),
    max_corners=MAX_SOURCE_VERTICES, max_characters=MAX_DRAWN_CHARS, one=False, valid=False,
    too_many_corners=_TOO_DETAILED,
    other_type="A plan area must be polygons; the file has a %(kind)s.")


def geometry_from_geojson(data) -> PlanGeometry:
    """A drawn plan area: a GeoJSON Polygon/MultiPolygon, Feature or FeatureCollection."""
    try:
        polygons = geojson.read_polygons(data, DRAWN_AREA)
    except ParseError as exc:
        raise refuse(exc.message, "geojson") from None
    return polygons_only(polygons, "geojson")



def _check_size(geometries: list[BaseGeometry], field: str) -> None:
    """Bounded before any geometry work: corners, and finite numbers."""
    if not geometries:
        return
    if int(shapely.get_num_coordinates(geometries).sum()) > MAX_SOURCE_VERTICES:
        raise refuse(_TOO_DETAILED, field)
    if not np.isfinite(shapely.get_coordinates(geometries)).all():
        raise refuse(M("The plan area has coordinates that are not numbers."), field)


def polygons_only(geometries: list[BaseGeometry], field: str = "file") -> PlanGeometry:
    """One valid MultiPolygon in EPSG:4326 of at most MAX_VERTICES corners (repaired and
    simplified if need be, and said so), or a 422 that says what is wrong."""
    polygons, crossed, repaired = [], False, False
    for geometry in geometries:
        if geometry is None or geometry.is_empty:
            continue
        if geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise refuse(M("A plan area must be polygons; the file has a %(kind)s.",
                           kind=geometry.geom_type), field)
        if not geometry.is_valid:
            repaired = True
            crossed = crossed or "self-intersection" in shapely.is_valid_reason(geometry).lower()
            geometry = make_valid(geometry)
        polygons += [g for g in getattr(geometry, "geoms", [geometry])
                     if g.geom_type == "Polygon" and not g.is_empty]
    if not polygons:
        raise refuse(M("The file has no polygons."), field)
    merged = _multi(unary_union(polygons))
    if not merged.within(PLAUSIBLE):
        raise refuse(M("The plan area lies outside Sweden. Check the file's coordinate "
                       "system."), field)
    repairs = [_repair_message(crossed, len(merged.geoms))] if repaired else []
    corners = int(shapely.get_num_coordinates(merged))
    if corners > MAX_VERTICES:
        merged, metres = _simplified(merged, field)
        repairs.append(M("The outline had %(before)d corners; it was simplified to "
                         "%(after)d corners (moved by at most %(metres)s m), as a plan area "
                         "has at most %(max)d.", before=corners,
                         after=int(shapely.get_num_coordinates(merged)), metres=metres,
                         max=MAX_VERTICES))
    return PlanGeometry(merged, tuple(repairs))


def _multi(geometry: BaseGeometry) -> MultiPolygon:
    parts = [g for g in getattr(geometry, "geoms", [geometry]) if g.geom_type == "Polygon"]
    return MultiPolygon(parts)


def _repair_message(crossed: bool, parts: int) -> Message:
    if crossed and parts > 1:
        return M("The outline crossed itself; it was split into %(n)d parts.", n=parts)
    if crossed:
        return M("The outline crossed itself; it was repaired into one part.")
    return M("The outline was not a valid polygon (for example a ring that touched itself); "
             "it was repaired into %(n)d part(s).", n=parts)


def _simplified(geometry: MultiPolygon, field: str) -> tuple[MultiPolygon, float]:
    """``geometry`` simplified in metres (EPSG:3006) until it has at most MAX_VERTICES."""
    metric = _transform(geometry, TO_METRIC)
    for metres in SIMPLIFY_METRES:
        simple = metric.simplify(metres, preserve_topology=True)
        if shapely.get_num_coordinates(simple) <= MAX_VERTICES:
            result = _transform(simple, FROM_METRIC)
            result = result if result.is_valid else make_valid(result)
            return _multi(result), metres
    raise refuse(M("The plan area has too many parts to simplify to %(n)d corners; send "
                   "fewer polygons.", n=MAX_VERTICES), field)


def _transform(geometry: BaseGeometry, transformer: Transformer) -> BaseGeometry:
    def move(xy):
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])
    return shapely.transform(geometry, move)


def default_municipality(session: Session, user: User | None) -> int:
    if user is not None and user.municipality_id:
        return user.municipality_id
    ids = session.scalars(select(Municipality.id).order_by(Municipality.id).limit(2)).all()
    if not ids:
        raise AppError(M("There is no municipality yet; an administrator must add one "
                         "first."))
    return ids[0]


def save_plan_area(session: Session, user: User | None, name: str, geometry: MultiPolygon,
                   source: str) -> PlanArea:
    """Store a plan area read by ``read_plan_file`` or ``geometry_from_geojson``."""
    name = check_name(name)
    source = "".join(c for c in source if c.isprintable())[:300]
    area = PlanArea(municipality_id=default_municipality(session, user), name=name,
                    geom=to_db(geometry), source=source,
                    uploaded_by=user.id if user is not None else None)
    session.add(area)
    session.flush()
    audit.record(session, "plan_area_created", user, target=f"plan_area:{area.id}",
                 detail={"name": name, "source": source})
    return area


def list_plan_areas(session: Session) -> list:
    area_ha = cast(func.round(cast(func.ST_Area(func.ST_Transform(PlanArea.geom, METRIC_SRID))
                                   / 10000.0, Numeric), 2), Float)
    return session.execute(select(PlanArea.id, PlanArea.name, PlanArea.source,
                                  PlanArea.created_at, area_ha.label("area_ha"))
                           .order_by(PlanArea.created_at.desc())).all()


def find_plan_area(session: Session, key: str | int) -> PlanArea:
    text = str(key).strip()
    if parsing.looks_numeric(text) and parsing.identifier(text) is None:
        raise NotFound(M("There is no plan area '%(key)s'.", key=text[:40]))
    plan_id = parsing.identifier(text)
    condition = PlanArea.id == plan_id if plan_id is not None else PlanArea.name == text
    area = session.scalar(select(PlanArea).where(condition).order_by(PlanArea.id.desc()))
    if area is None:
        raise NotFound(M("There is no plan area '%(key)s'.", key=text[:40]))
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


def _conflicts_select(scope: Scope, plan_id: int, buffer_m: int, srid: int, geometry: str,
                      lang: str = "sv"):
    plan_geom = select(PlanArea.geom).where(PlanArea.id == plan_id).scalar_subquery()
    relation, distance, near = _relation_columns(plan_geom, buffer_m)
    point = func.ST_PointOnSurface(Place.geom)
    geom = {"wkb": func.ST_AsBinary(geometry_in(point, srid)),
            "lonlat": func.ST_AsGeoJSON(point, 7)}[geometry]
    columns = [*place_columns(), relation, distance]
    if geometry == "wkb":  # the plan_conflicts layer: how each place was weighed
        columns += [PlanWeighing.consequence, PlanWeighing.measure]
    columns.append(geom.label("geom"))
    if geometry == "lonlat":  # the plan page: the category's name in the page's language
        columns.append(category_label(lang).label("category_label"))
    stmt = places_from(select(*columns))
    if geometry == "wkb":
        stmt = stmt.outerjoin(PlanWeighing, and_(PlanWeighing.plan_id == plan_id,
                                                 PlanWeighing.place_id == Place.id))
    return stmt.where(and_(*scope.place_conditions(), near)).order_by(
        relation, distance, Place.id)


def conflicts_layer(session: Session, viewer: Viewer, filters: Filters, plan_id: int,
                    buffer_m: int, srid: int) -> Layer:
    """The ``plan_conflicts`` layer of an export: a point per affected place."""
    area = find_plan_area(session, plan_id)
    scope = resolve(session, viewer, filters)
    return Layer("plan_conflicts", "Point",
                 _conflicts_select(scope, area.id, buffer_m, srid, "wkb"),
                 M("Places affected by the plan '%(name)s'", name=area.name),
                 M("Children's places inside the plan area '%(name)s' (relation = inside) or "
                   "within %(buffer)d m of it (relation = near), with the distance in metres, "
                   "the planners' answer and how the place was weighed (consequence, "
                   "measure); a point on each place.", name=area.name, buffer=buffer_m))


def impact(session: Session, viewer: Viewer, filters: Filters, plan_id: int,
           buffer_m: int = DEFAULT_BUFFER_M, limit: int = LISTED_PLACES,
           lang: str = "sv") -> Impact:
    """The places a plan touches, and the figures by preschool and by category (category
    names in ``lang``)."""
    area = find_plan_area(session, plan_id)
    scope = resolve(session, viewer, filters)
    rows = session.execute(_conflicts_select(scope, area.id, buffer_m, SRID, "lonlat", lang)
                           .limit(limit)).all()
    return Impact(area, buffer_m, rows, *_summaries(session, scope, area.id, buffer_m, lang))


def _summaries(session: Session, scope: Scope, plan_id: int, buffer_m: int, lang: str):
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
    label = category_label(lang)
    by_category = session.execute(
        select(Category.code.label("category"), label.label("label"),
               Category.colour.label("colour"), inside, nearby, children)
        .join(base, base.c.category_id == Category.id)
        .group_by(Category.code, label, Category.colour, Category.sort_order)
        .order_by(Category.sort_order)).all()
    return by_preschool, by_category


def plan_geojson(session: Session, plan_id: int) -> dict:
    raw = session.scalar(select(func.ST_AsGeoJSON(PlanArea.geom, 7))
                         .where(PlanArea.id == plan_id))
    if raw is None:
        raise NotFound(M("There is no such plan area."))
    return json.loads(raw)


def from_api(data) -> tuple[str, PlanGeometry]:
    """(name, geometry) of ``POST /api/v1/plans``: a GeoJSON Feature or FeatureCollection
    with a ``name`` (top level, or the first feature's property). Read as an uploaded
    GeoJSON file is (a legacy ``crs`` member is honoured), so validated, repaired and
    reprojected the same way; errors name the field ``geometry`` or ``name``."""
    if not isinstance(data, dict) or data.get("type") not in ("Feature", "FeatureCollection"):
        raise refuse(M("Send a GeoJSON Feature or FeatureCollection of polygons with a "
                       "name."), "geometry")
    features = data.get("features") if data["type"] == "FeatureCollection" else [data]
    first = features[0] if isinstance(features, list) and features else {}
    properties = first.get("properties") if isinstance(first, dict) else None
    name = data.get("name") or (properties.get("name") if isinstance(properties, dict)
                                else None)
    name = check_name(name if isinstance(name, str) else "")
    try:
        read = read_plan_file(json.dumps(data).encode(), "plan.geojson")
    except (ValueError, RecursionError):
        raise refuse(M("The drawn area is not valid GeoJSON."), "geometry") from None
    except AppError as exc:
        raise refuse(exc.message, "geometry", exc.status) from None
    return name, read
