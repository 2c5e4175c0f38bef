"""The language a mapping session was held in: asked when it starts (the five interface
languages and "another"), stored, carried by the exports (GeoPackage, GeoJSON, CSV, the
OGC API) and by the child impact assessment's "who was heard"."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid

import pyogrio
import pytest
from shapely.geometry import Point
from sqlalchemy import select

from smultron import plans
from smultron.models import AuditEvent, MappingSession
from tests import factories
from tests.test_assessment_document import docx_text, download
from tests.test_export_web import read_gpkg
from tests.test_map_pages import start_form

LON, LAT = factories.KIRUNA


def _start(client, auth, setup, **overrides):
    return start_form(client, auth, setup.world.school_a.id,
                      department_id=str(setup.world.school_a.departments[0].id),
                      campaign_id=str(setup.world.campaign.id), **overrides)


@pytest.mark.parametrize("language", ["fit", "se", "other"])
def test_the_session_keeps_its_language(client, auth, setup, db, language):
    auth.login(setup.world.email("staff_a"))
    response = _start(client, auth, setup, language=language)
    assert response.status_code == 302
    db.rollback()
    row = db.get(MappingSession, uuid.UUID(response.headers["Location"].rsplit("/", 1)[1]))
    assert row.language == language
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "session_started")
                      .order_by(AuditEvent.id.desc()))
    assert event.detail["language"] == language


@pytest.mark.parametrize("language", ["", "de", "sv' OR 1=1"])
def test_a_session_without_a_known_language_does_not_start(client, auth, setup, db, language):
    auth.login(setup.world.email("staff_a"))
    db.rollback()
    before = db.query(MappingSession).count()
    response = _start(client, auth, setup, language=language)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="language-error"' in page and "Välj vilket språk kartläggningen hålls på." in page
    db.rollback()
    assert db.query(MappingSession).count() == before


def test_the_question_offers_six_answers_and_the_page_language_first(client, auth, setup):
    auth.login(setup.world.email("staff_a"))
    page = client.get(f"/map/preschools/{setup.world.school_a.id}?lang=se").get_data(
        as_text=True)
    offered = re.findall(r'name="language" value="(\w+)"\s*(checked)?', page)
    assert [code for code, _checked in offered] == ["sv", "en", "fi", "fit", "se", "other"]
    assert [code for code, checked in offered if checked] == ["se"]
    assert '<span lang="fit">Meänkieli</span>' in page  # each in its own name
    finnish = client.get(f"/map/preschools/{setup.world.school_a.id}?lang=fi").get_data(
        as_text=True)
    assert "Kartoituskerran kieli" in finnish


@pytest.fixture
def held_in(db, world):
    """Two sessions of preschool A, one held in North Sámi, one in Finnish, a place each."""
    sami = factories.mapping_session(db, world.campaign, world.school_a, children=7,
                                     language="se")
    finnish = factories.mapping_session(db, world.campaign, world.school_a, children=6,
                                        language="fi")
    places = [factories.place(db, sami, Point(LON, LAT), children=5),
              factories.place(db, finnish, Point(LON + 0.0002, LAT), children=6)]
    db.commit()
    return {str(places[0].id): "se", str(places[1].id): "fi"}


def test_every_export_carries_the_sessions_language(client, auth, world, held_in, tmp_path):
    auth.login(world.email("planner"))
    path = read_gpkg(client.get("/export/places.gpkg"), tmp_path)
    points = pyogrio.read_dataframe(path, layer="places_points").set_index("place_id")
    assert {pid: points.loc[pid].session_language for pid in held_in} == held_in
    geojson = json.loads(client.get("/export/places.geojson").get_data(as_text=True))
    props = {f["id"]: f["properties"]["session_language"] for f in geojson["features"]}
    assert {pid: props[pid] for pid in held_in} == held_in
    text = client.get("/export/places.csv").get_data(as_text=True).lstrip("\ufeff")
    delimiter = ";" if text.split("\n", 1)[0].count(";") > 1 else ","
    rows = {r["place_id"]: r for r in csv.DictReader(io.StringIO(text), delimiter=delimiter)}
    assert {pid: rows[pid]["session_language"] for pid in held_in} == held_in
    items = client.get("/ogc/collections/places_points/items?f=json&limit=100").get_json()
    ogc = {f["id"]: f["properties"]["session_language"] for f in items["features"]}
    assert {pid: ogc[pid] for pid in held_in} == held_in


def test_the_geopackage_describes_the_column(client, auth, world, held_in, tmp_path):
    import sqlite3

    auth.login(world.email("planner"))
    path = read_gpkg(client.get("/export/places.gpkg"), tmp_path)
    with sqlite3.connect(path) as con:
        alias, = con.execute("SELECT name FROM gpkg_data_columns WHERE table_name = "
                             "'places_points' AND column_name = 'session_language'").fetchone()
    assert alias == "Kartläggningens språk"


@pytest.fixture
def heard_plan(db, world, held_in):
    square = Point(LON + 0.0001, LAT).buffer(0.0008, cap_style=3)
    area = plans.save_plan_area(db, world.users["planner"], "Detaljplan Språk",
                                plans.polygons_only([square]).geometry, "test")
    db.commit()
    return area


def test_who_was_heard_names_the_sessions_languages(client, auth, world, heard_plan):
    auth.login(world.email("planner"))
    _doc, _headings, paragraphs, tables = docx_text(download(client, heard_plan.id, "docx").data)
    heard = next(t for t in tables if t[0][0] == "Förskola")
    assert heard[0][4] == "Språk" and heard[1][4] == "Finska, Nordsamiska"
    english = docx_text(download(client, heard_plan.id, "docx", lang="en").data)[3]
    assert next(t for t in english if t[0][0] == "Preschool")[1][4] == "Finnish, North Sámi"
    public = docx_text(download(client, heard_plan.id, "docx", public=1).data)[2]
    assert "Språk som kartläggningarna hölls på: Finska, Nordsamiska." in public
