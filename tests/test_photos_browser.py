"""Photos on the staff map in Debian's Chromium, on a touch tablet: offline photos wait
with their place in IndexedDB, survive a reload and reach the server exactly once; the
once-per-session question; removing and refused photos; axe and 360-1024 px."""

from __future__ import annotations

import time
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from smultron.models import Place, PlacePhoto
from tests import photo_data
from tests.conftest import run_axe
from tests.test_map_browser import fill_panel, places_of, start_session, wait_all_saved

pytestmark = pytest.mark.browser
WIDTHS = (360, 390, 768, 1024)


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1024, "height": 768},
            "has_touch": True}


def files(*kinds: str) -> list[dict]:
    return [{"name": f"plats-{index}.{kind.lower()}", "mimeType": f"image/{kind.lower()}",
             "buffer": photo_data.encoded(kind, 640 + index * 10, 480)}
            for index, kind in enumerate(kinds)]


def photos_of(db, session_id: str) -> list[PlacePhoto]:
    db.rollback()
    return db.scalars(select(PlacePhoto).join(Place, Place.id == PlacePhoto.place_id)
                      .where(Place.session_id == uuid.UUID(session_id))).all()


def wait_photos(page, db, session_id: str, count: int, timeout: float = 60.0):
    """The session's photos once the server holds ``count`` of them (or at the timeout).
    Polls through Playwright (the page's requests pass guarded_page's route handler)."""
    deadline = time.monotonic() + timeout
    while True:
        stored = photos_of(db, session_id)
        if len(stored) == count or time.monotonic() > deadline:
            return stored
        page.wait_for_timeout(100)


def add_photos(page, chosen: list[dict], confirm: bool = True):
    page.set_input_files("#photo-library", chosen)
    if confirm:
        expect(page.locator("#photo-confirm")).to_be_visible()
        page.get_by_role("button", name="Ja, bara platser").tap()
    expect(page.locator("#photo-confirm")).to_be_hidden()


def open_place_panel(page):
    page.locator("#places-table tbody button[data-action=edit]").first.tap()
    page.wait_for_selector("#panel:not([hidden])")


def thumbnails_loaded(page, count: int):
    images = page.locator("#photo-list img")
    expect(images).to_have_count(count)
    page.wait_for_function(
        "n => [...document.querySelectorAll('#photo-list img')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length === n", arg=count)


def forget_offline_errors(page):
    page.console_errors[:] = [e for e in page.console_errors
                              if "ERR_INTERNET_DISCONNECTED" not in e and "ERR_FAILED" not in e]


def test_offline_place_with_two_photos_reload_online_stored_exactly_once(
        guarded_page, live_server, world, db):
    page = guarded_page
    session_id = start_session(page, live_server)
    page.context.set_offline(True)
    page.get_by_role("button", name="Markera här").tap()
    page.wait_for_selector("#panel:not([hidden])")
    add_photos(page, files("PNG", "JPEG"))
    thumbnails_loaded(page, 2)
    fill_panel(page, "Vatten")
    page.wait_for_selector("body[data-waiting='1'][data-waiting-photos='2']")
    expect(page.locator("#sync-status")).to_contain_text("2 foton väntar")
    page.reload()
    page.wait_for_selector("body[data-map-ready=yes]")
    page.wait_for_selector("body[data-waiting='1'][data-waiting-photos='2']")
    assert places_of(db, session_id) == [] and photos_of(db, session_id) == []
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_all_saved(page, 1)
    stored = wait_photos(page, db, session_id, 2)
    page.wait_for_selector("body[data-waiting-photos='0']")
    [place] = places_of(db, session_id)
    assert len(stored) == 2 and {p.place_id for p in stored} == {place.id}
    assert sorted(p.width for p in stored) == [640, 650]
    page.reload()
    page.wait_for_selector("body[data-map-ready=yes]")
    wait_all_saved(page, 1)
    page.wait_for_selector("body[data-waiting-photos='0']")
    assert len(photos_of(db, session_id)) == 2
    assert db.scalar(select(func.count()).select_from(Place)) == 1
    open_place_panel(page)
    thumbnails_loaded(page, 2)  # now from the server
    forget_offline_errors(page)


def test_the_question_comes_once_per_session_and_a_photo_can_be_removed(
        guarded_page, live_server, world, db):
    page = guarded_page
    session_id = start_session(page, live_server)
    page.get_by_role("button", name="Markera här").tap()
    page.wait_for_selector("#panel:not([hidden])")
    page.get_by_role("button", name="Välj ett foto").tap()  # asks first
    expect(page.locator("#photo-confirm")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "photo-confirm-yes"
    page.get_by_role("button", name="Avbryt").last.tap()
    add_photos(page, files("WEBP"))
    fill_panel(page, "Lek")
    wait_all_saved(page, 1)
    assert len(wait_photos(page, db, session_id, 1)) == 1
    page.wait_for_selector("body[data-waiting-photos='0']")
    page.reload()
    page.wait_for_selector("body[data-map-ready=yes]")
    open_place_panel(page)
    thumbnails_loaded(page, 1)
    add_photos(page, files("PNG", "PNG"), confirm=False)  # not asked again
    thumbnails_loaded(page, 3)
    expect(page.get_by_role("button", name="Ta ett foto")).to_be_disabled()  # 3 at most
    page.get_by_role("button", name="Ta bort foto 1").tap()
    thumbnails_loaded(page, 2)
    page.click("#panel-save")
    page.wait_for_selector("#panel", state="hidden")
    stored = wait_photos(page, db, session_id, 2)
    assert len(stored) == 2 and {p.width for p in stored} == {640, 650}
    page.wait_for_selector("body[data-waiting='0'][data-waiting-photos='0']")


def test_a_refused_photo_says_why_and_can_be_removed(guarded_page, live_server, world, db):
    page = guarded_page
    session_id = start_session(page, live_server)
    page.get_by_role("button", name="Markera här").tap()
    page.wait_for_selector("#panel:not([hidden])")
    add_photos(page, [{"name": "lapp.jpg", "mimeType": "image/jpeg",
                       "buffer": b"Det h\xc3\xa4r \xc3\xa4r en lapp, ingen bild."}])
    fill_panel(page, "Lek")
    wait_all_saved(page, 1)
    page.wait_for_selector("body[data-refused-photos='1']")
    expect(page.locator("#sync-status")).to_contain_text("1 foto sparades inte")
    open_place_panel(page)
    expect(page.locator("#photo-list .photo-state.error")).to_contain_text("JPEG, PNG, WebP")
    page.get_by_role("button", name="Ta bort foto 1").tap()
    page.click("#panel-save")
    page.wait_for_selector("#panel", state="hidden")
    page.wait_for_selector("body[data-refused-photos='0'][data-waiting-photos='0']")
    assert photos_of(db, session_id) == []
    page.console_errors[:] = [e for e in page.console_errors if "415" not in e]


def test_the_panel_with_photos_fits_and_passes_axe_from_360_to_1024_px(
        guarded_page, live_server, world, db):
    page = guarded_page
    start_session(page, live_server)
    page.get_by_role("button", name="Markera här").tap()
    page.wait_for_selector("#panel:not([hidden])")
    add_photos(page, files("PNG", "JPEG"))
    thumbnails_loaded(page, 2)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800 if width < 768 else 768})
        page.locator("#photo-group").scroll_into_view_if_needed()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (width, overflow)
        buttons = page.locator("#photo-group button:visible")
        for index in range(buttons.count()):
            box = buttons.nth(index).bounding_box()
            assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= width
        assert run_axe(page) == [], width


def test_the_planners_photo_page_moderates_in_place_at_every_width(
        guarded_page, live_server, world, db):
    import hashlib
    import io

    from smultron import photos
    from smultron.core.access import Viewer
    from tests import factories
    from tests.conftest import browser_login

    staff = world.users["staff_a"]
    place = factories.place(db, factories.mapping_session(db, world.campaign, world.school_a))
    db.commit()
    body = photo_data.encoded("JPEG")
    photos.put_photo(db, Viewer.of(staff), staff, place.id, uuid.uuid4(), photos.Upload(
        io.BytesIO(body), hashlib.sha256(body).hexdigest(), len(body)))
    db.commit()  # the domain flushes; its caller commits
    page = guarded_page
    browser_login(page, live_server, world.email("planner"))
    page.goto(f"{live_server}/planner/photos")
    page.wait_for_function("() => [...document.querySelectorAll('.photos-table img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (width, overflow)
        assert run_axe(page) == [], width
    page.get_by_role("button", name="Godkänn").first.click()
    expect(page.locator("#moderation-status")).to_have_text("Fotot är godkänt.")
    expect(page.locator("#pending-count")).to_have_text("0")
    db.rollback()
    assert db.scalar(select(PlacePhoto.state)) == "approved"
