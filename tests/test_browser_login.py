"""Logging in through the real page in Debian's Chromium, offline."""

import pytest

from tests.conftest import browser_login, run_axe

pytestmark = pytest.mark.browser


def test_staff_logs_in_with_no_external_request(guarded_page, live_server, world):
    page = guarded_page
    browser_login(page, live_server, world.email("staff_a"))
    page.wait_for_url(f"{live_server}/map**")  # staff land on the map
    page.get_by_role("button", name="Logga ut").wait_for()
    assert page.locator("html").get_attribute("lang") == "sv"
    page.goto(f"{live_server}/home")
    page.get_by_text("staff.a@example.org").wait_for()
    assert run_axe(page) == []


def test_login_page_has_no_accessibility_violations(guarded_page, live_server):
    guarded_page.goto(f"{live_server}/login")
    assert run_axe(guarded_page) == []


def test_wrong_password_shows_a_message(guarded_page, live_server, world):
    browser_login(guarded_page, live_server, world.email("staff_a"), "wrong password")
    guarded_page.wait_for_selector(".flash-error")
    guarded_page.console_errors.clear()  # the 401 response is logged by Chromium
