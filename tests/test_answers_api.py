"""The answers and plan areas through the JSON API: PUT /api/v1/places/<uuid>/response,
GET/POST /api/v1/plans, GET /api/v1/plans/<id>; the places carry the shown answer."""

from __future__ import annotations

import json

import geopandas as gpd
import jsonschema_rs
import pytest
from shapely.geometry import Point, mapping
from sqlalchemy import func, select

from smultron.models import AuditEvent, PlaceResponse, PlanArea
from tests import factories, place_data
from tests.place_data import A_POINT

LON, LAT = A_POINT


@pytest.fixture
def setup(db):
    return place_data.build(db)


@pytest.fixture
def spots(db, setup):
    rows = [factories.place(db, setup.session_a, Point(LON, LAT), comment="Vi gungar!",
                            comment_state="approved"),
            factories.place(db, setup.session_a, Point(LON + 0.0005, LAT)),
            factories.place(db, setup.session_b, Point(*place_data.B_POINT))]
    db.commit()
    return rows


def plan_feature(name="Detaljplan Centrum", size=0.002, **extra) -> dict:
    square = Point(LON, LAT).buffer(size, cap_style=3)
    return {"type": "Feature", "properties": {"name": name}, "geometry": mapping(square),
            **extra}


def put(client, setup, place, who="planner", **body):
    return client.put(f"/api/v1/places/{place.id}/response",
                      json={"status": "kept", "text": "Gungorna får vara kvar.", **body},
                      headers=setup.headers(who))


def test_a_planner_answers_and_the_place_carries_it(client, setup, spots, db):
    created = client.post("/api/v1/plans", json=plan_feature(), headers=setup.headers("planner"))
    assert created.status_code == 201, created.json
    plan_id = created.json["id"]
    answered = put(client, setup, spots[0], plan=plan_id)
    assert answered.status_code == 200, answered.json
    assert answered.json["status"] == "kept" and answered.json["plan"] == plan_id
    replaced = put(client, setup, spots[0], who="admin", status="improved", text="Nya gungor.")
    assert replaced.json["status"] == "improved"
    place = client.get(f"/api/v1/places/{spots[0].id}", headers=setup.headers("staff_a")).json
    props = place["properties"]
    assert props["response_status"] == "improved" and props["response_text"] == "Nya gungor."
    assert props["response_plan"] is None and props["answered_at"]
    listed = client.get(f"/api/v1/places?preschool={setup.world.school_a.id}",
                        headers=setup.headers("staff_a")).json["features"]
    by_id = {f["id"]: f["properties"] for f in listed}
    assert by_id[str(spots[0].id)]["response_status"] == "improved"
    assert by_id[str(spots[1].id)]["response_status"] is None
    history = client.get(f"/api/v1/places/{spots[0].id}/response",
                         headers=setup.headers("planner")).json
    assert [h["status"] for h in history["history"]] == ["improved", "kept"]
    staff_view = client.get(f"/api/v1/places/{spots[0].id}/response",
                            headers=setup.headers("staff_a")).json
    assert staff_view["response"]["text"] == "Nya gungor." and "history" not in staff_view
    assert db.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == "place_answered")) == 2


@pytest.mark.parametrize("who, status", [("staff_a", 403), ("staff_b", 403), ("official", 403),
                                         ("planner", 200), ("admin", 200)])
def test_who_may_answer(client, setup, spots, who, status):
    assert put(client, setup, spots[0], who=who).status_code == status


@pytest.mark.parametrize("who, status", [("staff_a", 200), ("staff_b", 404), ("official", 403),
                                         ("planner", 200)])
def test_who_may_read_an_answer(client, setup, spots, who, status):
    put(client, setup, spots[0])
    response = client.get(f"/api/v1/places/{spots[0].id}/response", headers=setup.headers(who))
    assert response.status_code == status


def test_anonymous_is_401(client, spots):
    assert client.put(f"/api/v1/places/{spots[0].id}/response",
                      json={"status": "kept"}).status_code == 401
    assert client.get("/api/v1/plans").status_code == 401


@pytest.mark.parametrize("body, field", [
    ({"status": "someday"}, "status"),
    ({"status": "kept", "text": "å" * 301}, "text"),
    ({"status": "kept", "text": "Pelles nummer är 190101-1234"}, "text"),
    ({"status": "kept", "plan": 123456}, "plan"),
    ({"status": "kept", "plan": 1.5}, "plan"),
])
def test_a_bad_answer_is_a_422_with_a_field_message(client, setup, spots, db, body, field):
    response = client.put(f"/api/v1/places/{spots[0].id}/response", json=body,
                          headers=setup.headers("planner"))
    assert response.status_code == 422
    assert field in response.json["detail"]["fields"] and response.json["error"]
    assert db.scalar(select(func.count()).select_from(PlaceResponse)) == 0


def test_answers_are_refused_in_swedish_by_default(client, setup, spots):
    response = client.put(f"/api/v1/places/{spots[0].id}/response", json={"status": "x"},
                          headers=setup.headers("planner"))
    assert response.json["error"] == "Svaret behöver rättas."
    english = client.put(f"/api/v1/places/{spots[0].id}/response?lang=en",
                         json={"status": "x"}, headers=setup.headers("planner"))
    assert english.json["error"] == "The answer needs fixing."


@pytest.mark.parametrize("path", ["/api/v1/places/not-a-uuid/response",
                                  "/api/v1/places/8dc598fa-9abb-48bc-b8fe-ae1b48836f5c/response"])
def test_an_unknown_place_is_404(client, setup, path):
    assert client.put(path, json={"status": "kept"},
                      headers=setup.headers("planner")).status_code == 404


def test_not_json_is_400(client, setup, spots):
    response = client.put(f"/api/v1/places/{spots[0].id}/response", data="status=kept",
                          headers=setup.headers("planner"))
    assert response.status_code == 400


def test_plans_through_the_api(client, setup, spots, db):
    headers = setup.headers("planner")
    frame = gpd.GeoDataFrame({"name": ["Etapp 2"]},
                             geometry=[Point(LON, LAT).buffer(0.002, cap_style=3)], crs=4326)
    in_3006 = json.loads(frame.to_crs(3006).to_json(to_wgs84=False))
    in_3006["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}}
    created = client.post("/api/v1/plans", json=in_3006, headers=headers)
    assert created.status_code == 201, created.json
    assert created.headers["Location"].endswith(f"/api/v1/plans/{created.json['id']}")
    stored = db.get(PlanArea, created.json["id"])
    assert stored.name == "Etapp 2" and stored.source == "API"
    detail = created.json["properties"]
    inside = {p["id"]: p for p in detail["places"] if p["relation"] == "inside"}
    assert set(inside) == {str(spots[0].id), str(spots[1].id)}  # reprojected from 3006
    assert inside[str(spots[0].id)]["comment"] == "Vi gungar!"
    put(client, setup, spots[0], plan=created.json["id"])
    again = client.get(f"/api/v1/plans/{created.json['id']}?buffer=0", headers=headers).json
    shown = {p["id"]: p for p in again["properties"]["places"]}
    assert shown[str(spots[0].id)]["response"]["status"] == "kept"
    assert again["properties"]["assessment"]["texts"]["law"] == ""
    listed = client.get("/api/v1/plans", headers=headers).json
    assert [f["properties"]["name"] for f in listed["features"]] == ["Etapp 2"]


@pytest.mark.parametrize("body, field", [
    ({"type": "Feature", "geometry": mapping(Point(LON, LAT).buffer(0.001))}, "name"),
    (plan_feature(name="x" * 201), "name"),
    ({"type": "Point", "coordinates": [LON, LAT]}, "geometry"),
    ({"type": "Feature", "properties": {"name": "P"},
      "geometry": {"type": "Point", "coordinates": [LON, LAT]}}, "geometry"),
    ({"type": "Feature", "properties": {"name": "P"},
      "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
     "geometry"),
    ({"type": "FeatureCollection", "name": "P", "features": "nope"}, "geometry"),
])
def test_a_bad_plan_is_a_422_and_nothing_is_saved(client, setup, db, body, field):
    response = client.post("/api/v1/plans", json=body, headers=setup.headers("planner"))
    assert response.status_code == 422, response.json
    assert response.json["detail"]["field"] == field
    assert db.scalar(select(func.count()).select_from(PlanArea)) == 0


@pytest.mark.parametrize("who, status", [("staff_a", 403), ("official", 403), ("admin", 201)])
def test_who_may_add_and_read_plans(client, setup, who, status):
    headers = setup.headers(who)
    assert client.post("/api/v1/plans", json=plan_feature(), headers=headers).status_code == \
        status
    expected = 200 if status == 201 else 403
    assert client.get("/api/v1/plans", headers=headers).status_code == expected


def test_plan_ids_and_buffers_are_checked(client, setup):
    headers = setup.headers("planner")
    assert client.get("/api/v1/plans/999999", headers=headers).status_code == 404
    assert client.get("/api/v1/plans/%C2%B2", headers=headers).status_code == 404
    assert client.get("/api/v1/plans/" + "9" * 25, headers=headers).status_code == 404
    created = client.post("/api/v1/plans", json=plan_feature(), headers=headers).json
    bad = client.get(f"/api/v1/plans/{created['id']}?buffer=-5", headers=headers)
    assert bad.status_code == 400 and "buffer" in bad.json["detail"]["fields"]


def test_the_answers_match_the_openapi_document(client, setup, spots):
    document = client.get("/api/v1/openapi.json").json

    def check(name, body):
        jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{name}",
                                     "components": document["components"]}).validate(body)

    headers = setup.headers("planner")
    check("PlanInput", plan_feature())
    created = client.post("/api/v1/plans", json=plan_feature(), headers=headers).json
    check("Plan", created)
    check("PlanCollection", client.get("/api/v1/plans", headers=headers).json)
    body = {"status": "considering", "text": "Vi utreder.", "plan": created["id"]}
    check("AnswerInput", body)
    answered = client.put(f"/api/v1/places/{spots[0].id}/response", json=body, headers=headers)
    check("Answer", answered.json)
    check("AnswerWithHistory", client.get(f"/api/v1/places/{spots[0].id}/response",
                                          headers=headers).json)
    check("Place", client.get(f"/api/v1/places/{spots[0].id}", headers=headers).json)
