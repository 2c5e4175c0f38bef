"""Nothing a user typed becomes code (issue 12, item 1): every name and label a user can
edit gets a payload that would run as script — breaking out of a JavaScript template
literal, of an HTML attribute or of a <script> element, or as an <img onerror> in HTML —
and every page that shows it is opened in Chromium with every map layer switched on and
every tooltip and popup opened. No payload may run (``window.__pwned``) and no injected
element may exist in the DOM."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests import report_data
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

REPORT_READY = ".report-map.leaflet-container, .report-map .leaflet-container"
PAYLOAD = "</script>`);window.__pwned=1;(`\"'><img src=x onerror=window.__pwned=1>"

# Runs before the page's scripts: every Leaflet map the page makes is kept in
# window.__leafletMaps, so the test can open all its tooltips and popups.
CATCH_MAPS = """
(() => {
  let leaflet;
  Object.defineProperty(window, 'L', {configurable: true, get: () => leaflet, set(value) {
    leaflet = value;
    if (value && value.Map && value.Map.addInitHook && !value.__caught) {
      value.__caught = true;
      value.Map.addInitHook(function () { (window.__leafletMaps ||= []).push(this); });
    }
  }});
})();
"""

# Switches every layer on, opens every tooltip and each popup in turn (counting injected
# elements while each is open), and renders the tooltip and popup contents of layers
# held inside marker clusters the way Leaflet would (a string as HTML, a node as it is).
OPEN_EVERYTHING = """
() => {
  const injected = () => document.querySelectorAll('[onerror], img[src="x"]').length;
  let found = 0, opened = 0;
  for (const input of document.querySelectorAll('.leaflet-control-layers-selector')) {
    if (input.type === 'checkbox' && !input.checked) input.click();
  }
  const host = document.createElement('div');
  document.body.append(host);
  const render = (content, layer) => {
    const value = typeof content === 'function' ? content(layer) : content;
    const box = document.createElement('div');
    if (typeof value === 'string') box.innerHTML = value; else if (value) box.append(value);
    host.append(box);
    opened += 1;
  };
  for (const map of window.__leafletMaps || []) {
    map.eachLayer((layer) => {
      if (layer.getTooltip && layer.getTooltip()) { layer.openTooltip(); opened += 1; }
      if (layer.getPopup && layer.getPopup()) {
        layer.openPopup(); opened += 1; found += injected(); layer.closePopup();
      }
      for (const child of layer.getAllChildMarkers ? layer.getAllChildMarkers() : []) {
        if (child.getTooltip && child.getTooltip()) render(child.getTooltip()._content, child);
        if (child.getPopup && child.getPopup()) render(child.getPopup()._content, child);
      }
    });
  }
  return {found: found + injected(), opened, maps: (window.__leafletMaps || []).length};
}
"""


@pytest.fixture
def poisoned(db):
    """The report test data with a payload in every user-editable name and label."""
    known = report_data.build(db)
    for table, column in (("municipality", "name"), ("preschool", "name"),
                          ("department", "name"), ("campaign", "name"),
                          ("plan_area", "name"), ("category", "label_sv"),
                          ("category", "label_en")):
        db.execute(text(f"UPDATE {table} SET {column} = left({column}, 20) || ' ' "  # noqa: S608
                        f"|| id || :payload"), {"payload": PAYLOAD})
    db.execute(text("UPDATE place SET comment = 'Sa barnen ' || :payload, "
                    "comment_state = 'approved', updated_at = now()"), {"payload": PAYLOAD})
    db.commit()
    return known


def check_page(page, url: str, ready: str) -> dict:
    """Open ``url``, wait for ``ready``, open everything; the page's console errors are
    checked here (a broken <img src=x> would be one)."""
    page.goto(url)
    page.wait_for_selector(ready)
    result = page.evaluate(OPEN_EVERYTHING)
    page.wait_for_load_state("networkidle")  # an injected image would have failed by now
    result["pwned"] = page.evaluate("() => window.__pwned")
    result["found"] += page.evaluate(
        "() => document.querySelectorAll('[onerror], img[src=\"x\"]').length")
    result["errors"] = list(page.console_errors)
    page.console_errors.clear()  # asserted below, as part of the test
    return result


def assert_clean(result: dict, opened_at_least: int = 1) -> None:
    assert result["pwned"] is None, result
    assert result["found"] == 0, result
    assert result["errors"] == [], result
    assert result["opened"] >= opened_at_least, result  # the tooltips were really opened


@pytest.fixture
def browser_page(guarded_page):
    guarded_page.add_init_script(CATCH_MAPS)
    return guarded_page


def report_url(live_server, known, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"campaign": known.world.campaign.id, **args}.items())
    return f"{live_server}/reports/view?{query}"


def test_the_report_for_officials(browser_page, live_server, poisoned):
    browser_login(browser_page, live_server, poisoned.world.email("official"))
    url = report_url(live_server, poisoned, compare=poisoned.compare.id)
    result = check_page(browser_page, url, REPORT_READY)
    assert result["maps"] == 1
    assert_clean(result, opened_at_least=6)  # hexagons, preschools, plans, a cluster


def test_the_report_for_staff(browser_page, live_server, poisoned):
    browser_login(browser_page, live_server, poisoned.world.email("staff_a"))
    url = report_url(live_server, poisoned, scope="preschool",
                     preschool=poisoned.world.school_a.id)
    assert_clean(check_page(browser_page, url, REPORT_READY))


def test_the_report_form(browser_page, live_server, poisoned):
    browser_login(browser_page, live_server, poisoned.world.email("planner"))
    result = check_page(browser_page, f"{live_server}/reports", "#draw-map.leaflet-container")
    assert_clean(result, opened_at_least=0)


def test_the_plan_page(browser_page, live_server, poisoned):
    browser_login(browser_page, live_server, poisoned.world.email("planner"))
    url = f"{live_server}/planner/plans/{poisoned.plans['yard'].id}"
    assert_clean(check_page(browser_page, url, "#impact-map.leaflet-container"))


def test_the_admin_preschool_map(browser_page, live_server, poisoned):
    browser_login(browser_page, live_server, poisoned.world.email("admin"))
    url = f"{live_server}/admin/preschools/{poisoned.world.school_a.id}"
    assert_clean(check_page(browser_page, url, ".leaflet-container"), opened_at_least=0)


def test_the_staff_map(browser_page, live_server, poisoned, db):
    session_id = db.scalar(text("SELECT session_id FROM place WHERE id = :id"),
                           {"id": poisoned.places["P1"].id})
    browser_login(browser_page, live_server, poisoned.world.email("staff_a"))
    url = f"{live_server}/map/sessions/{session_id}"
    assert_clean(check_page(browser_page, url, ".leaflet-container .leaflet-interactive"))
