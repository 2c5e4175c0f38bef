"""Comment moderation: what the children said reaches exports and reports only once a
planner has approved it. Approve or hide; every decision is audited."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smultron.core import audit
from smultron.core.access import PLANNERS, Viewer
from smultron.core.errors import AppError, NotFound
from smultron.core.messages import M
from smultron.models import Campaign, Category, Place, Preschool, User
from smultron.places.query import category_label

DECISIONS = {"approve": "approved", "hide": "hidden"}


def _require_moderator(viewer: Viewer) -> None:
    if viewer.role not in PLANNERS:
        raise AppError(M("Only planners and administrators moderate comments."), status=403)


def pending_count(session: Session, viewer: Viewer) -> int:
    return session.scalar(select(func.count()).select_from(Place).where(
        Place.comment_state == "pending", Place.deleted_at.is_(None),
        viewer.preschool_filter(Place.preschool_id)))


def comments(session: Session, viewer: Viewer, state: str = "pending", limit: int = 100,
             lang: str = "sv"):
    """Comments in ``state``, oldest first (the queue), with their place's context (the
    category's name in ``lang``)."""
    _require_moderator(viewer)
    if state not in DECISIONS.values() and state != "pending":
        raise AppError(M("Show pending, approved or hidden comments."))
    stmt = (select(Place.id, Place.comment, Place.comment_state, Place.created_at,
                   Place.children_count, Place.feeling,
                   category_label(lang).label("category"),
                   Preschool.name.label("preschool"), Campaign.name.label("campaign"))
            .join(Category, Category.id == Place.category_id)
            .join(Preschool, Preschool.id == Place.preschool_id)
            .join(Campaign, Campaign.id == Place.campaign_id)
            .where(Place.comment_state == state, Place.deleted_at.is_(None),
                   viewer.preschool_filter(Place.preschool_id))
            .order_by(Place.created_at, Place.id).limit(limit))
    return session.execute(stmt).all()


def moderate(session: Session, viewer: Viewer, user: User, place_id: str,
             decision: str) -> str:
    """Approve or hide one place's comment; returns the new state."""
    _require_moderator(viewer)
    if decision not in DECISIONS:
        raise AppError(M("Choose approve or hide."))
    try:
        key = uuid.UUID(str(place_id))
    except ValueError:
        raise NotFound(M("There is no such place.")) from None
    place = session.scalar(select(Place).where(Place.id == key, Place.deleted_at.is_(None))
                           .with_for_update())
    if place is None or not viewer.may_see_preschool(place.preschool_id):
        raise NotFound(M("There is no such place."))
    if not place.comment or place.comment_state == "none":
        raise AppError(M("This place has no comment to moderate."))
    before, place.comment_state = place.comment_state, DECISIONS[decision]
    audit.record(session, f"comment_{place.comment_state}", user, target=f"place:{place.id}",
                 detail={"from": before, "to": place.comment_state})
    return place.comment_state
