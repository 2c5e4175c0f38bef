"""SAML single sign-on in Debian's Chromium: through the test IdP's own page (pysaml2's
IdP in a process on loopback), the person picks a test user there and the IdP's form
posts the signed response back to Smultron's ACS (a cross-origin POST, as in production)."""

import pytest
import requests

from tests.conftest import browser_login, run_axe
from tests.saml_helpers import attributes, register_sp, set_user
from tests.sso_helpers import UNIT_A, UNIT_B

pytestmark = pytest.mark.browser


@pytest.fixture
def app(saml_app):
    return saml_app


def _log_in_at_the_idp(page, live_server, saml_idp, user: str) -> None:
    register_sp(saml_idp, requests.get(f"{live_server}/saml/metadata", timeout=10).content)
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Logga in med Skolfederation Kiruna").click()
    page.wait_for_url(f"{saml_idp}/sso/redirect?**")
    page.get_by_role("button", name=user).click()
    page.get_by_role("button", name="Continue").click()


def test_staff_log_in_through_the_idps_page_as_staff_of_the_attributes_preschool(
        guarded_page, live_server, db, world, saml_idp):
    page = guarded_page
    world.school_a.unit_code, world.school_b.unit_code = UNIT_A, UNIT_B
    db.commit()
    set_user(saml_idp, "anna", attributes("anna@kiruna.se", "staff", UNIT_B))
    _log_in_at_the_idp(page, live_server, saml_idp, "anna")
    page.wait_for_url(f"{live_server}/map/**")
    assert "Förskolan B" in page.locator("h1").inner_text()
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url(f"{live_server}/login**")
    page.goto(f"{live_server}/home")
    page.wait_for_url(f"{live_server}/login**")  # the session has ended


def test_someone_without_a_role_reads_whom_to_ask(guarded_page, live_server, saml_idp):
    page = guarded_page
    set_user(saml_idp, "nils", attributes("nils@kiruna.se", None))
    _log_in_at_the_idp(page, live_server, saml_idp, "nils")
    page.get_by_role("heading", name="Ditt konto hos Skolfederation Kiruna ger dig ingen "
                                      "roll i Smultron.").wait_for()
    page.console_errors.clear()  # Chromium logs the 403 response
    assert run_axe(page) == []


def test_the_admins_page_with_the_metadata_address_is_accessible(guarded_page, live_server,
                                                                  world):
    page = guarded_page
    browser_login(page, live_server, world.email("admin"))
    page.goto(f"{live_server}/admin/sso")
    link = page.get_by_role("link", name=f"{live_server}/saml/metadata")
    assert link.get_attribute("href") == f"{live_server}/saml/metadata"
    assert run_axe(page) == []
