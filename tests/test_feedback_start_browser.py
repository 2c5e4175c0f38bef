"""The children hear back, in Debian's Chromium (issue 15): "Last time" on the start page
(360 and 1024 px: buttons, a tap, the arrow keys); the notice of new answers appears on
the start page and /home and, once the answers page is opened, disappears; axe clean."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import feedback_data
from tests.conftest import browser_login, run_axe

pytestmark = pytest.mark.browser


@pytest.fixture
def answered(db, world):
    return feedback_data.build(db, world)


def test_the_new_answers_notice_appears_and_disappears(guarded_page, live_server, world,
                                                       answered):
    page = guarded_page
    browser_login(page, live_server, world.email("staff_a"))
    page.wait_for_url(re.compile(r"/map/preschools/\d+$"))
    notice = page.get_by_role("link", name="2 nya svar från planerarna · Förskolan A")
    expect(notice).to_be_visible()  # on the start page, where staff land
    assert run_axe(page) == []
    page.goto(f"{live_server}/home")
    expect(notice).to_be_visible()
    assert run_axe(page) == []
    notice.click()
    page.wait_for_url(re.compile(r"/answers\?campaign=\d+$"))
    page.wait_for_selector("body[data-map-ready=yes]")
    expect(page.locator(".answer-card")).to_have_count(3)
    page.goto(f"{live_server}/home")
    expect(page.get_by_role("heading", name="Välkommen till Smultron")).to_be_visible()
    expect(page.locator(".new-answers")).to_have_count(0)
    page.goto(f"{live_server}/map/preschools/{world.school_a.id}")
    expect(page.get_by_role("heading", name="Börja kartlägga på Förskolan A")).to_be_visible()
    expect(page.locator(".new-answers")).to_have_count(0)


@pytest.mark.parametrize("width", [360, 1024])
def test_last_time_slideshow_with_buttons_taps_and_keys(guarded_page, live_server, world, db,
                                                        width):
    from tests.test_feedback_last_time import earlier

    earlier(db, world)
    page = guarded_page
    page.set_viewport_size({"width": width, "height": 800})
    browser_login(page, live_server, world.email("staff_a"))
    page.wait_for_url(re.compile(r"/map/preschools/\d+$"))
    section = page.locator("#last-time")
    expect(section).to_have_attribute("data-ready", "yes")
    current = page.locator(".last-time-slide:visible")
    expect(current).to_have_count(1)
    expect(current.locator(".last-time-category")).to_have_text("Djur")
    expect(current.locator(".last-time-count")).to_have_text("1 av 2")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert run_axe(page) == []
    page.get_by_role("button", name="Nästa").click()
    expect(current.locator(".last-time-category")).to_have_text("Gömställe och koja")
    current.click()  # a tap on the card goes on (round to the first)
    expect(current.locator(".last-time-category")).to_have_text("Djur")
    page.get_by_role("button", name="Föregående").focus()
    page.keyboard.press("ArrowLeft")
    expect(current.locator(".last-time-count")).to_have_text("2 av 2")
    page.keyboard.press("ArrowRight")
    expect(current.locator(".last-time-count")).to_have_text("1 av 2")
    page.keyboard.press("Enter")  # Previous, by keyboard
    expect(current.locator(".last-time-count")).to_have_text("2 av 2")
    expect(page.locator(".last-time-words:visible")).to_have_count(0)  # not approved
    assert run_axe(page) == []
