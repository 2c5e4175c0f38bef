"""Approved photos of places in the planners' exports: the GeoPackage's ``place_photos``
table (read back with SQLite, GDAL's validator and QGIS itself), the photo addresses in
GeoJSON, CSV and the OGC API (fetched back with the planner's API token), never a pending
or hidden photo, never to officials."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
from contextlib import closing
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from smultron import accounts
from smultron.core.access import Viewer
from smultron.export.gpkg import ExportOptions, export_geopackage
from smultron.places.query import Filters
from tests import export_data, photo_data
from tests.test_export_qgis import QGIS_PYTHON, _has_qgis
from tests.test_export_web import basic, bearer

PLANNER = Viewer(user_id=0, role="planner", preschool_ids=frozenset())
QGIS_PHOTOS = Path(__file__).with_name("qgis_photos.py")
TAKEN = date(2026, 9, 14)


@pytest.fixture
def token(db, world):
    def make(who: str) -> str:
        plain = accounts.create_token(db, world.users[who], "test")
        db.commit()
        return plain
    return make


@pytest.fixture
def shots(db, places):
    """Two approved photos of the Kiruna point (one with its day), one approved of the
    area; a pending one and a hidden one of the point, an approved one of a deleted place."""
    def shot(place, **kwargs):
        row = photo_data.add(db, place, **kwargs)
        db.commit()  # a transaction each: created_at (now()) orders them
        return row

    return {"first": shot(places.kiruna_point, taken_on=TAKEN, size=(640, 480)),
            "second": shot(places.kiruna_point, size=(300, 400)),
            "area": shot(places.area),
            "pending": shot(places.kiruna_point, state="pending"),
            "hidden": shot(places.route, state="hidden"),
            "deleted": shot(places.deleted)}


def export(app, db, tmp_path, name="photos.gpkg", filters=None, **options) -> Path:
    path = tmp_path / name
    export_geopackage(db, app.extensions["smultron.engine"].url, PLANNER,
                      filters or Filters(), path,
                      ExportOptions(threshold=2, lang="en", **options))
    return path


def rows(path: Path) -> list[tuple]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT place_id, photo_id, taken_on, width, height, photo "
                          "FROM place_photos ORDER BY photo_id").fetchall()


def test_the_geopackage_carries_approved_photos_of_live_places_only(app, db, tmp_path,
                                                                    places, shots):
    path = export(app, db, tmp_path)
    found = {row[1]: row for row in rows(path)}
    approved = {"first", "second", "area"}
    assert set(found) == {str(shots[k].id) for k in approved}
    first = found[str(shots["first"].id)]
    assert first[0] == str(places.kiruna_point.id) and first[2] == "2026-09-14"
    assert (first[3], first[4]) == (640, 480)
    with Image.open(io.BytesIO(first[5])) as image:
        assert image.format == "JPEG" and image.size == (640, 480)
        assert not image.getexif()  # what the app stored: no metadata
    with closing(sqlite3.connect(path)) as gpkg:
        kind = gpkg.execute("SELECT data_type FROM gpkg_contents WHERE table_name = "
                            "'place_photos'").fetchone()
        mime = gpkg.execute("SELECT mime_type FROM gpkg_data_columns WHERE table_name = "
                            "'place_photos' AND column_name = 'photo'").fetchone()
        style = gpkg.execute("SELECT f_geometry_column, styleQML FROM layer_styles WHERE "
                             "f_table_name = 'place_photos' AND useAsDefault").fetchone()
    assert kind == ("attributes",) and mime == ("image/jpeg",)
    assert style[0] == "" and "attributeEditorHtmlElement" in style[1]
    done = export_data.validate_gpkg(path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_photos_follow_the_filters_and_the_place_layers(app, db, tmp_path, world, places,
                                                           shots):
    only_points = export(app, db, tmp_path, "points.gpkg", layers=("places_points",))
    assert {row[1] for row in rows(only_points)} == {str(shots["first"].id),
                                                     str(shots["second"].id)}
    other_school = export(app, db, tmp_path, "b.gpkg",
                          filters=Filters(preschools=(world.school_b.name,)))
    assert rows(other_school) == []  # every photo is of preschool A's places
    no_places = export(app, db, tmp_path, "schools.gpkg", layers=("preschools",))
    with closing(sqlite3.connect(no_places)) as gpkg:
        tables = {row[0] for row in gpkg.execute("SELECT table_name FROM gpkg_contents")}
    assert "place_photos" not in tables


needs_qgis = pytest.mark.skipif(not _has_qgis(), reason="QGIS (python3-qgis) not installed")


@needs_qgis
def test_qgis_shows_a_places_photos_in_its_form(app, db, tmp_path, places, shots):
    path = export(app, db, tmp_path, "Kiruna foton.gpkg")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    done = subprocess.run([QGIS_PYTHON, str(QGIS_PHOTOS), str(path),
                           str(places.kiruna_point.id)], capture_output=True, text=True,
                          check=False, env={"XDG_RUNTIME_DIR": str(runtime),
                                            "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                          timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["read"]
    layer = result["layer"]
    assert layer["valid"] and not layer["spatial"] and layer["features"] == 3
    assert layer["name"] == "Photos of the places"
    assert layer["photo_widget"] == "Binary" and layer["html_widgets"] == 1
    assert layer["form_layout"] == 1  # QgsEditFormConfig.TabLayout: the drag-and-drop form
    relations = result["relations"]
    assert {r["parent"] for r in relations.values()} == {
        "smultron_places_points", "smultron_places_areas", "smultron_places_routes"}
    assert all(r["valid"] and r["fields"] == [["place_id", "place_id"]]
               for r in relations.values())
    photos = {p["photo_id"]: p for p in result["photos"]}
    assert set(photos) == {str(shots["first"].id), str(shots["second"].id)}
    assert photos[str(shots["first"].id)]["image"] == [640, 480]
    assert photos[str(shots["first"].id)]["taken_on"] == "2026-09-14"
    assert photos[str(shots["second"].id)]["image"] == [300, 400]
    assert result["form_shows"] in ("640x480", "300x400")  # the form draws the photo


# -- GeoJSON, CSV and the OGC API: the photos' addresses ---------------------------------

def fetched(client, headers, url: str):
    """GET an absolute address the export gave, on the test client (scheme and host kept)."""
    parts = urlsplit(url)
    response = client.get(parts.path, base_url=f"{parts.scheme}://{parts.netloc}",
                          query_string=parts.query, headers=headers)
    response.close()
    return response


def expected_urls(shots, *names) -> list[str]:
    return [f"https://localhost/api/v1/places/{shots[n].place_id}/photos/{shots[n].id}"
            for n in names]


def check_urls(client, world, token, by_place: dict, places, shots, body: str) -> None:
    """The approved photos' addresses per place, nothing else, and each opens as a JPEG
    with the planner's API token (Basic, as QGIS sends it) but not with an official's."""
    assert by_place[str(places.kiruna_point.id)] == expected_urls(shots, "first", "second")
    assert by_place[str(places.area.id)] == expected_urls(shots, "area")
    assert by_place[str(places.route.id)] == []  # its one photo is hidden
    for name in ("pending", "hidden", "deleted"):
        assert str(shots[name].id) not in body, name
    planner = basic(world.email("planner"), token("planner"))
    for url in by_place[str(places.kiruna_point.id)]:
        response = fetched(client, planner, url)
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        with Image.open(io.BytesIO(response.get_data())) as image:
            assert image.format == "JPEG"
    official = fetched(client, bearer(token("official")), by_place[str(places.area.id)][0])
    assert official.status_code == 403


def test_geojson_carries_the_approved_photos_addresses(client, world, places, shots, token):
    response = client.get("/export/places.geojson", headers=bearer(token("planner")))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    by_place = {f["id"]: f["properties"]["photos"] for f in json.loads(body)["features"]}
    check_urls(client, world, token, by_place, places, shots, body)


@pytest.mark.parametrize("sep", ["comma", "semicolon"])
def test_csv_carries_the_approved_photos_addresses(client, world, places, shots, token, sep):
    response = client.get(f"/export/places.csv?sep={sep}", headers=bearer(token("planner")))
    assert response.status_code == 200
    body = response.get_data(as_text=True).lstrip("\ufeff")
    table = list(csv.DictReader(io.StringIO(body), delimiter="," if sep == "comma" else ";"))
    by_place = {row["place_id"]: row["photos"].split() for row in table}
    check_urls(client, world, token, by_place, places, shots, body)


def test_the_ogc_api_carries_the_approved_photos_addresses(client, world, places, shots, token):
    headers = bearer(token("planner"))
    by_place, bodies = {}, ""
    for collection in ("places_points", "places_areas", "places_routes"):
        response = client.get(f"/ogc/collections/{collection}/items", headers=headers)
        assert response.status_code == 200
        bodies += response.get_data(as_text=True)
        by_place.update({f["id"]: f["properties"]["photos"] for f in response.json["features"]})
    one = client.get(f"/ogc/collections/places_points/items/{places.kiruna_point.id}",
                     headers=headers)
    assert one.json["properties"]["photos"] == expected_urls(shots, "first", "second")
    check_urls(client, world, token, by_place, places, shots, bodies)
    schools = client.get("/ogc/collections/preschools/items", headers=headers)
    assert all("photos" not in f["properties"] for f in schools.json["features"])


def test_the_ogc_pages_link_the_photos(client, world, places, shots, token):
    headers = bearer(token("planner"))
    page = client.get("/ogc/collections/places_points/items?f=html&lang=en", headers=headers)
    one = client.get(f"/ogc/collections/places_points/items/{places.kiruna_point.id}"
                     "?f=html&lang=en", headers=headers)
    for response in (page, one):
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        for url in expected_urls(shots, "first", "second"):
            assert f'<a href="{url}">' in html
        assert "Photo 2" in html and str(shots["pending"].id) not in html


@pytest.mark.parametrize("path", ["/export/places.geojson", "/export/places.csv",
                                  "/export/places.gpkg",
                                  "/ogc/collections/places_points/items",
                                  "/ogc/collections/places_points/items/{place}"])
def test_officials_receive_no_photo_from_any_export(client, world, places, shots, token, path):
    response = client.get(path.format(place=places.kiruna_point.id),
                          headers=bearer(token("official")))
    assert response.status_code == 403
    assert str(shots["first"].id) not in response.get_data(as_text=True)
