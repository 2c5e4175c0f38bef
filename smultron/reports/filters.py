"""What a report is about: campaigns, a scope and a grid size, checked against the database.

``ReportFilters.parse`` takes plain values (a dict of lists, like a query string)
and a Session, and refuses anything a person could get wrong with a message they
can act on. ``scope_sql`` gives the WHERE fragment every aggregation shares.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from smultron.core import geojson, parsing
from smultron.core.errors import AppError, NotFound
from smultron.core.messages import M
from smultron.core.parsing import ParseError
from smultron.models import Campaign, PlanArea, Preschool

SCOPES = ("municipality", "preschool", "plan_area", "area")
# Hexagon edge in metres (EPSG:3006). A hexagon is a union of the 250 m base squares
# (aggregate.BASE_CELL) whose centres it holds, so nothing finer than 250 m is offered.
CELL_SIZES = (250, 500, 1000)
DEFAULT_CELL_OTHER = 250
# Automatic hexagon size by how many preschools the area holds: the finest for one
# preschool, coarser for a whole city (the map stays readable and the page light).
AUTO_CELL = ((40, 250), (200, 500))
AUTO_CELL_LARGEST = 1000
MAX_AREA_VERTICES = 500  # the messages below say these numbers
MAX_CAMPAIGNS = 10


@dataclass(frozen=True)
class ReportFilters:
    municipality_id: int
    campaign_ids: tuple[int, ...]
    scope: str = "municipality"
    preschool_id: int | None = None
    plan_area_id: int | None = None
    area: str | None = None  # a GeoJSON Polygon (EPSG:4326), normalised
    cell: int = DEFAULT_CELL_OTHER
    compare_campaign_id: int | None = None

    def key(self) -> tuple:
        """A hashable, canonical key (for the cache)."""
        return (self.municipality_id, self.campaign_ids, self.scope, self.preschool_id,
                self.plan_area_id, self.area, self.cell, self.compare_campaign_id)

    def for_campaigns(self, campaign_ids: tuple[int, ...]) -> ReportFilters:
        """The same scope over other campaigns (the comparison side)."""
        return ReportFilters(self.municipality_id, campaign_ids, self.scope, self.preschool_id,
                             self.plan_area_id, self.area, self.cell, None)

    def query_args(self) -> dict[str, list[str]]:
        """The filters as query-string values (for links to the PDF and the data); the
        hexagon size is always explicit, so a link shows the same report."""
        args = {"campaign": [str(c) for c in self.campaign_ids], "scope": [self.scope],
                "cell": [str(self.cell)]}
        if self.preschool_id:
            args["preschool"] = [str(self.preschool_id)]
        if self.plan_area_id:
            args["plan_area"] = [str(self.plan_area_id)]
        if self.area:
            args["area"] = [self.area]
        if self.compare_campaign_id:
            args["compare"] = [str(self.compare_campaign_id)]
        return args

    @classmethod
    def parse(cls, session: Session, args: dict[str, list[str]]) -> ReportFilters:
        campaigns = _campaigns(session, args.get("campaign", []))
        municipality_id = campaigns[0].municipality_id
        scope = _one(args, "scope") or "municipality"
        if scope not in SCOPES:
            raise AppError(M("Unknown scope: choose the municipality, a preschool, a plan area "
                             "or a drawn district"), detail={"scope": scope, "choices": SCOPES})
        _refuse_other_scopes(args, scope)
        preschool_id = plan_area_id = area = None
        if scope == "preschool":
            preschool_id = _preschool(session, _one(args, "preschool"), municipality_id)
        elif scope == "plan_area":
            plan_area_id = _plan_area(session, _one(args, "plan_area"), municipality_id)
        elif scope == "area":
            area = normalise_area(_one(args, "area"))
        compare = _compare(session, _one(args, "compare"), campaigns)
        filters = cls(municipality_id, tuple(sorted(c.id for c in campaigns)), scope,
                      preschool_id, plan_area_id, area, DEFAULT_CELL_OTHER, compare)
        cell = _cell(_one(args, "cell")) or auto_cell(session, filters)
        return replace(filters, cell=cell)


# What each scope takes besides campaigns (the field has the scope's name).
SCOPE_FIELD_MESSAGES = {
    "preschool": M("A preschool is chosen, but the area is not “One preschool”: choose that "
                   "area, or no preschool"),
    "plan_area": M("A plan area is chosen, but the area is not “A plan area”: choose that "
                   "area, or no plan area"),
    "area": M("A district is drawn, but the area is not “A district drawn on the map”: "
              "choose that area, or clear the district"),
}


def _refuse_other_scopes(args: dict[str, list[str]], scope: str) -> None:
    """A preschool, plan area or district given with another scope is a mistake to point
    out, never something to ignore (the report would silently be another one)."""
    for field in SCOPE_FIELD_MESSAGES:
        if field != scope and _one(args, field) is not None:
            raise AppError(SCOPE_FIELD_MESSAGES[field], detail={"scope": scope, field: "given"})


def _one(args: dict[str, list[str]], name: str) -> str | None:
    values = [v for v in args.get(name, []) if v not in ("", None)]
    return values[0] if values else None


def _int(value: str | None, message: str) -> int:
    number = parsing.identifier(value)
    if number is None:
        raise AppError(message, detail={"value": (value or "")[:40]})
    return number


def _campaigns(session: Session, raw: list[str]) -> list[Campaign]:
    ids = sorted({_int(v, M("Choose a campaign")) for v in raw if v != ""})
    if not ids:
        raise AppError(M("Choose at least one campaign"))
    if len(ids) > MAX_CAMPAIGNS:
        raise AppError(M("Choose at most ten campaigns"))
    rows = session.scalars(select(Campaign).where(Campaign.id.in_(ids))).all()
    if len(rows) != len(ids):
        raise NotFound(M("One of the chosen campaigns does not exist"))
    if len({c.municipality_id for c in rows}) > 1:
        raise AppError(M("The chosen campaigns belong to different municipalities: "
                         "choose campaigns of one municipality"))
    return list(rows)


def _compare(session: Session, raw: str | None, campaigns: list[Campaign]) -> int | None:
    if raw is None:
        return None
    other = session.get(Campaign, _int(raw, M("Choose a campaign to compare with")))
    if other is None:
        raise NotFound(M("The campaign to compare with does not exist"))
    if other.municipality_id != campaigns[0].municipality_id:
        raise AppError(M("Compare with a campaign of the same municipality"))
    if other.id in {c.id for c in campaigns}:
        raise AppError(M("Compare with a campaign that is not already in the report"))
    return other.id


def _preschool(session: Session, raw: str | None, municipality_id: int) -> int:
    row = session.get(Preschool, _int(raw, M("Choose a preschool")))
    if row is None or row.municipality_id != municipality_id:
        raise NotFound(M("There is no such preschool in this campaign's municipality"))
    return row.id


def _plan_area(session: Session, raw: str | None, municipality_id: int) -> int:
    row = session.get(PlanArea, _int(raw, M("Choose a plan area")))
    if row is None or row.municipality_id != municipality_id:
        raise NotFound(M("There is no such plan area in this campaign's municipality"))
    return row.id


def _cell(raw: str | None) -> int | None:
    if raw is None:
        return None
    value = _int(raw, M("Choose one of the offered hexagon sizes"))
    if value not in CELL_SIZES:
        raise AppError(M("Choose one of the offered hexagon sizes"),
                       detail={"cell": value, "choices": CELL_SIZES})
    return value


def auto_cell(session: Session, filters: ReportFilters) -> int:
    """The hexagon size for the number of preschools in the report's area."""
    if filters.scope == "preschool":
        return CELL_SIZES[0]
    area_sql, params = scope_area_sql(filters)
    condition = ("true" if filters.scope == "municipality"
                 else "ST_Intersects(location, (SELECT geom FROM scope_area))")
    count = session.execute(text(
        f"WITH scope_area AS ({area_sql}) SELECT count(*) FROM preschool "  # noqa: S608
        f"WHERE municipality_id = :muni AND archived_at IS NULL AND {condition}"),
        {**params, "muni": filters.municipality_id}).scalar_one()
    return next((cell for most, cell in AUTO_CELL if count <= most), AUTO_CELL_LARGEST)


DISTRICT = geojson.DrawnArea(
    not_geojson=M("The district is not valid GeoJSON"),
    not_polygon=M("The district must be one polygon"), max_corners=MAX_AREA_VERTICES,
    too_many_corners=M("The district has too many corners (at most 500)"))


def normalise_area(raw: str | None) -> str:
    """A drawn district: a GeoJSON Polygon (or a Feature holding one) in longitude/latitude."""
    if not raw:
        raise AppError(M("Draw a district on the map, or paste its GeoJSON polygon"))
    try:
        polygon = geojson.read_polygons(raw, DISTRICT)[0]
    except ParseError as exc:
        raise AppError(exc.message) from None
    coords = [[round(x, 6), round(y, 6)] for x, y in polygon.exterior.coords]
    return json.dumps({"type": "Polygon", "coordinates": [coords]}, separators=(",", ":"))


def scope_sql(filters: ReportFilters, place: str = "p") -> tuple[str, dict]:
    """The WHERE fragment choosing the places of the report (alias ``place``)."""
    params = {"muni": filters.municipality_id, "campaigns": list(filters.campaign_ids)}
    where = [f"{place}.deleted_at IS NULL", f"{place}.municipality_id = :muni",
             f"{place}.campaign_id = ANY(:campaigns)"]
    if filters.scope == "preschool":
        where.append(f"{place}.preschool_id = :preschool")
        params["preschool"] = filters.preschool_id
    elif filters.scope in ("plan_area", "area"):
        # a first cut by the box around the area's base squares (aggregate.py keeps the
        # places of those squares); the alias is a fixed identifier, never user input
        where.append(f"{place}.geom && (SELECT box FROM scope_area)")  # noqa: S608
    return " AND ".join(where), params


def scope_area_sql(filters: ReportFilters) -> tuple[str, dict]:
    """A CTE ``scope_area(geom)`` holding the district (EPSG:4326), or an empty one."""
    if filters.scope == "plan_area":
        return "SELECT geom FROM plan_area WHERE id = :plan_area", {
            "plan_area": filters.plan_area_id}
    if filters.scope == "area":
        return "SELECT ST_SetSRID(ST_GeomFromGeoJSON(:area), 4326) AS geom", {
            "area": filters.area}
    if filters.scope == "preschool":
        return "SELECT neighbourhood AS geom FROM preschool WHERE id = :preschool", {
            "preschool": filters.preschool_id}
    return "SELECT NULL::geometry AS geom", {}
