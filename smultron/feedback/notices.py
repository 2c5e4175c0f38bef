"""New answers pointed out (issue 15): the staff's landing page says "3 new answers from
the planners" for each of their preschools, until the user opens that preschool's answers
page. An answer is new when it is shown (not replaced) on a live place of the preschool
and was given after the user last opened the page (``answers_seen``), or ever if never.
Flask-free."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.orm import Session

from smultron.core.access import Viewer
from smultron.models import AnswersSeen, Place, PlaceResponse, Preschool


@dataclass(frozen=True)
class NewAnswers:
    preschool_id: int
    preschool: str
    count: int
    campaign_id: int  # the campaign of the newest of them (the page to open)


def new_answers(db: Session, viewer: Viewer, only: int | None = None) -> list[NewAnswers]:
    """Per preschool of a staff member (or only the preschool ``only``), the answers shown
    since the viewer last opened its answers page (none for the other roles)."""
    schools = viewer.preschool_ids & {only} if only is not None else viewer.preschool_ids
    if viewer.role != "staff" or not schools:
        return []
    seen = (select(AnswersSeen.seen_at)
            .where(AnswersSeen.user_id == viewer.user_id,
                   AnswersSeen.preschool_id == Place.preschool_id)
            .correlate(Place).scalar_subquery())
    newest_campaign = func.array_agg(
        aggregate_order_by(Place.campaign_id, PlaceResponse.created_at.desc()))[1]
    rows = db.execute(
        select(Preschool.id, Preschool.name, func.count(), newest_campaign)
        .select_from(PlaceResponse)
        .join(Place, Place.id == PlaceResponse.place_id)
        .join(Preschool, Preschool.id == Place.preschool_id)
        .where(PlaceResponse.replaced_at.is_(None), Place.deleted_at.is_(None),
               Place.preschool_id.in_(sorted(schools)),
               Preschool.archived_at.is_(None),
               or_(seen.is_(None), PlaceResponse.created_at > seen))
        .group_by(Preschool.id, Preschool.name)
        .order_by(Preschool.name)).all()
    return [NewAnswers(r[0], r[1], r[2], r[3]) for r in rows]


def mark_seen(db: Session, user_id: int, preschool_id: int) -> None:
    """The user has opened the preschool's answers page now (flushed, not committed)."""
    statement = insert(AnswersSeen).values(user_id=user_id, preschool_id=preschool_id)
    db.execute(statement.on_conflict_do_update(
        index_elements=[AnswersSeen.user_id, AnswersSeen.preschool_id],
        set_={"seen_at": func.now()}))
