"""Planners answer the children's places: a status and a short reason a preschool teacher
can read to the children, optionally tied to a plan area.

A later answer replaces the shown one (``replaced_at`` is set on the earlier row, which
is kept: the history). Planners and admins answer; staff read the answers to their own
preschool's places; officials get no single place (403). A place the viewer may not
see is "not found". Every answer is audited; many places can be answered at once,
all or none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session, aliased

from smultron.core import audit, parsing
from smultron.core.access import PLANNERS, Viewer
from smultron.core.errors import Forbidden, NotFound
from smultron.core.messages import M, Message
from smultron.core.problems import Invalid
from smultron.models import (
    RESPONSE_MAX,
    RESPONSE_STATUSES,
    Place,
    PlaceResponse,
    PlanArea,
    User,
)
from smultron.places.validation import PERSONNUMMER

# Each status as people read it (Swedish: bevaras, förbättras, förändras, går inte, utreds).
STATUS_LABELS = {"kept": M("Kept"), "improved": M("Improved"), "changed": M("Changed"),
                 "not_possible": M("Not possible"), "considering": M("Being considered")}
MAX_BULK = 2000  # places answered in one request (a plan's listed places)
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class Answer:
    """What a planner sends: validated, ready to store."""

    status: str
    text: str
    plan_id: int | None


def invalid(fields: dict[str, Message]) -> Invalid:
    """422 with one message per field (``detail["fields"]``); nothing is saved."""
    return Invalid.of_fields(fields, M("The answer needs fixing."))


def require_answerer(viewer: Viewer) -> None:
    viewer.require_raw_places()
    if viewer.role not in PLANNERS:
        raise Forbidden(M("Places are answered by planners and administrators."))


def text_problem(value, limit: int = RESPONSE_MAX) -> Message | None:
    """What is wrong with a planner's text (the same checks as the children's comments),
    or None."""
    if not isinstance(value, str):
        return M("The reason must be text.")
    if len(value) > limit:
        return M("The reason can be at most %(n)d characters (now %(length)d).", n=limit,
                 length=len(value))
    if PERSONNUMMER.search(value):
        return M("This looks like a personal identity number. Remove it: Smultron never "
                 "stores who a child is.")
    if "\x00" in value or not _utf8(value) or any(
            ord(c) < 32 and c not in "\t\n\r" for c in value):
        return M("The text contains a character that cannot be stored.")
    return None


def _utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _plan_id(session: Session, raw, fields: dict) -> int | None:
    if raw in (None, ""):
        return None
    raw = parsing.identifier(raw)
    if raw is None:
        fields["plan"] = M("The plan is a plan area's id (a whole number) or null.")
        return None
    if session.get(PlanArea, raw) is None:
        fields["plan"] = M("There is no such plan area.")
        return None
    return raw


def parse_answer(session: Session, data) -> Answer:
    """An Answer from ``{"status", "text", "plan"}`` (JSON or a form), or a 422."""
    if not isinstance(data, dict):
        raise invalid({"status": M("Send a JSON object with status, text and plan.")})
    fields: dict[str, Message] = {}
    status = data.get("status")
    if status not in RESPONSE_STATUSES:
        fields["status"] = M("Choose one of: %(choices)s.", choices=", ".join(RESPONSE_STATUSES))
    text = data.get("text", "")
    text = "" if text is None else text
    problem = text_problem(text)
    if problem:
        fields["text"] = problem
    plan_id = _plan_id(session, data.get("plan"), fields)
    if fields:
        raise invalid(fields)
    return Answer(status, text.strip(), plan_id)


def _parse_ids(place_ids) -> list[uuid.UUID]:
    if not isinstance(place_ids, list | tuple) or not place_ids:
        raise invalid({"places": M("Choose at least one place.")})
    if len(place_ids) > MAX_BULK:
        raise invalid({"places": M("At most %(n)d places can be answered at once.",
                                   n=MAX_BULK)})
    parsed = []
    for raw in place_ids:
        try:
            parsed.append(raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw)))
        except ValueError:
            raise invalid({"places": M("A place's id (a UUID) is malformed.")}) from None
    return list(dict.fromkeys(parsed))


def _visible(session: Session, viewer: Viewer, ids: list[uuid.UUID]) -> list:
    rows = session.execute(select(Place.id, Place.municipality_id).where(
        Place.id.in_(ids), Place.deleted_at.is_(None),
        viewer.preschool_filter(Place.preschool_id))).all()
    if len(rows) != len(ids):
        raise NotFound(M("There is no such place."))
    return rows


def answer_places(session: Session, viewer: Viewer, user: User, place_ids,
                  answer: Answer) -> int:
    """Give every place in ``place_ids`` the answer (replacing the shown one); all or none.
    Flushes and audits; the caller commits. Returns how many places were answered."""
    require_answerer(viewer)
    ids = _parse_ids(place_ids)
    rows = _visible(session, viewer, ids)
    now = session.scalar(select(func.now()))
    session.execute(update(PlaceResponse).where(
        PlaceResponse.place_id.in_(ids), PlaceResponse.replaced_at.is_(None))
        .values(replaced_at=now))
    session.add_all(PlaceResponse(place_id=row.id, municipality_id=row.municipality_id,
                                  status=answer.status, text=answer.text,
                                  plan_id=answer.plan_id, author_id=user.id, created_at=now)
                    for row in rows)
    session.flush()
    detail = {"status": answer.status, "plan": answer.plan_id, "text": answer.text}
    if len(ids) == 1:
        audit.record(session, "place_answered", user, target=f"place:{ids[0]}", detail=detail)
    else:
        audit.record(session, "places_answered", user,
                     target=f"plan_area:{answer.plan_id}" if answer.plan_id else None,
                     detail={**detail, "places": [str(i) for i in ids]})
    return len(rows)


def answer_place(session: Session, viewer: Viewer, user: User, place_id, data) -> dict:
    """PUT /api/v1/places/<uuid>/response: the shown answer afterwards."""
    require_answerer(viewer)
    if not _is_uuid(place_id):
        raise NotFound(M("There is no such place."))
    ids = _parse_ids([place_id])
    answer_places(session, viewer, user, ids, parse_answer(session, data))
    return current(session, viewer, ids[0])


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def as_dict(row: PlaceResponse | None) -> dict | None:
    if row is None:
        return None
    return {"status": row.status, "text": row.text, "plan": row.plan_id,
            "answered_at": row.created_at.isoformat()}


def current(session: Session, viewer: Viewer, place_id) -> dict | None:
    """The shown answer of a place the viewer may see (staff: their own preschool's)."""
    viewer.require_raw_places()
    if not _is_uuid(place_id):
        raise NotFound(M("There is no such place."))
    ids = [uuid.UUID(str(place_id))]
    _visible(session, viewer, ids)
    return as_dict(session.scalar(select(PlaceResponse).where(
        PlaceResponse.place_id == ids[0], PlaceResponse.replaced_at.is_(None))))


def history(session: Session, viewer: Viewer, place_id) -> list[dict]:
    """Every answer a place was given, newest first (planners and admins)."""
    require_answerer(viewer)
    if not _is_uuid(place_id):
        raise NotFound(M("There is no such place."))
    ids = [uuid.UUID(str(place_id))]
    _visible(session, viewer, ids)
    rows = session.scalars(select(PlaceResponse).where(PlaceResponse.place_id == ids[0])
                           .order_by(PlaceResponse.id.desc()).limit(HISTORY_LIMIT)).all()
    return [{**as_dict(r), "replaced_at": r.replaced_at.isoformat() if r.replaced_at else None,
             "author": r.author_id} for r in rows]


def shown_join(place_id_column):
    """(alias, ON clause) to LEFT JOIN a query of places to their shown answer."""
    shown = aliased(PlaceResponse, name="shown_response")
    return shown, and_(shown.place_id == place_id_column, shown.replaced_at.is_(None))


def answered_at(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
