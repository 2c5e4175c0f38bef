"""Background maps through the app's own origin (/basemap/<name>/<z>/<x>/<y>): a real
tile server on loopback upstream (the key goes there and nowhere else), the disk cache,
the tile files (MBTiles, PMTiles) made here, the configuration's checks, and the tiles a
tablet keeps for an outing."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import time

import pytest
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer
from shapely.geometry import Point

from smultron import create_app
from smultron.basemaps import configured, tile_of
from smultron.basemaps.cache import TileCache
from smultron.basemaps.offline import MAX_OFFLINE_TILES, plan
from smultron.basemaps.sources import Tile
from smultron.core.config import DEFAULT_TILE_URL, ConfigError, from_environment
from tests import tile_server
from tests.conftest import AuthActions, HttpsClient, app_config

KEY = "k3y-that-must-stay-on-the-server-5f1c"
PASSWORD = "lm-account-password-9a7e"
Z, (X, Y) = 15, tile_of(20.2253, 67.8558, 15)  # Förskolan A's tile


@pytest.fixture
def upstream():
    server = tile_server.TileServer()
    yield server
    server.close()


def make_app(database_url, tmp_path, **config):
    app = create_app(app_config(database_url, BASEMAP_CACHE_DIR=str(tmp_path / "cache"),
                                **config))
    app.test_client_class = HttpsClient
    return app


@pytest.fixture
def keyed(database_url, tmp_path, upstream):
    """The app with a map whose key is in the address and an aerial photo behind an
    account (HTTP Basic), both on the loopback server."""
    upstream.key = KEY
    app = make_app(database_url, tmp_path, BASEMAPS=json.dumps([
        {"name": "topo", "label": {"sv": "Topografisk karta", "en": "Topographic map"},
         "url": upstream.origin + "/topo/{z}/{x}/{y}.png?key={key}", "key": KEY,
         "attribution": "© Lantmäteriet", "max_zoom": 17},
        {"name": "photo", "kind": "aerial",
         "url": upstream.origin + "/photo/{TileMatrix}/{TileRow}/{TileCol}.png",
         "key": KEY, "key_header": "X-Api-Key", "username": "kommunen",
         "password": PASSWORD, "max_zoom": 18}]))
    yield app
    app.extensions["smultron.engine"].dispose()


def logged_in(app, db_world_email="staff.a@example.org"):
    from tests import factories

    with app.app_context():
        db = app.extensions["smultron.core.db"]()
        world = factories.World.build(db)
        db.close()
    client = app.test_client()
    AuthActions(client).login(db_world_email)
    return client, world


def test_the_key_goes_upstream_and_never_to_the_browser(keyed, upstream):
    client, world = logged_in(keyed)
    response = client.get(f"/basemap/topo/{Z}/{X}/{Y}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == upstream.body
    assert "private" in response.headers["Cache-Control"] and response.headers["ETag"]
    photo = client.get(f"/basemap/photo/{Z}/{X}/{Y}")
    assert photo.status_code == 200 and photo.data == upstream.body
    sent = upstream.tile_requests()
    assert sent[0]["path"] == f"/topo/{Z}/{X}/{Y}.png?key={KEY}"
    assert sent[1]["path"] == f"/photo/{Z}/{Y}/{X}.png"  # WMTS: TileMatrix/TileRow/TileCol
    assert sent[1]["headers"]["X-Api-Key"] == KEY
    assert sent[1]["headers"]["Authorization"].startswith("Basic ")
    assert sent[0]["headers"]["User-Agent"].startswith("Smultron/")
    seen = [response, photo]
    for path in ("/home", "/map", f"/map/preschools/{world.school_a.id}",
                 f"/map/preschools/{world.school_a.id}/offline-tiles?basemap=topo",
                 "/basemap/topo/99/0/0", "/basemap/nope/1/0/0", "/reports"):
        seen.append(client.get(path, follow_redirects=True))
    upstream.status = 503
    seen.append(client.get(f"/basemap/topo/{Z}/{X + 1}/{Y}"))
    for answer in seen:
        text = answer.get_data() + str(answer.headers).encode()
        assert KEY.encode() not in text and PASSWORD.encode() not in text
        assert upstream.origin.encode() not in text  # nor the address upstream


def test_an_upstream_error_is_a_502_tile_not_a_500(keyed, upstream):
    client, _world = logged_in(keyed)
    upstream.status = 503
    response = client.get(f"/basemap/topo/{Z}/{X}/{Y}")
    assert response.status_code == 502
    assert response.mimetype == "image/png" and response.data.startswith(b"\x89PNG")
    assert response.headers["Cache-Control"] == "no-store"
    upstream.status, upstream.content_type, upstream.body = 200, "application/xml", (
        b"<ExceptionReport>TileOutOfRange</ExceptionReport>")
    assert client.get(f"/basemap/topo/{Z}/{X}/{Y}").status_code == 502  # not a tile
    upstream.key = "another"  # a wrong key: 401 upstream
    upstream.reset()
    upstream.key = "another"
    assert client.get(f"/basemap/topo/{Z}/{X}/{Y}").status_code == 502


def test_an_unreachable_tile_server_is_a_502(database_url, tmp_path):
    closed = tile_server.TileServer()
    template = closed.template
    closed.close()
    app = make_app(database_url, tmp_path, TILE_URL=template)
    client, _world = logged_in(app)
    assert client.get(f"/basemap/map/{Z}/{X}/{Y}").status_code == 502
    app.extensions["smultron.engine"].dispose()


def test_the_cache_serves_a_repeat_without_the_upstream(keyed, upstream):
    client, _world = logged_in(keyed)
    first = client.get(f"/basemap/topo/{Z}/{X}/{Y}")
    asked = len(upstream.tile_requests())
    upstream.status = 503
    again = client.get(f"/basemap/topo/{Z}/{X}/{Y}")
    assert again.status_code == 200 and again.data == first.data
    assert len(upstream.tile_requests()) == asked
    conditional = client.get(f"/basemap/topo/{Z}/{X}/{Y}",
                             headers={"If-None-Match": first.headers["ETag"]})
    assert conditional.status_code == 304


def test_a_stale_tile_is_served_when_the_upstream_fails(keyed, upstream, tmp_path):
    client, _world = logged_in(keyed)
    client.get(f"/basemap/topo/{Z}/{X}/{Y}")
    old = time.time() - 400 * 3600  # past the week a tile stays fresh
    for folder, _dirs, names in os.walk(tmp_path / "cache"):
        for name in names:
            os.utime(os.path.join(folder, name), (old, old))
    upstream.status = 503
    stale = client.get(f"/basemap/topo/{Z}/{X}/{Y}")
    assert stale.status_code == 200 and stale.data == upstream.body
    assert stale.headers["Cache-Control"] == "private, max-age=300"
    assert len(upstream.tile_requests()) == 2  # it did ask again


def test_outside_the_zoom_levels_or_an_unknown_map_is_404(keyed, upstream):
    client, _world = logged_in(keyed)
    for path in ("/basemap/topo/18/0/0", "/basemap/photo/19/0/0", "/basemap/nope/5/1/1",
                 "/basemap/topo/3/8/0", "/basemap/topo/3/0/8", "/basemap/topo/23/0/0"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "bakgrundskart" in response.get_data(as_text=True)  # in Swedish
    assert client.get("/basemap/topo/-1/0/0").status_code == 404
    assert upstream.tile_requests() == []


def test_tiles_need_a_login(keyed, upstream):
    response = keyed.test_client().get(f"/basemap/topo/{Z}/{X}/{Y}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert upstream.tile_requests() == []


# -- tile files ----------------------------------------------------------------------------

def make_mbtiles(path, fmt="jpg", tiles=None, name="Kiruna ortofoto",
                 attribution='<a href="https://kiruna.se">© Kiruna kommun</a>'):
    tiles = tiles or {(Z, X, Y): tile_server.png((10, 90, 30))}
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name text, value text)")
        db.execute("CREATE TABLE tiles (zoom_level integer, tile_column integer, "
                   "tile_row integer, tile_data blob)")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", [
            ("name", name), ("format", fmt), ("minzoom", "10"), ("maxzoom", "16"),
            ("attribution", attribution)])
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", [
            (z, x, 2 ** z - 1 - y, data) for (z, x, y), data in tiles.items()])
    return str(path)


def jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (256, 256), (30, 80, 40)).save(out, format="JPEG")
    return out.getvalue()


def test_an_mbtiles_file_is_served_with_its_content_type(database_url, tmp_path):
    photo = jpeg()
    path = make_mbtiles(tmp_path / "kiruna.mbtiles", tiles={(Z, X, Y): photo})
    app = make_app(database_url, tmp_path, BASEMAP_FILE=path, TILE_URL=DEFAULT_TILE_URL)
    client, _world = logged_in(app)
    response = client.get(f"/basemap/file/{Z}/{X}/{Y}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.data == photo  # the TMS row turned the right way
    assert client.get(f"/basemap/file/{Z}/{X + 1}/{Y}").status_code == 204  # none there
    assert client.get(f"/basemap/file/17/{X}/{Y}").status_code == 404  # past maxzoom 16
    assert client.get("/basemap/map/5/1/1").status_code == 404  # no OpenStreetMap then
    with app.test_request_context():
        from smultron.web.basemaps import choices

        maps = choices()["choices"]
    assert [(m["name"], m["label"], m["attribution"], m["min_zoom"], m["max_zoom"])
            for m in maps] == [("file", "Kiruna ortofoto", "© Kiruna kommun", 10, 16)]
    assert maps[0]["url"] == "/basemap/file/{z}/{x}/{y}"
    app.extensions["smultron.engine"].dispose()


def test_a_vector_mbtiles_file_keeps_its_gzip(database_url, tmp_path):
    vector = gzip.compress(b"\x1a\x00fake-mvt")
    path = make_mbtiles(tmp_path / "vector.mbtiles", fmt="pbf", tiles={(Z, X, Y): vector})
    app = make_app(database_url, tmp_path, BASEMAP_FILE=path)
    client, _world = logged_in(app)
    response = client.get(f"/basemap/file/{Z}/{X}/{Y}", headers={"Accept-Encoding": "gzip"})
    assert response.mimetype == "application/vnd.mapbox-vector-tile"
    assert response.headers["Content-Encoding"] == "gzip" and response.data == vector
    plain = client.get(f"/basemap/file/{Z}/{X}/{Y}", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.data == b"\x1a\x00fake-mvt"
    with app.test_request_context():
        from smultron.web.basemaps import choices

        # served for QGIS and the like; the app's maps draw raster tiles only
        assert [m["name"] for m in choices()["choices"]] == ["map"]
    app.extensions["smultron.engine"].dispose()


def make_pmtiles(path, data: bytes):
    with open(path, "wb") as handle:
        writer = Writer(handle)
        writer.write_tile(zxy_to_tileid(Z, X, Y), data)
        writer.finalize({"tile_type": TileType.PNG, "tile_compression": Compression.NONE,
                         "min_zoom": Z, "max_zoom": Z, "min_lon_e7": 200000000,
                         "min_lat_e7": 670000000, "max_lon_e7": 210000000,
                         "max_lat_e7": 680000000, "center_zoom": Z, "center_lon_e7": 0,
                         "center_lat_e7": 0},
                        {"name": "Kiruna karta", "attribution": "© Kiruna kommun"})
    return str(path)


def test_a_pmtiles_file_is_served(database_url, tmp_path):
    tile = tile_server.png((200, 10, 10))
    app = make_app(database_url, tmp_path,
                   BASEMAP_FILE=make_pmtiles(tmp_path / "kiruna.pmtiles", tile))
    client, _world = logged_in(app)
    response = client.get(f"/basemap/file/{Z}/{X}/{Y}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == tile
    assert client.get(f"/basemap/file/{Z}/{X}/{Y + 1}").status_code == 204
    assert client.get(f"/basemap/file/{Z + 1}/{X}/{Y}").status_code == 404
    app.extensions["smultron.engine"].dispose()


# -- configuration -------------------------------------------------------------------------

def test_no_configuration_is_openstreetmap_through_the_proxy():
    maps = configured(from_environment({}))
    assert [(m.name, m.url, m.offline) for m in maps] == [("map", DEFAULT_TILE_URL, False)]
    assert configured(from_environment({"SMULTRON_TILE_URL": ""})) == []
    own = configured(from_environment({"SMULTRON_TILE_URL": "https://karta.kommun.se/{z}/{x}/{y}.png"}))
    assert own[0].offline is True


@pytest.mark.parametrize("value, words", [
    ("[{", "JSON list"),
    ('{"name": "a"}', "JSON list"),
    ('[{"name": "Topo!", "url": "https://t/{z}/{x}/{y}"}]', "name must be"),
    ('[{"name": "a", "url": "https://t/{z}/{x}/{y}", "colour": 1}]', "unknown fields colour"),
    ('[{"name": "a", "url": "https://t/{z}/{x}/{y}?k={key}"}]', "no key"),
    ('[{"name": "a", "url": "https://t/{z}/{x}/{y}", "key": "x"}]', "the key is not sent"),
    ('[{"name": "a", "url": "https://t/{z}/{x}/{y}", "file": "/x.mbtiles"}]', "either url"),
    ('[{"name": "a", "url": "https://t/{z}/{x}/{q}"}]', "unknown placeholders q"),
    ('[{"name": "a", "url": "https://t/tiles.png"}]', "must hold the tile"),
    ('[{"name": "a", "url": "ftp://t/{z}/{x}/{y}"}]', "http(s) address"),
    ('[{"name": "a", "url": "https://t/{z}/{x}/{y}", "max_zoom": 40}]', "max_zoom"),
    ('[{"name": "a", "url": "https://t/{z}/{x}/{y}", "kind": "satellite"}]', "kind"),
    ('[{"name": "a", "url": "https://t/{z}/{x}/{y}", "username": "u"}]', "go together"),
    ('[{"name": "a", "url": "https://t/{z}/{x}/{y}"}, {"name": "a", "url": "https://u/{z}/{x}/{y}"}]',
     "used twice"),
])
def test_a_wrong_basemap_setting_stops_the_app_with_a_message(value, words):
    with pytest.raises(ConfigError) as caught:
        create_app({"ENV": "testing", "SECRET_KEY": "x", "BASEMAPS": value})
    assert "SMULTRON_BASEMAPS" in str(caught.value) and words in str(caught.value)
    assert "https://t" not in str(caught.value) or "url must" in str(caught.value)


def test_a_missing_or_wrong_basemap_file_stops_the_app(tmp_path):
    for path in (tmp_path / "missing.mbtiles", tmp_path / "text.mbtiles"):
        if path.name == "text.mbtiles":
            path.write_text("not tiles")
        with pytest.raises(ConfigError, match="SMULTRON_BASEMAP_FILE"):
            create_app({"ENV": "testing", "SECRET_KEY": "x", "BASEMAP_FILE": str(path)})


def test_the_basemaps_can_be_read_from_a_file(tmp_path):
    settings = tmp_path / "basemaps.json"
    settings.write_text(json.dumps([{"name": "topo", "url": "https://t/{z}/{x}/{y}.png"}]))
    maps = configured({"BASEMAPS": f"@{settings}"})
    assert [m.name for m in maps] == ["topo"]
    assert KEY not in repr(configured({"BASEMAPS": json.dumps([
        {"name": "t", "url": "https://t/{z}/{x}/{y}?k={key}", "key": KEY}])}))


def test_a_wms_address_gets_the_tiles_extent():
    (photo,) = configured({"BASEMAPS": json.dumps([{"name": "wms", "kind": "aerial", "url": (
        "https://wms.kommun.se/ows?SERVICE=WMS&REQUEST=GetMap&LAYERS=orto&SRS=EPSG:3857"
        "&WIDTH=256&HEIGHT=256&FORMAT=image/jpeg&BBOX={bbox}")}])})
    assert photo.upstream_url(1, 0, 0).endswith(
        "BBOX=-20037508.343,0.000,0.000,20037508.343")


# -- the disk cache's bound -----------------------------------------------------------------

def test_the_cache_stays_within_its_bound_dropping_the_least_recently_used(tmp_path):
    (basemap,) = configured({"BASEMAPS": [{"name": "t", "url": "https://t/{z}/{x}/{y}"}]})
    cache = TileCache(tmp_path, max_bytes=10 * 1000)
    tile = Tile(b"x" * 900, "image/png")
    for x in range(30):
        cache.put(basemap, 10, x, 0, tile)
        if x == 0:
            path = next(tmp_path.rglob("0.tile"))
            os.utime(path, (time.time() + 10, os.stat(path).st_mtime))  # used lately
    assert cache.sweep() <= 10 * 1000
    assert cache.get(basemap, 10, 0, 0) is not None  # used lately: kept
    assert cache.get(basemap, 10, 1, 0) is None  # the oldest unused one went
    assert cache.get(basemap, 10, 29, 0).tile == tile


# -- keeping the neighbourhood's tiles for an outing ------------------------------------------

def test_the_offline_tiles_of_a_neighbourhood(keyed, upstream):
    client, world = logged_in(keyed)
    answer = client.get(f"/map/preschools/{world.school_a.id}/offline-tiles?basemap=topo",
                        headers={"Accept": "application/json"})
    assert answer.status_code == 200
    body = answer.json
    assert body["zooms"] == [13, 14, 15, 16, 17] and body["note"] is None
    assert body["label"] == "Topografisk karta"
    assert f"/basemap/topo/{Z}/{X}/{Y}" in body["tiles"]
    assert 50 < len(body["tiles"]) <= MAX_OFFLINE_TILES
    assert all(url.startswith("/basemap/topo/") for url in body["tiles"])
    assert upstream.tile_requests() == []  # the browser fetches them, through /basemap/
    other = client.get(f"/map/preschools/{world.school_b.id}/offline-tiles?basemap=topo",
                       headers={"Accept": "application/json"})
    assert other.status_code in (403, 404)
    unknown = client.get(f"/map/preschools/{world.school_a.id}/offline-tiles?basemap=x",
                         headers={"Accept": "application/json"})
    assert unknown.status_code == 404 and "bakgrundskarta" in unknown.json["error"]


def test_openstreetmap_is_not_kept_for_offline_use(app, client, auth, world):
    auth.login(world.email("staff_a"))
    app.config["TILE_URL"] = DEFAULT_TILE_URL
    answer = client.get(f"/map/preschools/{world.school_a.id}/offline-tiles?basemap=map",
                        headers={"Accept": "application/json"})
    assert answer.status_code == 409
    assert "Villkoren för bakgrundskartan Karta" in answer.json["error"]


def test_a_large_neighbourhood_keeps_the_less_detailed_levels():
    (basemap,) = configured({"BASEMAPS": [{"name": "t", "url": "https://t/{z}/{x}/{y}"}]})
    small = plan(Point(20.2253, 67.8558).buffer(0.02), basemap)
    assert small.zooms == [13, 14, 15, 16, 17] and small.left_out == []
    large = plan(Point(20.2253, 67.8558).buffer(0.3), basemap)
    assert large.zooms[0] == 13 and large.left_out and large.left_out[-1] == 17
    assert len(large.tiles) <= MAX_OFFLINE_TILES
    shallow = configured({"BASEMAPS": [{"name": "s", "url": "https://t/{z}/{x}/{y}",
                                        "max_zoom": 15}]})[0]
    assert plan(Point(20.2253, 67.8558).buffer(0.02), shallow).zooms == [13, 14, 15]
