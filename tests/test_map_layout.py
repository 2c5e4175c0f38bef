"""The staff map's layout in Debian's Chromium at the widths staff meet it on: a phone
(360, 390 px), a portrait tablet (768 px) and a landscape tablet (1024×768, 1180×820).
The page is never wider than the screen, every button is reachable, Save never covers a
field, no label is cut off, and "Place here" stays on screen offline."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from shapely.geometry import LineString, Point, Polygon

from tests import factories
from tests.conftest import browser_login
from tests.test_map_browser import fill_panel

pytestmark = pytest.mark.browser

LON, LAT = 20.2253, 67.8558
LONG_COMMENT = ("Här badar vi på sommaren och det är jättekul, vi hoppar från bryggan och "
                "letar efter små fiskar under stenarna vid strandkanten")


def session_with_places(db, world) -> str:
    """An open session of preschool A with a point (a long comment), an area and a route."""
    row = factories.mapping_session(db, world.campaign, world.school_a, children=8,
                                    user=world.users["staff_a"])
    factories.place(db, row, geometry=Point(LON + 0.002, LAT + 0.001), category_code="water",
                    comment=LONG_COMMENT)
    factories.place(db, row, category_code="nature", geometry=Polygon([
        (LON - 0.004, LAT), (LON - 0.002, LAT), (LON - 0.002, LAT + 0.001),
        (LON - 0.004, LAT)]))
    factories.place(db, row, category_code="snow", feeling="scary", geometry=LineString([
        (LON, LAT - 0.002), (LON + 0.003, LAT - 0.003)]))
    db.commit()
    return str(row.id)


def open_session(page, base: str, world, session_id: str):
    browser_login(page, base, world.email("staff_a"))
    page.wait_for_url(re.compile(r"/map/preschools/\d+$"))
    page.goto(f"{base}/map/sessions/{session_id}")
    page.wait_for_selector("body[data-map-ready=yes]")
    page.wait_for_selector("body[data-offline-ready=yes]")


def outside_the_screen(page, selector: str) -> list[str]:
    """The shown elements matching ``selector`` that stick out of the viewport sideways
    once scrolled to, or that something else covers."""
    return page.evaluate("""selector => [...document.querySelectorAll(selector)].flatMap(el => {
      if (!el.getClientRects().length) return [];  // not shown (hidden)
      el.scrollIntoView({ block: 'center' });
      const box = el.getBoundingClientRect();
      const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
      const ok = box.left >= 0 && box.right <= window.innerWidth && hit && el.contains(hit);
      const where = `${Math.round(box.left)}-${Math.round(box.right)}`;
      return ok ? [] : [`${el.textContent.trim()} ${where}`];
    })""", selector)


WORDS_FIT = """selector => [...document.querySelectorAll(selector)].flatMap(span => {
  const label = span.closest('label').getBoundingClientRect();
  const problems = [];
  const text = span.firstChild;
  for (const match of text.textContent.matchAll(/\\S+/g)) {
    const range = document.createRange();
    range.setStart(text, match.index);
    range.setEnd(text, match.index + match[0].length);
    const rects = [...range.getClientRects()];
    if (rects.length !== 1) problems.push(`${match[0]} broken over ${rects.length} lines`);
    else if (rects[0].left < label.left || rects[0].right > label.right) {
      problems.push(`${match[0]} cut off`);
    }
  }
  return problems;
})"""


@pytest.mark.parametrize("width", [360, 390, 768, 1024])
def test_the_list_of_places_fits_the_screen(guarded_page, live_server, world, db, width):
    session_id = session_with_places(db, world)
    page = guarded_page
    page.set_viewport_size({"width": width, "height": 800})
    open_session(page, live_server, world, session_id)
    expect(page.locator("#places-table tbody tr")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    buttons = page.locator("#places-table tbody button")
    assert buttons.count() == 12  # show, change, move, delete for each
    assert outside_the_screen(page, "#places-table tbody button") == []
    assert outside_the_screen(page, ".map-toolbar .button, #map-actions .button") == []
    # Each row still names its place and what its values are.
    row = page.locator("#places-table tbody tr", has=page.locator("th", has_text="Vatten"))
    expect(row.locator("td.said")).to_have_text(LONG_COMMENT)
    # The panel's choices at this width: no word cut off or broken in two.
    page.click("#place-here")
    page.wait_for_selector("#panel:not([hidden])")
    assert page.evaluate(WORDS_FIT, "#panel .big-choice span") == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width


NOT_COVERED = """selector => {
  const el = document.querySelector(selector);
  const body = el.closest('.panel-body') || el.parentElement;
  const box = el.getBoundingClientRect();
  const view = body.getBoundingClientRect();
  const top = Math.max(box.top, view.top), bottom = Math.min(box.bottom, view.bottom);
  if (bottom - top < 2) return true;  // scrolled out of the panel: nothing to cover
  const hit = document.elementFromPoint(box.x + box.width / 2, (top + bottom) / 2);
  return Boolean(hit && el.contains(hit));
}"""

@pytest.mark.parametrize("size", [(1024, 768), (1180, 820)])
def test_the_panel_on_a_landscape_tablet(guarded_page, live_server, world, db, size):
    session_id = session_with_places(db, world)
    page = guarded_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_session(page, live_server, world, session_id)
    page.click("#place-here")
    page.wait_for_selector("#panel:not([hidden])")
    for control in ("#children-minus", "#children-count", "#children-plus"):
        assert page.evaluate(NOT_COVERED, control), f"{control} under Save when the panel opens"
    for control in ("#children-minus", "#children-count", "#children-plus", "#comment"):
        page.focus(control)  # as Tab does: the browser scrolls it into view
        assert page.evaluate(NOT_COVERED, control), f"{control} under Save when focused"
    assert page.evaluate(WORDS_FIT, "#panel .big-choice span") == []
    expect(page.locator("#panel-save")).to_be_in_viewport(ratio=1)


@pytest.mark.parametrize("size", [(1024, 768), (1180, 820)])
def test_offline_the_status_line_keeps_place_here_on_screen(guarded_page, live_server, world,
                                                             db, size):
    session_id = session_with_places(db, world)
    page = guarded_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_session(page, live_server, world, session_id)
    page.context.set_offline(True)
    page.click("#place-here")
    fill_panel(page, "Lek")
    page.wait_for_selector("body[data-waiting='1']")
    expect(page.locator("#sync-status")).to_contain_text("Inget nätverk")
    page.evaluate("window.scrollTo(0, 0)")
    for button in ("#place-here", "#draw-area", "#draw-route", "#locate"):
        expect(page.locator(button)).to_be_in_viewport(ratio=1)
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    page.context.set_offline(False)
    page.console_errors[:] = [e for e in page.console_errors if "ERR_" not in e]
