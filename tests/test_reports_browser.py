"""The report in Debian's Chromium: no external request, no console error, the heatmap
canvas painted, every layer switchable, and no axe-core violations."""

import pytest

from tests.conftest import browser_login, run_axe, switch_language

pytestmark = pytest.mark.browser

PAINTED = """(selector) => {
  const canvas = document.querySelector(selector);
  if (!canvas || !canvas.width) return false;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let n = 3; n < pixels.length; n += 4) if (pixels[n] > 0) return true;
  return false;
}"""
HEXAGONS = ".leaflet-overlay-pane canvas:not(.leaflet-heatmap-layer)"


def layer_switches(page) -> dict[str, bool]:
    """The layer control's switches: name -> checked."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '.leaflet-control-layers-overlays label')].map(label => [label.textContent.trim(),
        label.querySelector('input').checked]))""")


def test_the_report_renders_offline_with_its_layers(guarded_page, live_server, known):
    page = guarded_page
    browser_login(page, live_server, known.world.email("official"))
    page.wait_for_url("**/reports")
    page.click(".report-form button[type=submit]")  # the defaults: newest campaign, all
    page.wait_for_selector("#report-map[data-ready=true]")
    page.wait_for_function(PAINTED, arg=HEXAGONS)
    assert page.locator("#table-favourite tbody tr").count() > 0
    # hexagons and scary cells on one canvas, the preschools on their own above the markers
    assert page.locator(f".report-map {HEXAGONS}").count() == 1
    assert page.locator(".report-map .leaflet-preschools-pane svg path").count() == 3
    assert page.locator(".report-cluster").count() >= 1
    backgrounds = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '.leaflet-control-layers-base label')].map(label => [label.textContent.trim(),
        label.querySelector('input').checked]))""")
    assert backgrounds == {"Karta": True, "Ingen bakgrund": False}
    switches = layer_switches(page)
    assert switches == {"Värmekarta: smultronställen": False,
                        "Hexagoner: smultronställen": True, "Läskiga platser": True,
                        "Planområden": False, "Rapportens område": True,
                        "Mest älskade områden": True, "Förskolor": True}
    page.locator(".leaflet-control-layers label", has_text="Värmekarta").locator("input").check()
    page.wait_for_function(PAINTED, arg="canvas.leaflet-heatmap-layer")
    # the scale bar is metric only
    assert page.locator(".leaflet-control-scale-line").count() == 1
    assert " m" in page.inner_text(".leaflet-control-scale-line") or \
        "km" in page.inner_text(".leaflet-control-scale-line")
    assert run_axe(page) == []
    switch_language(page, "en")  # the same report in English
    page.wait_for_selector("text=Children's favourite places")
    page.wait_for_function(PAINTED, arg=HEXAGONS)
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Hexagons: favourite places" in layer_switches(page)
    assert run_axe(page) == []


def test_the_report_form_has_no_accessibility_violations(guarded_page, live_server, known):
    page = guarded_page
    browser_login(page, live_server, known.world.email("planner"))
    page.goto(f"{live_server}/reports")
    page.wait_for_selector("#draw-map.leaflet-container")
    assert run_axe(page) == []


def test_a_district_drawn_on_the_map_gives_its_report(guarded_page, live_server, known):
    page = guarded_page
    browser_login(page, live_server, known.world.email("official"))
    page.goto(f"{live_server}/reports")
    page.wait_for_selector("#draw-map.leaflet-container")
    page.click(".leaflet-pm-icon-polygon")
    box = page.locator("#draw-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-120, -80), (120, -80), (120, 80), (-120, 80), (-120, -80)):
        page.mouse.click(cx + dx, cy + dy)
    drawn = page.input_value("#area")
    assert '"Polygon"' in drawn
    assert page.is_checked('input[name="scope"][value="area"]')
    page.click(".report-form button[type=submit]")
    page.wait_for_selector("#report-map[data-ready=true]")
    assert "A district drawn on the map" in page.content() or \
        "Ett område ritat på kartan" in page.content()


def test_the_preschool_list_counts_only_for_one_preschool(guarded_page, live_server, known):
    page = guarded_page
    browser_login(page, live_server, known.world.email("planner"))
    page.goto(f"{live_server}/reports")
    page.wait_for_selector("#draw-map.leaflet-container")
    assert page.is_disabled("#preschool") and page.is_disabled("#plan_area")
    assert page.is_disabled("#area")
    page.check('input[name="scope"][value="preschool"]')
    assert page.is_enabled("#preschool") and page.is_disabled("#plan_area")
    page.select_option("#preschool", label="Förskolan B")
    page.check('input[name="scope"][value="municipality"]')
    assert page.is_disabled("#preschool")
    page.click(".report-form button[type=submit]")
    page.wait_for_selector("#report-map[data-ready=true]")
    assert "preschool=" not in page.url
    assert page.inner_text(".report-meta") .count("Hela kommunen") == 1


@pytest.mark.parametrize("width", [360, 390, 768, 1024])
def test_the_report_and_its_form_fit_every_width(guarded_page, live_server, known, width):
    page = guarded_page
    page.set_viewport_size({"width": width, "height": 800})
    browser_login(page, live_server, known.world.email("official"))
    page.goto(f"{live_server}/reports")
    page.wait_for_selector("#draw-map.leaflet-container")
    fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(fits), "the form is wider than the screen"
    page.goto(f"{live_server}/reports/view?campaign={known.world.campaign.id}"
              f"&compare={known.compare.id}")
    page.wait_for_selector("#report-map[data-ready=true]")
    assert page.evaluate(fits), "the report is wider than the screen"
    box = page.locator("#report-map").bounding_box()
    assert box["width"] <= width and box["height"] >= 200
    assert run_axe(page) == []
