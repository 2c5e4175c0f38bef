"""Plan areas, the plan-impact check, the plan_conflicts layer and comment moderation."""

from __future__ import annotations

import io
import json

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point, mapping
from sqlalchemy import select

from smultron import plans
from smultron.access import Viewer
from smultron.errors import AppError
from smultron.export.query import Filters
from smultron.models import AuditEvent, Place, PlanArea
from tests import export_data, factories
from tests.test_export_web import bearer

PLANNER = Viewer(user_id=0, role="planner", preschool_ids=frozenset())
LON, LAT = factories.KIRUNA


@pytest.fixture
def places(db, world):
    return export_data.build(db, world)


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
    geometry = plans.read_plan_file(gpkg_bytes(kiruna_plan_3006(), tmp_path), "plan.gpkg")
    assert geometry.geom_type == "MultiPolygon" and geometry.contains(Point(LON, LAT))
    geojson = kiruna_plan_3006().to_json(to_wgs84=False)
    from_json = plans.read_plan_file(geojson.encode(), "plan.geojson")
    assert from_json.contains(Point(LON, LAT))


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
    with pytest.raises(AppError, match=message):
        plans.read_plan_file(content, name)


def test_self_intersecting_drawing_is_repaired():
    bowtie = {"type": "Polygon", "coordinates": [[[20.2, 67.8], [20.3, 67.9], [20.3, 67.8],
                                                  [20.2, 67.9], [20.2, 67.8]]]}
    geometry = plans.geometry_from_geojson(json.dumps(bowtie))
    assert geometry.is_valid and len(geometry.geoms) == 2
    with pytest.raises(AppError):
        plans.geometry_from_geojson("{broken")


def save(db, world, size=150.0):
    geometry = plans.polygons_only(list(kiruna_plan_3006(size).to_crs(4326).geometry))
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
    assert bad.status_code == 400
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
