"""The /map pages without a browser: who may open them, the start form's rules, finish
and summary, the service worker and manifest; and the OpenAPI document's accuracy."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta

import jsonschema_rs
from shapely.geometry import LineString
from sqlalchemy import func, select

from smultron import accounts, mapping_sessions
from smultron.models import Campaign, MappingSession, campaign_preschool
from tests import factories
from tests.helpers import inline_scripts, page_config
from tests.place_data import feature


def start_form(client, auth, school_id, **overrides):
    data = {"department_id": "", "held_on": "2026-10-01", "children_present": "6",
            "age_group": "5-6", "consent": "yes", "campaign_id": "", "language": "sv", "csrf_token":
            auth.csrf_token()}
    data.update(overrides)
    return client.post(f"/map/preschools/{school_id}", data=data)


def test_only_staff_open_the_map(client, auth, setup):
    assert client.get("/map").status_code == 302
    auth.login(setup.world.email("planner"))
    assert client.get("/map").status_code == 403
    auth.logout()
    auth.login(setup.world.email("staff_a"))
    response = client.get("/map")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/map/preschools/{setup.world.school_a.id}")


def test_staff_of_two_preschools_choose_one(client, auth, setup, db):
    accounts.create_user(db, "both@example.org", "staff", factories.PASSWORD,
                         ["Förskolan A", "Förskolan B"])
    db.commit()
    auth.login("both@example.org")
    page = client.get("/map").get_data(as_text=True)
    assert "Förskolan A" in page and "Förskolan B" in page


def test_staff_cannot_open_another_preschools_pages(client, auth, setup):
    auth.login(setup.world.email("staff_a"))
    assert client.get(f"/map/preschools/{setup.world.school_b.id}").status_code == 404
    assert client.get(f"/map/sessions/{setup.session_b.id}").status_code == 404
    assert client.get(f"/map/sessions/{setup.session_b.id}/summary").status_code == 404
    assert client.get(f"/map/sessions/{uuid.uuid4()}").status_code == 404
    assert client.get("/map/sessions/not-a-uuid").status_code == 404
    finish = client.post(f"/map/sessions/{setup.session_b.id}/finish",
                         data={"csrf_token": auth.csrf_token()})
    assert finish.status_code == 404


def count_sessions(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(MappingSession))


def test_the_start_form_needs_consent_and_says_what_is_missing(client, auth, setup, db):
    auth.login(setup.world.email("staff_a"))
    before = count_sessions(db)
    response = start_form(client, auth, setup.world.school_a.id, consent="",
                          children_present="0", age_group="", held_on="2999-01-01")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field in ("consent", "children_present", "age_group", "held_on", "department_id",
                  "campaign_id"):
        assert f'id="{field}-error"' in page, field
    assert "vårdnadshavarna" in page.lower()
    assert count_sessions(db) == before


def test_starting_a_session_opens_its_map(client, auth, setup, db):
    auth.login(setup.world.email("staff_a"))
    department = setup.world.school_a.departments[0].id
    response = start_form(client, auth, setup.world.school_a.id, department_id=str(department),
                          campaign_id=str(setup.world.campaign.id))
    assert response.status_code == 302
    session_id = response.headers["Location"].rsplit("/", 1)[1]
    db.rollback()
    row = db.get(MappingSession, uuid.UUID(session_id))
    assert (row.children_present, row.age_group, row.department_id, row.user_id) == (
        6, "5-6", department, setup.world.users["staff_a"].id)
    page = client.get(f"/map/sessions/{session_id}").get_data(as_text=True)
    config = page_config(page)
    assert config["session"] == {"id": session_id, "children_present": 6, "age_group": "5-6",
                                 "campaign": setup.world.campaign.id}
    assert config["open_campaigns"] == [setup.world.campaign.id]
    assert config["preschool"]["neighbourhood"]["type"] == "Polygon"
    assert len(config["categories"]) == 10
    assert config["tiles"]["url"] == "/basemap/map/{z}/{x}/{y}"
    assert [c["name"] for c in config["tiles"]["choices"]] == ["map"]
    assert "tiles.test" not in page  # the tile server's address stays on the server
    assert config["retry_seconds"] == 0  # tests ask (conftest.app_config): Send now, online
    assert config["geoman"]["actions"]["finish"] == "Slutför"


def test_only_open_campaigns_the_preschool_takes_part_in_are_offered(client, auth, setup, db):
    other = factories.campaign(db, setup.world.municipality, name="Bara B")
    db.execute(campaign_preschool.insert().values(campaign_id=other.id,
                                                  preschool_id=setup.world.school_b.id))
    factories.campaign(db, setup.world.municipality, name="Stängd", status="closed")
    db.commit()
    auth.login(setup.world.email("staff_a"))
    page = client.get(f"/map/preschools/{setup.world.school_a.id}").get_data(as_text=True)
    assert "Hösten 2026" in page and "Bara B" not in page and "Stängd" not in page
    refused = start_form(client, auth, setup.world.school_a.id, campaign_id=str(other.id),
                         department_id=str(setup.world.school_a.departments[0].id))
    assert refused.status_code == 422


def test_no_open_campaign_is_explained(client, auth, setup, db):
    db.get(Campaign, setup.world.campaign.id).status = "closed"
    db.commit()
    auth.login(setup.world.email("staff_a"))
    page = client.get(f"/map/preschools/{setup.world.school_a.id}").get_data(as_text=True)
    assert "ingen öppen kartläggningskampanj" in page


def test_finish_shows_the_summary_and_reopen_continues(client, auth, setup):
    headers = setup.headers("staff_a")
    for category, count in (("water", 2), ("water", 1), ("play", 4)):
        response = client.post("/api/v1/places", json=feature(
            setup.session_a.id, category=category, children_count=count), headers=headers)
        assert response.status_code == 201
    auth.login(setup.world.email("staff_a"))
    url = f"/map/sessions/{setup.session_a.id}"
    finished = client.post(f"{url}/finish", data={"csrf_token": auth.csrf_token()})
    assert finished.headers["Location"].endswith(f"{url}/summary")
    page = client.get(f"{url}/summary").get_data(as_text=True)
    assert "Vatten" in page and "Lek" in page
    assert re.search(r"big-number\">3</span>\s*platser", page)
    assert client.get(url).status_code == 302  # finished: the map sends to the summary
    summary = client.get(f"/api/v1/sessions/{setup.session_a.id}", headers=headers).json
    assert summary["places"] == 3 and summary["finished"] is True
    assert [(c["category"], c["places"], c["children"]) for c in summary["by_category"]] == [
        ("water", 2, 3), ("play", 1, 4)]
    client.post(f"{url}/reopen", data={"csrf_token": auth.csrf_token()})
    assert client.get(url).status_code == 200


def test_service_worker_and_manifest(client):
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    assert worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in worker.headers["Cache-Control"]
    assert re.search(r"const CACHE = 'smultron-map-[0-9a-f]{12}';", worker.get_data(as_text=True))
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    assert manifest.json["start_url"] == "/map"


def test_the_map_page_has_no_inline_script_or_style(client, auth, setup):
    auth.login(setup.world.email("staff_a"))
    page = client.get(f"/map/sessions/{setup.session_a.id}").get_data(as_text=True)
    assert " style=" not in page and " onclick=" not in page
    assert inline_scripts(page) == [' type="application/json" id="page-config"']


# -- OpenAPI ------------------------------------------------------------------------------

def test_openapi_lists_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert set(document["components"]["securitySchemes"]) == {"bearer", "basic", "cookie"}
    documented = {(path, method.upper()) for path, item in document["paths"].items()
                  for method in item if method != "parameters"}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes <= documented, routes - documented


def validator(document, name):
    return jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{name}",
                                        "components": document["components"]})


def test_responses_match_the_openapi_schemas(client, setup):
    document = client.get("/api/v1/openapi.json").json
    headers = setup.headers("staff_a")
    body = feature(setup.session_a.id)
    validator(document, "NewPlace").validate(body)
    created = client.post("/api/v1/places", json=body, headers=headers)
    validator(document, "Place").validate(created.json)
    listed = client.get("/api/v1/places?limit=1", headers=headers)
    validator(document, "PlaceCollection").validate(listed.json)
    bad = client.get("/api/v1/places?limit=0", headers=headers)
    validator(document, "Error").validate(bad.json)
    invalid = client.post("/api/v1/places", json=feature(setup.session_a.id, category="x"),
                          headers=headers)
    validator(document, "Error").validate(invalid.json)
    summary = client.get(f"/api/v1/sessions/{setup.session_a.id}", headers=headers)
    validator(document, "SessionSummary").validate(summary.json)
    categories = client.get("/api/v1/categories", headers=headers).json
    for item in categories:
        validator(document, "Category").validate(item)


def test_the_map_scripts_never_parse_text_as_html():
    """Text on the staff map is set with textContent: no innerHTML, no HTML strings handed
    to Leaflet (divIcon html, bindPopup, bindTooltip take DOM nodes or functions)."""
    from smultron import ROOT

    for path in sorted((ROOT / "static" / "js" / "map").glob("*.js")):
        source = path.read_text(encoding="utf-8")
        for pattern in (r"innerHTML", r"outerHTML", r"insertAdjacentHTML", r"html:\s*[`'\"]",
                        r"bind(?:Popup|Tooltip)\(\s*[`'\"]", r"setContent\(\s*[`'\"]",
                        r"document\.write"):
            assert not re.search(pattern, source), f"{path.name}: {pattern}"


def test_the_summary_counts_in_singular_and_plural(client, auth, setup, db):
    """"1 område", "2 vägar" (and "1 area", "2 routes"): plural forms, not "1 områden"."""
    row = factories.mapping_session(db, setup.world.campaign, setup.world.school_a, children=1,
                                    user=setup.world.users["staff_a"])
    factories.place(db, row, geometry=factories.Point(20.226, 67.856), children=1)
    factories.place(db, row, geometry=factories.Polygon(
        [(20.22, 67.85), (20.23, 67.85), (20.23, 67.86), (20.22, 67.85)]), children=1)
    for end in (20.23, 20.24):
        factories.place(db, row, geometry=LineString([(20.22, 67.85), (end, 67.86)]),
                        children=1)
    db.commit()
    auth.login(setup.world.email("staff_a"))
    url = f"/map/sessions/{row.id}/summary"

    def totals(page: str) -> list[str]:
        items = re.findall(r'<li><span class="big-number">(\d+)</span>\s*([^<]+?)\s*</li>', page)
        return [f"{n} {words}" for n, words in items]

    assert totals(client.get(url).get_data(as_text=True)) == [
        "1 barn var med", "1 plats", "1 område", "2 vägar"]
    client.get("/lang/en")
    assert totals(client.get(url).get_data(as_text=True)) == [
        "1 child took part", "1 place", "1 area", "2 routes"]


def test_old_unfinished_sessions_are_not_offered_to_continue_but_can_be_finished(
        client, auth, setup, db):
    school, campaign = setup.world.school_a, setup.world.campaign
    fresh = factories.mapping_session(db, campaign, school, user=setup.world.users["staff_a"])
    old = factories.mapping_session(db, campaign, school, user=setup.world.users["staff_a"])
    old.held_on = date(2026, 9, 2)
    old.created_at = datetime.now().astimezone() - timedelta(
        days=mapping_sessions.CONTINUE_DAYS + 1)
    closed = factories.campaign(db, setup.world.municipality, name="Våren 2026",
                                status="closed")
    earlier = factories.mapping_session(db, closed, school, user=setup.world.users["staff_a"])
    earlier.held_on = date(2026, 4, 20)
    db.commit()
    auth.login(setup.world.email("staff_a"))
    page = client.get(f"/map/preschools/{school.id}").get_data(as_text=True)
    offered = page.split('id="continue-heading"')[1].split("</section>")[0]
    assert f"/map/sessions/{fresh.id}\"" in offered and str(setup.session_a.id) in offered
    assert str(old.id) not in offered and str(earlier.id) not in offered
    left = page.split('class="left-open"')[1].split("</details>")[0]
    assert "2 äldre kartläggningar avslutades aldrig" in left
    assert "14 dagar" in left and "Våren 2026" in left
    for row in (old, earlier):
        assert f'action="/map/sessions/{row.id}/finish"' in left
        finished = client.post(f"/map/sessions/{row.id}/finish",
                               data={"csrf_token": auth.csrf_token()})
        assert finished.status_code == 302, finished.get_data(as_text=True)
        assert finished.headers["Location"].endswith(f"/map/sessions/{row.id}/summary")
    db.expire_all()
    assert old.finished_at is not None and earlier.finished_at is not None
    page = client.get(f"/map/preschools/{school.id}").get_data(as_text=True)
    assert 'class="left-open"' not in page
