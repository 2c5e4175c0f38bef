"""What became of our places in Debian's Chromium (issue 15): the map and the cards, a card
full screen, the keyboard through the cards, a marker by keyboard; offline after one
online visit; axe and 360-1024 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import feedback_data
from tests.conftest import browser_login, run_axe

pytestmark = pytest.mark.browser
WIDTHS = (360, 390, 768, 1024)


@pytest.fixture
def answered(db, world):
    return feedback_data.build(db, world)


def open_answers(page, base: str, world) -> None:
    browser_login(page, base, world.email("staff_a"))
    page.wait_for_url(re.compile(r"/map/preschools/\d+$"))
    page.goto(f"{base}/map/preschools/{world.school_a.id}/answers")
    page.wait_for_selector("body[data-map-ready=yes]")
    page.wait_for_selector("body[data-offline-ready=yes]")


def test_a_card_full_screen_and_the_keyboard_through_the_cards(guarded_page, live_server,
                                                             world, answered):
    page = guarded_page
    open_answers(page, live_server, world)
    expect(page.locator(".answer-card")).to_have_count(3)
    expect(page.locator(".answer-marker")).to_have_count(3)
    first = page.locator(".answer-open").first
    first.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#answer-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#dialog-category")).to_have_text("Lek")
    expect(page.locator("#dialog-status")).to_have_text("Bevaras")
    expect(page.locator("#dialog-answer")).to_have_text("Klätterträdet får stå kvar.")
    expect(page.locator("#dialog-count")).to_have_text("1 av 3")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#dialog-category")).to_have_text("Vatten")
    expect(page.locator("#dialog-status")).to_have_text("Utreds")
    expect(page.locator("#dialog-words")).to_be_hidden()  # not approved: not shown
    page.keyboard.press("ArrowRight")
    expect(page.locator("#dialog-status")).to_have_text("Inte besvarad än")
    page.keyboard.press("ArrowRight")  # round to the first
    expect(page.locator("#dialog-count")).to_have_text("1 av 3")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#dialog-count")).to_have_text("3 av 3")
    assert run_axe(page) == []
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement === document.querySelector('.answer-open')")


def test_a_marker_opens_with_enter_and_a_tap(guarded_page, live_server, world, answered):
    page = guarded_page
    open_answers(page, live_server, world)
    marker = page.get_by_role("button", name="Vatten: Utreds")
    marker.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#dialog-category")).to_have_text("Vatten")
    page.click("#dialog-close")
    expect(page.locator("#answer-dialog")).to_be_hidden()
    assert page.evaluate("document.activeElement.classList.contains('answer-marker')")
    page.get_by_role("button", name="Lek: Bevaras").click()
    expect(page.locator("#dialog-answer")).to_have_text("Klätterträdet får stå kvar.")


def test_the_page_fits_and_passes_axe_from_360_to_1024_px(guarded_page, live_server, world,
                                                         answered):
    page = guarded_page
    open_answers(page, live_server, world)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (width, overflow)
        assert run_axe(page) == [], width


def test_the_answers_page_works_offline_after_one_visit(guarded_page, live_server, world,
                                                      answered):
    page = guarded_page
    open_answers(page, live_server, world)
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-map-ready=yes]")
    expect(page.locator(".answer-card")).to_have_count(3)
    page.wait_for_function("() => [...document.querySelectorAll('.answer-card img, "
                           ".answer-marker img')].every(i => i.complete && i.naturalWidth > 0)")
    page.locator(".answer-open").nth(1).click()
    expect(page.locator("#dialog-answer")).to_have_text("Vi tittar på en badplats.")
    page.context.set_offline(False)
    # Chromium logs the requests that failed while offline (the background map's tiles).
    page.console_errors[:] = [e for e in page.console_errors
                              if "ERR_INTERNET_DISCONNECTED" not in e and "ERR_FAILED" not in e]
