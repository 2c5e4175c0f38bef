"""Mapping sessions: a group of children with their staff, one date, one campaign.

Start one (for a preschool the viewer may see), finish it, and summarise it (how many
children took part, their places by category and feeling) — counted in SQL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from smultron.core import audit, parsing
from smultron.core.access import Viewer
from smultron.core.errors import Conflict, Forbidden, NotFound
from smultron.core.messages import M, translate
from smultron.core.problems import Invalid
from smultron.models import (
    AGE_GROUPS,
    SESSION_LANGUAGES,
    Campaign,
    Category,
    MappingSession,
    Place,
    Preschool,
    User,
    campaign_preschool,
)

MAX_CHILDREN = 60
# An unfinished session is offered to continue for this long after it was started; older
# ones (and those of closed campaigns) can only be finished.
CONTINUE_DAYS = 14
# The languages a session can be held in, as a document names them in its reader's language
# (the start page offers each in its own name, as the language switch does).
SESSION_LANGUAGE_NAMES = {"sv": M("Swedish"), "en": M("English"), "fi": M("Finnish"),
                          "fit": M("Meänkieli"), "se": M("North Sámi"),
                          "other": M("Another language")}


def language_names(codes, gettext) -> str:
    """The session languages ``codes`` named in the reader's language (``gettext``), one
    not recorded (an older session) as such."""
    return ", ".join(translate(SESSION_LANGUAGE_NAMES.get(code, M("not recorded")), gettext)
                     for code in codes)


@dataclass(frozen=True)
class SessionForm:
    """What the "start mapping" form sends, still as text."""

    preschool_id: int
    department_id: str | None
    held_on: str | None
    children_present: str | None
    age_group: str | None
    consent: bool
    campaign_id: str | None
    language: str | None = None  # SESSION_LANGUAGES: the language the session is held in


@dataclass(frozen=True)
class CategoryCount:
    code: str
    label: str  # in the language asked for
    colour: str
    places: int
    favourite: int
    scary: int
    children: int


@dataclass(frozen=True)
class Summary:
    session: MappingSession
    places: int
    areas: int
    routes: int
    by_category: list[CategoryCount]


def preschools_for(db: Session, viewer: Viewer) -> list[Preschool]:
    """The (not archived) preschools the viewer works with, with their departments."""
    query = (select(Preschool).options(selectinload(Preschool.departments))
             .where(viewer.preschool_filter(Preschool.id), Preschool.archived_at.is_(None))
             .order_by(Preschool.name))
    return list(db.scalars(query))


def preschool_for(db: Session, viewer: Viewer, preschool_id: int) -> Preschool:
    viewer.check_preschool(preschool_id)
    found = db.get(Preschool, preschool_id)
    if found is None or found.archived_at is not None:
        raise NotFound(M("There is no such preschool."))
    return found


def open_campaigns(db: Session, preschool: Preschool) -> list[Campaign]:
    """Open campaigns of the preschool's municipality that it takes part in (a campaign
    with no preschools listed is for all of them)."""
    listed = exists().where(campaign_preschool.c.campaign_id == Campaign.id)
    mine = exists().where(campaign_preschool.c.campaign_id == Campaign.id,
                          campaign_preschool.c.preschool_id == preschool.id)
    query = (select(Campaign).where(Campaign.municipality_id == preschool.municipality_id,
                                    Campaign.status == "open", or_(~listed, mine))
             .order_by(Campaign.starts_on.desc(), Campaign.name))
    return list(db.scalars(query))


def _whole(value: str | None, errors: dict) -> int | None:
    number = parsing.identifier(value) or 0
    if not 1 <= number <= MAX_CHILDREN:
        errors["children_present"] = M("How many children take part: a number from 1 to "
                                       "%(n)d.", n=MAX_CHILDREN)
        return None
    return number


def _date(value: str | None, today: date, errors: dict) -> date | None:
    try:
        parsed = date.fromisoformat((value or "").strip())
    except ValueError:
        errors["held_on"] = M("Give the date as YYYY-MM-DD.")
        return None
    if parsed > today + timedelta(days=1):
        errors["held_on"] = M("The date cannot be in the future.")
        return None
    return parsed


def _department(preschool: Preschool, value: str | None, errors: dict) -> int | None:
    if not value:
        if preschool.departments:
            errors["department_id"] = M("Choose the department.")
        return None
    ids = {d.id for d in preschool.departments}
    chosen = parsing.identifier(value)
    if chosen not in ids:
        errors["department_id"] = M("Choose one of the preschool's departments.")
        return None
    return chosen


def _campaign(db: Session, preschool: Preschool, value: str | None, errors: dict):
    campaigns = {str(c.id): c for c in open_campaigns(db, preschool)}
    if not campaigns:
        errors["campaign_id"] = M("There is no open mapping campaign for this preschool. Ask "
                                  "the administrator to open one.")
        return None
    if value not in campaigns:
        errors["campaign_id"] = M("Choose one of the open campaigns.")
        return None
    return campaigns[value]


def start(db: Session, viewer: Viewer, user: User, form: SessionForm,
          today: date | None = None) -> MappingSession:
    """A new session, or Invalid with a message per field (nothing saved)."""
    if viewer.role != "staff":
        raise Forbidden(M("Mapping sessions are started by the preschool's staff."))
    preschool = preschool_for(db, viewer, form.preschool_id)
    errors: dict = {}
    department_id = _department(preschool, form.department_id, errors)
    held_on = _date(form.held_on, today or date.today(), errors)
    children = _whole(form.children_present, errors)
    if form.age_group not in AGE_GROUPS:
        errors["age_group"] = M("Choose the children's age group.")
    if form.language not in SESSION_LANGUAGES:
        errors["language"] = M("Choose the language the session is held in.")
    if not form.consent:
        errors["consent"] = M("Confirm that the guardians have given their consent. Without "
                              "it, mapping cannot start.")
    campaign = _campaign(db, preschool, form.campaign_id, errors)
    if errors:
        raise Invalid.of_fields(errors)
    row = MappingSession(
        id=uuid.uuid4(), municipality_id=preschool.municipality_id, campaign_id=campaign.id,
        preschool_id=preschool.id, department_id=department_id, held_on=held_on,
        children_present=children, age_group=form.age_group, consent_confirmed=True,
        language=form.language, user_id=user.id)
    db.add(row)
    db.flush()
    audit.record(db, "session_started", user, target=f"session:{row.id}",
                 detail={"preschool": preschool.id, "children": children,
                         "language": form.language})
    return row


def get(db: Session, viewer: Viewer, session_id) -> MappingSession:
    """A session of a preschool the viewer may see (404 otherwise)."""
    try:
        parsed = session_id if isinstance(session_id, uuid.UUID) else uuid.UUID(str(session_id))
    except ValueError:
        parsed = None
    found = None
    if parsed is not None:
        found = db.scalar(select(MappingSession).where(
            MappingSession.id == parsed, viewer.preschool_filter(MappingSession.preschool_id)))
    if found is None:
        raise NotFound(M("There is no such mapping session."))
    return found


def _unfinished(viewer: Viewer, preschool_id: int, current, limit: int):
    """The preschool's unfinished sessions, newest first: ``current`` = those that may be
    continued (an open campaign, started within CONTINUE_DAYS) or, if false, the others."""
    since = datetime.now().astimezone() - timedelta(days=CONTINUE_DAYS)
    fresh = (Campaign.status == "open") & (MappingSession.created_at >= since)
    return (select(MappingSession).join(Campaign)
            .where(MappingSession.preschool_id == preschool_id,
                   viewer.preschool_filter(MappingSession.preschool_id),
                   MappingSession.finished_at.is_(None), fresh if current else ~fresh)
            .order_by(MappingSession.created_at.desc()).limit(limit))


def recent(db: Session, viewer: Viewer, preschool_id: int, limit: int = 5):
    """The preschool's latest unfinished sessions that may be continued: of an open
    campaign, started within the last CONTINUE_DAYS days."""
    return list(db.scalars(_unfinished(viewer, preschool_id, True, limit)))


def left_open(db: Session, viewer: Viewer, preschool_id: int, limit: int = 5):
    """Unfinished sessions too old to continue (or of a closed campaign): finish them."""
    return list(db.scalars(_unfinished(viewer, preschool_id, False, limit)))


def finish(db: Session, viewer: Viewer, user: User, session_id) -> MappingSession:
    if viewer.role != "staff":
        raise Forbidden(M("Mapping sessions are finished by the preschool's staff."))
    row = get(db, viewer, session_id)
    if row.finished_at is None:
        row.finished_at = datetime.now().astimezone()
        audit.record(db, "session_finished", user, target=f"session:{row.id}")
    return row


def reopen(db: Session, viewer: Viewer, user: User, session_id) -> MappingSession:
    """Undo "finish" (the teacher pressed it too early), while the campaign is open."""
    row = get(db, viewer, session_id)
    if viewer.role != "staff":
        raise Forbidden(M("Mapping sessions are finished by the preschool's staff."))
    if row.campaign.status != "open":
        raise Conflict(M("The campaign %(name)s is closed.", name=row.campaign.name))
    if row.finished_at is not None:
        row.finished_at = None
        audit.record(db, "session_reopened", user, target=f"session:{row.id}")
    return row


def summary(db: Session, viewer: Viewer, session_id, lang: str = "sv") -> Summary:
    row = get(db, viewer, session_id)
    live = (Place.session_id == row.id) & Place.deleted_at.is_(None)
    kind = func.ST_GeometryType(Place.geom)
    totals = db.execute(select(
        func.count().filter(kind == "ST_Point"),
        func.count().filter(kind == "ST_Polygon"),
        func.count().filter(kind == "ST_LineString"),
    ).where(live)).one()
    counts = db.execute(
        select(Category.code, Category.label_sql(lang), Category.colour,
               func.count(Place.id), func.count(Place.id).filter(Place.feeling == "favourite"),
               func.count(Place.id).filter(Place.feeling == "scary"),
               func.coalesce(func.sum(Place.children_count), 0))
        .join(Place, (Place.category_id == Category.id) & live)
        .group_by(Category.id).order_by(func.count(Place.id).desc(), Category.sort_order)
    ).all()
    return Summary(row, totals[0], totals[1], totals[2],
                   [CategoryCount(*values) for values in counts])

