"""Vector tiles of places: access by role, filters, clustering, bounds, cache headers."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime

import pytest
from shapely.geometry import Point
from sqlalchemy import text

from smultron.core.geo import to_db
from smultron.models import Place
from smultron.places import tiles
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


# -- a minimal MVT reader, to check the numbers inside tiles ------------------------------

def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def _fields(data: bytes):
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        else:
            value, pos = data[pos:pos + 4], pos + 4
        yield number, value


def _value(data: bytes):
    for number, value in _fields(data):
        return value.decode() if number == 1 else value


def read_tile(data: bytes) -> dict[str, list[dict]]:
    """{layer name: [feature properties]}."""
    layers = {}
    for number, layer in _fields(data):
        if number != 3:
            continue
        parts = list(_fields(layer))
        keys = [v.decode() for n, v in parts if n == 3]
        values = [_value(v) for n, v in parts if n == 4]
        name = next(v.decode() for n, v in parts if n == 1)
        features = []
        for feature in (v for n, v in parts if n == 2):
            tags = next((v for n, v in _fields(feature) if n == 2), b"")
            ints, pos = [], 0
            while pos < len(tags):
                value, pos = _varint(tags, pos)
                ints.append(value)
            features.append({keys[k]: values[v] for k, v in zip(ints[::2], ints[1::2],
                                                                 strict=True)})
        layers[name] = features
    return layers


def test_low_zoom_counts_follow_access_and_new_places(client, auth, world, marked, db,
                                                       monkeypatch):
    auth.login(world.email("staff_a"))
    clusters = read_tile(client.get(tile_url(5)).get_data())["clusters"]
    assert sum(c["count"] for c in clusters) == 2  # A's two places, not B's
    auth.logout()
    auth.login(world.email("planner"))
    assert sum(c["count"] for c in read_tile(client.get(tile_url(5)).get_data())["clusters"]) == 3
    factories.place(db, factories.mapping_session(db, world.campaign, world.school_b))
    db.commit()
    monkeypatch.setattr(tiles, "COUNTS_FRESH_SECONDS", 0)
    clusters = read_tile(client.get(tile_url(5)).get_data())["clusters"]
    assert sum(c["count"] for c in clusters) == 4
    assert sum(c["count"] for c in read_tile(client.get(tile_url(12)).get_data())["clusters"]) == 4


def test_detail_features_carry_their_properties(client, auth, world, marked):
    auth.login(world.email("planner"))
    places = read_tile(client.get(tile_url(15)).get_data())["places"]
    assert {p["id"] for p in places} == {marked["a"], marked["a2"], marked["b"]}
    assert {p["category"] for p in places} == {"play"} and all(p["colour"] for p in places)


# -- the store shared by app processes (Redis) ---------------------------------------------

def test_cluster_tiles_and_counts_are_shared_through_redis(app, client, auth, world, marked,
                                                           monkeypatch):
    from tests.test_resilience import REDIS_URL, _redis_reachable

    if not _redis_reachable(REDIS_URL):
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    app.config["REDIS_URL"] = REDIS_URL
    auth.login(world.email("planner"))
    first = client.get(tile_url(5)).get_data()
    assert sum(c["count"] for c in read_tile(first)["clusters"]) == 3
    monkeypatch.setattr(tiles, "_tiles", tiles.OrderedDict())  # as in another process
    monkeypatch.setattr(tiles, "_counts", {})

    def computed(*_args, **_kwargs):
        raise AssertionError("computed again instead of read from Redis")

    monkeypatch.setattr(tiles, "_preschool_tile", computed)
    assert client.get(tile_url(5)).get_data() == first


def test_a_redis_that_is_down_is_ignored(app, client, auth, world, marked):
    app.config["REDIS_URL"] = "redis://127.0.0.1:9/0"  # nothing listens there
    auth.login(world.email("planner"))
    response = client.get(tile_url(12))
    assert response.status_code == 200
    assert sum(c["count"] for c in read_tile(response.get_data())["clusters"]) == 3


# -- the cell counts the database keeps (place_cell) ----------------------------------------

CELLS = text("SELECT level, cx, cy, preschool_id, campaign_id, count, children, scary, "
             "round(sum_lon::numeric, 8), round(sum_lat::numeric, 8) FROM place_cell "
             "ORDER BY 1, 2, 3, 4, 5")


def kept_and_rebuilt(db) -> tuple[list, list]:
    """place_cell as the triggers left it, and as place_cell_rebuild() computes it."""
    kept = db.execute(CELLS).all()
    nested = db.begin_nested()
    db.execute(text("SELECT place_cell_rebuild()"))
    rebuilt = db.execute(CELLS).all()
    nested.rollback()
    return kept, rebuilt


def test_cell_counts_follow_every_change_to_the_places(db, world, marked):
    kept, rebuilt = kept_and_rebuilt(db)
    assert kept == rebuilt and len(kept) == 3 * len(tiles.KEPT_CELL_LEVELS)
    assert {row.level for row in kept} == set(tiles.KEPT_CELL_LEVELS)
    a, b = db.get(Place, uuid.UUID(marked["a"])), db.get(Place, uuid.UUID(marked["b"]))
    changes = [
        lambda: setattr(a, "geom", to_db(Point(LON + 0.05, LAT - 0.02))),  # moved
        lambda: setattr(a, "children_count", 7),
        lambda: setattr(b, "feeling", "scary"),
        lambda: setattr(a, "comment", "no count changes"),
        lambda: setattr(b, "deleted_at", datetime.now(UTC)),  # soft delete
        lambda: setattr(b, "deleted_at", None),  # restored
        lambda: db.execute(text("UPDATE place SET children_count = children_count + 1")),
        lambda: db.delete(a),
        lambda: db.execute(text("DELETE FROM place")),
    ]
    for change in changes:
        change()
        db.commit()
        kept, rebuilt = kept_and_rebuilt(db)
        assert kept == rebuilt
    assert kept == []  # the last place gone, no empty cell left behind


def test_cluster_tiles_of_the_kept_levels_count_what_the_viewer_sees(client, auth, world,
                                                                      marked, db):
    factories.place(db, factories.mapping_session(db, world.campaign, world.school_a),
                    Point(LON + 0.0005, LAT), children=4, feeling="scary")
    db.commit()
    auth.login(world.email("planner"))
    for z in (10, 11, 12, 13):
        clusters = read_tile(client.get(tile_url(z)).get_data())["clusters"]
        assert sum(c["count"] for c in clusters) == 4, z
        assert sum(c["scary"] for c in clusters) == 1
        assert sum(c["children"] for c in clusters) == 3 * 3 + 4
        later = read_tile(client.get(tile_url(z, query=f"?campaign={marked['later']}"))
                          .get_data())["clusters"]
        assert sum(c["count"] for c in later) == 1
    auth.logout()
    auth.login(world.email("staff_a"))
    clusters = read_tile(client.get(tile_url(12)).get_data())["clusters"]
    assert sum(c["count"] for c in clusters) == 3  # A's three places, not B's


# -- preschools and neighbourhoods to orient by (GET /tiles/preschools.json) -------------

AROUND_KIRUNA = "20.1,67.8,20.4,67.9"


def orientation_json(client, bbox=AROUND_KIRUNA):
    return client.get(f"/tiles/preschools.json?bbox={bbox}",
                      headers={"Accept": "application/json"})


def names(data, kind="preschool"):
    return sorted(f["properties"]["name"] for f in data["features"]
                  if f["properties"]["kind"] == kind)


def test_preschools_and_neighbourhoods_to_orient_by(client, auth, world, db):
    auth.login(world.email("planner"))
    response = orientation_json(client)
    assert response.status_code == 200 and response.headers["Cache-Control"].startswith(
        "private")
    data = response.get_json()
    assert names(data) == names(data, "neighbourhood") == ["Förskolan A", "Förskolan B"]
    kinds = {f["properties"]["kind"]: f["geometry"]["type"] for f in data["features"]}
    assert kinds == {"preschool": "Point", "neighbourhood": "Polygon"}
    assert data["truncated"] is False and data["labels"]["legend"].startswith("Grå prickar")
    assert names(orientation_json(client, "10,55,11,56").get_json()) == []
    world.school_b.archived_at = datetime.now(UTC)
    db.commit()
    assert names(orientation_json(client).get_json()) == ["Förskolan A"]


@pytest.mark.parametrize("who, seen", [("staff_a", ["Förskolan A"]),
                                       ("official", ["Förskolan A", "Förskolan B"])])
def test_orientation_follows_access(client, auth, world, who, seen):
    auth.login(world.email(who))
    assert names(orientation_json(client).get_json()) == seen


def test_orientation_is_bounded(client, auth, world, monkeypatch):
    from smultron.preschools import orientation

    monkeypatch.setattr(orientation, "MAX_PRESCHOOLS", 1)
    auth.login(world.email("planner"))
    data = orientation_json(client).get_json()
    assert names(data) == ["Förskolan A"]  # the nearest to the view's centre
    assert data["truncated"] is True


@pytest.mark.parametrize("bbox", ["", "1,2,3", "a,b,c,d", "20,67,19,68", "nan,1,2,3",
                                  "1e308,1,2,3", "²,1,2,3"])
def test_orientation_bad_bbox_is_a_400(client, auth, world, bbox):
    auth.login(world.email("planner"))
    response = orientation_json(client, bbox)
    assert response.status_code == 400 and "bbox" in response.get_json()["error"]


def test_orientation_needs_a_login(client, world):
    assert orientation_json(client).status_code in (302, 401)
