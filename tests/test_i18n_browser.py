"""The language switch in Debian's Chromium: every language offered in its own name, the
page's lang attribute, the choice kept after logging in and out, at 360-1024 px, axe clean."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from smultron.core.i18n import LANGUAGES
from tests.conftest import browser_login, run_axe, switch_language

pytestmark = pytest.mark.browser
WIDTHS = (360, 390, 768, 1024)


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_switch_offers_every_language_and_fits(guarded_page, live_server, width):
    page = guarded_page
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server}/login")
    for code in ("fi", "fit", "se", "en", "sv"):
        switch_language(page, code)
        page.wait_for_url(re.compile(r"/login$"))
        expect(page.locator("html")).to_have_attribute("lang", code)
        summary = page.locator(".lang-menu summary")
        expect(summary).to_contain_text(LANGUAGES[code])
        summary.click()
        menu = page.locator(".lang-menu ul")
        expect(menu.locator("a")).to_have_count(4)
        box = menu.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert _fits(page)
        assert run_axe(page) == []
        summary.click()


def test_staff_keep_their_language_across_logging_in_and_out(guarded_page, live_server, world):
    page = guarded_page
    page.goto(f"{live_server}/login")
    switch_language(page, "se")
    browser_login(page, live_server, world.email("staff_a"))
    page.wait_for_url(re.compile(r"/map"))
    expect(page.locator("html")).to_have_attribute("lang", "se")
    assert run_axe(page) == []
    switch_language(page, "fit")
    expect(page.locator("html")).to_have_attribute("lang", "fit")
    page.locator("form[action$='/logout'] button").click()
    page.wait_for_url(re.compile(r"/login"))
    expect(page.locator("html")).to_have_attribute("lang", "fit")
