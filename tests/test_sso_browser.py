"""Single sign-on in Debian's Chromium: through the real provider's own login page
(oidc-provider-mock on loopback) and back, logout at the provider, a second login."""

import pytest

from smultron.sso import settings as sso_settings
from tests.conftest import run_axe
from tests.sso_helpers import UNIT_A, UNIT_B, claims, set_user

pytestmark = pytest.mark.browser


@pytest.fixture
def app(oidc_app):
    return oidc_app


@pytest.fixture
def provider_page(guarded_page):
    """The provider's own pages load a stylesheet from a CDN: it is answered with nothing
    here (those pages are the provider's, not Smultron's). Every other request that leaves
    127.0.0.1 is still blocked and fails the test."""
    guarded_page.route("https://cdn.jsdelivr.net/npm/@picocss/**", lambda route: route.fulfill(
        status=200, content_type="text/css", body=""))
    return guarded_page


def _log_in_at_the_provider(page, live_server, oidc_provider, sub: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Logga in med Kiruna kommun").click()
    page.wait_for_url(f"{oidc_provider}/oauth2/authorize**")
    page.fill("input[name=sub]", sub)
    page.get_by_role("button", name="Authorize").click()


def test_staff_log_in_through_the_providers_page_and_a_second_login_updates_the_preschools(
        provider_page, live_server, db, world, oidc_provider):
    page = provider_page
    world.school_a.unit_code, world.school_b.unit_code = UNIT_A, UNIT_B
    db.commit()
    set_user(oidc_provider, "anna-sub", claims("anna@kiruna.se", "staff", UNIT_A))
    _log_in_at_the_provider(page, live_server, oidc_provider, "anna-sub")
    page.wait_for_url(f"{live_server}/map/**")
    assert "Förskolan A" in page.locator("h1").inner_text()
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url(f"{oidc_provider}/oauth2/end_session**")  # the provider's logout
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{live_server}/login**")
    page.goto(f"{live_server}/home")
    page.wait_for_url(f"{live_server}/login**")  # Smultron's session has ended too

    sso_settings.save(db, {**sso_settings.DEFAULTS, "roles_from_provider": True})
    db.commit()
    set_user(oidc_provider, "anna-sub", claims("anna@kiruna.se", "staff", UNIT_B))
    _log_in_at_the_provider(page, live_server, oidc_provider, "anna-sub")
    page.wait_for_url(f"{live_server}/map/**")
    assert "Förskolan B" in page.locator("h1").inner_text()


def test_someone_without_a_role_reads_whom_to_ask(provider_page, live_server, oidc_provider):
    page = provider_page
    set_user(oidc_provider, "nils-sub", claims("nils@kiruna.se", None))
    _log_in_at_the_provider(page, live_server, oidc_provider, "nils-sub")
    page.get_by_role("heading", name="Ditt konto hos Kiruna kommun ger dig ingen roll i "
                                      "Smultron.").wait_for()
    page.console_errors.clear()  # Chromium logs the 403 response
    assert run_axe(page) == []


@pytest.mark.parametrize("width", [360, 390, 768, 1024])
def test_the_login_page_with_the_provider_button_is_accessible_and_fits(
        guarded_page, live_server, width):
    page = guarded_page
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server}/login")
    button = page.get_by_role("link", name="Logga in med Kiruna kommun")
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    password = page.locator("#password").bounding_box()
    assert box["y"] < password["y"]  # above the password form
    button.focus()
    assert page.evaluate("document.activeElement.textContent") == "Logga in med Kiruna kommun"
    assert run_axe(page) == []
