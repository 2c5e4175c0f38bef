"""What became of our places: a preschool's places of one campaign, each with the
planners' shown answer, for the children to look at (the answers page).

Staff of that preschool, planners and admins; officials read aggregates only (403);
staff of another preschool get "not found" (404). The children's words are shown only
once approved; nothing names a child or who marked the place."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from smultron import mapping_sessions, responses
from smultron.core.access import Viewer
from smultron.core.errors import NotFound
from smultron.core.messages import M
from smultron.models import Campaign, Category, Place, Preschool

# At most this many places on the page (a preschool marks a few dozen in a campaign).
MAX_PLACES = 500


@dataclass(frozen=True)
class Card:
    """One place as the children see it: its pictogram, their words, the answer."""

    id: str
    category: str
    label: str
    pictogram: str
    feeling: str
    season: str
    children: int
    words: str  # the approved comment, or ""
    status: str | None
    answer: str  # the planners' reason, or ""
    lon: float
    lat: float


def preschool(db: Session, viewer: Viewer, preschool_id: int) -> Preschool:
    """The preschool whose answers the viewer may see (officials 403, others' 404)."""
    viewer.require_raw_places()
    return mapping_sessions.preschool_for(db, viewer, preschool_id)


def campaigns(db: Session, preschool_id: int) -> list[Campaign]:
    """The campaigns in which the preschool marked places, the newest first."""
    marked = exists().where(Place.campaign_id == Campaign.id,
                            Place.preschool_id == preschool_id, Place.deleted_at.is_(None))
    return list(db.scalars(select(Campaign).where(marked)
                           .order_by(Campaign.starts_on.desc(), Campaign.id.desc())))


def chosen_campaign(choices: list[Campaign], raw: str | None) -> Campaign | None:
    """The campaign asked for (``?campaign=<id>``), or the newest; 404 for one the
    preschool has no places in."""
    if raw in (None, ""):
        return choices[0] if choices else None
    found = next((c for c in choices if str(c.id) == raw.strip()), None)
    if found is None:
        raise NotFound(M("There is no such campaign for this preschool."))
    return found


def cards(db: Session, preschool_id: int, campaign_id: int, lang: str) -> list[Card]:
    """The preschool's live places of the campaign with their shown answers: answered
    ones first, then by category."""
    shown, on = responses.shown_join(Place.id)
    point = func.ST_PointOnSurface(Place.geom)
    rows = db.execute(
        select(Place.id, Category.code, Category.label_sql(lang), Category.pictogram,
               Place.feeling, Place.season, Place.children_count,
               Place.comment, Place.comment_state,
               shown.status, shown.text, func.ST_X(point), func.ST_Y(point))
        .join(Category, Category.id == Place.category_id)
        .outerjoin(shown, on)
        .where(Place.preschool_id == preschool_id, Place.campaign_id == campaign_id,
               Place.deleted_at.is_(None))
        .order_by(shown.status.is_(None), Category.sort_order, Place.created_at, Place.id)
        .limit(MAX_PLACES)).all()
    return [Card(str(r[0]), r[1], r[2], r[3], r[4], r[5], r[6],
                 (r[7] or "") if r[8] == "approved" else "", r[9], r[10] or "", r[11], r[12])
            for r in rows]
