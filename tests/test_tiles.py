"""Vector tiles of places: access by role, filters, clustering, bounds, cache headers."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime

import pytest
from shapely.geometry import Point

from smultron import tiles
from smultron.models import Place
from tests import factories


def tile_xy(z: int, lon: float, lat: float) -> tuple[float, float]:
    n = 2**z
    x = (lon + 180) / 360 * n
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat)))
         / math.pi) / 2 * n
    return x, y


def tile_centre(z: int, lon: float, lat: float) -> tuple[float, float]:
    x, y = (math.floor(v) + 0.5 for v in tile_xy(z, lon, lat))
    n = 2**z
    return x / n * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))


# The middle of the zoom-15 tile around Kiruna: the test places are all inside it.
LON, LAT = tile_centre(15, *factories.KIRUNA)


def tile_url(z: int, lon: float = LON, lat: float = LAT, query: str = "") -> str:
    x, y = (math.floor(v) for v in tile_xy(z, lon, lat))
    return f"/tiles/places/{z}/{x}/{y}.mvt{query}"


@pytest.fixture
def marked(db, world):
    """Two places at preschool A (one per campaign), one at preschool B."""
    later = factories.campaign(db, world.municipality, name="Våren 2027")
    a = factories.place(db, factories.mapping_session(db, world.campaign, world.school_a),
                        Point(LON, LAT))
    a2 = factories.place(db, factories.mapping_session(db, later, world.school_a),
                         Point(LON + 0.001, LAT))
    b = factories.place(db, factories.mapping_session(db, world.campaign, world.school_b),
                        Point(LON - 0.002, LAT + 0.001))
    db.commit()
    return {"a": str(a.id), "a2": str(a2.id), "b": str(b.id), "later": later.id}


def test_planner_gets_every_place_as_a_feature_with_cache_headers(client, auth, world, marked):
    auth.login(world.email("planner"))
    response = client.get(tile_url(15))
    assert response.status_code == 200
    assert response.mimetype == tiles.CONTENT_TYPE
    body = response.get_data()
    assert b"places" in body and all(marked[k].encode() in body for k in ("a", "a2", "b"))
    assert response.headers["Cache-Control"] in ("private, max-age=60", "max-age=60, private")
    assert "Cookie" in response.headers["Vary"]
    again = client.get(tile_url(15), headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_staff_see_only_their_preschools_places(client, auth, world, marked):
    auth.login(world.email("staff_a"))
    body = client.get(tile_url(15)).get_data()
    assert marked["a"].encode() in body and marked["a2"].encode() in body
    assert marked["b"].encode() not in body


def test_officials_get_no_tiles(client, auth, world, marked):
    auth.login(world.email("official"))
    assert client.get(tile_url(15)).status_code == 403


def test_anonymous_visitors_must_log_in(client, marked):
    assert client.get(tile_url(15)).status_code in (302, 401)


def test_campaign_filter(client, auth, world, marked):
    auth.login(world.email("planner"))
    body = client.get(tile_url(15, query=f"?campaign={marked['later']}")).get_data()
    assert marked["a2"].encode() in body and marked["a"].encode() not in body
    assert client.get(tile_url(15, query="?campaign=x")).status_code == 400


def test_low_zoom_is_clustered_not_a_list_of_places(client, auth, world, marked):
    auth.login(world.email("planner"))
    body = client.get(tile_url(5)).get_data()
    assert b"clusters" in body and b"count" in body
    assert marked["a"].encode() not in body


def test_a_crowded_detail_tile_is_clustered(client, auth, world, marked, monkeypatch):
    monkeypatch.setattr(tiles, "MAX_DETAIL_FEATURES", 2)
    auth.login(world.email("planner"))
    body = client.get(tile_url(15)).get_data()
    assert b"clusters" in body and marked["a"].encode() not in body


def test_deleted_places_and_empty_tiles(client, auth, world, marked, db):
    db.get(Place, uuid.UUID(marked["b"])).deleted_at = datetime.now(UTC)
    db.commit()
    auth.login(world.email("planner"))
    assert marked["b"].encode() not in client.get(tile_url(15)).get_data()
    empty = client.get(tile_url(15, lon=12.0, lat=56.0))
    assert empty.status_code == 200 and empty.get_data() == b""


@pytest.mark.parametrize("path", ["/tiles/places/3/8/0.mvt", "/tiles/places/23/0/0.mvt"])
def test_tiles_outside_the_pyramid_are_404(client, auth, world, path):
    auth.login(world.email("planner"))
    assert client.get(path).status_code == 404
