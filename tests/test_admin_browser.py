"""The administration in Debian's Chromium, offline: an admin draws a preschool's
neighbourhood, opens a campaign and invites a staff member, whose one-time link works
once; the staff member then works with that preschool only. axe-core on every page."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from smultron.core import audit
from smultron.core.geo import from_db
from smultron.models import Campaign, Category, Preschool, User
from tests.conftest import browser_login, run_axe
from tests.test_injection_browser import (  # noqa: F401 - poisoned is a fixture
    CATCH_MAPS,
    PAYLOAD,
    assert_clean,
    check_page,
    poisoned,
)

pytestmark = pytest.mark.browser
NEW_PASSWORD = "polstjärnan lyser klart"


def draw_square(page, half: int = 90):
    """Click the map's centre (the preschool), then draw a square around it with geoman."""
    def centre():
        page.locator("#preschool-map").scroll_into_view_if_needed()
        box = page.locator("#preschool-map").bounding_box()
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    page.mouse.click(*centre())
    expect(page.locator("#field-lon")).not_to_have_value("")
    page.click("#draw-neighbourhood")
    cx, cy = centre()
    corners = [(-half, -half), (half, -half), (half, half), (-half, half), (-half, -half)]
    for dx, dy in corners:
        page.mouse.click(cx + dx, cy + dy)
    expect(page.locator("#field-neighbourhood")).not_to_have_value("")


def test_admin_sets_up_a_preschool_campaign_and_staff_member(guarded_page, live_server, db,
                                                            world):
    page = guarded_page
    browser_login(page, live_server, world.email("admin"))
    page.wait_for_url(f"{live_server}/admin")

    # A preschool, its neighbourhood drawn on the map.
    page.goto(f"{live_server}/admin/preschools/new")
    page.wait_for_selector("#preschool-map[data-ready=true]")
    page.fill("#field-name", "Förskolan Polstjärnan")
    page.fill("#field-enrolled_children", "25")
    draw_square(page)
    assert "4" in page.inner_text("#neighbourhood-status")
    page.click("#preschool-form button[type=submit]")
    page.wait_for_selector("text=Förskolan Polstjärnan lades till.")
    assert run_axe(page) == []
    db.expire_all()
    school = db.scalar(select(Preschool).where(Preschool.name == "Förskolan Polstjärnan"))
    outline = from_db(school.neighbourhood)
    assert len(outline.exterior.coords) == 5  # the four corners drawn, closed
    assert outline.contains(from_db(school.location))
    assert outline.area * 1e4 > 0.05  # not a degenerate sliver

    # A campaign with that preschool taking part.
    page.goto(f"{live_server}/admin/campaigns/new")
    page.fill("#field-name", "Vintern 2026")
    page.fill("#field-starts_on", "2026-11-01")
    page.check(f"#preschool-{school.id}")
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("text=Kampanjen Vintern 2026 är öppen.")
    db.expire_all()
    campaign = db.scalar(select(Campaign).where(Campaign.name == "Vintern 2026"))
    assert campaign.status == "open" and [p.id for p in campaign.preschools] == [school.id]

    # A staff member for it, invited with a one-time link.
    page.goto(f"{live_server}/admin/users/new")
    page.fill("#field-email", "polstjarnan@example.org")
    page.check("#role-staff")
    page.check(f"#preschool-{school.id}")
    page.click("form.stack button[type=submit]")
    link = page.input_value("#one-time-link")
    assert run_axe(page) == []
    page.click("text=Logga ut")
    page.wait_for_url(re.compile(r".*/login"))

    link = link.replace("https://", "http://")
    page.goto(link)
    assert run_axe(page) == []
    page.fill("#field-password", NEW_PASSWORD)
    page.fill("#field-password_repeat", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Ditt lösenord är sparat.")

    # The link works once, then it has expired.
    response = page.goto(link)
    assert response.status == 410
    assert page.is_visible("text=Länken fungerar inte längre")
    page.console_errors.clear()  # Chromium logs the 410 response
    assert run_axe(page) == []

    # The staff member logs in and works with that preschool only.
    browser_login(page, live_server, "polstjarnan@example.org", NEW_PASSWORD)
    page.wait_for_url(re.compile(rf".*/map/preschools/{school.id}$"))
    assert page.is_visible("text=Vintern 2026")
    page.goto(f"{live_server}/account")
    assert page.inner_text("#my-preschools").strip() == "Förskolan Polstjärnan"
    other = page.goto(f"{live_server}/map/preschools/{world.school_a.id}")
    assert other.status == 404
    page.console_errors.clear()  # Chromium logs the 404 response
    user = db.scalar(select(User).where(User.email == "polstjarnan@example.org"))
    assert user.last_login_at is not None


ADMIN_PAGES = [
    "/admin", "/admin/preschools", "/admin/preschools?archived=1", "/admin/preschools/new",
    "/admin/preschools/import", "/admin/campaigns", "/admin/campaigns/new", "/admin/users",
    "/admin/users/new", "/admin/categories", "/admin/categories/new", "/admin/retention",
    "/admin/audit", "/admin/pages", "/admin/pages/privacy/sv", "/account/tokens", "/account",
]


def test_axe_reports_no_violations_on_the_admin_pages(guarded_page, live_server, db, world):
    page = guarded_page
    browser_login(page, live_server, world.email("admin"))
    page.wait_for_url(f"{live_server}/admin")
    water = db.scalar(select(Category.id).where(Category.code == "water"))
    pages = ADMIN_PAGES + [f"/admin/preschools/{world.school_a.id}",
                           f"/admin/campaigns/{world.campaign.id}",
                           f"/admin/users/{world.users['staff_a'].id}",
                           f"/admin/categories/{water}"]
    failures = {}
    for path in pages:
        page.goto(f"{live_server}{path}")
        if page.locator("#preschool-map").count():
            page.wait_for_selector("#preschool-map[data-ready=true]")
        violations = run_axe(page)
        if violations:
            failures[path] = violations
    assert failures == {}


def test_axe_on_a_form_with_errors_and_in_english(guarded_page, live_server, world):
    page = guarded_page
    browser_login(page, live_server, world.email("admin"))
    page.wait_for_url(f"{live_server}/admin")
    page.goto(f"{live_server}/lang/en?next=/admin")
    page.goto(f"{live_server}/admin/preschools/new")
    page.wait_for_selector("#preschool-map[data-ready=true]")
    page.fill("#field-lon", "500")
    page.fill("#field-lat", "67.85")
    page.evaluate("document.getElementById('field-name').removeAttribute('required')")
    page.evaluate("document.getElementById('field-lon').removeAttribute('required')")
    page.click("#preschool-form button[type=submit]")
    page.wait_for_selector("#error-summary")
    page.console_errors.clear()  # Chromium logs the 422 response
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.is_visible("text=The name is missing")
    assert run_axe(page) == []


@pytest.mark.parametrize("path", ["/about", "/accessibility", "/privacy"])
def test_axe_on_the_public_pages(guarded_page, live_server, world, path):
    guarded_page.goto(f"{live_server}{path}")
    assert run_axe(guarded_page) == []


def test_the_neighbourhood_can_be_shaped_with_the_keyboard(guarded_page, live_server, db,
                                                           world):
    page = guarded_page
    browser_login(page, live_server, world.email("admin"))
    page.wait_for_url(f"{live_server}/admin")
    page.goto(f"{live_server}/admin/preschools/new")
    page.wait_for_selector("#preschool-map[data-ready=true]")
    page.fill("#field-name", "Tangentbordet")
    page.fill("#field-lon", "20.25")
    page.press("#field-lon", "Tab")
    page.fill("#field-lat", "67.86")
    page.press("#field-lat", "Tab")
    page.fill("#field-radius", "500")
    page.focus("#draw-neighbourhood")
    page.keyboard.press("Enter")
    expect(page.locator("#corner-rows tr")).to_have_count(4)
    expect(page.locator("#corner-1-lon")).to_be_focused()
    page.fill("#corner-1-lon", "20.2350")
    page.keyboard.press("Tab")
    expect(page.locator("#field-neighbourhood")).to_have_value(re.compile(r"20\.235"))
    page.click("#corner-4-remove")
    expect(page.locator("#corner-rows tr")).to_have_count(3)
    page.click("#corner-1-add")
    expect(page.locator("#corner-rows tr")).to_have_count(4)
    assert run_axe(page) == []
    page.click("#preschool-form button[type=submit]")
    page.wait_for_selector("text=Tangentbordet lades till.")
    db.expire_all()
    school = db.scalar(select(Preschool).where(Preschool.name == "Tangentbordet"))
    outline = from_db(school.neighbourhood)
    assert len(outline.exterior.coords) == 5
    assert min(x for x, _y in outline.exterior.coords) == pytest.approx(20.235, abs=1e-6)


def test_admin_pages_reflow_at_320_css_pixels(guarded_page, live_server, world):
    """WCAG 1.4.10: no horizontal scrolling at 320 px; wide tables scroll inside a box."""
    page = guarded_page
    page.set_viewport_size({"width": 320, "height": 800})
    browser_login(page, live_server, world.email("admin"))
    page.wait_for_url(f"{live_server}/admin")
    too_wide = {}
    for path in ADMIN_PAGES + [f"/admin/preschools/{world.school_a.id}", "/privacy"]:
        page.goto(f"{live_server}{path}")
        if page.locator("#preschool-map").count():
            page.wait_for_selector("#preschool-map[data-ready=true]")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            too_wide[path] = width
    assert too_wide == {}


def test_a_saved_neighbourhood_is_reshaped_by_dragging_a_corner(guarded_page, live_server, db,
                                                                world):
    page = guarded_page
    original = from_db(world.school_a.neighbourhood)
    browser_login(page, live_server, world.email("admin"))
    page.wait_for_url(f"{live_server}/admin")
    page.goto(f"{live_server}/admin/preschools/{world.school_a.id}")
    page.wait_for_selector("#preschool-map[data-ready=true]")
    before = page.input_value("#field-neighbourhood")
    page.locator("#preschool-map").scroll_into_view_if_needed()
    handle = page.locator(".marker-icon:not(.marker-icon-middle)").first
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y + 10, steps=5)
    page.mouse.move(x + 60, y + 20, steps=5)
    page.mouse.up()
    expect(page.locator("#field-neighbourhood")).not_to_have_value(before)
    page.click("#preschool-form button[type=submit]")
    page.wait_for_selector("text=Ändringarna av Förskolan A sparades.")
    db.expire_all()
    stored = from_db(db.get(Preschool, world.school_a.id).neighbourhood)
    assert stored.is_valid and stored.contains(from_db(world.school_a.location))
    assert not stored.equals(original)
    assert len(stored.exterior.coords) == len(original.exterior.coords)  # moved, not added


WIDTHS = (360, 390, 768, 1024)
FITS = """() => {
  const root = document.documentElement;
  const wide = [...document.querySelectorAll('main *')].filter((el) => {
    const style = getComputedStyle(el);
    return ['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1;
  }).map((el) => el.className || el.tagName);
  return {page: root.scrollWidth - root.clientWidth, boxes: wide};
}"""


def _busy_audit_log(db, world):
    """Events with long values and every kind of detail."""
    from smultron.core import audit

    admin = world.users["admin"]
    audit.record(db, "login_failed", actor="en.mycket.lang.adress.som.nagon.skrev@" + "x" * 60
                 + ".kiruna.se", ip="2001:db8:85a3:0000:0000:8a2e:0370:7334")
    audit.record(db, "preschool_updated", admin, target="Förskolan Örnen med ett långt namn",
                 detail={"name": ["Förskolan Ripan", "Förskolan Örnen med ett långt namn"],
                         "location": [[20.2253, 67.8558], [20.2301, 67.8602]],
                         "neighbourhood_bounds": [[20.2, 67.84, 20.25, 67.87],
                                                  [20.21, 67.85, 20.26, 67.88]]})
    audit.record(db, "export", world.users["planner"], target="/export/places.gpkg?crs=EPSG:"
                 "3006&campaign=H%C3%B6sten%202026&category=nature&category=water",
                 detail={"format": "gpkg", "filters": {"campaigns": ["Hösten 2026"],
                         "categories": ["nature", "water", "snow"]},
                         "counts": {"places_points": 120, "places_areas": 4, "preschools": 2}})
    audit.record(db, "retention_changed", admin, detail={"comment_months": [24, 12]})
    db.commit()


def test_the_audit_log_fits_every_width_as_field_before_after(guarded_page, live_server, db,
                                                             world, tmp_path):
    page = guarded_page
    _busy_audit_log(db, world)
    browser_login(page, live_server, world.email("admin"))
    page.wait_for_url(f"{live_server}/admin")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server}/admin/audit")
        page.screenshot(path=str(tmp_path / f"audit-{width}.png"), full_page=True)
        assert page.evaluate(FITS) == {"page": 0, "boxes": []}, width
        detail = page.locator("dl.audit-detail").filter(has_text="Örnen").first
        expect(detail).to_contain_text("Förskolan Ripan")
        assert "\\u00" not in page.content()
    print(f"screenshots in {tmp_path}")
    assert run_axe(page) == []



def test_no_admin_page_turns_a_typed_name_into_markup(guarded_page, live_server, db,
                                                      poisoned):  # noqa: F811
    """Issue 12, item 1, on every admin page: preschool, department, municipality, campaign,
    plan and category names holding a script payload (and an audit row naming them) are
    shown as text; no injected element exists and nothing runs."""
    world = poisoned.world
    audit.record(db, "preschool_updated", world.users["admin"], target=PAYLOAD,
                 detail={"name": ["Förskolan A", PAYLOAD]})
    db.commit()
    category = db.scalar(select(Category.id).order_by(Category.id).limit(1))
    page = guarded_page
    page.add_init_script(CATCH_MAPS)
    browser_login(page, live_server, world.email("admin"))
    page.wait_for_url(f"{live_server}/admin")
    edits = [f"/admin/preschools/{world.school_a.id}", f"/admin/campaigns/{world.campaign.id}",
             f"/admin/users/{world.users['staff_a'].id}", f"/admin/categories/{category}"]
    with_names = {"/admin", "/admin/preschools", "/admin/campaigns", "/admin/campaigns/new",
                  "/admin/users", "/admin/users/new", "/admin/categories", "/admin/audit",
                  *edits}
    for path in ADMIN_PAGES + edits:
        maps = path.startswith("/admin/preschools/") and path != "/admin/preschools/import"
        result = check_page(page, f"{live_server}{path}",
                            "#preschool-map[data-ready=true]" if maps else "main")
        assert_clean(result, opened_at_least=0)
        if path in with_names:  # the payload is there, as text
            assert "onerror=window.__pwned=1>" in page.inner_text("main"), path
