"""The planners' answers in the exports and QGIS: the place layers of the GeoPackage, the
GeoJSON and CSV downloads and the OGC API collections carry response_status,
response_text, response_plan and answered_at; the plan_conflicts layer carries the
weighing."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from smultron import assessment, plans, responses
from smultron.core.access import Viewer
from tests import export_data, factories
from tests.test_export_web import read_gpkg

LON, LAT = factories.KIRUNA
REASON = "Gungorna får vara kvar."


@pytest.fixture
def answered(db, world):
    places = export_data.build(db, world)
    square = Point(LON, LAT).buffer(0.0005, cap_style=3)
    area = plans.save_plan_area(db, world.users["planner"], "Detaljplan Gungan",
                                plans.polygons_only([square]).geometry, "test")
    planner, user = Viewer.of(world.users["planner"]), world.users["planner"]
    responses.answer_places(db, planner, user, [places.kiruna_point.id], responses.parse_answer(
        db, {"status": "kept", "text": REASON, "plan": area.id}))
    assessment.save_weighing(db, planner, user, area.id, places.kiruna_point.id, "measure",
                             "Gungorna planläggs som lekplats.")
    db.commit()
    return places, area


def test_the_geopackage_carries_the_answers_and_the_weighing(client, auth, world, answered,
                                                             tmp_path):
    places, area = answered
    auth.login(world.email("planner"))
    response = client.get(f"/export/places.gpkg?plan={area.id}&buffer=300")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    path = read_gpkg(response, tmp_path)
    points = pyogrio.read_dataframe(path, layer="places_points").set_index("place_id")
    row = points.loc[str(places.kiruna_point.id)]
    assert (row.response_status, row.response_text, row.response_plan) == (
        "kept", REASON, "Detaljplan Gungan")
    assert row.answered_at is not None
    assert pd.isna(points.loc[str(places.other_school.id)].response_status)
    conflicts = pyogrio.read_dataframe(path, layer="plan_conflicts").set_index("place_id")
    weighed = conflicts.loc[str(places.kiruna_point.id)]
    assert weighed.measure == "Gungorna planläggs som lekplats."
    assert weighed.response_status == "kept"
    assert export_data.validate_gpkg(path).returncode == 0


def test_geojson_csv_and_the_ogc_api_carry_the_answers(client, auth, world, answered):
    places, _area = answered
    auth.login(world.email("planner"))
    geojson = json.loads(client.get("/export/places.geojson").get_data(as_text=True))
    props = {f["id"]: f["properties"] for f in geojson["features"]}
    assert props[str(places.kiruna_point.id)]["response_status"] == "kept"
    assert props[str(places.kiruna_point.id)]["answered_at"]
    text = client.get("/export/places.csv").get_data(as_text=True).lstrip("\ufeff")
    delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") \
        else ","
    rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    by_id = {r["place_id"]: r for r in rows}
    assert by_id[str(places.kiruna_point.id)]["response_text"] == REASON
    items = client.get("/ogc/collections/places_points/items?f=json&limit=100").get_json()
    ogc = {f["id"]: f["properties"] for f in items["features"]}
    assert ogc[str(places.kiruna_point.id)]["response_plan"] == "Detaljplan Gungan"

