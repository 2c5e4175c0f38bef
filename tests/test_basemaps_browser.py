"""Background maps in Chromium: the start page's "Keep the map for offline use" (the
service worker fetches the neighbourhood's tiles through /basemap/), then offline and a
reload: the background is drawn from the service worker's cache. The picker on the
staff map, remembered; the key never reaches the browser."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from smultron import create_app
from tests import tile_server
from tests.conftest import app_config, browser_login, run_axe

pytestmark = pytest.mark.browser
KEY = "browser-k3y-never-on-the-tablet"


@pytest.fixture
def upstream():
    server = tile_server.TileServer()
    server.key = KEY
    yield server
    server.close()


@pytest.fixture
def app(database_url, tmp_path, upstream):
    """Two background maps on a loopback tile server that wants a key."""
    app = create_app(app_config(database_url, BASEMAP_CACHE_DIR=str(tmp_path / "tiles"),
                                BASEMAPS=json.dumps([
        {"name": "topo", "label": {"sv": "Karta", "en": "Map"}, "max_zoom": 17,
         "url": upstream.origin + "/topo/{z}/{x}/{y}.png?key={key}", "key": KEY,
         "attribution": "© Lantmäteriet <script>"},
        {"name": "photo", "kind": "aerial", "max_zoom": 17, "key": KEY,
         "url": upstream.origin + "/photo/{z}/{x}/{y}.png?key={key}"}])))
    yield app
    app.extensions["smultron.engine"].dispose()


def start_page(page, base: str) -> None:
    browser_login(page, base, "staff.a@example.org")
    page.wait_for_url(re.compile(r"/map/preschools/\d+$"))


def start_session(page) -> None:
    page.get_by_label("Blåbär").check()
    page.fill("#children_present", "5")
    page.get_by_label("3–4 år").check()
    page.get_by_label("Vårdnadshavarna", exact=False).check()
    page.get_by_role("button", name="Börja kartlägga").click()
    page.wait_for_url(re.compile(r"/map/sessions/[0-9a-f-]{36}$"))
    page.wait_for_selector("body[data-map-ready=yes]")
    page.wait_for_selector("body[data-offline-ready=yes]")


def drawn_tiles(page) -> list[str]:
    """The background tiles on the map that the browser has drawn (loaded images)."""
    return page.eval_on_selector_all(
        "img.leaflet-tile", "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0)"
                            ".map(i => new URL(i.src).pathname)")


def test_kept_tiles_are_drawn_offline_from_the_service_worker(guarded_page, live_server,
                                                               world, upstream):
    page = guarded_page
    start_page(page, live_server)
    keep = page.get_by_role("button", name="Spara kartan för användning utan nät")
    expect(keep).to_be_visible()
    page.get_by_label("Flygfoto").check()  # the aerial photo, for the outing
    keep.click()
    page.wait_for_selector("body[data-tiles-kept]", timeout=120_000)
    kept = int(page.get_attribute("body", "data-tiles-kept"))
    assert 50 < kept <= 1500
    expect(page.locator("#keep-offline-status")).to_contain_text(
        "Bakgrundskartan Flygfoto över närområdet är sparad på den här enheten")
    assert page.locator("#keep-offline-progress").evaluate("p => p.value === p.max")
    assert run_axe(page) == []
    photo_requests = [r for r in upstream.tile_requests() if r["path"].startswith("/photo/")]
    assert len(photo_requests) >= kept - 5  # fetched upstream by the server, key added there
    start_session(page)
    expect(page.locator("#map")).to_have_attribute("data-background", "photo")  # remembered
    url = page.url
    page.context.set_offline(True)
    from_worker = []
    page.on("response", lambda r: from_worker.append(r.url) if "/basemap/" in r.url
            and r.from_service_worker and r.ok else None)
    page.reload()
    page.wait_for_selector("body[data-map-ready=yes]")
    page.wait_for_function("() => document.querySelectorAll('img.leaflet-tile-loaded').length >= 4")
    drawn = drawn_tiles(page)
    assert len(drawn) >= 4 and all(p.startswith("/basemap/photo/") for p in drawn)
    assert set(drawn) <= {re.sub(r"^https?://[^/]+", "", u) for u in from_worker}
    assert page.url == url
    page.context.set_offline(False)
    # Chromium logged the requests that failed while offline (tiles beyond the kept ring).
    page.console_errors[:] = [e for e in page.console_errors if "ERR_" not in e]
    assert KEY not in page.content()


def test_the_picker_changes_the_background_and_remembers_it(guarded_page, live_server,
                                                             world, upstream):
    page = guarded_page
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    start_page(page, live_server)
    start_session(page)
    expect(page.locator("#map")).to_have_attribute("data-background", "topo")
    page.wait_for_function("() => document.querySelectorAll('img.leaflet-tile-loaded').length >= 1")
    picker = page.locator(".basemap-picker")
    picker.locator("summary").click()
    expect(picker.get_by_label("Karta")).to_be_checked()
    picker.get_by_label("Flygfoto").check()
    expect(page.locator("#map")).to_have_attribute("data-background", "photo")
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.leaflet-tile-loaded')].some("
        "i => i.src.includes('/basemap/photo/'))")
    assert run_axe(page) == []
    page.reload()
    page.wait_for_selector("body[data-map-ready=yes]")
    expect(page.locator("#map")).to_have_attribute("data-background", "photo")
    page.locator(".basemap-picker summary").click()
    page.locator(".basemap-picker").get_by_label("Ingen bakgrund").check()
    expect(page.locator("img.leaflet-tile")).to_have_count(0)
    # the attribution is text, not HTML
    assert page.locator(".leaflet-control-attribution script").count() == 0
    assert all(KEY not in url and upstream.origin not in url for url in requested)
    assert KEY not in page.content()


@pytest.mark.parametrize("role,path,box", [
    ("planner", "/planner/", "#plan-draw-map"), ("official", "/reports", "#draw-map"),
    ("planner", "/tiles/map", "#places-map"), ("admin", "/admin/preschools/new", "#preschool-map")])
@pytest.mark.parametrize("width", [360, 1024])
def test_every_map_has_the_picker(guarded_page, live_server, world, upstream, role, path, box,
                                  width):
    page = guarded_page
    page.set_viewport_size({"width": width, "height": 800})
    page.add_init_script("localStorage.setItem('smultron.basemap', 'photo')")  # remembered
    browser_login(page, live_server, world.email(role))
    page.goto(f"{live_server}{path}")
    expect(page.locator(f"{box}[data-background=photo]")).to_be_attached()
    picker = page.locator(f"{box} .basemap-picker")
    expect(picker).to_be_visible()
    inside = picker.bounding_box()
    frame = page.locator(box).bounding_box()
    assert frame["x"] <= inside["x"]
    assert inside["x"] + inside["width"] <= frame["x"] + frame["width"]
    picker.locator("summary").click()
    expect(picker.get_by_label("Flygfoto")).to_be_checked()
    picker.get_by_label("Karta").check()
    expect(page.locator(f"{box}[data-background=topo]")).to_be_attached()
    page.wait_for_function(
        "box => [...document.querySelectorAll(box + ' img.leaflet-tile-loaded')].some("
        "i => i.src.includes('/basemap/topo/'))", arg=box)
    assert run_axe(page) == []
    assert KEY not in page.content()
