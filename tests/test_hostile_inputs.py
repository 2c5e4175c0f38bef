"""The 500s of issue 12 item 7, case by case: each answered with a clear 4xx in the user's
language (Swedish by default), nothing stored. tests/test_hostile_params.py sweeps every
route; these pin the cases the security test found, and the preschool importer's files."""

from __future__ import annotations

import base64
import io
import json
from urllib.parse import urlsplit

import pytest

from smultron.models import Preschool
from tests import factories

DEEP = "[" * 3000 + "]" * 3000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000
SWEDISH_500 = "Något gick fel"


def refused(response, *statuses: int) -> str:
    body = response.get_data(as_text=True)
    assert response.status_code in (statuses or (400, 404, 422)), (response.status_code,
                                                                  body[:300])
    assert SWEDISH_500 not in body
    return body


@pytest.fixture
def planner(client, auth, world):
    auth.login(world.email("planner"))
    return client


@pytest.fixture
def admin(client, auth, world):
    auth.login(world.email("admin"))
    return client


@pytest.mark.parametrize("path", [
    "/export/places.gpkg?hex=²", "/export/places.gpkg?plan=²", "/export/places.csv?campaign=²",
    "/ogc/collections/places/items?limit=²",
    "/ogc/collections/preschools/items?after=²", "/ogc/collections/preschools/items/²",
    "/ogc/collections/places/items?after=" + "9" * 25,
    "/ogc/collections/preschools/items/" + "9" * 25,
    "/ogc/collections/preschools/items?after=" + "9" * 25,
    "/export/places.gpkg?plan=" + "9" * 25, "/reports/data?campaign=" + "9" * 25,
    "/reports/data?campaign=1&scope=preschool&preschool=" + "9" * 25,
    "/reports/data?campaign=1&scope=plan&plan_area=" + "9" * 25,
    "/reports/data?campaign=1&compare=" + "9" * 25,
    "/tiles/places/٣/1/1.mvt", "/tiles/places/14/" + "9" * 25 + "/1.mvt",
    "/ogc/collections/places/items?bbox=1e308,1e308,1e308,1e308&bbox-crs="
    "http://www.opengis.net/def/crs/EPSG/0/3006",
    "/export/places.geojson?campaign=a%00b", "/ogc/collections/preschools/items?name=a%00b",
    "/admin/users?q=a%00b",
])
def test_numbers_and_nul_in_addresses_are_refused(admin, path):
    refused(admin.get(path, headers={"Accept": "application/json"}))


def test_an_odd_page_number_is_the_first_page(admin):
    for path in ("/admin/audit?page=²", "/admin/audit?page=" + "9" * 25):
        assert admin.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/admin/users/٣", "/admin/users/" + "9" * 25,
                                  "/admin/preschools/4294967297", "/admin/pages/nothing/sv"])
def test_ids_in_paths_that_are_not_ids_are_not_found(admin, path):
    refused(admin.get(path), 404)


def test_a_nul_byte_in_the_login_email_needs_no_login_to_be_refused(client):
    token = factories.csrf_from(client.get("/login").get_data(as_text=True))
    body = refused(client.post("/login", data={"email": "a\x00@example.org", "password": "x",
                                               "csrf_token": token}), 400)
    assert "NUL" in body


@pytest.mark.parametrize("path,field", [
    ("/account/tokens", "name"), ("/admin/campaigns/new", "name"),
    ("/admin/municipalities", "name"), ("/admin/users/new", "email"),
    ("/planner/plans", "name"),
])
def test_nul_bytes_in_forms_are_refused_and_nothing_is_saved(admin, auth, db, path, field):
    before = db.query(Preschool).count()
    response = admin.post(path, data={field: "Namn\x00", "csrf_token": auth.csrf_token()})
    body = refused(response, 400)
    assert "NUL" in body
    assert db.query(Preschool).count() == before


def test_a_thirty_digit_if_match_is_refused(client, auth, world, db):
    session = factories.mapping_session(db, world.campaign, world.school_a)
    place = factories.place(db, session)
    db.commit()
    auth.login(world.email("staff_a"))
    response = client.patch(f"/api/v1/places/{place.id}", json={"properties": {}},
                            headers={"If-Match": '"' + "9" * 30 + '"',
                                     "X-CSRFToken": auth.csrf_token()})
    refused(response, 400, 412)


@pytest.mark.parametrize("depth", [DEEP, DEEP_OBJECT], ids=["array", "object"])
def test_deep_nesting_in_a_cursor_an_area_and_a_drawn_plan(planner, auth, depth):
    cursor = base64.urlsafe_b64encode(depth.encode()).decode()
    refused(planner.get("/api/v1/places", query_string={"cursor": cursor}), 400)
    refused(planner.get("/reports/data", query_string={"campaign": "1", "scope": "area",
                                                       "area": depth}))
    refused(planner.post("/planner/plans", data={"name": "P", "geojson": depth,
                                                 "csrf_token": auth.csrf_token()}))
    refused(planner.post("/api/v1/plans", data=depth, content_type="application/json",
                         headers={"X-CSRFToken": auth.csrf_token()}), 400)


def test_nan_in_a_drawn_plan(planner, auth):
    polygon = ('{"type": "Polygon", "coordinates": [[[20.2, 67.8], [NaN, 67.9], '
               '[20.3, Infinity], [20.2, 67.8]]]}')
    refused(planner.post("/planner/plans", data={"name": "P", "geojson": polygon,
                                                 "csrf_token": auth.csrf_token()}))
    feature = '{"type": "Feature", "properties": {"name": "P"}, "geometry": ' + polygon + "}"
    refused(planner.post("/api/v1/plans", data=feature, content_type="application/json",
                         headers={"X-CSRFToken": auth.csrf_token()}))


@pytest.mark.parametrize("target", ["/\n/evil.example", "/%0a/evil.example", "/\t/evil"])
def test_newlines_in_next_are_not_followed(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.status_code in (302, 303, 400)
    location = urlsplit(response.headers.get("Location", ""))
    assert location.netloc in ("", "localhost") and not location.path.startswith("//")


# -- the preschool importer's files -----------------------------------------------------

HEADER = "name,unit_code,address,lon,lat,enrolled_children,departments"


def csv_rows(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


CSV_CASES = {
    "one column": b"name\nF\xc3\xb6rskolan C\n",
    "a bare newline": b"\n",
    "a 200 KB field": csv_rows("Förskolan C," + "1" * 200_000 + ",Väg 1,20.2,67.8,10,"),
    "enrolled inf": csv_rows("Förskolan C,123,Väg 1,20.2,67.8,inf,"),
    "enrolled 1e12": csv_rows("Förskolan C,123,Väg 1,20.2,67.8,1e12,"),
    "long unit code": csv_rows("Förskolan C," + "1" * 300 + ",Väg 1,20.2,67.8,10,"),
    "long address": csv_rows("Förskolan C,123," + "V" * 3000 + ",20.2,67.8,10,"),
    "long department": csv_rows("Förskolan C,123,Väg 1,20.2,67.8,10," + "A" * 3000),
    "a NUL byte": csv_rows("Förskolan\x00 C,123,Väg 1,20.2,67.8,10,"),
    "lon NaN": csv_rows("Förskolan C,123,Väg 1,NaN,67.8,10,"),
}


@pytest.mark.parametrize("case", CSV_CASES)
def test_hostile_csv_files_give_a_problem_list(admin, auth, db, case):
    before = db.query(Preschool).count()
    response = admin.post("/admin/preschools/import", data={
        "file": (io.BytesIO(CSV_CASES[case]), "preschools.csv"),
        "csrf_token": auth.csrf_token()}, content_type="multipart/form-data")
    body = refused(response, 400, 422)
    assert "<li" in body or "problem" in body.lower()
    assert db.query(Preschool).count() == before


def test_the_json_api_says_what_is_wrong_with_a_body(client, auth, world):
    auth.login(world.email("staff_a"))
    response = client.post("/api/v1/places", data=DEEP, content_type="application/json",
                           headers={"X-CSRFToken": auth.csrf_token()})
    assert response.status_code == 400
    assert "nivåer" in json.loads(response.get_data())["error"]
