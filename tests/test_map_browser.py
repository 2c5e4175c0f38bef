"""The staff journey in Debian's Chromium: start a session, mark places by touch, by
keyboard and offline, see them in the list, finish with a summary."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import expect
from shapely.geometry import LineString
from sqlalchemy import func, select

from smultron.models import Campaign, Category, Place
from tests import factories
from tests.conftest import browser_login, run_axe, switch_language

pytestmark = pytest.mark.browser

XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> & "hej"'


@pytest.fixture
def touch_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1024, "height": 768},
            "has_touch": True, "is_mobile": False}


def start_session(page, base: str, children: int = 5) -> str:
    """From the login page to an open map; returns the session id."""
    browser_login(page, base, "staff.a@example.org")
    page.wait_for_url(re.compile(r"/map/preschools/\d+$"))
    page.get_by_label("Blåbär").check()
    page.fill("#children_present", str(children))
    page.get_by_label("3–4 år").check()
    page.get_by_label("Vårdnadshavarna", exact=False).check()
    page.get_by_role("button", name="Börja kartlägga").click()
    page.wait_for_url(re.compile(r"/map/sessions/[0-9a-f-]{36}$"))
    page.wait_for_selector("body[data-map-ready=yes]")
    # The service worker has kept the page: no request of it is still running when the
    # test ends and the browser goes away.
    page.wait_for_selector("body[data-offline-ready=yes]")
    return page.url.rsplit("/", 1)[1]


def pan(page, key: str, times: int = 1):
    """Arrow keys on the focused map, waiting for each move to end (Leaflet ignores keys
    while the map is still moving)."""
    page.focus("#map")
    for _ in range(times):
        before = page.get_attribute("body", "data-map-center")
        page.keyboard.press(key)
        page.wait_for_function(
            "before => document.body.dataset.mapCenter !== before", arg=before)


def fill_panel(page, category: str = "Vatten", children: int = 2, comment: str | None = None):
    page.wait_for_selector("#panel:not([hidden])")
    page.locator("#category-choices label", has_text=category).click()
    for _ in range(children - 1):
        page.click("#children-plus")
    if comment is not None:
        page.fill("#comment", comment)
    page.click("#panel-save")
    page.wait_for_selector("#panel", state="hidden")


def wait_all_saved(page, rows: int | None = None):
    """Wait until the list shows ``rows`` places and nothing waits in the outbox."""
    if rows is not None:
        expect(page.locator("#places-table tbody tr")).to_have_count(rows)
    page.wait_for_selector("body[data-waiting='0']")
    expect(page.locator("#places-table tbody .status-waiting")).to_have_count(0)


def send_now(page):
    """Press "Send now" (the tests' map has no retry timer: conftest.app_config)."""
    page.click("#sync-now")


def lose_first_answer(page) -> list:
    """The first POST of a place reaches the server, but the tablet never hears back; the
    list returned gets the status the server answered it with."""
    lost = []

    def route(request_route):
        if request_route.request.method == "POST" and not lost:
            lost.append(request_route.fetch().status)  # reaches the server...
            request_route.abort()  # ...but the tablet never hears back
        else:
            request_route.fallback()

    page.route("**/api/v1/places", route)
    return lost


def stored_version(page, db, place_id, version: int, timeout: float = 15.0):
    """The place once the server holds ``version`` of it (or as it is at the timeout).
    Waits through Playwright, not time.sleep: the page's requests pass guarded_page's
    route handler, which runs only while the test is inside a Playwright call."""
    deadline = time.monotonic() + timeout
    while True:
        db.rollback()
        row = db.get(Place, place_id)
        if row.version >= version or time.monotonic() > deadline:
            return row
        page.wait_for_timeout(100)


def places_of(db, session_id: str):
    db.rollback()
    return db.scalars(select(Place).where(Place.session_id == uuid.UUID(session_id))).all()


def test_session_start_needs_consent_and_has_no_axe_violations(guarded_page, live_server,
                                                                world):
    page = guarded_page
    browser_login(page, live_server, world.email("staff_a"))
    page.wait_for_url(re.compile(r"/map/preschools/\d+$"))
    assert run_axe(page) == []
    page.fill("#children_present", "4")
    page.get_by_role("button", name="Börja kartlägga").click()
    expect(page.locator("#consent-error")).to_be_visible()
    page.console_errors.clear()  # the 422 answer is logged by Chromium
    assert run_axe(page) == []


def test_touch_journey_place_list_and_summary(browser, live_server, world, db):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True,
                                  geolocation={"latitude": 67.8601, "longitude": 20.2301},
                                  permissions=["geolocation"])
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.route("https://tiles.test/**", lambda r: r.fulfill(
        status=200, content_type="image/png", body=factories.PNG_1PX))
    session_id = start_session(page, live_server, children=5)
    box = page.locator("#map").bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    fill_panel(page, "Vatten", children=3, comment=XSS)
    wait_all_saved(page, 1)
    rows = page.locator("#places-table tbody tr")
    expect(rows).to_have_count(1)
    said = rows.first.locator("td.said")
    expect(said).to_have_text(XSS)
    assert said.locator("img, script").count() == 0
    # The popup shows the same comment as text.
    page.locator(".leaflet-marker-icon.place-icon").first.tap()
    popup = page.locator(".place-popup .said")
    expect(popup).to_have_text(f"“{XSS}”")
    assert popup.locator("img, script").count() == 0
    assert page.evaluate("window.__pwned") is None
    [place] = places_of(db, session_id)
    assert (place.children_count, place.comment) == (3, XSS)
    assert run_axe(page) == []
    page.keyboard.press("Escape")
    # A route by touch: tap along the way, then Finish drawing.
    page.get_by_role("button", name="Rita en väg").tap()
    for fx, fy in ((0.55, 0.25), (0.65, 0.35), (0.7, 0.5)):
        page.touchscreen.tap(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    page.get_by_role("button", name="Rita klart").tap()
    fill_panel(page, "Snö och pulka", children=2)
    wait_all_saved(page, 2)
    kinds = sorted(db.scalars(select(func.ST_GeometryType(Place.geom)).where(
        Place.session_id == uuid.UUID(session_id))))
    assert kinds == ["ST_LineString", "ST_Point"]
    page.get_by_role("button", name="Var är jag?").tap()
    page.wait_for_function("() => document.body.dataset.mapCenter.startsWith('67.860')")
    page.get_by_role("button", name="Avsluta kartläggningen").click()
    page.wait_for_url(re.compile(r"/summary$"))
    expect(page.locator(".summary-table")).to_contain_text("Vatten")
    assert errors == []
    context.close()


def test_keyboard_only_placement(guarded_page, live_server, world, db):
    page = guarded_page
    session_id = start_session(page, live_server)
    pan(page, "ArrowLeft", 2)
    pan(page, "ArrowUp")
    page.focus("#place-here")
    page.keyboard.press("Enter")
    page.wait_for_selector("#panel:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "panel-heading"
    # Categories are radio buttons: Tab into the group, arrows choose.
    page.keyboard.press("Tab")  # cancel button
    page.keyboard.press("Tab")  # first category
    page.keyboard.press("ArrowRight")  # the second: nature
    page.keyboard.press("Tab")  # feeling
    page.keyboard.press("ArrowRight")  # scary
    page.focus("#children-plus")
    page.keyboard.press("Enter")
    page.focus("#comment")
    page.keyboard.type("Mörkt under bron")
    page.focus("#panel-save")
    page.keyboard.press("Enter")
    wait_all_saved(page, 1)
    [place] = places_of(db, session_id)
    assert (place.feeling, place.children_count, place.comment) == ("scary", 2,
                                                                   "Mörkt under bron")
    assert place.category.code == "nature"
    assert run_axe(page) == []


def test_offline_create_reload_online_syncs_exactly_once(guarded_page, live_server, world, db):
    page = guarded_page
    session_id = start_session(page, live_server)
    page.click("#place-here")
    fill_panel(page, "Vatten")  # saved online first
    wait_all_saved(page, 1)
    page.reload()  # the list of places is fetched (and kept) again
    page.wait_for_selector("body[data-offline-ready=yes]")
    page.context.set_offline(True)
    pan(page, "ArrowUp")
    page.click("#place-here")
    fill_panel(page, "Djur", comment="Här bor en ekorre")
    page.wait_for_selector("body[data-waiting='1']")
    expect(page.locator("#sync-status")).to_contain_text("1 plats väntar")
    page.reload()
    page.wait_for_selector("body[data-map-ready=yes]")
    page.wait_for_selector("body[data-waiting='1']")
    expect(page.locator("#places-table tbody tr")).to_have_count(2)  # the saved one, too
    assert len(places_of(db, session_id)) == 1
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_all_saved(page, 2)
    page.reload()
    page.wait_for_selector("body[data-map-ready=yes]")
    wait_all_saved(page, 2)
    places = places_of(db, session_id)
    assert sorted(p.comment or "" for p in places) == ["", "Här bor en ekorre"]
    # Chromium logs the requests that failed while offline.
    page.console_errors[:] = [e for e in page.console_errors
                              if "ERR_INTERNET_DISCONNECTED" not in e and "ERR_FAILED" not in e]


def test_edit_and_delete_from_the_list(guarded_page, live_server, world, db):
    page = guarded_page
    session_id = start_session(page, live_server)
    page.click("#place-here")
    fill_panel(page, "Lek")
    wait_all_saved(page, 1)
    page.locator("#places-table tbody tr button", has_text="Ändra").click()
    page.wait_for_selector("#panel:not([hidden])")
    page.locator("#category-choices label", has_text="Klättra").click()
    page.click("#panel-save")
    expect(page.locator("#places-table tbody tr th")).to_have_text("Klättra")
    wait_all_saved(page, 1)
    [place] = places_of(db, session_id)
    assert place.category.code == "climbing" and place.version == 2
    delete = page.locator("#places-table tbody tr button", has_text="Ta bort")
    delete.click()
    page.locator("#places-table tbody tr button", has_text="Ja, ta bort").click()
    expect(page.locator("#places-table tbody tr")).to_have_count(0)
    page.wait_for_selector("body[data-waiting='0']")
    [place] = places_of(db, session_id)
    assert place.deleted_at is not None


def test_draw_an_area_with_the_keyboard_buttons(guarded_page, live_server, world, db):
    page = guarded_page
    session_id = start_session(page, live_server)
    page.click("#draw-area")
    for key in (None, "ArrowRight", "ArrowDown"):
        if key:
            pan(page, key, 2)
        page.click("#add-corner")
    page.click("#finish-drawing")
    fill_panel(page, "Natur")
    wait_all_saved(page, 1)
    [place] = places_of(db, session_id)
    db.rollback()
    assert db.scalar(select(func.ST_GeometryType(Place.geom)).where(Place.id == place.id)) \
        == "ST_Polygon"
    # Moving an area: its corners become draggable (leaflet-geoman); Save keeps it valid.
    page.locator("#places-table tbody tr button", has_text="Flytta").click()
    expect(page.locator("#move-here")).to_be_hidden()  # only points move to the cross
    # One instruction, about what is shown: the corners and Save, not "Move here".
    expect(page.locator("#move-help")).to_contain_text("Dra områdets hörn")
    expect(page.locator("#move-help")).not_to_contain_text("Flytta hit")
    expect(page.get_by_text("Dra områdets hörn")).to_have_count(1)
    expect(page.locator("#notice")).to_be_hidden()
    corner = page.locator(".marker-icon:not(.marker-icon-middle)").first
    box = corner.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] - 30, box["y"] - 30, steps=5)
    page.mouse.up()
    page.click("#finish-move")
    expect(page.locator("#notice")).to_have_text("Flyttat.")
    wait_all_saved(page, 1)
    expect(page.locator(".marker-icon")).to_have_count(0)
    db.rollback()
    assert db.get(Place, place.id).version == 2  # the dragged corner was saved


def test_outside_the_neighbourhood_asks_first_and_move_with_the_keyboard(
        guarded_page, live_server, world, db):
    page = guarded_page
    session_id = start_session(page, live_server)
    pan(page, "ArrowLeft", 12)  # about 2 km west: outside the 1 km neighbourhood
    page.click("#place-here")
    expect(page.locator("#outside-warning")).to_be_visible()
    expect(page.locator("#panel-save")).to_have_text("Spara ändå")
    fill_panel(page, "Snö och pulka")
    wait_all_saved(page, 1)
    [place] = places_of(db, session_id)
    before = db.scalar(select(func.ST_X(Place.geom)).where(Place.id == place.id))
    # Move it with the keyboard: Move, pan the map, Move here, Save.
    page.locator("#places-table tbody tr button", has_text="Flytta").click()
    expect(page.locator("#move-actions")).to_be_visible()
    expect(page.locator("#move-help")).to_contain_text("tryck Flytta hit")
    expect(page.get_by_text("tryck Flytta hit")).to_have_count(1)
    pan(page, "ArrowRight", 4)
    page.click("#move-here")
    page.click("#finish-move")
    expect(page.locator("#move-actions")).to_be_hidden()
    # The move is queued asynchronously (IndexedDB): the outbox may read 0 before it.
    stored = stored_version(page, db, place.id, 2)
    assert stored.version == 2
    after = db.scalar(select(func.ST_X(Place.geom)).where(Place.id == place.id))
    assert after > before
    wait_all_saved(page, 1)


def test_earlier_places_of_the_preschool_are_shown_clustered(guarded_page, live_server, world,
                                                             db):
    earlier = factories.mapping_session(db, world.campaign, world.school_a, children=8)
    lon, lat = 20.2253, 67.8558
    for i in range(30):
        factories.place(db, earlier, geometry=factories.Point(lon + (i % 6) * 2e-4,
                                                              lat + (i // 6) * 2e-4))
    other = factories.mapping_session(db, world.campaign, world.school_b)
    factories.place(db, other, geometry=factories.Point(20.3010, 67.8470))
    db.commit()
    page = guarded_page
    start_session(page, live_server)
    clusters = page.locator(".cluster-icon")
    expect(clusters.first).to_be_visible()
    total = sum(int(text) for text in clusters.all_inner_texts())
    singles = page.locator(".leaflet-marker-icon.place-icon").count()
    assert total + singles == 30  # B's place is not there
    expect(page.locator("#places-table tbody tr")).to_have_count(0)  # not this session's


def test_the_map_in_english(guarded_page, live_server, world):
    page = guarded_page
    browser_login(page, live_server, world.email("staff_a"))
    page.wait_for_url(re.compile(r"/map/preschools/\d+$"))
    switch_language(page, "en")
    expect(page.get_by_role("button", name="Start mapping")).to_be_visible()
    page.get_by_label("Blåbär").check()
    page.fill("#children_present", "3")
    page.get_by_label("Mixed ages").check()
    page.get_by_label("guardians", exact=False).check()
    page.get_by_role("button", name="Start mapping").click()
    page.wait_for_selector("body[data-map-ready=yes]")
    page.wait_for_selector("body[data-offline-ready=yes]")
    expect(page.locator("#sync-status")).to_have_text("Everything is saved.")
    page.click("#place-here")
    expect(page.locator("#category-choices")).to_contain_text("Hiding place and hut")
    expect(page.locator("#panel-heading")).to_have_text("New place")


def test_a_lost_answer_is_retried_without_a_duplicate(guarded_page, live_server, world, db):
    """The server stores the place but the answer never arrives: the retry gets 200 and
    the place exists once."""
    page = guarded_page
    session_id = start_session(page, live_server)
    lost = lose_first_answer(page)
    page.click("#place-here")
    fill_panel(page, "Lek")
    expect(page.locator("#sync-status")).to_contain_text("Inget nätverk")
    expect(page.locator("#sync-now")).to_be_visible()
    assert lost == [201] and len(places_of(db, session_id)) == 1
    send_now(page)
    wait_all_saved(page, 1)
    assert len(places_of(db, session_id)) == 1
    page.console_errors[:] = [e for e in page.console_errors if "ERR_FAILED" not in e]


def test_the_outbox_tries_again_by_itself_every_retry_interval(guarded_page, live_server,
                                                                world, db, app):
    """OUTBOX_RETRY_SECONDS (20 s in the app, off in the tests): with it on, a place whose
    answer was lost is sent again without Send now."""
    app.config["OUTBOX_RETRY_SECONDS"] = 1
    page = guarded_page
    session_id = start_session(page, live_server)
    lost = lose_first_answer(page)
    page.click("#place-here")
    fill_panel(page, "Lek")
    page.wait_for_selector("body[data-waiting='1']")
    wait_all_saved(page, 1)  # nothing pressed: the timer sent it
    assert lost == [201] and len(places_of(db, session_id)) == 1
    page.console_errors[:] = [e for e in page.console_errors if "ERR_FAILED" not in e]


def test_a_server_error_is_not_called_offline(guarded_page, live_server, world, db):
    """A 500 while loading the places says the server failed (not "no network"); a 500
    while sending keeps the place waiting, and the bar says the server could not take it."""
    page = guarded_page
    page.route("**/api/v1/places?preschool=*", lambda route: route.fulfill(
        status=500, content_type="application/json", body='{"error": "Internt fel"}'))
    session_id = start_session(page, live_server)
    expect(page.locator("#notice")).to_contain_text(
        "De sparade platserna kunde inte hämtas från servern.")
    expect(page.locator("#sync-status")).not_to_contain_text("Inget nätverk")
    page.route("**/api/v1/places", lambda route: route.fulfill(
        status=503, content_type="application/json", body='{"error": "Databasen"}')
        if route.request.method == "POST" else route.fallback())
    page.click("#place-here")
    fill_panel(page, "Lek")
    page.wait_for_selector("body[data-waiting='1']")
    expect(page.locator("#sync-status")).to_contain_text("Servern kunde inte ta emot platserna")
    expect(page.locator("#sync-status")).not_to_contain_text("Inget nätverk")
    assert places_of(db, session_id) == []
    page.unroute("**/api/v1/places")
    send_now(page)
    wait_all_saved(page, 1)
    assert len(places_of(db, session_id)) == 1
    page.console_errors[:] = [e for e in page.console_errors if "500" not in e and "503" not in e]


def test_a_closed_tab_loses_nothing(guarded_page, live_server, world, db):
    page = guarded_page
    session_id = start_session(page, live_server)
    page.wait_for_selector("body[data-offline-ready=yes]")
    url = page.url
    page.context.set_offline(True)
    page.click("#place-here")
    fill_panel(page, "Gömställe", comment="Kojan")
    page.wait_for_selector("body[data-waiting='1']")
    context = page.context
    page.close()
    # Chromium logged the requests that failed while offline.
    page.console_errors[:] = [e for e in page.console_errors if "ERR_" not in e]
    context.set_offline(False)
    again = context.new_page()
    again.route("https://tiles.test/**", lambda r: r.fulfill(
        status=200, content_type="image/png", body=factories.PNG_1PX))
    again.goto(url)
    again.wait_for_selector("body[data-map-ready=yes]")
    wait_all_saved(again, 1)
    places = places_of(db, session_id)
    assert [p.comment for p in places] == ["Kojan"]


def test_a_refused_change_is_shown_and_can_be_thrown_away(guarded_page, live_server, world,
                                                           db):
    page = guarded_page
    session_id = start_session(page, live_server)
    page.click("#place-here")
    fill_panel(page, "Lek")
    wait_all_saved(page, 1)
    db.get(Campaign, world.campaign.id).status = "closed"  # closed by the admin meanwhile
    db.commit()
    page.locator("#places-table tbody tr button", has_text="Ändra").click()
    page.locator("#category-choices label", has_text="Vatten").click()
    page.click("#panel-save")
    failed = page.locator("#places-table tbody .status-failed")
    expect(failed).to_contain_text("Kampanjen Hösten 2026 är stängd")
    expect(page.locator("#notice")).to_contain_text("Kampanjen Hösten 2026 är stängd")
    # Refused is not "waiting to be sent": the bar says it apart.
    expect(page.locator("body")).to_have_attribute("data-refused", "1")
    expect(page.locator("body")).to_have_attribute("data-waiting", "0")
    expect(page.locator("#sync-status")).to_have_text(
        "1 plats sparades inte: rätta den eller släng den i listan.")
    page.get_by_role("button", name="Avsluta kartläggningen").click()
    expect(page.locator("#notice")).to_contain_text("Några ändringar togs inte emot")
    assert page.url.endswith(session_id)
    page.locator("#places-table tbody tr button", has_text="Släng ändringen").click()
    wait_all_saved(page, 1)
    expect(page.locator("#places-table tbody tr th")).to_have_text("Lek")
    [place] = places_of(db, session_id)
    assert place.category.code == "play"
    page.console_errors.clear()  # Chromium logs the 409


def test_a_lost_answer_then_an_edit_becomes_an_edit_of_the_stored_place(
        guarded_page, live_server, world, db):
    page = guarded_page
    session_id = start_session(page, live_server)
    lost = lose_first_answer(page)
    page.click("#place-here")
    fill_panel(page, "Lek")
    expect(page.locator("#sync-status")).to_contain_text("Inget nätverk")
    assert lost == [201]
    page.locator("#places-table tbody tr button", has_text="Ändra").click()
    page.locator("#category-choices label", has_text="Djur").click()
    page.click("#panel-save")
    expect(page.locator("#places-table tbody tr th")).to_have_text("Djur")
    send_now(page)
    wait_all_saved(page, 1)
    [place] = places_of(db, session_id)
    assert (place.category.code, place.version) == ("animals", 2)
    page.console_errors[:] = [e for e in page.console_errors
                              if "ERR_FAILED" not in e and "409" not in e]


def test_axe_on_login_map_with_panel_list_and_summary(guarded_page, live_server, world, db):
    page = guarded_page
    page.goto(f"{live_server}/login")
    assert run_axe(page) == []
    start_session(page, live_server)
    page.click("#place-here")
    page.wait_for_selector("#panel:not([hidden])")
    assert run_axe(page) == []  # the panel open
    page.click("#panel-save")  # no category chosen: the message is shown
    expect(page.locator("#category-error")).to_be_visible()
    assert run_axe(page) == []
    page.locator("#category-choices label", has_text="Klättra").click()
    page.click("#panel-save")
    wait_all_saved(page, 1)
    page.click("#draw-route")
    page.click("#add-corner")
    assert run_axe(page) == []  # drawing mode, with a first point
    page.click("#cancel-drawing")
    page.get_by_role("button", name="Avsluta kartläggningen").click()
    page.wait_for_url(re.compile(r"/summary$"))
    assert run_axe(page) == []


def test_an_empty_tile_url_means_no_background_map_and_no_request(guarded_page, live_server,
                                                                   world, app, db):
    """SMULTRON_TILE_URL="" is documented as "no tiles": no tile layer, no request for
    one, no error; the map still works."""
    app.config["TILE_URL"] = ""
    page = guarded_page
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    session_id = start_session(page, live_server)
    expect(page.locator(".leaflet-tile-pane")).to_be_attached()
    assert page.locator(".leaflet-tile-pane > *").count() == 0
    assert page.locator("img.leaflet-tile").count() == 0
    page.click("#place-here")
    fill_panel(page, "Lek")
    wait_all_saved(page, 1)
    assert len(places_of(db, session_id)) == 1
    assert [url for url in requested if "{z}" in url or "tiles" in url] == []


def test_category_labels_with_markup_stay_text_everywhere_on_the_map(guarded_page, live_server,
                                                                     world, db):
    """An administrator's category label reaches the panel, the marker, the popup and the
    list as text (textContent), never as markup."""
    db.scalar(select(Category).where(Category.code == "play")).label_sv = XSS
    db.commit()
    page = guarded_page
    start_session(page, live_server)
    page.click("#place-here")
    choice = page.locator("#category-choices label:has(input[value=play])")
    expect(choice).to_have_text(XSS)
    choice.click()
    page.click("#panel-save")
    wait_all_saved(page, 1)
    expect(page.locator("#places-table tbody tr th")).to_have_text(XSS)
    page.locator("#places-table tbody tr button", has_text="Visa på kartan").click()
    expect(page.locator(".place-popup h2")).to_contain_text(XSS)
    marker = page.locator(".leaflet-marker-icon.place-icon .visually-hidden")
    expect(marker).to_contain_text(XSS)
    for where in ("#category-choices", "#places-table", ".leaflet-map-pane"):
        assert page.locator(f"{where} script, {where} img[src=x]").count() == 0, where
    assert page.evaluate("window.__pwned") is None


OUTBOX = """() => new Promise((resolve, reject) => {
  const request = indexedDB.open('smultron');
  request.onsuccess = () => {
    const get = request.result.transaction('outbox').objectStore('outbox').getAll();
    get.onsuccess = () => resolve(get.result);
    get.onerror = () => reject(get.error);
  };
  request.onerror = () => reject(request.error);
})"""


def test_a_refused_place_comes_back_at_once_with_the_reason_and_is_not_kept(
        guarded_page, live_server, world, db):
    """A comment that looks like a personal identity number: the server refuses it (422).
    The panel opens again with the reason, the field marked and focused, nothing looks
    saved or waiting, the refused text is not left on the tablet; corrected, it saves."""
    page = guarded_page
    session_id = start_session(page, live_server)
    page.click("#place-here")
    page.wait_for_selector("#panel:not([hidden])")
    page.locator("#category-choices label", has_text="Vatten").click()
    page.fill("#comment", "Olles 20200101-1234")
    page.click("#panel-save")
    alert = page.locator("#form-error")
    expect(alert).to_be_visible()
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_contain_text("Inte sparat")
    expect(page.locator("#comment-error")).to_contain_text("personnummer")
    expect(page.locator("#comment")).to_be_focused()
    expect(page.locator("#comment")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#comment")).to_have_value("Olles 20200101-1234")
    assert page.is_checked("#category-choices input[value=water]")
    expect(page.locator("#notice")).not_to_have_text("Sparat.")
    expect(page.locator("body")).to_have_attribute("data-waiting", "0")
    expect(page.locator("#sync-status")).to_have_text("Allt är sparat.")
    expect(page.locator("#places-table tbody tr")).to_have_count(0)
    assert page.evaluate(OUTBOX) == []
    assert places_of(db, session_id) == []
    assert run_axe(page) == []
    page.fill("#comment", "Olles favoritbrygga")
    page.click("#panel-save")
    wait_all_saved(page, 1)
    expect(page.locator("#notice")).to_have_text("Sparat.")
    expect(page.locator("#comment")).not_to_have_attribute("aria-invalid", "true")
    [place] = places_of(db, session_id)
    assert (place.comment, place.category.code) == ("Olles favoritbrygga", "water")
    page.console_errors.clear()  # Chromium logs the 422


def test_a_refused_change_comes_back_in_the_panel(guarded_page, live_server, world, db):
    page = guarded_page
    session_id = start_session(page, live_server)
    page.click("#place-here")
    fill_panel(page, "Lek", comment="Gungorna")
    wait_all_saved(page, 1)
    page.locator("#places-table tbody tr button", has_text="Ändra").click()
    page.fill("#comment", "Gungorna 200101-1234")
    page.click("#panel-save")
    expect(page.locator("#comment-error")).to_contain_text("personnummer")
    expect(page.locator("#comment")).to_be_focused()
    expect(page.locator("#panel-heading")).to_have_text("Ändra platsen")
    expect(page.locator("body")).to_have_attribute("data-waiting", "0")
    expect(page.locator("#places-table tbody td.said")).to_have_text("Gungorna")
    assert page.evaluate(OUTBOX) == []
    page.click("#panel-close")
    [place] = places_of(db, session_id)
    assert (place.comment, place.version) == ("Gungorna", 1)
    page.console_errors.clear()


def centre(box) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


PANE_ABOVE = """([upper, lower]) => {
  const z = (selector) => Number(getComputedStyle(
    document.querySelector(selector).closest('.leaflet-pane')).zIndex);
  return z(upper) > z(lower);
}"""


def test_the_house_stays_above_the_clusters_and_off_the_cross(guarded_page, live_server, world,
                                                               db):
    """Earlier places heaped on the preschool: their numbered circle does not cover the
    house, and at start the house is not under the cross."""
    earlier = factories.mapping_session(db, world.campaign, world.school_a, children=8)
    for _ in range(12):
        factories.place(db, earlier, geometry=factories.Point(*factories.KIRUNA))
    db.commit()
    page = guarded_page
    start_session(page, live_server)
    expect(page.locator(".cluster-icon")).to_have_text("12")
    assert page.evaluate(PANE_ABOVE, [".preschool-icon", ".cluster-icon"])
    house = page.locator(".preschool-icon").bounding_box()
    cross = centre(page.locator(".crosshair").bounding_box())
    hx, hy = centre(house)
    assert ((hx - cross[0]) ** 2 + (hy - cross[1]) ** 2) ** 0.5 > 44
    page.click("#place-here")  # at once, without moving the map: not the preschool
    page.wait_for_selector("#panel:not([hidden])")
    expect(page.locator("#preschool-warning")).to_be_hidden()


def test_earlier_places_look_different_from_this_sessions_and_the_legend_says_so(
        guarded_page, live_server, world, db):
    """Earlier places are smaller and greyed, this session's outlined, the legend says which
    is which; a place put right on the preschool is questioned."""
    earlier = factories.mapping_session(db, world.campaign, world.school_a, children=8)
    factories.place(db, earlier, geometry=factories.Point(20.2300, 67.8580))
    db.commit()
    page = guarded_page
    start_session(page, live_server)
    page.click("#place-here")
    fill_panel(page, "Lek")
    wait_all_saved(page, 1)
    mine = page.locator(".leaflet-marker-icon.place-icon.mine .ring")
    old = page.locator(".leaflet-marker-icon.place-icon.earlier .ring")
    expect(mine).to_have_count(1)
    expect(old).to_have_count(1)
    assert mine.bounding_box()["width"] > old.bounding_box()["width"] + 6
    style = "el => { const s = getComputedStyle(el); return [s.boxShadow, s.borderTopWidth]; }"
    assert mine.evaluate(style) != old.evaluate(style)
    legend = page.locator(".map-legend")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("Platser från den här kartläggningen")
    expect(legend).to_contain_text("Förskolans tidigare platser")
    expect(legend).to_contain_text("Förskolan")
    assert legend.locator(".legend-sample.mine").count() == 1
    assert legend.locator(".legend-sample.earlier").count() == 1
    assert run_axe(page) == []
    # A tap right on the preschool (the pin points at it from above) asks first.
    house = page.locator(".preschool-icon").bounding_box()
    page.mouse.click(house["x"] + house["width"] / 2, house["y"] + house["height"] + 10)
    page.wait_for_selector("#panel:not([hidden])")
    expect(page.locator("#preschool-warning")).to_be_visible()
    expect(page.locator("#preschool-warning")).to_contain_text("precis på förskolan")


def test_areas_routes_and_seasons_show_their_pictogram(guarded_page, live_server, world, db):
    earlier = factories.mapping_session(db, world.campaign, world.school_a, children=8)
    factories.place(db, earlier, category_code="snow", geometry=LineString(
        [(20.2200, 67.8540), (20.2230, 67.8530), (20.2260, 67.8535)]))
    db.commit()
    page = guarded_page
    start_session(page, live_server)
    page.click("#draw-area")
    for key in (None, "ArrowRight", "ArrowDown"):
        if key:
            pan(page, key, 2)
        page.click("#add-corner")
    page.click("#finish-drawing")
    # The seasons are pictograms too, so that the children can choose them.
    page.wait_for_selector("#panel:not([hidden])")
    seasons = page.locator("#panel label.big-choice:has(input[name=season])")
    expect(seasons).to_have_text(["Sommar", "Vinter", "Hela året"])
    for code in ("summer", "winter", "all_year"):
        picture = page.locator(f"label:has(input[value={code}]) img[src$='/{code}.svg']")
        expect(picture).to_have_count(1)
        assert picture.evaluate("img => img.complete && img.naturalWidth > 0"), code
    page.locator("label:has(input[value=winter]) img").click()
    fill_panel(page, "Natur")
    wait_all_saved(page, 1)
    db.rollback()
    assert sorted(db.scalars(select(Place.season))) == ["summer", "winter"]
    area = page.locator(".leaflet-marker-icon.place-icon.mine img[src$='/nature.svg']")
    route = page.locator(".leaflet-marker-icon.place-icon.earlier img[src$='/snow.svg']")
    expect(area).to_have_count(1)
    expect(route).to_have_count(1)
    expect(page.locator(".leaflet-marker-icon.place-icon.mine .visually-hidden")).to_contain_text(
        "Natur och skog · Område")
    page.locator(".leaflet-marker-icon.place-icon.earlier").click()
    expect(page.locator(".place-popup h2")).to_have_text("Snö och pulka · Väg")


def test_the_list_keeps_its_order_and_a_delete_hits_its_row(guarded_page, live_server, world, db):
    """Three places; the first is changed while a Delete on the second waits for "Yes":
    the answer for the change redraws the list, yet no row moves, the question stays on
    the second row (with the focus), and it is the second place that goes. After a reload
    the order is the same (the server lists by last change). "Show on the map" puts the
    keyboard focus in the popup, and Escape brings it back."""
    row = factories.mapping_session(db, world.campaign, world.school_a, children=8,
                                    user=world.users["staff_a"])
    made = {}
    for code, dx in (("play", 0.001), ("water", 0.002), ("animals", 0.003)):
        made[code] = factories.place(db, row, category_code=code,
                                     geometry=factories.Point(20.2253 + dx, 67.8568)).id
        db.commit()  # one transaction each: three creation times
    page = guarded_page
    browser_login(page, live_server, world.email("staff_a"))
    page.wait_for_url(re.compile(r"/map/preschools/\d+$"))
    page.goto(f"{live_server}/map/sessions/{row.id}")
    page.wait_for_selector("body[data-map-ready=yes]")
    page.wait_for_selector("body[data-offline-ready=yes]")
    heads = page.locator("#places-table tbody tr th")
    expect(heads).to_have_text(["Lek", "Vatten", "Djur"])
    held = []

    def hold_the_change(route):
        if route.request.method == "PATCH" and not held:
            held.append(route)
        else:
            route.fallback()

    page.route("**/api/v1/places/*", hold_the_change)
    page.locator("#places-table tbody tr").nth(0).get_by_role("button", name="Ändra").click()
    page.locator("#category-choices label", has_text="Klättra").click()
    page.click("#panel-save")
    expect(heads).to_have_text(["Klättra", "Vatten", "Djur"])
    page.wait_for_function("() => document.body.dataset.waiting === '1'")
    second = page.locator("#places-table tbody tr").nth(1)
    second.get_by_role("button", name="Ta bort").click()
    expect(second.get_by_role("button", name="Ja, ta bort")).to_be_focused()
    assert held
    held[0].fallback()  # the change reaches the server; its answer redraws the list
    page.wait_for_selector("body[data-waiting='0']")
    expect(heads).to_have_text(["Klättra", "Vatten", "Djur"])
    expect(second.get_by_role("button", name="Ja, ta bort")).to_be_focused()
    page.keyboard.press("Enter")
    expect(heads).to_have_text(["Klättra", "Djur"])
    page.wait_for_selector("body[data-waiting='0']")
    db.rollback()
    gone = {code for code, pid in made.items() if db.get(Place, pid).deleted_at is not None}
    assert gone == {"water"}
    assert db.get(Place, made["play"]).version == 2
    page.reload()
    page.wait_for_selector("body[data-map-ready=yes]")
    expect(heads).to_have_text(["Klättra", "Djur"])
    show = page.locator("#places-table tbody tr").nth(1).get_by_role("button",
                                                                  name="Visa på kartan")
    show.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-popup .place-popup h2")).to_contain_text("Djur")
    assert page.evaluate("!!document.activeElement.closest('.leaflet-popup')")
    expect(page.locator(".leaflet-popup")).to_be_in_viewport()
    page.keyboard.press("Escape")
    expect(page.locator(".leaflet-popup")).to_have_count(0)
    expect(show).to_be_focused()
