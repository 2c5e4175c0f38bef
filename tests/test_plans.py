"""Plan areas, the plan-impact check, the plan_conflicts layer and comment moderation."""

from __future__ import annotations

import io
import json
import re
from html import unescape

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from shapely.geometry import Point, Polygon, mapping, shape
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from smultron import plans
from smultron.core.access import Viewer
from smultron.core.errors import AppError
from smultron.models import AuditEvent, Place, PlanArea
from smultron.places.query import Filters
from tests import export_data, factories
from tests.test_export_web import bearer

PLANNER = Viewer(user_id=0, role="planner", preschool_ids=frozenset())
LON, LAT = factories.KIRUNA


def kiruna_plan_3006(size=150.0):
    """A square of 2*size m around the Kiruna point, in SWEREF 99 TM."""
    centre = gpd.GeoSeries([Point(LON, LAT)], crs=4326).to_crs(3006)[0]
    return gpd.GeoDataFrame({"name": ["Detaljplan"]}, geometry=[centre.buffer(size, cap_style=3)],
                            crs=3006)


def gpkg_bytes(frame, tmp_path) -> bytes:
    path = tmp_path / "plan.gpkg"
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    return path.read_bytes()


def test_plan_file_is_reprojected(tmp_path):
    read = plans.read_plan_file(gpkg_bytes(kiruna_plan_3006(), tmp_path), "plan.gpkg")
    assert read.geometry.geom_type == "MultiPolygon" and read.geometry.contains(Point(LON, LAT))
    assert read.repairs == ()  # a valid square: nothing to say before saving
    geojson = kiruna_plan_3006().to_json(to_wgs84=False)
    from_json = plans.read_plan_file(geojson.encode(), "plan.geojson")
    assert from_json.geometry.contains(Point(LON, LAT))


@pytest.mark.parametrize("content, name, message", [
    (b"", "plan.geojson", "empty"),
    (b"not json", "plan.geojson", "could not be read"),
    (b"{}", "plan.txt", "GeoPackage"),
    (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                 "geometry": mapping(Point(LON, LAT))}]}).encode(), "p.geojson", "polygons"),
    (json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}).encode(),
     "p.geojson", "outside Sweden"),
])
def test_bad_plan_files_are_refused(content, name, message):
    with pytest.raises(AppError, match=message) as refused:
        plans.read_plan_file(content, name)
    assert refused.value.status == 422 and refused.value.detail == {"field": "file"}


BOWTIE = {"type": "Polygon", "coordinates": [[[20.2, 67.8], [20.3, 67.9], [20.3, 67.8],
                                              [20.2, 67.9], [20.2, 67.8]]]}


def test_self_intersecting_drawing_is_repaired_and_says_so():
    read = plans.geometry_from_geojson(json.dumps(BOWTIE))
    assert read.geometry.is_valid and len(read.geometry.geoms) == 2
    assert [r.msgid for r in read.repairs] == [
        "The outline crossed itself; it was split into %(n)d parts."]
    assert read.repairs[0] == "The outline crossed itself; it was split into 2 parts."
    with pytest.raises(AppError):
        plans.geometry_from_geojson("{broken")


def save(db, world, size=150.0):
    geometry = plans.polygons_only(list(kiruna_plan_3006(size).to_crs(4326).geometry)).geometry
    area = plans.save_plan_area(db, world.users["planner"], "Detaljplan", geometry, "test")
    db.commit()
    return area


def test_impact_inside_and_near(db, world, places):
    area = save(db, world)
    result = plans.impact(db, PLANNER, Filters(), area.id, buffer_m=0)
    inside = {row.place_id for row in result.places if row.relation == "inside"}
    assert str(places.kiruna_point.id) in inside
    assert str(places.other_school.id) not in {row.place_id for row in result.places}
    wider = plans.impact(db, PLANNER, Filters(), area.id, buffer_m=1000)
    assert len(wider.places) > len(result.places)
    near = [row for row in wider.places if row.relation == "near"]
    assert near and all(0 < row.distance_m <= 1000 for row in near)
    totals = {row.preschool: (row.inside, row.near) for row in wider.by_preschool}
    assert set(totals) == {"Förskolan A"}
    assert sum(row.inside + row.near for row in wider.by_category) == len(wider.places)
    only_play = plans.impact(db, PLANNER, Filters(categories=("play",)), area.id, 1000)
    assert {row.category for row in only_play.places} == {"play"}


def test_buffer_is_checked():
    assert plans.parse_buffer(None) == 100
    for bad in ("-1", "x", "99999"):
        with pytest.raises(AppError):
            plans.parse_buffer(bad)


def test_upload_and_check_on_the_web(client, auth, world, places, db, tmp_path):
    auth.login(world.email("planner"))
    data = {"name": "Centrum etapp 2", "csrf_token": auth.csrf_token(),
            "file": (io.BytesIO(gpkg_bytes(kiruna_plan_3006(), tmp_path)), "plan.gpkg")}
    response = client.post("/planner/plans", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    area = db.scalars(select(PlanArea)).one()
    assert area.name == "Centrum etapp 2" and area.source == "plan.gpkg"
    area_id = area.id
    page = client.get(f"/planner/plans/{area.id}?buffer=200")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Förskolan A" in html and "Lek" in html
    assert db.scalars(select(AuditEvent.action)).all().count("plan_area_created") == 1
    bad = client.post("/planner/plans", data={"name": "x", "csrf_token": auth.csrf_token(),
                                              "geojson": '{"type": "Point"}'})
    assert bad.status_code == 422
    assert client.get(f"/planner/plans/{area.id}?buffer=-5").status_code == 400
    drawn = client.post("/planner/plans", data={
        "name": "Ritad", "csrf_token": auth.csrf_token(),
        "geojson": json.dumps(mapping(kiruna_plan_3006().to_crs(4326).geometry[0]))})
    assert drawn.status_code == 302
    deleted = client.post(f"/planner/plans/{area_id}/delete",
                          data={"csrf_token": auth.csrf_token()})
    assert deleted.status_code == 302
    assert area_id not in db.scalars(select(PlanArea.id)).all()


def test_export_with_plan_conflicts_layer(client, db, world, places, tmp_path):
    from smultron import accounts

    area = save(db, world)
    secret = accounts.create_token(db, world.users["planner"], "t")
    db.commit()
    response = client.get(f"/export/places.gpkg?plan={area.id}&buffer=500",
                          headers=bearer(secret))
    assert response.status_code == 200
    path = tmp_path / "plan.gpkg"
    path.write_bytes(response.get_data())
    conflicts = pyogrio.read_dataframe(path, layer="plan_conflicts")
    assert set(conflicts.relation) == {"inside", "near"}
    assert str(places.kiruna_point.id) in set(conflicts.place_id)
    assert pyogrio.read_info(path, layer="plan_conflicts")["crs"] == "EPSG:3006"
    assert export_data.validate_gpkg(path).returncode == 0
    import sqlite3
    from contextlib import closing
    with closing(sqlite3.connect(path)) as conn:
        styled = conn.execute("SELECT styleQML FROM layer_styles "
                              "WHERE f_table_name = 'plan_conflicts'").fetchone()[0]
    assert 'attr="relation"' in styled
    assert client.get("/export/places.gpkg?plan=999999", headers=bearer(secret)).status_code \
        == 404


def test_moderation(client, auth, world, places, db):
    auth.login(world.email("planner"))
    page = client.get("/planner/").get_data(as_text=True)
    assert "Det är djupt" in page  # pending
    assert "Vi gungar högt" not in page  # approved already
    token = auth.csrf_token()
    response = client.post(f"/planner/comments/{places.scary_point.id}",
                           data={"decision": "approve", "csrf_token": token})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Place, places.scary_point.id).comment_state == "approved"
    client.post(f"/planner/comments/{places.kiruna_point.id}",
                data={"decision": "hide", "csrf_token": token})
    db.expire_all()
    assert db.get(Place, places.kiruna_point.id).comment_state == "hidden"
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("comment_%")))
    assert sorted(actions) == ["comment_approved", "comment_hidden"]
    response = client.get("/export/places.geojson")
    feed = response.get_json()
    response.close()
    comments = {f["id"]: f["properties"]["comment"] for f in feed["features"]}
    assert comments[str(places.scary_point.id)] == "Det är djupt"
    assert comments[str(places.kiruna_point.id)] is None
    no_comment = client.post(f"/planner/comments/{places.area.id}",
                             data={"decision": "approve", "csrf_token": token})
    assert no_comment.status_code == 400
    assert client.post(f"/planner/comments/{places.area.id}",
                       data={"decision": "nuke", "csrf_token": token}).status_code == 400
    hidden = client.get("/planner/comments?state=hidden").get_data(as_text=True)
    assert "Vi gungar högt" in hidden and "Det är djupt" not in hidden


def test_moderation_needs_csrf(client, auth, world, places):
    auth.login(world.email("planner"))
    response = client.post(f"/planner/comments/{places.scary_point.id}",
                           data={"decision": "approve"})
    assert response.status_code == 400


@pytest.mark.parametrize("who", ["staff_a", "official"])
def test_planner_pages_are_for_planners(client, auth, world, places, who):
    auth.login(world.email(who))
    assert client.get("/planner/").status_code == 403
    assert client.post(f"/planner/comments/{places.scary_point.id}",
                       data={"decision": "approve", "csrf_token": auth.csrf_token()}
                       ).status_code == 403


def test_admin_sees_the_planner_page(client, auth, world, places):
    auth.login(world.email("admin"))
    response = client.get("/planner/")
    assert response.status_code == 200
    assert "/ogc" in response.get_data(as_text=True)


# -- refused forms keep the planner's work (issue 11.6) ---------------------------------

def field_marked(html: str, field_id: str) -> bool:
    """The control is marked invalid and described by its message."""
    tag = re.search(rf'<(?:input|textarea|select)[^>]*id="{field_id}"[^>]*>', html).group(0)
    return 'aria-invalid="true"' in tag and f'aria-describedby="{field_id}-error' in tag \
        and f'id="{field_id}-error"' in html


def post_plan(client, auth, **data):
    """The upload form posted as multipart, built in memory (werkzeug's test client spools
    a large body to a temporary file it does not close)."""
    data.setdefault("csrf_token", auth.csrf_token())
    fields = MultiDict({key: FileStorage(*value) if isinstance(value, tuple) else value
                        for key, value in data.items()})
    boundary, body = encode_multipart(fields)
    return client.post("/planner/plans", input_stream=io.BytesIO(body),
                       content_type=f'multipart/form-data; boundary="{boundary}"')


DRAWN = json.dumps({"type": "Polygon", "coordinates": [[[20.222, 67.854], [20.229, 67.854],
                                                        [20.229, 67.857], [20.222, 67.854]]]})


def test_a_bad_upload_is_shown_on_the_form_with_the_name_kept(client, auth, world, db):
    auth.login(world.email("planner"))
    response = post_plan(client, auth, name="Centrum etapp 2",
                         file=(io.BytesIO(b"not a geopackage"), "plan.gpkg"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_marked(html, "plan-file")
    assert "Filen gick inte att läsa som GeoPackage eller GeoJSON." in html  # Swedish page
    assert 'value="Centrum etapp 2"' in html and 'role="alert"' in html
    assert db.scalars(select(PlanArea)).all() == []


def test_a_missing_file_keeps_the_name(client, auth, world, db):
    auth.login(world.email("planner"))
    client.get("/lang/en")
    response = post_plan(client, auth, name="Skolgården")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_marked(html, "plan-file") and 'value="Skolgården"' in html
    assert "Choose a GeoPackage or GeoJSON file, or draw the area on the map." in html
    assert db.scalars(select(PlanArea)).all() == []


def test_a_missing_name_keeps_the_drawn_polygon(client, auth, world, db):
    auth.login(world.email("planner"))
    response = post_plan(client, auth, name="  ", geojson=DRAWN)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_marked(html, "plan-name")
    kept = re.search(r'<textarea id="plan-geojson"[^>]*>([^<]*)</textarea>', html).group(1)
    assert plans.geometry_from_geojson(unescape(kept)).geometry.equals(
        plans.geometry_from_geojson(DRAWN).geometry)


def test_a_bad_drawing_is_marked_and_kept(client, auth, world, db):
    auth.login(world.email("planner"))
    response = post_plan(client, auth, name="Ritad", geojson='{"type": "Point"}')
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_marked(html, "plan-geojson") and "{&#34;type&#34;: &#34;Point&#34;}" in html


def test_reversed_dates_on_the_download_form_come_back_on_the_form(client, auth, world,
                                                                   places):
    auth.login(world.email("planner"))
    url = ("/export/places.gpkg?campaign=Hösten 2026&category=play&from=2026-10-01"
           "&to=2026-09-01&crs=EPSG:3010&hex=500")
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert field_marked(html, "f-to")
    assert "Slutdatumet ligger före startdatumet." in html
    assert 'value="2026-10-01"' in html and 'value="2026-09-01"' in html
    assert "<option selected>Hösten 2026</option>" in html
    assert re.search(r'id="f-cat-play"[^>]* checked', html)
    assert '<option value="EPSG:3010" selected>' in html and 'value="500"' in html
    api = client.get(url)  # a client without text/html still gets JSON
    assert api.status_code == 400 and api.get_json()["detail"]["field"] == "to"


def test_a_bad_buffer_on_the_plan_page_is_shown_there(client, auth, world, places, db):
    area = save(db, world)
    auth.login(world.email("planner"))
    response = client.get(f"/planner/plans/{area.id}?buffer=-5&campaign=Hösten 2026")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert field_marked(html, "buffer") and 'value="-5"' in html
    assert "<option selected>Hösten 2026</option>" in html
    export = client.get(f"/export/places.gpkg?plan={area.id}&buffer=100&from=2026-10-01"
                        "&to=2026-09-01", headers={"Accept": "text/html"})
    assert export.status_code == 400
    assert field_marked(export.get_data(as_text=True), "f-to")
    assert "Detaljplan" in export.get_data(as_text=True)  # the plan's page, not the index


# -- a repaired plan area is shown before it is saved (issue 11.8) ----------------------

def review_form(html: str) -> dict:
    """The hidden fields of the "Save this plan area" form."""
    form = html[html.index('id="plan-review-map"'):]
    form = form[:form.index("</form>")]
    return {name: unescape(value) for name, value in
            re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form)}


def test_a_self_intersecting_drawing_is_shown_repaired_before_saving(client, auth, world, db):
    auth.login(world.email("planner"))
    response = post_plan(client, auth, name="Fjärilen", geojson=json.dumps(BOWTIE))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Konturen korsade sig själv; den delades i 2 delar." in html
    assert db.scalars(select(PlanArea)).all() == []  # nothing saved yet
    fields = review_form(html)
    repaired = plans.geometry_from_geojson(fields["geojson"])
    assert repaired.repairs == () and len(repaired.geometry.geoms) == 2
    saved = client.post("/planner/plans", data=fields)
    assert saved.status_code == 302
    area = db.scalars(select(PlanArea)).one()
    assert area.name == "Fjärilen" and area.source == "drawn on the map"
    # shown in the page's language, whichever language it was saved in
    assert "<td>ritad på kartan</td>" in client.get("/planner/").get_data(as_text=True)
    client.get("/lang/en")
    assert "<td>drawn on the map</td>" in client.get("/planner/").get_data(as_text=True)


def test_a_self_intersecting_file_keeps_its_name_as_the_source(client, auth, world, db,
                                                              tmp_path):
    bowtie = gpd.GeoDataFrame(geometry=[shape(BOWTIE)], crs=4326)
    auth.login(world.email("planner"))
    response = post_plan(client, auth, name="Fil",
                         file=(io.BytesIO(gpkg_bytes(bowtie, tmp_path)), "fjaril.gpkg"))
    assert response.status_code == 200 and db.scalars(select(PlanArea)).all() == []
    assert client.post("/planner/plans", data=review_form(response.get_data(as_text=True))
                       ).status_code == 302
    assert db.scalars(select(PlanArea.source)).one() == "fjaril.gpkg"


# -- vertex and size limits (issue 12.6) -------------------------------------------------

def circle_3006(vertices: int):
    """A polygon of ``vertices`` corners (and the closing one) around the Kiruna point."""
    centre = gpd.GeoSeries([Point(LON, LAT)], crs=4326).to_crs(3006)[0]
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    ring = np.column_stack([centre.x + 400 * np.cos(angles), centre.y + 400 * np.sin(angles)])
    return gpd.GeoDataFrame(geometry=[Polygon(ring)], crs=3006)


def test_a_million_corner_plan_file_is_refused_and_nothing_stored(client, auth, world, db,
                                                                  tmp_path):
    auth.login(world.email("planner"))
    data = gpkg_bytes(circle_3006(1_000_000), tmp_path)
    response = post_plan(client, auth, name="Stor", file=(io.BytesIO(data), "stor.gpkg"))
    assert 400 <= response.status_code < 500
    assert db.scalars(select(PlanArea)).all() == []


def test_a_file_too_detailed_to_read_is_refused(client, auth, world, db, tmp_path):
    data = gpkg_bytes(circle_3006(150_000), tmp_path)
    assert len(data) < plans.MAX_FILE_BYTES  # the corners, not the bytes, are too many
    auth.login(world.email("planner"))
    response = post_plan(client, auth, name="Detaljerad", file=(io.BytesIO(data), "d.gpkg"))
    assert response.status_code == 422
    assert field_marked(response.get_data(as_text=True), "plan-file")
    assert db.scalars(select(PlanArea)).all() == []


def test_a_million_corner_drawing_is_refused_and_nothing_stored(client, auth, world, db):
    ring = circle_3006(1_000_000).to_crs(4326).geometry[0]
    auth.login(world.email("planner"))
    response = client.post("/planner/plans", data={
        "name": "Ritad", "csrf_token": auth.csrf_token(), "geojson": json.dumps(mapping(ring))})
    assert 400 <= response.status_code < 500
    assert db.scalars(select(PlanArea)).all() == []


@pytest.mark.parametrize("how", ["file", "drawn"])
def test_a_detailed_outline_is_simplified_and_said_so(client, auth, world, db, tmp_path, how):
    frame = circle_3006(5000)
    auth.login(world.email("planner"))
    if how == "file":
        response = post_plan(client, auth, name="Fin",
                             file=(io.BytesIO(gpkg_bytes(frame, tmp_path)), "fin.gpkg"))
    else:
        response = post_plan(client, auth, name="Fin",
                             geojson=json.dumps(mapping(frame.to_crs(4326).geometry[0])))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r"Konturen hade 5001 hörn; den förenklades till \d+ hörn", html), html
    assert client.post("/planner/plans", data=review_form(html)).status_code == 302
    stored = db.scalar(select(func.ST_NPoints(PlanArea.geom)))
    assert stored <= plans.MAX_VERTICES


@pytest.mark.parametrize("drawn", [
    '{"type": "Polygon", "coordinates": [[[NaN, 67.8], [20.3, 67.9], [20.3, 67.8], '
    '[NaN, 67.8]]]}',
    '{"type": "Polygon", "coordinates": ' + "[" * 3000 + "]" * 3000 + "}",
    '{"type": "FeatureCollection", "features": 5}',
], ids=["nan", "3000-deep", "features-not-a-list"])
def test_broken_drawings_are_a_422(client, auth, world, db, drawn):
    auth.login(world.email("planner"))
    response = post_plan(client, auth, name="Trasig", geojson=drawn)
    assert response.status_code == 422
    assert db.scalars(select(PlanArea)).all() == []


# -- moderation stays in the list (issue 11.7) -------------------------------------------

def test_moderation_answers_json_to_the_pages_script(client, auth, world, places, db):
    auth.login(world.email("planner"))
    response = client.post(f"/planner/comments/{places.scary_point.id}",
                           data={"decision": "approve"},
                           headers={"Accept": "application/json",
                                    "X-CSRFToken": auth.csrf_token()})
    assert response.status_code == 200
    assert response.get_json() == {"state": "approved", "message": "Kommentaren är godkänd.",
                                   "pending": 0}
    db.expire_all()
    assert db.get(Place, places.scary_point.id).comment_state == "approved"


def test_without_a_script_moderation_comes_back_to_the_list(client, auth, world, places, db):
    auth.login(world.email("planner"))
    html = client.get("/planner/comments?state=approved").get_data(as_text=True)
    row = f'id="comment-{places.kiruna_point.id}"'
    assert row in html and 'name="anchor" value="moderation"' in html  # the only row
    response = client.post(f"/planner/comments/{places.kiruna_point.id}", data={
        "decision": "hide", "csrf_token": auth.csrf_token(),
        "next": "/planner/comments?state=approved", "anchor": "moderation"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/planner/comments?state=approved#moderation")
    evil = client.post(f"/planner/comments/{places.kiruna_point.id}", data={
        "decision": "approve", "csrf_token": auth.csrf_token(), "next": "https://evil.example",
        "anchor": "x\"><script>"})
    assert evil.headers["Location"].endswith("/planner/#moderation")


def test_the_moderation_list_links_each_row_to_the_next(client, auth, world, places, db):
    places.kiruna_point.comment_state = "pending"
    db.commit()
    auth.login(world.email("planner"))
    html = client.get("/planner/").get_data(as_text=True)
    first, second = sorted([places.kiruna_point, places.scary_point],
                           key=lambda p: (p.created_at, p.id))
    assert f'name="anchor" value="comment-{second.id}"' in html
    assert html.index(f'id="comment-{first.id}"') < html.index(f'id="comment-{second.id}"')


# -- labels in the page's language (issue 11.19) -------------------------------------------

def test_category_names_follow_the_pages_language(client, auth, world, places, db):
    area = save(db, world)
    auth.login(world.email("planner"))
    swedish = client.get(f"/planner/plans/{area.id}?buffer=500").get_data(as_text=True)
    assert "<th scope=\"row\">Lek</th>" in swedish
    client.get("/lang/en")
    english = client.get(f"/planner/plans/{area.id}?buffer=500").get_data(as_text=True)
    assert "<th scope=\"row\">Play</th>" in english and ">Lek<" not in english
    assert '"label": "Play"' in unescape(english)  # the map's tooltips too
    index = client.get("/planner/").get_data(as_text=True)
    assert ">Water</td>" in index  # the moderation list's category
    assert ">Vatten<" not in index
