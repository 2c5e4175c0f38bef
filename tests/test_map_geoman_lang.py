"""Leaflet-Geoman's words (drawing tips, "Finish", "Remove the last point", button titles)
follow the page's language on every map that draws with it — the staff map, the planner's
plan area, the reports' district and the admin's preschool map — and come from the
server's catalogue (smultron/web/mapping_strings.py), not from Geoman's own English or its
incomplete Swedish."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from smultron.web.mapping_strings import geoman_strings
from tests import export_data, report_data
from tests.conftest import browser_login, switch_language
from tests.test_map_browser import start_session

pytestmark = pytest.mark.browser


def catalogue(app, lang: str) -> dict:
    with app.test_request_context(f"/?lang={lang}"):
        return geoman_strings()


def tooltip(page):
    """Geoman's drawing tip (the preschools' name labels are tooltips too)."""
    return page.locator(".leaflet-tooltip:not(.orientation-label)").first


def check_toolbar(page, words: dict):
    """The polygon tool's title, then its actions once drawing has started."""
    button = page.locator(".leaflet-pm-icon-polygon")
    title = button.locator("xpath=ancestor::*[@title][1]")
    expect(title).to_have_attribute("title", words["buttonTitles"]["drawPolyButton"])
    button.click()
    expect(tooltip(page)).to_have_text(words["tooltips"]["firstVertex"])
    for key in ("finish", "removeLastVertex", "cancel"):
        expect(page.locator(f".leaflet-pm-action.action-{key}:visible")).to_have_text(
            words["actions"][key])


def test_the_staff_map_draws_in_swedish(guarded_page, live_server, world, app):
    words = catalogue(app, "sv")
    assert words["actions"]["finish"] == "Slutför"
    page = guarded_page
    start_session(page, live_server)
    page.click("#draw-area")
    expect(tooltip(page)).to_have_text(words["tooltips"]["firstVertex"])
    page.click("#add-corner")
    expect(tooltip(page)).to_have_text(words["tooltips"]["continueLine"])


def test_the_planners_plan_area_draws_in_swedish(guarded_page, live_server, world, db, app):
    export_data.build(db, world)
    page = guarded_page
    browser_login(page, live_server, world.email("planner"))
    page.wait_for_url("**/planner/")
    page.wait_for_selector("#plan-draw-map.leaflet-container")
    check_toolbar(page, catalogue(app, "sv"))


def test_the_reports_district_draws_in_swedish(guarded_page, live_server, db, app):
    known = report_data.build(db)
    page = guarded_page
    browser_login(page, live_server, known.world.email("official"))
    page.goto(f"{live_server}/reports")
    page.wait_for_selector("#draw-map.leaflet-container")
    check_toolbar(page, catalogue(app, "sv"))


def test_the_admin_preschool_map_draws_in_english(guarded_page, live_server, world, app):
    words = catalogue(app, "en")
    assert words["tooltips"]["firstVertex"] == "Tap or click to place the first point"
    page = guarded_page
    browser_login(page, live_server, world.email("admin"))
    page.wait_for_url(f"{live_server}/admin")
    page.goto(f"{live_server}/admin/preschools/new")
    switch_language(page, "en")
    page.wait_for_url(re.compile(r"/admin/preschools/new$"))
    page.wait_for_selector("#preschool-map[data-ready=true]")
    page.click("#draw-neighbourhood")
    expect(tooltip(page)).to_have_text(words["tooltips"]["firstVertex"])
