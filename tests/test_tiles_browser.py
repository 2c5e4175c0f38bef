"""The overview map in Debian's Chromium: tiles decoded and drawn, the table of the
largest groups in view, keyboard-reachable, no external request, no axe violations."""

import pytest
from shapely.geometry import Point

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
