"""/export/places.{gpkg,geojson,csv}: who may download, how, and what is logged."""

from __future__ import annotations

import base64
import csv
import io
import json
import re

import pyogrio
import pytest
from sqlalchemy import select

from smultron import accounts
from smultron.models import AuditEvent
from tests import export_data


@pytest.fixture
def token(db, world):
    def make(who: str) -> str:
        plain = accounts.create_token(db, world.users[who], "test")
        db.commit()
        return plain
    return make


def basic(email: str, secret: str) -> dict:
    raw = base64.b64encode(f"{email}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def read_gpkg(response, tmp_path):
    path = tmp_path / "download.gpkg"
    path.write_bytes(response.get_data())
    return path


def test_planner_downloads_gpkg_with_session(client, auth, world, places, tmp_path, db):
    auth.login(world.email("planner"))
    response = client.get("/export/places.gpkg?campaign=Hösten 2026&crs=EPSG:3006")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/geopackage+sqlite3"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    path = read_gpkg(response, tmp_path)
    assert pyogrio.read_info(path, layer="places_points")["features"] == 6
    assert export_data.validate_gpkg(path).returncode == 0
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.user_id == world.users["planner"].id
    assert event.detail["filters"] == {"campaigns": ["Hösten 2026"]}
    assert event.detail["counts"]["places_points"] == 6
    assert event.detail["crs"] == "EPSG:3006"


def test_basic_auth_with_api_token(client, world, places, token, tmp_path):
    secret = token("planner")
    response = client.get("/export/places.gpkg?crs=EPSG:3007",
                          headers=basic(world.email("planner"), secret))
    assert response.status_code == 200
    path = read_gpkg(response, tmp_path)
    assert pyogrio.read_info(path, layer="places_points")["crs"] == "EPSG:3007"
    wrong_email = client.get("/export/places.gpkg", headers=basic("admin@example.org", secret))
    assert wrong_email.status_code == 401


def test_bearer_token_and_admin(client, world, places, token):
    response = client.get("/export/places.geojson", headers=bearer(token("admin")))
    assert response.status_code == 200
    response.close()  # a streamed body holds its database session until closed


@pytest.mark.parametrize("who", ["staff_a", "official"])
@pytest.mark.parametrize("path", ["/export/places.gpkg", "/export/places.geojson",
                                  "/export/places.csv"])
def test_staff_and_officials_get_403(client, world, token, who, path):
    response = client.get(path, headers=bearer(token(who)))
    assert response.status_code == 403
    assert response.get_json()["error"]


def test_anonymous_gets_401_with_basic_challenge(client, world):
    response = client.get("/export/places.gpkg")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.get_json()["error"]


@pytest.mark.parametrize("name", ["token", "access_token", "api_key"])
def test_tokens_in_the_query_string_are_refused(client, world, token, name, db):
    secret = token("planner")
    response = client.get(f"/export/places.gpkg?{name}={secret}")
    assert response.status_code == 400
    assert response.get_json()["error"]
    # refused even alongside valid credentials in the header: nothing was exported
    response = client.get(f"/export/places.gpkg?{name}={secret}", headers=bearer(secret))
    assert response.status_code == 400
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all() == []


def test_one_users_export_link_does_not_work_for_another(app, client, auth, world, places,
                                                         token):
    auth.login(world.email("planner"))
    link = "/export/places.gpkg?campaign=Hösten 2026&crs=EPSG:3006"
    assert client.get(link).status_code == 200
    # The link carries only filters: no credential a second person could reuse.
    assert "token" not in link and "@" not in link
    stranger = app.test_client()
    assert stranger.get(link, base_url="https://localhost").status_code == 401
    assert stranger.get(link, headers=bearer(token("official"))).status_code == 403
    assert stranger.get(link, headers=bearer(token("staff_b"))).status_code == 403
    auth.logout()
    assert client.get(link).status_code == 401


def test_bad_crs_and_filters_are_400_with_a_message(client, world, token):
    headers = bearer(token("planner"))
    response = client.get("/export/places.gpkg?crs=EPSG:3857", headers=headers)
    assert response.status_code == 400
    assert "EPSG:3006" in response.get_json()["error"]
    response = client.get("/export/places.csv?campaign=Nope", headers=headers)
    assert response.status_code == 400 and "Nope" in response.get_json()["error"]
    response = client.get("/export/places.geojson?from=yesterday", headers=headers)
    assert response.status_code == 400 and "2026-09-01" in response.get_json()["error"]
    response = client.get("/export/places.gpkg?feeling=angry", headers=headers)
    assert response.status_code == 400 and "favourite" in response.get_json()["error"]
    for odd in ("0050000", "²", "9" * 25, "49"):  # never a 500, never out of range
        response = client.head(f"/export/places.gpkg?hex={odd}", headers=headers)
        assert response.status_code == 400, odd
    for odd in ("²", "9" * 25):
        response = client.head(f"/export/places.gpkg?plan={odd}", headers=headers)
        assert response.status_code == 404, odd


def test_geojson_is_the_same_filtered_places(client, world, places, token, db):
    response = client.get("/export/places.geojson?preschool=Förskolan A",
                          headers=bearer(token("planner")))
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    data = json.loads(response.get_data(as_text=True))
    response.close()
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == 6
    by_id = {f["id"]: f for f in data["features"]}
    kiruna = by_id[str(places.kiruna_point.id)]
    assert kiruna["geometry"] == {"type": "Point", "coordinates": [20.2253, 67.8558]}
    assert kiruna["properties"]["comment"] == "Vi gungar högt"
    assert by_id[str(places.scary_point.id)]["properties"]["comment"] is None
    assert {f["geometry"]["type"] for f in data["features"]} == {
        "Point", "Polygon", "LineString"}
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.detail["counts"] == {"places": 6}


def csv_rows(response, delimiter=","):
    text = response.get_data(as_text=True)
    response.close()
    assert text.startswith("\ufeff")  # a BOM: Excel reads the file as UTF-8 (å ä ö)
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=delimiter))


def test_csv_has_wkt_and_lonlat(client, world, places, token):
    response = client.get("/export/places.csv?crs=EPSG:3006&category=play&sep=comma",
                          headers=bearer(token("planner")))
    assert response.status_code == 200
    rows = csv_rows(response)
    assert len(rows) == 2
    kiruna = next(r for r in rows if r["place_id"] == str(places.kiruna_point.id))
    assert (float(kiruna["lon"]), float(kiruna["lat"])) == (20.2253, 67.8558)
    assert kiruna["wkt"].startswith("POINT(719583.1")
    assert kiruna["children_count"] == "6" and kiruna["category_sv"] == "Lek"


def test_csv_for_swedish_excel_has_semicolons_and_decimal_commas(client, world, places, token):
    headers = bearer(token("planner"))
    for query in ("sep=semicolon", ""):  # semicolons are the default for Swedish
        response = client.get(f"/export/places.csv?category=play&{query}", headers=headers)
        assert response.status_code == 200
        kiruna = next(r for r in csv_rows(response, ";")
                      if r["place_id"] == str(places.kiruna_point.id))
        assert (kiruna["lon"], kiruna["lat"]) == ("20,2253", "67,8558")
        assert kiruna["wkt"].startswith("POINT(719583.1")  # WKT keeps its own syntax
        assert kiruna["comment"] == "Vi gungar högt"
    client.get("/lang/en")
    english = client.get("/export/places.csv?category=play", headers=headers)
    assert english.status_code == 200
    assert {r["lon"] for r in csv_rows(english)} >= {"20.2253"}
    assert client.get("/export/places.csv?sep=tab", headers=headers).status_code == 400


def test_geojson_with_the_forms_default_crs_is_wgs84(client, world, places, token):
    """The form sends crs=EPSG:3006 by default: GeoJSON ignores it (RFC 7946)."""
    headers = bearer(token("planner"))
    response = client.get("/export/places.geojson?crs=EPSG:3006&category=play", headers=headers)
    assert response.status_code == 200
    data = json.loads(response.get_data(as_text=True))
    response.close()
    kiruna = next(f for f in data["features"] if f["id"] == str(places.kiruna_point.id))
    assert kiruna["geometry"]["coordinates"] == [20.2253, 67.8558]
    assert "epsg4326" in response.headers["Content-Disposition"]
    assert client.get("/export/places.geojson?crs=EPSG:3857", headers=headers).status_code == 400


def test_the_form_says_geojson_is_always_wgs84(client, auth, world):
    auth.login(world.email("planner"))
    html = client.get("/planner/").get_data(as_text=True)
    assert 'aria-describedby="f-crs-hint"' in html
    assert "GeoJSON är alltid i WGS 84 (longitud, latitud), vad som än väljs här." in html


@pytest.mark.parametrize("path", ["/export/places.gpkg?crs=EPSG:3010",
                                  "/export/places.geojson", "/export/places.csv"])
def test_head_exports_and_logs_nothing(client, world, places, token, db, path):
    headers = bearer(token("planner"))
    response = client.head(path, headers=headers)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all() == []
    assert client.head(path + ("&" if "?" in path else "?") + "from=yesterday",
                       headers=headers).status_code == 400  # checked like a download
    done = client.get(path, headers=headers)
    done.get_data()
    done.close()
    assert len(db.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()) == 1


def test_file_names_say_what_the_filters_are(client, world, places, token):
    headers = bearer(token("planner"))
    response = client.head("/export/places.gpkg?campaign=Hösten 2026&preschool=Förskolan A"
                           "&category=play&category=water&feeling=favourite&from=2026-09-01"
                           "&to=2026-12-31&crs=EPSG:3010", headers=headers)
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="smultron-places-hosten-2026-forskolan-a-'
                        r'play_water-favourite-2026-09-01_2026-12-31-epsg3010-'
                        r'\d{4}-\d\d-\d\d\.gpkg"', disposition), disposition
    semicolon = client.head("/export/places.csv?sep=semicolon", headers=headers)
    assert re.search(r'smultron-places-epsg3006-[\d-]+-semicolon\.csv"$',
                     semicolon.headers["Content-Disposition"])


def test_file_names_are_safe_and_bounded():
    from datetime import date

    from smultron.export.filenames import MAX_LENGTH, download_name
    from smultron.places.query import Filters

    day = date(2026, 12, 2)
    long_a = Filters(campaigns=("Hösten 2026 – ÅÄÖ \"quoted\" / ../../etc",),
                     preschools=tuple(f"Förskolan Ängen {n}" for n in range(20)))
    long_b = Filters(campaigns=long_a.campaigns, preschools=long_a.preschools + ("X",))
    names = [download_name("gpkg", f, day, 3006) for f in (long_a, long_b)]
    for name in names:
        assert re.fullmatch(r"[a-z0-9_.-]+", name) and len(name) <= MAX_LENGTH, name
        assert name.startswith("smultron-places-hosten-2026-aao-quoted-etc-forskolan-angen-0_")
        assert name.endswith("-epsg3006-2026-12-02.gpkg")
    assert names[0] != names[1]  # cut names keep a digest of the whole
    assert download_name("csv", Filters(), day) == "smultron-places-2026-12-02.csv"
