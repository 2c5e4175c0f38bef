"""In the browser (Chromium, 360-1024 px, axe): a planner opens a plan, answers two places,
writes the weighing (saved as they type), downloads both documents; staff of that
preschool then see the answers on their map."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document as read_docx
from playwright.sync_api import expect
from shapely.geometry import Point

from smultron import plans
from tests import factories
from tests.conftest import browser_login, run_axe
from tests.test_planner_browser import fits

pytestmark = pytest.mark.browser
LON, LAT = factories.KIRUNA
REASON = "Klätterträdet får stå kvar, och vi sätter en bänk bredvid."
WEIGHING = "Trädet ligger i parkmark och bevaras."


@pytest.fixture
def plan(db, world):
    session_row = factories.mapping_session(db, world.campaign, world.school_a, children=10,
                                            user=world.users["staff_a"])
    for n, (dx, code) in enumerate(((0, "climbing"), (0.0002, "play"), (0.0004, "nature"))):
        factories.place(db, session_row, Point(LON + dx, LAT), category_code=code,
                        children=3 + n, comment="Vi klättrar högt!" if n == 0 else None,
                        comment_state="approved" if n == 0 else "none")
    db.commit()
    square = Point(LON + 0.0002, LAT).buffer(0.0009, cap_style=3)
    area = plans.save_plan_area(db, world.users["planner"], "Detaljplan Trädet",
                                plans.polygons_only([square]).geometry, "test")
    db.commit()
    return area, session_row


def answer_two_places(page) -> None:
    page.locator("#impact-places tbody input[name=place]").nth(0).check()
    page.locator("#impact-places tbody input[name=place]").nth(1).check()
    page.check("#answer-status-kept")
    page.fill("#answer-text", REASON)
    expect(page.locator("#answer-text-count")).to_contain_text(str(300 - len(REASON)))
    page.click("#answer-form button[type=submit]")
    page.wait_for_url("**#answers")
    page.wait_for_selector("#assessment-form[data-ready=true]")
    expect(page.locator(".flashes")).to_contain_text("2 platser är besvarade.")
    expect(page.locator("#impact-places .answer-cell", has_text="Bevaras")).to_have_count(2)


def write_the_weighing(page) -> None:
    first = page.locator("textarea.autosave[data-field=consequence]").first
    first.fill(WEIGHING)
    expect(page.locator("#save-status")).to_have_text("Sparad")
    page.fill("#text-views", "Barnen klättrar i trädet varje dag.")
    expect(page.locator("#save-status")).to_have_text("Sparad")


def download(page, link_text: str, nth: int = 0) -> bytes:
    with page.expect_download() as info:
        page.locator("section[aria-labelledby=documents] a", has_text=link_text).nth(nth).click()
    return Path(info.value.path()).read_bytes()


@pytest.mark.parametrize("width", [360, 390, 768, 1024])
def test_planner_answers_weighs_downloads_and_staff_see_it(guarded_page, live_server, world,
                                                         plan, width):
    area, session_row = plan
    page = guarded_page
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, world.email("planner"))
    page.wait_for_url("**/planner/")
    page.goto(f"{live_server}/planner/plans/{area.id}")
    page.wait_for_selector("#impact-map[data-ready=true]")
    page.wait_for_selector("#assessment-form[data-ready=true]")
    assert fits(page) and run_axe(page) == []
    answer_two_places(page)
    write_the_weighing(page)
    assert fits(page) and run_axe(page) == []
    word = read_docx(io.BytesIO(download(page, "Word")))
    cells = " ".join(c.text for t in word.tables for r in t.rows for c in r.cells)
    assert WEIGHING in cells and REASON in cells
    assert "“Vi klättrar högt!”" in " ".join(p.text for p in word.paragraphs)
    assert download(page, "PDF").startswith(b"%PDF")
    assert download(page, "PDF", 1).startswith(b"%PDF")  # the publishable one

    page.context.clear_cookies()
    browser_login(page, live_server, world.email("staff_a"))
    page.wait_for_url("**/map/preschools/*")
    page.goto(f"{live_server}/map/sessions/{session_row.id}")
    page.wait_for_selector("body[data-map-ready=yes]")
    page.wait_for_selector("body[data-offline-ready=yes]")
    answers = page.locator("#places-table .planners-answer")
    expect(answers).to_have_count(2)
    expect(answers.first).to_have_text(f"Planerarnas svar: Bevaras. {REASON}")
    assert run_axe(page) == []
