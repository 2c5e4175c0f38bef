"""A plan's child impact assessment (barnkonsekvensanalys, BKA): the planner's texts.

Three kinds of text, all saved as the planner types (each save a compare-and-set on
the text the planner started from, so two planners never silently overwrite each
other), every change kept as a revision and audited:
- the plan-level texts in the BKA's structure (``ASSESSMENT_TEXTS``: the law, the
  children's views, alternatives, conflicts, consequences, compensating measures, the
  feedback given);
- per children's place inside or near the plan: the consequence and the measure ("how
  it was weighed");
- a dated decision log (entries appended, never edited).

No Flask here: the web layer passes a Session and plain values, and commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from smultron.core import audit, parsing
from smultron.core.access import Viewer
from smultron.core.errors import Conflict, NotFound
from smultron.core.messages import M, Message
from smultron.core.problems import Invalid
from smultron.models import (
    ASSESSMENT_TEXT_MAX,
    ASSESSMENT_TEXTS,
    DECISION_MAX,
    WEIGHING_MAX,
    Place,
    PlanArea,
    PlanAssessment,
    PlanAssessmentRevision,
    PlanDecision,
    PlanWeighing,
    User,
)
from smultron.responses import require_answerer, text_problem

WEIGHING_FIELDS = ("consequence", "measure")
# The BKA's plan-level texts: (heading, what belongs there), in ASSESSMENT_TEXTS' order.
TEXT_LABELS = {
    "law": (M("The law and the child's best interests"),
            M("The Convention on the Rights of the Child (Swedish law since 2020), above all "
              "article 3 (the child's best interests) and article 12 (the right to be heard); "
              "what the Planning and Building Act asks of this plan.")),
    "views": (M("The children's views"),
              M("What the children chose and said, in your words: what matters to them here.")),
    "alternatives": (M("Alternatives"),
                     M("The other ways the plan could go, and what each would mean for "
                       "children.")),
    "conflicts": (M("Conflicts of interest"),
                  M("Where the children's interests stand against other interests, and how "
                    "they were balanced.")),
    "consequences": (M("Consequences for children"),
                     M("What the plan changes for children: places lost, kept or gained, "
                       "safety, the way to preschool.")),
    "measures": (M("Compensating measures"),
                 M("What is done to make up for what children lose.")),
    "feedback": (M("Feedback to the children"),
                 M("How and when the children are told what became of their places.")),
}
WEIGHING_LABELS = {"consequence": M("Consequence for the children"),
                   "measure": M("Measure: how it was weighed")}
# Saves of one field by one person closer together than this are one revision (typing).
TYPING_PAUSE = timedelta(minutes=5)
MAX_DECISIONS = 500


@dataclass(frozen=True)
class Saved:
    """The state of one text after a save."""

    field: str
    value: str
    version: int


def invalid(field: str, message: Message) -> Invalid:
    return Invalid.of_fields({field: message}, M("The assessment needs fixing."))


def _plan(session: Session, plan_id: int) -> PlanArea:
    plan_id = parsing.identifier(plan_id)
    area = session.get(PlanArea, plan_id) if plan_id is not None else None
    if area is None:
        raise NotFound(M("There is no such plan area."))
    return area


def assessment(session: Session, plan_id: int, *, lock: bool = False) -> PlanAssessment:
    """The plan's assessment row, created empty the first time."""
    area = _plan(session, plan_id)
    query = select(PlanAssessment).where(PlanAssessment.plan_id == area.id)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        session.execute(insert(PlanAssessment).values(
            plan_id=area.id, municipality_id=area.municipality_id)
            .on_conflict_do_nothing(index_elements=["plan_id"]))
        row = session.scalar(query.with_for_update() if lock else query)
    return row


def _checked(value, limit: int, field: str) -> str:
    problem = text_problem(value, limit)
    if problem is not None:
        raise invalid(field, _long_text(problem, limit))
    return value


def _long_text(problem: Message, limit: int) -> Message:
    if problem.msgid.startswith("The reason can be at most"):
        return M("The text can be at most %(n)d characters (now %(length)d).", n=limit,
                 length=problem.params["length"])
    if problem.msgid == "The reason must be text.":
        return M("The text must be text.")
    return problem


def _stale(current: str) -> Conflict:
    return Conflict(M("Someone else changed this text after you opened the page. Copy what "
                      "you wrote, reload the page to see their text, then add yours."),
                    detail={"current": current})


def _revise(session: Session, user: User, plan_id: int, field: str,
            place_id: uuid.UUID | None, value: str) -> None:
    """Update this person's last revision of the field while they type; else add one
    (and audit it)."""
    last = session.scalar(select(PlanAssessmentRevision).where(
        PlanAssessmentRevision.plan_id == plan_id, PlanAssessmentRevision.field == field,
        PlanAssessmentRevision.place_id.is_(None) if place_id is None
        else PlanAssessmentRevision.place_id == place_id)
        .order_by(PlanAssessmentRevision.id.desc()).limit(1))
    now = session.scalar(select(func.now()))
    if last is not None and last.author_id == user.id and now - last.saved_at < TYPING_PAUSE:
        last.value, last.saved_at = value, now
        return
    session.add(PlanAssessmentRevision(plan_id=plan_id, field=field, place_id=place_id,
                                       value=value, author_id=user.id, created_at=now,
                                       saved_at=now))
    audit.record(session, "assessment_edited", user, target=f"plan_area:{plan_id}",
                 detail={"field": field, **({"place": str(place_id)} if place_id else {})})


def save_text(session: Session, viewer: Viewer, user: User, plan_id: int, field: str, value,
              base: str | None = None) -> Saved:
    """Save one plan-level text. ``base``: the text the planner started from (None: no
    check); if the stored text is another, 409 with the stored one."""
    require_answerer(viewer)
    if field not in ASSESSMENT_TEXTS:
        raise invalid("field", M("Choose one of: %(choices)s.",
                                 choices=", ".join(ASSESSMENT_TEXTS)))
    value = _checked(value, ASSESSMENT_TEXT_MAX, field)
    row = assessment(session, plan_id, lock=True)
    stored = getattr(row, field)
    if base is not None and base != stored and value != stored:
        raise _stale(stored)
    if value != stored:
        setattr(row, field, value)
        row.version += 1
        row.updated_by, row.updated_at = user.id, func.now()
        _revise(session, user, row.plan_id, field, None, value)
        session.flush()
    return Saved(field, value, row.version)


def _place_in_plan(session: Session, viewer: Viewer, place_id) -> uuid.UUID:
    try:
        parsed = uuid.UUID(str(place_id))
    except ValueError:
        raise NotFound(M("There is no such place.")) from None
    found = session.scalar(select(Place.id).where(
        Place.id == parsed, Place.deleted_at.is_(None),
        viewer.preschool_filter(Place.preschool_id)))
    if found is None:
        raise NotFound(M("There is no such place."))
    return parsed


def save_weighing(session: Session, viewer: Viewer, user: User, plan_id: int, place_id,
                  field: str, value, base: str | None = None) -> Saved:
    """Save how one place was weighed in the plan: its consequence or its measure."""
    require_answerer(viewer)
    if field not in WEIGHING_FIELDS:
        raise invalid("field", M("Choose one of: %(choices)s.",
                                 choices=", ".join(WEIGHING_FIELDS)))
    value = _checked(value, WEIGHING_MAX, field)
    area = _plan(session, plan_id)
    place = _place_in_plan(session, viewer, place_id)
    row = session.scalar(select(PlanWeighing).where(
        PlanWeighing.plan_id == area.id, PlanWeighing.place_id == place).with_for_update())
    if row is None:
        row = PlanWeighing(plan_id=area.id, place_id=place, consequence="", measure="")
        session.add(row)
    stored = getattr(row, field)
    if base is not None and base != stored and value != stored:
        raise _stale(stored)
    if value != stored:
        setattr(row, field, value)
        row.updated_by, row.updated_at = user.id, func.now()
        _revise(session, user, area.id, field, place, value)
        session.flush()
    version = assessment(session, area.id).version
    return Saved(field, value, version)


def weighings(session: Session, plan_id: int) -> dict[str, PlanWeighing]:
    """place id (text) -> its weighing in the plan."""
    rows = session.scalars(select(PlanWeighing).where(PlanWeighing.plan_id == plan_id))
    return {str(row.place_id): row for row in rows}


def parse_decision_date(raw) -> date:
    text = str(raw or "").strip()
    try:
        parsed = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None or not date(2000, 1, 1) <= parsed <= date(2100, 12, 31):
        raise invalid("decided_on", M("The date of the decision, like 2026-11-30."))
    return parsed


def add_decision(session: Session, viewer: Viewer, user: User, plan_id: int, decided_on,
                 text) -> PlanDecision:
    """Append one entry to the plan's decision log."""
    require_answerer(viewer)
    area = _plan(session, plan_id)
    when = parse_decision_date(decided_on)
    text = _checked(text, DECISION_MAX, "text").strip()
    if not text:
        raise invalid("text", M("Write what was decided."))
    count = session.scalar(select(func.count()).select_from(PlanDecision)
                           .where(PlanDecision.plan_id == area.id))
    if count >= MAX_DECISIONS:
        raise invalid("text", M("The log has %(n)d entries, the most it can hold.",
                                n=MAX_DECISIONS))
    row = PlanDecision(plan_id=area.id, decided_on=when, text=text, author_id=user.id)
    session.add(row)
    session.flush()
    audit.record(session, "plan_decision_added", user, target=f"plan_area:{area.id}",
                 detail={"decided_on": when.isoformat(), "decision": row.id})
    return row


def decisions(session: Session, plan_id: int) -> list[PlanDecision]:
    return list(session.scalars(select(PlanDecision).where(PlanDecision.plan_id == plan_id)
                                .order_by(PlanDecision.decided_on, PlanDecision.id)))


def revisions(session: Session, viewer: Viewer, plan_id: int, limit: int = 200) -> list:
    """The assessment's saved changes, newest first."""
    require_answerer(viewer)
    area = _plan(session, plan_id)
    return list(session.scalars(select(PlanAssessmentRevision)
                                .where(PlanAssessmentRevision.plan_id == area.id)
                                .order_by(PlanAssessmentRevision.id.desc()).limit(limit)))
