"""The filtered places query every export format, the OGC API and the plan check share.

Filters arrive as names (campaign, preschool), codes (category) and enumeration
values; ``resolve`` checks them against the database and turns them into ids,
so the SQL that reaches ADBC carries only integers, known words and dates.
Only approved comments ever leave the database; deleted places never do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import Date, Select, String, and_, case, cast, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, aliased

from smultron.core import parsing
from smultron.core.access import Viewer
from smultron.core.errors import AppError
from smultron.core.messages import M
from smultron.models import (
    FEELINGS,
    SEASONS,
    SRID,
    Campaign,
    Category,
    Department,
    MappingSession,
    Place,
    PlaceResponse,
    PlanArea,
    Preschool,
)

# layer name -> PostGIS geometry type of the places it holds
PLACE_KINDS = {"places_points": "ST_Point", "places_areas": "ST_Polygon",
               "places_routes": "ST_LineString"}
# EPSG codes an export may be written in: SWEREF 99 TM, WGS 84, the local SWEREF 99 zones.
ALLOWED_SRIDS = (3006, 4326, *range(3007, 3019))
LOCAL_TZ = "Europe/Stockholm"


@dataclass(frozen=True)
class Filters:
    """What a planner asked for (all optional; several values of one filter = OR)."""

    campaigns: tuple[str, ...] = ()
    preschools: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    feelings: tuple[str, ...] = ()
    seasons: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None

    def as_dict(self) -> dict:
        """Only the filters that are set, JSON-ready (audit log, file metadata)."""
        out = {}
        for key, value in asdict(self).items():
            if value:
                out[key] = value.isoformat() if isinstance(value, date) else list(value)
        return out

    def describe(self) -> str:
        """``campaigns=Hösten 2026; to=2026-10-31``, or a Message when nothing is set."""
        parts = [f"{k}={','.join(v) if isinstance(v, list) else v}"
                 for k, v in self.as_dict().items()]
        return "; ".join(parts) or M("none (all places)")


# query-string / CLI names of the filters
QUERY_NAMES = {"campaign": "campaigns", "preschool": "preschools", "category": "categories",
               "feeling": "feelings", "season": "seasons"}


def parse_filters(get_list, get_one) -> Filters:
    """Filters from a request-like source: ``get_list(name)`` -> list, ``get_one(name)``."""
    values = {attr: tuple(v.strip() for v in get_list(name) if v and v.strip())
              for name, attr in QUERY_NAMES.items()}
    check_words(values["feelings"], FEELINGS, "feeling",
                lambda wrong, allowed: M("Unknown feeling: %(wrong)s. Use one of: %(allowed)s.",
                                         wrong=wrong, allowed=allowed))
    check_words(values["seasons"], SEASONS, "season",
                lambda wrong, allowed: M("Unknown season: %(wrong)s. Use one of: %(allowed)s.",
                                         wrong=wrong, allowed=allowed))
    date_from = parse_date(get_one("from"), "from")
    date_to = parse_date(get_one("to"), "to")
    if date_from and date_to and date_to < date_from:
        raise AppError(M("The end date is before the start date."), detail={"field": "to"})
    return Filters(date_from=date_from, date_to=date_to, **values)


def filters_from_mapping(args: Mapping[str, Iterable[str] | str]) -> Filters:
    def get_list(name):
        value = args.get(name) or ()
        return [value] if isinstance(value, str) else list(value)

    def get_one(name):
        value = args.get(name)
        return value if isinstance(value, str) or value is None else next(iter(value), None)

    return parse_filters(get_list, get_one)


def parse_date(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise AppError(M("'%(name)s' must be a date like 2026-09-01, not '%(raw)s'.",
                         name=name, raw=raw[:40]), detail={"field": name}) from None


def check_words(given: tuple[str, ...], allowed: tuple[str, ...], name: str,
                message=None) -> None:
    """A 400 naming the values of ``given`` not in ``allowed``: ``message(wrong, allowed)``
    (by default one that names the parameter ``name``)."""
    wrong = [v for v in given if v not in allowed]
    if wrong:
        message = message or (lambda wrong, allowed: M(
            "Unknown %(name)s: %(wrong)s. Use one of: %(allowed)s.", name=name, wrong=wrong,
            allowed=allowed))
        raise AppError(message(", ".join(v[:40] for v in wrong[:5]), ", ".join(allowed)),
                       detail={"field": name})


def parse_srid(raw: str | int | None, default: int = 3006) -> int:
    """'EPSG:3006', '3006' or an OGC CRS URI -> 3006; anything not allowed -> 400."""
    if raw in (None, ""):
        return default
    text = str(raw).strip()
    code = text.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    if text.upper().endswith("CRS84"):
        return 4326
    if parsing.is_digits(code) and len(code) <= 6 and int(code) in ALLOWED_SRIDS:
        return int(code)
    raise AppError(M(
        "The coordinate system '%(crs)s' is not offered. Use EPSG:3006 (SWEREF 99 TM), "
        "EPSG:4326 (WGS 84) or a local SWEREF 99 zone, EPSG:3007 to EPSG:3018.",
        crs=text[:40]), detail={"field": "crs"})


@dataclass(frozen=True)
class Scope:
    """Filters resolved to ids for one viewer: what the WHERE clause needs."""

    filters: Filters
    viewer: Viewer
    campaign_ids: tuple[int, ...] = ()
    preschool_ids: tuple[int, ...] = ()
    category_ids: tuple[int, ...] = ()
    extra: tuple = field(default=(), compare=False)

    def place_conditions(self) -> list:
        f = self.filters
        conditions = [Place.deleted_at.is_(None), self.viewer.preschool_filter(Place.preschool_id)]
        if self.campaign_ids:
            conditions.append(Place.campaign_id.in_(self.campaign_ids))
        if self.preschool_ids:
            conditions.append(Place.preschool_id.in_(self.preschool_ids))
        if self.category_ids:
            conditions.append(Place.category_id.in_(self.category_ids))
        if f.feelings:
            conditions.append(Place.feeling.in_(f.feelings))
        if f.seasons:
            conditions.append(Place.season.in_(f.seasons))
        if f.date_from:
            conditions.append(local_date(Place.created_at) >= f.date_from)
        if f.date_to:
            conditions.append(local_date(Place.created_at) <= f.date_to)
        return conditions

    def preschool_conditions(self) -> list:
        conditions = [Preschool.archived_at.is_(None),
                      self.viewer.preschool_filter(Preschool.id)]
        if self.preschool_ids:
            conditions.append(Preschool.id.in_(self.preschool_ids))
        return conditions


def local_date(column):
    return cast(func.timezone(LOCAL_TZ, column), Date)


def resolve(session: Session, viewer: Viewer, filters: Filters) -> Scope:
    """Check the filters against the database (unknown names -> 400) and the viewer."""
    viewer.require_raw_places()
    campaigns = _ids(session, Campaign.id, Campaign.name, filters.campaigns, "campaign",
                     lambda names: M("There is no campaign called %(names)s.", names=names))
    preschools = _ids(session, Preschool.id, Preschool.name, filters.preschools, "preschool",
                      lambda names: M("There is no preschool called %(names)s.", names=names))
    for preschool_id in preschools:
        viewer.check_preschool(preschool_id)
    categories = _ids(session, Category.id, Category.code, filters.categories, "category",
                      lambda names: M("There is no category %(names)s.", names=names))
    return Scope(filters, viewer, campaigns, preschools, categories)


def _ids(session: Session, id_column, name_column, names: tuple[str, ...], what: str,
         message):
    if not names:
        return ()
    rows = session.execute(select(id_column, name_column).where(name_column.in_(names))).all()
    missing = sorted(set(names) - {name for _id, name in rows})
    if missing:
        known = session.scalars(select(name_column).order_by(name_column).limit(50)).all()
        raise AppError(message(", ".join(repr(m[:60]) for m in missing[:5])),
                       detail={"known": list(known), "field": what})
    return tuple(sorted(row[0] for row in rows))


def geometry_in(column, srid: int):
    return column if srid == SRID else func.ST_Transform(column, srid)


def category_label(lang: str = "sv"):
    """The category's name in ``lang`` (Swedish where it has none)."""
    return Category.label_sql(lang)


# The planners' shown answer to a place (smultron.responses), joined by places_from.
ANSWER = aliased(PlaceResponse, name="shown_answer")


def answer_columns(answer=ANSWER) -> list:
    """The shown answer's columns: status, reason, the plan area's name, when (with its
    time zone: a GeoPackage DATETIME is UTC)."""
    plan_name = select(PlanArea.name).where(PlanArea.id == answer.plan_id) \
        .scalar_subquery()
    return [answer.status.label("response_status"), answer.text.label("response_text"),
            plan_name.label("response_plan"),
            answer.created_at.label("answered_at")]


def with_answer(stmt: Select, answer=ANSWER) -> Select:
    return stmt.outerjoin(answer, and_(answer.place_id == Place.id,
                                       answer.replaced_at.is_(None)))


def place_columns():
    """The flat, typed attribute columns of an exported place (no user identity)."""
    return [
        cast(Place.id, String).label("place_id"),
        Category.code.label("category"),
        Category.label_sv.label("category_sv"),
        Place.feeling.label("feeling"),
        Place.children_count.label("children_count"),
        Place.age_group.label("age_group"),
        Place.season.label("season"),
        case((Place.comment_state == "approved", Place.comment), else_=None).label("comment"),
        Preschool.name.label("preschool"),
        Department.name.label("department"),
        MappingSession.language.label("session_language"),
        Campaign.name.label("campaign"),
        local_date(Place.created_at).label("created"),
        *answer_columns(),
    ]


def places_from(stmt: Select) -> Select:
    return with_answer(stmt.select_from(Place)
            .join(Category, Category.id == Place.category_id)
            .join(Preschool, Preschool.id == Place.preschool_id)
            .join(Campaign, Campaign.id == Place.campaign_id)
            .join(MappingSession, MappingSession.id == Place.session_id)
            .outerjoin(Department, Department.id == MappingSession.department_id))


def places_select(scope: Scope, kind: str | None, srid: int, geometry: str = "wkb",
                  ordered: bool = True) -> Select:
    """Filtered places of one geometry ``kind`` (a PLACE_KINDS value, None = all).
    ``ordered=False`` skips the sort (a GeoPackage needs no order; 1M rows sort on disk)."""
    geom = geometry_in(Place.geom, srid)
    geom_out = {"wkb": func.ST_AsBinary(geom), "wkt": func.ST_AsText(geom),
                "geojson": func.ST_AsGeoJSON(geom, 9)}[geometry]
    stmt = places_from(select(*place_columns(), geom_out.label("geom")))
    conditions = scope.place_conditions()
    if kind:
        conditions.append(func.ST_GeometryType(Place.geom) == kind)
    stmt = stmt.where(and_(*conditions))
    return stmt.order_by(Place.created_at, Place.id) if ordered else stmt


def to_sql(stmt) -> str:
    """Plain SQL text for ADBC; safe because ``resolve`` reduced every value to an
    integer, a known word or a date."""
    return str(stmt.compile(dialect=postgresql.dialect(),
                            compile_kwargs={"literal_binds": True}))
