"""The overview map in Debian's Chromium: tiles decoded and drawn, the table of the
largest groups in view, keyboard-reachable, no external request, no axe violations."""

import pytest
from playwright.sync_api import expect
from shapely.geometry import Point
from sqlalchemy import text

from tests import factories
from tests.conftest import browser_login, run_axe

pytestmark = pytest.mark.browser


@pytest.fixture
def marked(db, world):
    session_row = factories.mapping_session(db, world.campaign, world.school_a)
    for index in range(12):
        factories.place(db, session_row, Point(20.2253 + index * 0.0004, 67.8558))
    db.commit()


def test_overview_map_draws_the_places_and_lists_them(guarded_page, live_server, world,
                                                      marked):
    page = guarded_page
    browser_login(page, live_server, world.email("planner"))
    page.goto(f"{live_server}/tiles/map")
    page.wait_for_selector("#places-map[data-state=idle]")
    assert page.locator("#places-map canvas.leaflet-tile").count() >= 1
    assert page.locator("#overview-status").inner_text() == "Ungefär 12 platser i kartbilden."
    first = page.locator("#overview-rows tr").first
    assert first.locator("th").inner_text().endswith("platser")
    # a group says what it holds: its places were chosen by 3 children each, none is scary
    places = int(first.locator("th").inner_text().split()[0])
    assert first.locator("td").first.inner_text() == f"{3 * places} barns val, 0 läskiga platser"
    # the preschools and their neighbourhoods to orient by, names as text
    page.wait_for_selector("#places-map[data-orientation]")
    assert "Förskolan A" in page.locator("#places-map .leaflet-tooltip").all_inner_texts()
    assert page.locator("#places-map .leaflet-orientation-pane path").count() >= 2
    assert run_axe(page) == []
    # The table moves the map: zoom in far enough to see single places.
    for _ in range(10):
        page.locator("#overview-rows tr button").first.click()
        page.wait_for_selector("#places-map[data-state=idle]")
        if page.locator("#overview-rows tr th").first.inner_text() == "1":
            break
    assert page.locator("#overview-rows tr th").first.inner_text() == "1"
    assert "Lek" in page.locator("#overview-rows tr td").first.inner_text()


def test_overview_map_for_staff_and_officials(client, auth, world, marked):
    auth.login(world.email("staff_b"))
    page = client.get("/tiles/map")
    assert page.status_code == 200 and b"places-map" in page.data
    auth.logout()
    auth.login(world.email("official"))
    assert client.get("/tiles/map").status_code == 403


@pytest.mark.parametrize("width", [360, 1024])
def test_a_planner_answers_a_place_from_the_map(guarded_page, live_server, world, marked, db,
                                                width):
    page = guarded_page
    page.set_viewport_size({"width": width, "height": 800})
    browser_login(page, live_server, world.email("planner"))
    page.goto(f"{live_server}/tiles/map#19/67.8558/20.2255")
    page.wait_for_selector("#places-map[data-state=idle]")
    row = page.locator("#overview-rows tr").first
    assert row.locator("th").inner_text() == "1"
    row.get_by_role("button", name="Svara: Lek (favorit)").click()
    dialog = page.get_by_role("dialog", name="Svara barnen")
    assert dialog.is_visible()
    assert "Lek" in dialog.locator("#answer-dialog-place").inner_text()
    expect(page.locator("#answer-dialog-shown")).to_have_text("Inte besvarad än")
    assert run_axe(page) == []
    # a personal identity number is refused at its field; nothing is stored
    dialog.get_by_label("Bevaras").check()
    dialog.locator("#answer-dialog-text").fill("Lisa 19121212-1212 leker här")
    dialog.get_by_role("button", name="Ge svaret").click()
    expect(page.locator("#answer-dialog-text-error")).not_to_be_empty()
    assert dialog.is_visible()
    assert db.execute(text("SELECT count(*) FROM place_response")).scalar_one() == 0
    page.console_errors[:] = [e for e in page.console_errors if "422" not in e]  # Chromium's log
    # a good answer is saved, the dialog closes, the status says so, focus goes back
    dialog.locator("#answer-dialog-text").fill("Skogen får vara kvar.")
    dialog.get_by_role("button", name="Ge svaret").click()
    expect(page.locator("#overview-status")).to_have_text("Svaret är sparat.")
    assert not dialog.is_visible()
    expect(page.locator("#overview-rows button:focus")).to_have_text("Svara")
    stored = db.execute(text("SELECT status, text FROM place_response")).one()
    assert tuple(stored) == ("kept", "Skogen får vara kvar.")
    # opened again, it shows the answer; Escape closes it without a change
    page.locator("#overview-rows button", has_text="Svara").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#answer-dialog-shown")).to_have_text("Visas nu: Bevaras")
    expect(dialog.locator("#answer-dialog-text")).to_have_value("Skogen får vara kvar.")
    page.keyboard.press("Escape")
    assert not dialog.is_visible()


def test_staff_get_no_answer_buttons(guarded_page, live_server, world, marked):
    page = guarded_page
    browser_login(page, live_server, world.email("staff_a"))
    page.goto(f"{live_server}/tiles/map#19/67.8558/20.2255")
    page.wait_for_selector("#places-map[data-state=idle]")
    assert page.locator("#overview-rows tr").count() >= 1
    assert page.locator("#overview-rows button", has_text="Svara").count() == 0
    assert page.locator("#answer-dialog").count() == 0
