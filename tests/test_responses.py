"""Planners answer places (smultron.responses) and keep a plan's child impact assessment
(smultron.assessment): stored, replaced with the history kept, audited, checked, and
refused to the roles that may not."""

from __future__ import annotations

import uuid

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from smultron import assessment, plans, responses
from smultron.core.access import Viewer
from smultron.core.errors import AppError
from smultron.models import (
    AuditEvent,
    PlaceResponse,
    PlanAssessmentRevision,
    PlanDecision,
)
from tests import factories

LON, LAT = factories.KIRUNA


@pytest.fixture
def spots(db, world):
    """Two places of preschool A and one of B."""
    session_a = factories.mapping_session(db, world.campaign, world.school_a)
    session_b = factories.mapping_session(db, world.campaign, world.school_b)
    rows = {"a1": factories.place(db, session_a, Point(LON, LAT)),
            "a2": factories.place(db, session_a, Point(LON + 0.001, LAT)),
            "b1": factories.place(db, session_b, Point(20.3010, 67.8470))}
    db.commit()
    return rows


@pytest.fixture
def plan(db, world):
    square = Point(LON, LAT).buffer(0.01)
    area = plans.save_plan_area(db, world.users["planner"], "Detaljplan Centrum",
                                plans.polygons_only([square]).geometry, "test")
    db.commit()
    return area


def viewer(world, who: str) -> Viewer:
    return Viewer.of(world.users[who])


def answer(db, world, who, place, **data):
    body = {"status": "kept", "text": "Skogen får vara kvar.", **data}
    result = responses.answer_place(db, viewer(world, who), world.users[who], place.id, body)
    db.commit()
    return result


def test_an_answer_is_stored_replaced_and_its_history_kept(db, world, spots, plan):
    first = answer(db, world, "planner", spots["a1"], plan=plan.id)
    assert first["status"] == "kept" and first["plan"] == plan.id and first["answered_at"]
    second = answer(db, world, "admin", spots["a1"], status="improved",
                    text="Vi bygger en ny klätterställning.", plan=None)
    assert second["status"] == "improved" and second["plan"] is None
    shown = responses.current(db, viewer(world, "staff_a"), spots["a1"].id)
    assert shown["text"] == "Vi bygger en ny klätterställning."
    history = responses.history(db, viewer(world, "planner"), spots["a1"].id)
    assert [h["status"] for h in history] == ["improved", "kept"]
    assert history[0]["replaced_at"] is None and history[1]["replaced_at"] is not None
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "place_answered")
                        .order_by(AuditEvent.id)).all()
    assert [e.detail["status"] for e in events] == ["kept", "improved"]
    assert events[0].target == f"place:{spots['a1'].id}"


def test_the_database_keeps_one_shown_answer_per_place(db, world, spots):
    answer(db, world, "planner", spots["a1"])
    db.add(PlaceResponse(place_id=spots["a1"].id, municipality_id=world.municipality.id,
                         status="kept", text=""))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_many_places_are_answered_at_once_all_or_none(db, world, spots, plan):
    planner = viewer(world, "planner")
    parsed = responses.parse_answer(db, {"status": "considering", "text": "Vi utreder.",
                                         "plan": str(plan.id)})
    count = responses.answer_places(db, planner, world.users["planner"],
                                    [str(spots["a1"].id), spots["a2"].id, spots["a1"].id],
                                    parsed)
    db.commit()
    assert count == 2
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "places_answered"))
    assert event.target == f"plan_area:{plan.id}" and len(event.detail["places"]) == 2
    with pytest.raises(AppError) as refused:  # one unknown place: nothing is answered
        responses.answer_places(db, planner, world.users["planner"],
                                [spots["b1"].id, uuid.uuid4()], parsed)
    db.rollback()
    assert refused.value.status == 404
    assert responses.current(db, planner, spots["b1"].id) is None


@pytest.mark.parametrize("data, field", [
    ({"status": "maybe"}, "status"),
    ({"status": None}, "status"),
    ({"status": "kept", "text": "x" * 301}, "text"),
    ({"status": "kept", "text": "Ring 20150312-1234 om det"}, "text"),
    ({"status": "kept", "text": 42}, "text"),
    ({"status": "kept", "text": "nul\x00"}, "text"),
    ({"status": "kept", "plan": 999999}, "plan"),
    ({"status": "kept", "plan": "²"}, "plan"),
    ({"status": "kept", "plan": True}, "plan"),
])
def test_a_bad_answer_is_a_422_naming_its_field(db, world, spots, data, field):
    with pytest.raises(AppError) as refused:
        responses.answer_place(db, viewer(world, "planner"), world.users["planner"],
                               spots["a1"].id, data)
    db.rollback()
    assert refused.value.status == 422 and field in refused.value.detail["fields"]
    assert db.scalar(select(func.count()).select_from(PlaceResponse)) == 0


def test_roles(db, world, spots):
    answer(db, world, "planner", spots["a1"])
    for who, status in (("staff_a", 403), ("official", 403)):
        with pytest.raises(AppError) as refused:
            answer(db, world, who, spots["a1"])
        assert refused.value.status == status
    with pytest.raises(AppError) as refused:  # staff of another preschool: not found
        responses.current(db, viewer(world, "staff_b"), spots["a1"].id)
    assert refused.value.status == 404
    with pytest.raises(AppError) as refused:
        responses.current(db, viewer(world, "official"), spots["a1"].id)
    assert refused.value.status == 403
    with pytest.raises(AppError) as refused:
        responses.history(db, viewer(world, "staff_a"), spots["a1"].id)
    assert refused.value.status == 403
    with pytest.raises(AppError) as refused:
        responses.current(db, viewer(world, "planner"), "not-a-uuid")
    assert refused.value.status == 404


def test_plan_texts_are_saved_versioned_and_checked(db, world, plan):
    planner, user = viewer(world, "planner"), world.users["planner"]
    saved = assessment.save_text(db, planner, user, plan.id, "views", "Barnen älskar skogen.")
    db.commit()
    assert saved.version == 1
    again = assessment.save_text(db, planner, user, plan.id, "views",
                                 "Barnen älskar skogen och backen.",
                                 base="Barnen älskar skogen.")
    db.commit()
    assert again.version == 2
    revisions = db.scalars(select(PlanAssessmentRevision)).all()
    assert len(revisions) == 1  # the same person typing: one revision, the newest text
    assert revisions[0].value == "Barnen älskar skogen och backen."
    assessment.save_text(db, viewer(world, "admin"), world.users["admin"], plan.id, "views",
                         "Admin's text.")
    db.commit()
    assert db.scalar(select(func.count()).select_from(PlanAssessmentRevision)) == 2
    with pytest.raises(AppError) as stale:  # the planner started from an older text
        assessment.save_text(db, planner, user, plan.id, "views", "Mine.",
                             base="Barnen älskar skogen och backen.")
    assert stale.value.status == 409 and stale.value.detail["current"] == "Admin's text."
    db.rollback()
    for field, value in (("nonsense", "x"), ("law", "x" * 5001), ("law", "851212-1234")):
        with pytest.raises(AppError) as refused:
            assessment.save_text(db, planner, user, plan.id, field, value)
        assert refused.value.status == 422
        db.rollback()
    with pytest.raises(AppError) as refused:
        assessment.save_text(db, viewer(world, "staff_a"), world.users["staff_a"], plan.id,
                             "law", "x")
    assert refused.value.status == 403
    audit = db.scalars(select(AuditEvent.detail).where(
        AuditEvent.action == "assessment_edited")).all()
    assert audit == [{"field": "views"}, {"field": "views"}]


def test_weighing_per_place_and_the_decision_log(db, world, spots, plan):
    planner, user = viewer(world, "planner"), world.users["planner"]
    assessment.save_weighing(db, planner, user, plan.id, spots["a1"].id, "consequence",
                             "Skogsdungen försvinner.")
    assessment.save_weighing(db, planner, user, plan.id, str(spots["a1"].id), "measure",
                             "En ny dunge planteras vid skolan.")
    db.commit()
    weighed = assessment.weighings(db, plan.id)[str(spots["a1"].id)]
    assert (weighed.consequence, weighed.measure) == (
        "Skogsdungen försvinner.", "En ny dunge planteras vid skolan.")
    with pytest.raises(AppError) as refused:
        assessment.save_weighing(db, planner, user, plan.id, uuid.uuid4(), "measure", "x")
    assert refused.value.status == 404
    db.rollback()
    with pytest.raises(AppError) as refused:
        assessment.save_weighing(db, planner, user, plan.id, spots["a1"].id, "colour", "x")
    assert refused.value.status == 422
    db.rollback()
    assessment.add_decision(db, planner, user, plan.id, "2026-11-30",
                            "Samrådet: dungen sparas.")
    assessment.add_decision(db, planner, user, plan.id, "2026-10-01", "Planuppdrag.")
    db.commit()
    assert [d.text for d in assessment.decisions(db, plan.id)] == [
        "Planuppdrag.", "Samrådet: dungen sparas."]
    for when, text, field in (("2026-13-01", "x", "decided_on"), ("", "x", "decided_on"),
                              ("2026-11-30", "  ", "text"), ("2026-11-30", None, "text")):
        with pytest.raises(AppError) as refused:
            assessment.add_decision(db, planner, user, plan.id, when, text)
        assert refused.value.status == 422 and field in refused.value.detail["fields"]
        db.rollback()
    assert db.scalar(select(func.count()).select_from(PlanDecision)) == 2
    with pytest.raises(AppError) as refused:
        assessment.add_decision(db, planner, user, 999999, "2026-11-30", "x")
    assert refused.value.status == 404
