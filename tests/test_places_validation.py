"""Every validation rule of a place, with the message a person can act on; generated
GeoJSON (valid and broken) never gives a 500, and what is stored reads back as sent."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime

import pytest
from babel.messages.extract import extract_from_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from smultron import ROOT
from smultron.core.i18n import merged_catalog
from smultron.models import Category, MappingSession, Place
from smultron.places.validation import PERSONNUMMER, parse_geometry
from tests import place_data
from tests.conftest import HttpsClient
from tests.place_data import feature, square


@pytest.fixture(scope="module")
def shared(cluster):
    with place_data.shared_database(cluster) as pair:
        yield pair


@pytest.fixture
def client(shared):
    """One database for the module: these tests only add places no other test counts."""
    return shared[0].test_client()


@pytest.fixture
def setup(shared):
    return shared[1]


@pytest.fixture
def own_client(app):
    """A fresh database of this test's own (for tests that change shared rows)."""
    app.test_client_class = HttpsClient
    return app.test_client()


@pytest.fixture
def own_setup(db):
    return place_data.build(db)


def refused(client, setup, body, field: str, *words: str):
    response = client.post("/api/v1/places?lang=en", json=body, headers=setup.headers("staff_a"))
    assert response.status_code == 422, response.json
    message = response.json["detail"]["fields"][field]
    for word in words:
        assert word in message, message
    return message


@pytest.mark.parametrize("geometry,words", [
    ({"type": "MultiPoint", "coordinates": [[20.2, 67.8]]}, ["Point, LineString or Polygon"]),
    ({"type": "GeometryCollection", "geometries": []}, ["Point, LineString or Polygon"]),
    (None, ["geometry is needed"]),
    ({"type": "Point"}, ["two numbers"]),
    ({"type": "Point", "coordinates": [20.2]}, ["two numbers"]),
    ({"type": "Point", "coordinates": ["20", "67"]}, ["numbers"]),
    ({"type": "Point", "coordinates": [True, 67.8]}, ["numbers"]),
    ({"type": "Point", "coordinates": [10**400, 67.8]}, ["numbers"]),
    ({"type": "Point", "coordinates": [200, 67.8]}, ["between -180 and 180"]),
    ({"type": "Point", "coordinates": [20.2, -91]}, ["between -90 and 90"]),
    ({"type": "Point", "coordinates": [67.8558, 20.2253]}, ["municipality", "longitude"]),
    ({"type": "Point", "coordinates": [18.06, 59.33]}, ["outside the municipality"]),
    ({"type": "LineString", "coordinates": [[20.2, 67.8]]}, ["At least 2"]),
    ({"type": "LineString", "coordinates": [[20.2, 67.8], [20.2, 67.8]]}, ["two different"]),
    ({"type": "Polygon", "coordinates": [[[20.2, 67.8], [20.3, 67.8], [20.3, 67.9]]]},
     ["At least 4"]),
    ({"type": "Polygon", "coordinates": [[[20.2, 67.8], [20.3, 67.8], [20.3, 67.9],
                                          [20.2, 67.9]]]}, ["end where it starts"]),
    ({"type": "Polygon", "coordinates": []}, ["list of rings"]),
    ({"type": "LineString", "coordinates": [[20.2 + i * 1e-5, 67.8] for i in range(1001)]},
     ["at most 1000"]),
])
def test_geometry_rules(client, setup, geometry, words):
    body = feature(setup.session_a.id)
    body["geometry"] = geometry
    refused(client, setup, body, "geometry", *words)


def test_a_self_intersecting_polygon_is_refused_with_where_it_crosses(client, setup):
    bowtie = {"type": "Polygon", "coordinates": [[[20.20, 67.80], [20.22, 67.82],
                                                  [20.22, 67.80], [20.20, 67.82],
                                                  [20.20, 67.80]]]}
    message = refused(client, setup, feature(setup.session_a.id, geometry=bowtie), "geometry",
                      "crosses itself")
    assert "20.210000, 67.810000" in message


def test_a_polygon_with_a_hole_is_fine(client, setup):
    outer = square(20.22, 67.85, 0.01)["coordinates"][0]
    hole = square(20.224, 67.854, 0.002)["coordinates"][0][::-1]
    body = feature(setup.session_a.id, geometry={"type": "Polygon", "coordinates": [outer, hole]})
    response = client.post("/api/v1/places", json=body, headers=setup.headers("staff_a"))
    assert response.status_code == 201, response.json


@pytest.mark.parametrize("props,field,words", [
    ({"category": "unicorns"}, "category", ["categories"]),
    ({"category": None}, "category", ["categories"]),
    ({"category": "pl\x00ay"}, "category", ["categories"]),
    ({"category": "x" * 10_000}, "category", ["categories"]),
    ({"comment": "hej\x00då"}, "comment", ["cannot be stored"]),
    ({"comment": "a\ud800b"}, "comment", ["cannot be stored"]),
    ({"feeling": "angry"}, "feeling", ["favourite, scary"]),
    ({"season": "spring"}, "season", ["summer, winter, all_year"]),
    ({"age_group": "7-9"}, "age_group", ["1-2"]),
    ({"children_count": 0}, "children_count", ["at least 1"]),
    ({"children_count": -3}, "children_count", ["at least 1"]),
    ({"children_count": 2.5}, "children_count", ["whole number"]),
    ({"children_count": "3"}, "children_count", ["whole number"]),
    ({"children_count": True}, "children_count", ["whole number"]),
    ({"children_count": 10**400}, "children_count", ["At most 10 children"]),
    ({"children_count": 11}, "children_count", ["At most 10 children"]),
    ({"comment": "x" * 501}, "comment", ["at most 500", "501"]),
    ({"comment": 42}, "comment", ["text"]),
    ({"session": "nope"}, "session", ["UUID"]),
    ({"session": str(uuid.uuid4())}, "session", ["no such"]),
])
def test_property_rules(client, setup, props, field, words):
    refused(client, setup, feature(setup.session_a.id, **props), field, *words)


def test_all_problems_are_reported_at_once(client, setup):
    body = feature(setup.session_a.id, category="x", children_count=0, comment="y" * 600,
                   geometry={"type": "Point", "coordinates": [500, 0]})
    response = client.post("/api/v1/places", json=body, headers=setup.headers("staff_a"))
    assert set(response.json["detail"]["fields"]) == {"category", "children_count", "comment",
                                                      "geometry"}


@pytest.mark.parametrize("body,field", [
    ({"type": "FeatureCollection", "features": []}, "type"),
    ([1, 2], "type"),
    ({"type": "Feature", "id": 7, "geometry": None, "properties": {}}, "id"),
    ({"type": "Feature", "id": str(uuid.uuid4()), "geometry": None, "properties": "x"},
     "properties"),
])
def test_not_a_feature(client, setup, body, field):
    response = client.post("/api/v1/places", json=body, headers=setup.headers("staff_a"))
    assert response.status_code == 422
    assert field in response.json["detail"]["fields"]


def test_a_comment_of_exactly_500_characters_is_fine(client, setup):
    body = feature(setup.session_a.id, comment="å" * 500)
    response = client.post("/api/v1/places", json=body, headers=setup.headers("staff_a"))
    assert response.status_code == 201


@pytest.mark.parametrize("text", [
    "Olle 180512-1234 tycker om gungan", "201805121234", "20180512-1234", "180512+1234",
    "id 1805121234.", "samordningsnummer 180572-1234", "180512 1234",
])
def test_personnummer_like_comments_are_refused(client, setup, text):
    refused(client, setup, feature(setup.session_a.id, comment=text), "comment",
            "personal identity number")


@pytest.mark.parametrize("text", [
    "Vi var 12 barn och 3 vuxna", "klockan 10:30", "2026-10-01", "180512-123", "postnr 98131",
    "12345678901234", "181312-1234",
])
def test_ordinary_numbers_are_fine(text):
    assert PERSONNUMMER.search(text) is None


def test_a_hidden_category_is_refused(own_client, own_setup, db):
    db.scalar(select(Category).where(Category.code == "water")).hidden = True
    db.commit()
    refused(own_client, own_setup, feature(own_setup.session_a.id, category="water"), "category")


def test_a_finished_session_takes_no_new_places(own_client, own_setup, db):
    db.get(MappingSession, own_setup.session_a.id).finished_at = datetime.now(UTC)
    db.commit()
    refused(own_client, own_setup, feature(own_setup.session_a.id), "session", "finished")


def test_nothing_is_saved_when_refused(own_client, own_setup, db):
    own_client.post("/api/v1/places", json=feature(own_setup.session_a.id, children_count=0),
                headers=own_setup.headers("staff_a"))
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Place)) == 0


def test_every_message_of_the_places_code_is_in_swedish():
    catalog = merged_catalog("sv")
    missing = []
    for name in ("places/validation.py", "places/reading.py", "places/writing.py",
                 "mapping_sessions.py", "web/api/__init__.py"):
        for _line, msgid, _c, _x in extract_from_file("python", ROOT / "smultron" / name,
                                                       keywords={"M": None}):
            if not (catalog.get(msgid) and catalog.get(msgid).string):
                missing.append(msgid)
    assert missing == []


# -- property tests -------------------------------------------------------------------------

LON = st.floats(min_value=20.05, max_value=20.45)
LAT = st.floats(min_value=67.75, max_value=67.95)
POSITION = st.tuples(LON, LAT).map(list)
ANY_NUMBER = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(),
                       st.just(10**400),
                       st.booleans(), st.none(), st.text(max_size=3))
JUNK_POSITION = st.lists(ANY_NUMBER, max_size=4)


@st.composite
def valid_geometries(draw):
    kind = draw(st.sampled_from(["Point", "LineString", "Polygon"]))
    if kind == "Point":
        return {"type": "Point", "coordinates": draw(POSITION)}
    if kind == "LineString":
        points = draw(st.lists(POSITION, min_size=2, max_size=8, unique_by=tuple))
        return {"type": "LineString", "coordinates": points}
    lon, lat = draw(LON), draw(LAT)
    size = draw(st.floats(min_value=1e-4, max_value=0.05))
    return square(lon, lat, size)


@st.composite
def broken_geometries(draw):
    kind = draw(st.sampled_from(["Point", "LineString", "Polygon", "MultiPolygon", "", None,
                                 "Feature"]))
    coordinates = draw(st.one_of(
        JUNK_POSITION, st.lists(JUNK_POSITION, max_size=5),
        st.lists(st.lists(JUNK_POSITION, max_size=6), max_size=3),
        st.lists(st.lists(POSITION, max_size=6), max_size=2), st.text(max_size=5), ANY_NUMBER))
    return draw(st.one_of(
        st.just({"type": kind, "coordinates": coordinates}),
        st.just({"type": kind}), ANY_NUMBER, st.lists(ANY_NUMBER, max_size=2)))


PROPERTY_VALUES = st.one_of(ANY_NUMBER, st.sampled_from(
    ["play", "water", "favourite", "scary", "summer", "winter", "all_year", "3-4", "pl\x00ay",
     "\ud800", "<script>", "180512-1234"]),
    st.integers(min_value=-2, max_value=12), st.text(max_size=600))


@st.composite
def broken_features(draw, session_id):
    body = feature(session_id)
    body["geometry"] = draw(st.one_of(valid_geometries(), broken_geometries()))
    for key in draw(st.lists(st.sampled_from(["category", "feeling", "children_count", "season",
                                              "comment", "age_group", "session"]),
                             max_size=4)):
        body["properties"][key] = draw(PROPERTY_VALUES)
    if draw(st.booleans()):
        body[draw(st.sampled_from(["type", "id", "properties"]))] = draw(ANY_NUMBER)
    return body


SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@SETTINGS
@given(data=st.data())
def test_generated_features_never_give_a_500(client, setup, data):
    body = data.draw(broken_features(setup.session_a.id))
    response = client.post("/api/v1/places", json=body, headers=setup.headers("staff_a"))
    assert response.status_code in (200, 201, 409, 422), (response.status_code, response.json)
    assert set(response.json) >= ({"error", "detail"} if response.status_code >= 400 else
                                  {"type", "id"})


@SETTINGS
@given(geometry=valid_geometries())
def test_a_stored_geometry_reads_back_as_sent(client, setup, geometry):
    body = feature(setup.session_a.id, geometry=geometry)
    response = client.post("/api/v1/places", json=body, headers=setup.headers("staff_a"))
    assert response.status_code == 201, response.json
    read = client.get(f"/api/v1/places/{body['id']}", headers=setup.headers("staff_a")).json
    assert read["geometry"]["type"] == geometry["type"]
    sent = parse_geometry(geometry)
    back = parse_geometry(read["geometry"])
    assert back.equals_exact(sent, 1e-7)


@SETTINGS
@given(geometry=broken_geometries())
def test_parse_geometry_returns_a_shape_or_a_message(geometry):
    result = parse_geometry(geometry)
    assert isinstance(result, str) or result.is_valid


@SETTINGS
@given(patch=st.dictionaries(st.sampled_from(["geometry", "properties", "type"]),
                             st.one_of(ANY_NUMBER, valid_geometries(), broken_geometries(),
                                       st.dictionaries(st.sampled_from(
                                           ["category", "children_count", "comment", "season"]),
                                           PROPERTY_VALUES, max_size=3)), max_size=3))
def test_generated_patches_never_give_a_500(client, setup, patch):
    body = feature(setup.session_a.id)
    client.post("/api/v1/places", json=body, headers=setup.headers("staff_a"))
    current = client.get(f"/api/v1/places/{body['id']}", headers=setup.headers("staff_a"))
    etag = current.headers["ETag"]
    response = client.patch(f"/api/v1/places/{body['id']}", json=patch,
                            headers=setup.headers("staff_a", **{"If-Match": etag}))
    assert response.status_code in (200, 422), (response.status_code, response.json)
    assert not math.isnan(response.status_code)
