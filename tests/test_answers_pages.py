"""The plan page's answers and assessment, without a browser: answering ticked places or a
whole plan, the texts saved a field at a time or all at once, the decision log, refused
forms that keep the typing, and the roles."""

from __future__ import annotations

from html import unescape

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select

from smultron import plans
from smultron.models import PlaceResponse, PlanAssessment, PlanDecision, PlanWeighing
from tests import factories

LON, LAT = factories.KIRUNA


@pytest.fixture
def spots(db, world):
    session_a = factories.mapping_session(db, world.campaign, world.school_a)
    rows = [factories.place(db, session_a, Point(LON, LAT), comment="Vi klättrar här!",
                            comment_state="approved"),
            factories.place(db, session_a, Point(LON + 0.0003, LAT)),
            factories.place(db, session_a, Point(LON + 0.0035, LAT))]  # ~150 m east: near
    db.commit()
    return rows


@pytest.fixture
def plan(db, world, spots):
    square = Point(LON + 0.0002, LAT).buffer(0.0008, cap_style=3)
    area = plans.save_plan_area(db, world.users["planner"], "Detaljplan Norr",
                                plans.polygons_only([square]).geometry, "test")
    db.commit()
    return area


@pytest.fixture
def planner(client, auth, world):
    auth.login(world.email("planner"))
    return auth.csrf_token()


def page(client, plan_id, **args):
    return client.get(f"/planner/plans/{plan_id}", query_string=args)


def shown(db):
    db.rollback()
    return {str(r.place_id): r for r in db.scalars(
        select(PlaceResponse).where(PlaceResponse.replaced_at.is_(None)))}


def test_the_plan_page_has_the_answer_form_and_the_assessment(client, planner, plan, spots):
    html = unescape(page(client, plan.id, buffer=500).get_data(as_text=True))
    for text in ("Svara barnen", "Hur varje plats vägdes in", "Barnkonsekvensanalysen",
                 "Beslutslogg", "Lagen och barnets bästa", "Inte besvarad än",
                 "“Vi klättrar här!”"):
        assert text in html, text
    assert html.count('name="place"') == 3


def test_answer_ticked_places(client, planner, plan, spots, db):
    response = client.post(f"/planner/plans/{plan.id}/answers", data={
        "csrf_token": planner, "status": "kept", "text": "Klätterträdet får stå kvar.",
        "which": "ticked", "place": [str(spots[0].id), str(spots[2].id)], "tie": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#answers")
    answered = shown(db)
    assert set(answered) == {str(spots[0].id), str(spots[2].id)}
    assert answered[str(spots[0].id)].plan_id == plan.id
    html = unescape(page(client, plan.id, buffer=500).get_data(as_text=True))
    assert "2 platser är besvarade." in html and "Bevaras" in html


def test_answer_every_place_inside(client, planner, plan, spots, db):
    response = client.post(f"/planner/plans/{plan.id}/answers", data={
        "csrf_token": planner, "status": "considering", "text": "Vi tänker på det.",
        "which": "inside", "buffer": "500"})
    assert response.status_code == 302
    assert set(shown(db)) == {str(spots[0].id), str(spots[1].id)}
    client.post(f"/planner/plans/{plan.id}/answers", data={
        "csrf_token": planner, "status": "changed", "which": "all", "buffer": "500"})
    answered = shown(db)
    assert len(answered) == 3 and {r.status for r in answered.values()} == {"changed"}


@pytest.mark.parametrize("data, message", [
    ({"status": "", "which": "inside"}, "Välj en av"),
    ({"status": "kept", "text": "personnummer 20150312-1234", "which": "inside"},
     "personnummer"),
    ({"status": "kept", "which": "ticked"}, "Välj minst en plats."),
])
def test_a_refused_answer_is_the_page_again_with_the_message(client, planner, plan, spots,
                                                             db, data, message):
    response = client.post(f"/planner/plans/{plan.id}/answers",
                           data={"csrf_token": planner, **data})
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert message in html and 'aria-invalid="true"' in html
    if data.get("text"):
        assert data["text"] in html  # the typing is kept
    assert shown(db) == {}


def test_the_assessment_is_saved_a_field_at_a_time(client, planner, plan, spots, db):
    url = f"/planner/plans/{plan.id}/assessment/field"
    headers = {"X-CSRFToken": planner, "Accept": "application/json"}
    saved = client.post(url, json={"field": "views", "value": "Barnen klättrar.", "base": ""},
                        headers=headers)
    assert saved.status_code == 200 and saved.json["version"] == 1
    weighed = client.post(url, json={"place": str(spots[0].id), "field": "measure",
                                     "value": "Trädet bevaras.", "base": ""}, headers=headers)
    assert weighed.status_code == 200
    stale = client.post(url, json={"field": "views", "value": "Annat.", "base": ""},
                        headers=headers)
    assert stale.status_code == 409 and "Någon annan ändrade" in stale.json["error"]
    bad = client.post(url, json={"field": "views", "value": "x" * 5001, "base": None},
                      headers=headers)
    assert bad.status_code == 422 and "views" in bad.json["detail"]["fields"]
    assert client.post(url, data="x", headers=headers).status_code == 400
    db.rollback()
    assert db.get(PlanAssessment, plan.id).views == "Barnen klättrar."
    assert db.scalar(select(PlanWeighing.measure)) == "Trädet bevaras."
    html = unescape(page(client, plan.id).get_data(as_text=True))
    assert "Barnen klättrar." in html and "Trädet bevaras." in html


def test_the_whole_form_without_a_script(client, planner, plan, spots, db):
    key = f"consequence:{spots[0].id}"
    response = client.post(f"/planner/plans/{plan.id}/assessment", data={
        "csrf_token": planner, "law": "Barnkonventionen art. 3 och 12.", "base-law": "",
        key: "Trädet står kvar.", f"base-{key}": ""})
    assert response.status_code == 302 and response.headers["Location"].endswith("#assessment")
    db.rollback()
    assert db.get(PlanAssessment, plan.id).law == "Barnkonventionen art. 3 och 12."
    refused = client.post(f"/planner/plans/{plan.id}/assessment", data={
        "csrf_token": planner, "law": "Min egen text.", "base-law": "något äldre"})
    assert refused.status_code == 409
    html = unescape(refused.get_data(as_text=True))
    assert "Min egen text." in html and "Någon annan ändrade" in html


def test_the_decision_log(client, planner, plan, db):
    url = f"/planner/plans/{plan.id}/decisions"
    ok = client.post(url, data={"csrf_token": planner, "decided_on": "2026-11-30",
                                "text": "Samråd: klätterträdet sparas."})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("#decisions")
    refused = client.post(url, data={"csrf_token": planner, "decided_on": "30/11",
                                     "text": "Granskning."})
    assert refused.status_code == 422
    html = unescape(refused.get_data(as_text=True))
    assert "Beslutets datum" in html and "Granskning." in html
    assert "2026-11-30" in html and "Samråd: klätterträdet sparas." in html
    assert db.scalar(select(func.count()).select_from(PlanDecision)) == 1


@pytest.mark.parametrize("who", ["staff_a", "official"])
def test_other_roles_may_not(client, auth, world, plan, spots, who):
    auth.login(world.email(who))
    token = auth.csrf_token()
    for path, data in ((f"/planner/plans/{plan.id}/answers",
                        {"status": "kept", "which": "inside"}),
                       (f"/planner/plans/{plan.id}/assessment", {"law": "x"}),
                       (f"/planner/plans/{plan.id}/decisions",
                        {"decided_on": "2026-11-30", "text": "x"})):
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403


def test_an_unknown_plan_is_404(client, planner):
    assert client.post("/planner/plans/999999/answers", data={
        "csrf_token": planner, "status": "kept", "which": "inside"}).status_code == 404
    assert client.post("/planner/plans/999999/assessment/field", json={
        "field": "law", "value": "x"}, headers={"X-CSRFToken": planner,
                                               "Accept": "application/json"}).status_code == 404

