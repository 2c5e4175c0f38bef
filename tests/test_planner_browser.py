"""The planner's pages in Debian's Chromium: no external request, no console error, a
drawn plan area is saved and checked, and no axe-core violations."""

import pytest

from tests import export_data
from tests.conftest import browser_login, run_axe

pytestmark = pytest.mark.browser


@pytest.fixture
def places(db, world):
    return export_data.build(db, world)


def test_planner_page_draw_a_plan_and_check_it(guarded_page, live_server, world, places):
    page = guarded_page
    browser_login(page, live_server, world.email("planner"))
    page.wait_for_url("**/planner/")
    page.wait_for_selector("#plan-draw-map.leaflet-container")
    assert page.locator("#moderation tbody tr").count() == 1  # the pending comment
    assert run_axe(page) == []
    # keyboard users paste GeoJSON instead of drawing
    page.fill("#plan-name", "Skolgården")
    page.fill("#plan-geojson", '{"type": "Polygon", "coordinates": [[[20.222, 67.854], '
              '[20.229, 67.854], [20.229, 67.857], [20.222, 67.857], [20.222, 67.854]]]}')
    page.click("#plans button[type=submit]")
    page.wait_for_selector("#impact-map[data-ready=true]")
    assert "Skolgården" in page.locator("h1").inner_text()
    assert page.locator("#impact-places tbody tr").count() >= 2
    assert page.locator("#impact-map path.leaflet-interactive").count() >= 3
    assert run_axe(page) == []


def test_moderation_in_the_browser(guarded_page, live_server, world, places):
    page = guarded_page
    browser_login(page, live_server, world.email("planner"))
    page.wait_for_url("**/planner/")
    page.click("#moderation button[value=approve]")
    page.wait_for_selector(".flash")
    assert page.locator("#moderation tbody tr").count() == 0


def test_ogc_html_pages_are_accessible(guarded_page, live_server, world, places):
    page = guarded_page
    browser_login(page, live_server, world.email("planner"))
    page.wait_for_url("**/planner/")
    for path in ("/ogc?f=html", "/ogc/collections?f=html",
                 "/ogc/collections/places_points/items?f=html&limit=3"):
        page.goto(f"{live_server}{path}")
        page.wait_for_selector("h1")
        assert run_axe(page) == [], path
    page.click("text=Next page")
    page.wait_for_selector("h1")
    assert "after=" in page.url
