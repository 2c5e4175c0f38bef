"""What a plan's assessment rests on: the children's places inside and near the plan area
with the planner's answer and weighing of each, who was heard, and the plan-level texts.

Read for the plan page, ``GET /api/v1/plans/<id>`` and the document. Planners and admins
only (single places); the public document publishes from this through the reports'
anonymity rule (smultron.assessment.public).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Float, Integer, Numeric, cast, distinct, func, select
from sqlalchemy.orm import Session

from smultron import photos, plans
from smultron.assessment import decisions, weighings
from smultron.core.access import Viewer
from smultron.models import (
    ASSESSMENT_TEXTS,
    METRIC_SRID,
    SESSION_LANGUAGES,
    Campaign,
    Category,
    MappingSession,
    Municipality,
    Place,
    PlaceResponse,
    PlanArea,
    PlanAssessment,
    Preschool,
    User,
)
from smultron.places.query import Filters
from smultron.responses import as_dict, require_answerer


@dataclass
class PlanPlace:
    """One children's place the plan touches, with what the planner made of it."""

    id: str
    category: str
    category_label: str
    colour: str
    feeling: str
    season: str
    children_count: int
    age_group: str
    preschool: str
    campaign: str
    relation: str  # inside / near
    distance_m: float
    comment: str | None  # approved comments only
    lon: float
    lat: float
    response: dict | None = None
    consequence: str = ""
    measure: str = ""


@dataclass
class Heard:
    """Who was heard: per preschool, its sessions, children taking part and enrolled."""

    preschool: str
    enrolled: int
    sessions: int
    children: int
    first: date | None
    last: date | None
    age_groups: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)  # SESSION_LANGUAGES; "" = unknown


@dataclass
class Evidence:
    plan: PlanArea
    municipality: str
    author: str | None
    buffer_m: int
    places: list[PlanPlace]
    heard: list[Heard]
    campaigns: list[str]
    texts: dict[str, str]
    version: int
    decisions: list
    area_ha: float
    plan_geojson: dict
    listed_all: bool = True
    photos: list = field(default_factory=list)  # approved photos (smultron.photos.Shown)
    photos_all: bool = True


def _places(session: Session, viewer: Viewer, plan_id: int, buffer_m: int,
            lang: str) -> tuple[list[PlanPlace], bool]:
    result = plans.impact(session, viewer, Filters(), plan_id, buffer_m, lang=lang)
    colour = dict(session.execute(select(Category.code, Category.colour)).all())
    rows = []
    for row in result.places:
        lon, lat = json.loads(row.geom)["coordinates"][:2]
        rows.append(PlanPlace(
            row.place_id, row.category, row.category_label, colour.get(row.category, "#616161"),
            row.feeling, row.season, row.children_count, row.age_group, row.preschool,
            row.campaign, row.relation, row.distance_m, row.comment, lon, lat))
    _attach_answers(session, plan_id, rows)
    return rows, len(result.places) < plans.LISTED_PLACES


def shown_answers(session: Session, place_ids: list[str]) -> dict[str, PlaceResponse]:
    """place id (text) -> its shown answer, for the places that have one."""
    if not place_ids:
        return {}
    return {str(r.place_id): r for r in session.scalars(select(PlaceResponse).where(
        PlaceResponse.place_id.in_(place_ids), PlaceResponse.replaced_at.is_(None)))}


def _attach_answers(session: Session, plan_id: int, rows: list[PlanPlace]) -> None:
    if not rows:
        return
    shown = shown_answers(session, [row.id for row in rows])
    weighed = weighings(session, plan_id)
    for row in rows:
        row.response = as_dict(shown.get(row.id))
        if row.id in weighed:
            row.consequence = weighed[row.id].consequence
            row.measure = weighed[row.id].measure


def heard(session: Session, place_ids: list[str]) -> tuple[list[Heard], list[str]]:
    """The sessions the plan's places came from, per preschool: sessions, children taking
    part (each session's children present) against enrolled, dates, age groups."""
    if not place_ids:
        return [], []
    sessions = select(Place.session_id).where(Place.id.in_(place_ids)).distinct()
    rows = session.execute(
        select(Preschool.name, Preschool.enrolled_children,
               cast(func.count(MappingSession.id), Integer),
               cast(func.sum(MappingSession.children_present), Integer),
               func.min(MappingSession.held_on), func.max(MappingSession.held_on),
               func.array_agg(distinct(MappingSession.age_group)),
               func.array_agg(distinct(func.coalesce(MappingSession.language, ""))))
        .join(Preschool, Preschool.id == MappingSession.preschool_id)
        .where(MappingSession.id.in_(sessions))
        .group_by(Preschool.name, Preschool.enrolled_children).order_by(Preschool.name)).all()
    campaigns = session.scalars(
        select(Campaign.name).join(MappingSession, MappingSession.campaign_id == Campaign.id)
        .where(MappingSession.id.in_(sessions)).distinct().order_by(Campaign.name)).all()
    return ([Heard(*row[:6], sorted(row[6]), in_language_order(row[7])) for row in rows],
            list(campaigns))


def in_language_order(languages) -> list[str]:
    """The sessions' languages in SESSION_LANGUAGES order, unknown ("") last."""
    order = {code: i for i, code in enumerate(SESSION_LANGUAGES)}
    return sorted(languages, key=lambda code: order.get(code, len(order)))


def texts(session: Session, plan_id: int) -> tuple[dict[str, str], int]:
    """The plan-level texts (empty before the first save) and their version."""
    row = session.get(PlanAssessment, plan_id)
    if row is None:
        return {name: "" for name in ASSESSMENT_TEXTS}, 0
    return {name: getattr(row, name) for name in ASSESSMENT_TEXTS}, row.version


def gather(session: Session, viewer: Viewer, plan_id: int,
           buffer_m: int = plans.DEFAULT_BUFFER_M, lang: str = "sv") -> Evidence:
    """Everything the plan's assessment shows (planners and admins)."""
    require_answerer(viewer)
    area = plans.find_plan_area(session, plan_id)
    row = texts(session, area.id)
    places, complete = _places(session, viewer, area.id, buffer_m, lang)
    who, campaigns = heard(session, [p.id for p in places])
    author = session.scalar(select(User.email).where(User.id == area.uploaded_by)) \
        if area.uploaded_by else None
    area_ha = session.scalar(select(cast(func.round(cast(
        func.ST_Area(func.ST_Transform(PlanArea.geom, METRIC_SRID)) / 10000.0, Numeric), 2),
        Float)).where(PlanArea.id == area.id))
    shots, shots_all = photos.approved_thumbs(session, viewer, [p.id for p in places])
    return Evidence(
        plan=area, municipality=session.scalar(select(Municipality.name).where(
            Municipality.id == area.municipality_id)) or "",
        photos=shots, photos_all=shots_all,
        author=author, buffer_m=buffer_m, places=places, heard=who, campaigns=campaigns,
        texts=row[0], version=row[1],
        decisions=decisions(session, area.id), area_ha=float(area_ha or 0),
        plan_geojson=plans.plan_geojson(session, area.id), listed_all=complete)
