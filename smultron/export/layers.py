"""The layers of an export: one SELECT each, aggregation in PostGIS.

Each layer is a ``Layer`` (name, geometry type, its SELECT, a description);
the writers (GeoPackage, GeoJSON, CSV) only run the SELECT and write rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Float, Integer, Numeric, Select, and_, case, cast, func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import aliased

from smultron.core.messages import M, Message
from smultron.export.enrich import places_ids_select
from smultron.models import METRIC_SRID, MappingSession, Place, Preschool
from smultron.places.query import PLACE_KINDS, Scope, geometry_in

DEFAULT_HEX_SIZE = 250  # metres, edge length = radius of the hexagon


@dataclass(frozen=True)
class Layer:
    name: str
    geometry_type: str  # OGR name: Point, LineString, Polygon
    select: Select
    title: Message  # translated when the file is written, into the export's language
    description: Message
    ids_for_names: bool = False  # the SELECT has ids; enrich.named puts the names in


PLACE_LAYERS = {
    "places_points": ("Point", M("Children's places (points)"),
                      M("Places the children chose, marked as points.")),
    "places_areas": ("Polygon", M("Children's places (areas)"),
                     M("Places the children chose, drawn as areas (a forest, a yard).")),
    "places_routes": ("LineString", M("Children's routes"),
                      M("Routes the children chose (the way to the sledding hill).")),
}


def place_layers(scope: Scope, srid: int) -> list[Layer]:
    """The place layers of a GeoPackage: the place table alone, names added in Arrow."""
    return [Layer(name, gtype, places_ids_select(scope, PLACE_KINDS[name], srid), title, text,
                  ids_for_names=True)
            for name, (gtype, title, text) in PLACE_LAYERS.items()]


def _filtered_places(scope: Scope):
    """The filtered places as a subquery (id, preschool, children, representative point)."""
    return (select(Place.id, Place.preschool_id, Place.session_id, Place.children_count,
                   Place.feeling,
                   func.ST_Transform(func.ST_PointOnSurface(Place.geom), METRIC_SRID)
                   .label("point"))
            .where(and_(*scope.place_conditions())).subquery("filtered"))


def preschools_layer(scope: Scope, srid: int) -> Layer:
    places = _filtered_places(scope)
    per_school = (select(places.c.preschool_id,
                         func.count().label("places"),
                         func.sum(places.c.children_count).label("children_choices"))
                  .group_by(places.c.preschool_id).subquery("per_school"))
    sessions = aliased(MappingSession)
    session_conditions = [sessions.preschool_id == Preschool.id]
    if scope.campaign_ids:
        session_conditions.append(sessions.campaign_id.in_(scope.campaign_ids))
    reached = (select(func.coalesce(func.sum(sessions.children_present), 0))
               .where(*session_conditions).scalar_subquery())
    session_count = select(func.count()).where(*session_conditions).scalar_subquery()
    stmt = (select(
        Preschool.name.label("name"), Preschool.unit_code.label("unit_code"),
        Preschool.address.label("address"),
        Preschool.enrolled_children.label("enrolled_children"),
        cast(session_count, Integer).label("sessions"),
        cast(reached, Integer).label("children_reached"),
        case((Preschool.enrolled_children > 0,
              cast(func.round(cast(100.0 * reached / Preschool.enrolled_children, Numeric), 1),
                   Float)), else_=None).label("participation_pct"),
        cast(func.coalesce(per_school.c.places, 0), Integer).label("places"),
        cast(func.coalesce(per_school.c.children_choices, 0), Integer).label("children_choices"),
        func.ST_AsBinary(geometry_in(Preschool.location, srid)).label("geom"))
        .outerjoin(per_school, per_school.c.preschool_id == Preschool.id)
        .where(*scope.preschool_conditions()).order_by(Preschool.name))
    return Layer("preschools", "Point", stmt, M("Preschools"),
                 M("Preschools with enrolled children, mapping sessions, children reached "
                   "(sum over sessions) and the number of places in this export."))


def neighbourhoods_layer(scope: Scope, srid: int) -> Layer:
    area = func.ST_Area(func.ST_Transform(Preschool.neighbourhood, METRIC_SRID)) / 10000.0
    stmt = (select(Preschool.name.label("preschool"), Preschool.unit_code.label("unit_code"),
                   cast(func.round(cast(area, Numeric), 2), Float)
                   .label("area_ha"),
                   func.ST_AsBinary(geometry_in(Preschool.neighbourhood, srid)).label("geom"))
            .where(*scope.preschool_conditions()).order_by(Preschool.name))
    return Layer("neighbourhoods", "Polygon", stmt, M("Preschool neighbourhoods"),
                 M("Each preschool's neighbourhood, the area mapped with the children."))


def density_layer(scope: Scope, srid: int, threshold: int,
                  size: int = DEFAULT_HEX_SIZE) -> Layer:
    """Hexagons (``size`` m, in EPSG:3006) with places and children; cells resting on
    fewer than ``threshold`` children are left out."""
    places = _filtered_places(scope)
    cell = func.ST_HexagonGrid(size, places.c.point).table_valued("geom", "i", "j")
    cell = cell.render_derived(with_types=False)
    assigned = (select(places.c.id, places.c.children_count, places.c.feeling,
                       cell.c.i, cell.c.j)
                .select_from(places)
                .join(cell, func.ST_Intersects(cell.c.geom, places.c.point))
                .ext(distinct_on(places.c.id))
                .order_by(places.c.id, cell.c.i, cell.c.j)).subquery("assigned")
    children = func.sum(assigned.c.children_count)
    hexagon = func.ST_SetSRID(func.ST_Hexagon(size, assigned.c.i, assigned.c.j), METRIC_SRID)
    stmt = (select(
        cast(func.count(), Integer).label("places"),
        cast(children, Integer).label("children"),
        cast(func.count().filter(assigned.c.feeling == "favourite"), Integer)
        .label("favourite"),
        cast(func.count().filter(assigned.c.feeling == "scary"), Integer).label("scary"),
        func.ST_AsBinary(hexagon if srid == METRIC_SRID else func.ST_Transform(hexagon, srid))
        .label("geom"))
        .group_by(assigned.c.i, assigned.c.j)
        .having(children >= threshold)
        .order_by(assigned.c.i, assigned.c.j))
    return Layer("density_hex", "Polygon", stmt, M("Density of places (hexagons)"),
                 M("Hexagons of %(size)d m (EPSG:3006 grid) with the number of places and of "
                   "children who chose them; cells with fewer than %(threshold)d children are "
                   "left out so that no small group can be singled out.", size=size,
                   threshold=threshold))


def all_layers(scope: Scope, srid: int, threshold: int, hex_size: int = DEFAULT_HEX_SIZE,
               plan_layer: Layer | None = None) -> list[Layer]:
    layers = place_layers(scope, srid) + [
        preschools_layer(scope, srid), neighbourhoods_layer(scope, srid),
        density_layer(scope, srid, threshold, hex_size)]
    if plan_layer is not None:
        layers.append(plan_layer)
    return layers
