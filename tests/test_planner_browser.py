"""The planner's pages in Debian's Chromium: no external request, no console error, a
drawn plan area is saved and checked, and no axe-core violations."""

import json
import tempfile
from pathlib import Path

import pytest
from shapely.geometry import Point
from sqlalchemy import select, text

from smultron.models import Place, PlanArea
from tests import factories
from tests.conftest import browser_login, run_axe

pytestmark = pytest.mark.browser
WIDTHS = (360, 390, 768, 1024)
BOWTIE = json.dumps({"type": "Polygon", "coordinates": [[[20.222, 67.854], [20.229, 67.857],
                                                          [20.229, 67.854], [20.222, 67.857],
                                                          [20.222, 67.854]]]})


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


def test_ogc_html_pages_are_accessible(guarded_page, live_server, world, places):
    page = guarded_page
    browser_login(page, live_server, world.email("planner"))
    page.wait_for_url("**/planner/")
    for path in ("/ogc?f=html", "/ogc/collections?f=html",
                 "/ogc/collections/places_points/items?f=html&limit=3"):
        page.goto(f"{live_server}{path}")
        page.wait_for_selector("h1")
        assert run_axe(page) == [], path
    page.click("text=Nästa sida")  # the page's language: Swedish
    page.wait_for_selector("h1")
    assert "after=" in page.url


def fits(page) -> bool:
    """Nothing sticks out sideways: the page is no wider than the window (else the
    widest elements that stick out are named in the failure)."""
    wide = page.evaluate("""() => {
      const width = window.innerWidth;
      if (document.documentElement.scrollWidth <= width) return [];
      return [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > width + 1)
        .slice(-8).map((e) => `${e.tagName}#${e.id}.${e.className}`);
    }""")
    assert wide == [], wide
    return True


def refused_with(page, status: int) -> None:
    """The page came back as a 4xx on purpose: Chromium logs that load as a console error,
    which is the answer expected here (every other console error still fails the test)."""
    expected = f"Failed to load resource: the server responded with a status of {status}"
    found = [e for e in page.console_errors if e.startswith(expected)]
    assert found, page.console_errors
    for error in found:
        page.console_errors.remove(error)


def shot(page, name: str, width: int) -> None:
    """A screenshot to look at (pytest-playwright empties test-results/ on each run)."""
    folder = Path(tempfile.gettempdir()) / "smultron-shots"
    page.screenshot(path=folder / f"planner-{name}-{width}.png")


@pytest.fixture
def queue(db, world, places):
    """30 more comments waiting: the list is long enough to scroll."""
    session = factories.mapping_session(db, world.campaign, world.school_a)
    for n in range(30):
        factories.place(db, session, Point(20.22 + n / 1000, 67.85), "nature",
                        comment=f"Kommentar nummer {n + 1} om skogen", comment_state="pending")
    db.commit()


@pytest.mark.parametrize("width", WIDTHS)
def test_moderation_stays_in_the_list(guarded_page, live_server, world, queue, db, width):
    page = guarded_page
    page.set_viewport_size({"width": width, "height": 800})
    browser_login(page, live_server, world.email("planner"))
    page.wait_for_url("**/planner/")
    rows = page.locator("#moderation tbody tr")
    assert rows.count() == 31 and fits(page)
    row = rows.nth(20)
    approve = row.locator("button[value=approve]")
    approve.scroll_into_view_if_needed()  # before the click: clicking scrolls no more
    page.evaluate("window.__samePage = true")  # gone if the page reloads
    before = page.evaluate("window.scrollY")
    approve.click()
    page.wait_for_selector(f"#{row.get_attribute('id')}[data-state=approved]")
    assert page.evaluate("window.__samePage") is True
    assert page.evaluate("window.scrollY") == before  # still at the same place in the list
    assert rows.count() == 31  # the handled comment stays, with its new state
    assert row.locator(".comment-state").inner_text() == "Godkänd"
    assert row.locator("button[value=approve]").is_hidden()
    assert page.evaluate("document.activeElement.value") == "hide"  # focus stays in the row
    assert page.locator("#moderation-status").inner_text() == "Kommentaren är godkänd."
    assert page.locator("#pending-count").inner_text() == "30"
    place_id = row.get_attribute("id").removeprefix("comment-")
    db.expire_all()
    assert db.get(Place, place_id).comment_state == "approved"
    assert fits(page)
    if width in (360, 1024):
        shot(page, "moderation", width)


def test_moderation_without_a_script_comes_back_to_the_next_comment(browser, live_server,
                                                                   world, queue):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390,
                                                                       "height": 800})
    page = context.new_page()
    browser_login(page, live_server, world.email("planner"))
    page.wait_for_url("**/planner/")
    rows = page.locator("#moderation tbody tr")
    following = rows.nth(6).get_attribute("id")
    rows.nth(5).locator("button[value=hide]").click()
    page.wait_for_url(f"**/planner/#{following}")
    assert page.locator(".flash").inner_text() == "Kommentaren är dold."
    assert page.locator(f"#{following}").is_visible()  # the list is where it was
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_refused_drawing_keeps_the_work_on_the_form(guarded_page, live_server, world, places,
                                                      db, width):
    page = guarded_page
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, world.email("planner"))
    page.wait_for_url("**/planner/")
    page.fill("#plan-name", "Skolgården")
    page.fill("#plan-geojson", '{"type": "Point", "coordinates": [20.22, 67.85]}')
    page.click("#plan-form button[type=submit]")
    page.wait_for_selector("#plan-errors")
    refused_with(page, 422)
    page.wait_for_function("() => document.activeElement.id === 'plan-errors'")  # seen at once
    assert page.input_value("#plan-name") == "Skolgården"
    assert '"Point"' in page.input_value("#plan-geojson")
    field = page.locator("#plan-geojson")
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby").split()
    assert page.locator(f"#{described[0]}").inner_text() == (
        "Ett planområde ska vara polygoner; filen har en Point.")
    assert page.locator("#plan-errors a").get_attribute("href") == "#plan-geojson"
    assert db.scalars(select(PlanArea)).all() == []
    assert fits(page) and run_axe(page) == []
    if width in (360, 1024):
        shot(page, "refused", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_self_intersecting_drawing_is_shown_repaired_before_it_is_saved(
        guarded_page, live_server, world, places, db, width):
    page = guarded_page
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, world.email("planner"))
    page.wait_for_url("**/planner/")
    page.fill("#plan-name", "Fjärilen")
    page.fill("#plan-geojson", BOWTIE)
    page.click("#plan-form button[type=submit]")
    page.wait_for_selector("#plan-review-map[data-ready=true]")
    assert page.locator(".repairs").inner_text() == (
        "Konturen korsade sig själv; den delades i 2 delar.")
    assert page.evaluate("document.activeElement.id") == "plan-review-h"
    assert page.locator("#plan-review-map path.leaflet-interactive").count() >= 1
    assert db.scalars(select(PlanArea)).all() == []  # not saved before the check
    assert fits(page) and run_axe(page) == []
    if width in (360, 1024):
        shot(page, "review", width)
    page.click(".plan-review button[type=submit]")
    page.wait_for_selector("#impact-map[data-ready=true]")
    assert "Fjärilen" in page.locator("h1").inner_text()
    assert db.scalar(select(text("ST_NumGeometries(geom)")).select_from(PlanArea)) == 2
    assert fits(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_reversed_dates_come_back_on_the_download_form(guarded_page, live_server, world, places,
                                                       width):
    page = guarded_page
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, world.email("planner"))
    page.wait_for_url("**/planner/")
    page.select_option("#f-campaign", "Hösten 2026")
    page.fill("#f-from", "2026-10-01")
    page.fill("#f-to", "2026-09-01")
    page.click("#download-form button.primary")
    page.wait_for_selector("#download-errors")
    refused_with(page, 400)
    page.wait_for_function("() => document.activeElement.id === 'download-errors'")
    assert page.locator("#f-to").get_attribute("aria-invalid") == "true"
    assert page.locator("#f-to-error").inner_text() == "Slutdatumet ligger före startdatumet."
    assert page.input_value("#f-from") == "2026-10-01"
    assert page.eval_on_selector("#f-campaign", "s => [...s.selectedOptions].map(o => o.value)") \
        == ["Hösten 2026"]
    assert fits(page) and run_axe(page) == []


def orientation_labels(page, selector: str) -> list[str]:
    page.wait_for_selector(f"{selector}[data-orientation]")
    return sorted(page.locator(f"{selector} .leaflet-tooltip").all_inner_texts())


PAYLOAD = "<img src=x onerror=window.__pwned=1>Förskolan A"


def test_the_drawing_maps_show_the_preschools_to_orient_by(guarded_page, live_server, world,
                                                           places, db):
    db.execute(text("UPDATE preschool SET name = :name WHERE id = :id"),
               {"name": PAYLOAD, "id": world.school_a.id})
    db.commit()
    page = guarded_page
    browser_login(page, live_server, world.email("planner"))
    page.wait_for_url("**/planner/")
    assert orientation_labels(page, "#plan-draw-map") == [PAYLOAD, "Förskolan B"]
    assert page.locator("#plan-draw-map .leaflet-orientation-pane path").count() == 4
    assert page.locator("#plan-draw-map img[src=x]").count() == 0  # the name is text
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#plan-draw-map .orientation-legend").inner_text().startswith(
        "Grå prickar")
    page.fill("#plan-name", "Skolgården")
    page.fill("#plan-geojson", '{"type": "Polygon", "coordinates": [[[20.222, 67.854], '
              '[20.229, 67.854], [20.229, 67.857], [20.222, 67.857], [20.222, 67.854]]]}')
    page.click("#plan-form button[type=submit]")
    page.wait_for_selector("#impact-map[data-ready=true]")
    assert PAYLOAD in orientation_labels(page, "#impact-map")
    assert page.evaluate("window.__pwned") is None


def test_the_reports_district_map_shows_the_preschools(guarded_page, live_server, world, places):
    page = guarded_page
    browser_login(page, live_server, world.email("official"))
    page.goto(f"{live_server}/reports")
    assert orientation_labels(page, "#draw-map") == ["Förskolan A", "Förskolan B"]
