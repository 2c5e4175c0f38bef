"""The whole staff journey in Finnish, Meänkieli and North Sámi (issue 16), in Debian's
Chromium: log in, choose the preschool, start a session, place a point (a refused comment
first: the API's reason in that language), another without network, finish. On every
page no Swedish or English word is left (the page's title, visible text and accessible
names against the words of the Swedish and English catalogues, less the words the
language's own catalogue uses too, proper names and numbers), axe-core is clean; and the
API's detail.fields come in that language through ?lang= (a token, no session)."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from playwright.sync_api import expect

from smultron import accounts
from smultron.core.i18n import LANGUAGES, merged_catalog
from tests import factories
from tests.conftest import browser_login, run_axe, switch_language

pytestmark = pytest.mark.browser
STAFF_LANGUAGES = ("fi", "fit", "se")
WORD = re.compile(r"[^\W\d_]{2,}")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}|<[^>]+>")
EMAIL = re.compile(r"\S+@\S+")
# Names, not words of a language: the product, the map library and the map's data, the
# languages' own names (the switch), the test world's preschools, department and campaign.
PROPER_NAMES = ("Smultron Leaflet OpenStreetMap Kiruna Förskolan Blåbär Hösten "
                + " ".join(LANGUAGES.values()))
PERSONNUMMER = ("This looks like a personal identity number. Remove it: Smultron never "
                "stores who a child is.")
# What the page says that is not in its visible text: names for screen readers.
ACCESSIBLE_TEXT = """() => [...document.querySelectorAll('[aria-label], img[alt], [title]')]
  .filter((e) => !e.closest('[hidden]'))
  .flatMap((e) => [e.getAttribute('aria-label'), e.getAttribute('alt'), e.getAttribute('title')])
  .filter(Boolean).join('\\n')"""


def words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", EMAIL.sub(" ", text)))}


def _strings(language: str, ids: bool = False) -> list[str]:
    found = []
    for message in merged_catalog(language):
        if not message.id:
            continue
        value = message.id if ids else message.string
        found += [v for v in (value if isinstance(value, tuple | list) else (value,)) if v]
    return found


@lru_cache(maxsize=4)
def foreign_words(language: str) -> frozenset[str]:
    """Words of the Swedish catalogue and the English message ids that ``language``'s own
    catalogue never uses (so a word shared by the languages is not counted)."""
    own = words(" ".join(_strings(language))) | words(PROPER_NAMES)
    foreign = words(" ".join(_strings("sv") + _strings("sv", ids=True)))
    return frozenset(foreign - own)


def left_over(page, language: str) -> dict[str, list[str]]:
    """The page's Swedish or English words (visible text and accessible names), each
    with the lines it is in."""
    text = "\n".join([page.title(), page.locator("body").inner_text(),
                      page.evaluate(ACCESSIBLE_TEXT)])
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return {word: [line for line in lines if word in words(line)]
            for word in sorted(words(text) & foreign_words(language))}


def check(page, language: str, where: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert left_over(page, language) == {}, where
    assert run_axe(page) == [], where


def translation(language: str, msgid: str) -> str:
    message = merged_catalog(language).get(msgid)
    assert message is not None and message.string, msgid
    return message.string


@pytest.fixture
def two_schools(db, world):
    """A teacher who works at both preschools, so that the journey passes the chooser."""
    user = accounts.create_user(db, "staff.ab@example.org", "staff", factories.PASSWORD,
                                ["Förskolan A", "Förskolan B"])
    db.commit()
    return user


@pytest.mark.parametrize("language,width", [("fi", 1024), ("fit", 768), ("se", 390)])
def test_the_staff_journey_speaks_the_language(guarded_page, live_server, world, two_schools,
                                               language, width):
    page = guarded_page
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server}/login")
    switch_language(page, language)
    page.wait_for_url(re.compile(r"/login$"))
    check(page, language, "login")
    browser_login(page, live_server, two_schools.email)
    page.wait_for_url(re.compile(r"/map$"))
    check(page, language, "choose a preschool")
    page.locator("a", has_text="Förskolan A").click()
    page.wait_for_url(re.compile(r"/map/preschools/\d+$"))
    check(page, language, "start page")
    page.fill("#children_present", "4")
    page.locator("input[name=age_group][value='3-4']").check()
    expect(page.locator(f"input[name=language][value={language}]")).to_be_checked()
    page.locator("#consent").check()
    page.locator(".start-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/map/sessions/[0-9a-f-]{36}$"))
    page.wait_for_selector("body[data-map-ready=yes]")
    page.wait_for_selector("body[data-offline-ready=yes]")
    check(page, language, "the map")
    page.click("#place-here")
    page.wait_for_selector("#panel:not([hidden])")
    check(page, language, "the panel")
    page.locator("#category-choices input[value=water]").check()
    page.fill("#comment", "Olles 20200101-1234")
    page.click("#panel-save")
    expect(page.locator("#comment-error")).to_have_text(translation(language, PERSONNUMMER))
    page.console_errors.clear()  # Chromium logs the 422
    check(page, language, "a refused place")
    page.fill("#comment", "Bryggan")
    page.click("#panel-save")
    page.wait_for_selector("#panel", state="hidden")
    expect(page.locator("#places-table tbody tr")).to_have_count(1)
    page.wait_for_selector("body[data-waiting='0']")
    check(page, language, "the map with its place in the list")
    page.context.set_offline(True)
    page.click("#place-here")
    page.wait_for_selector("#panel:not([hidden])")
    page.locator("#category-choices input[value=animals]").check()
    page.click("#panel-save")
    page.wait_for_selector("body[data-waiting='1']")
    check(page, language, "offline, a place waiting on the tablet")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("body[data-waiting='0']")
    expect(page.locator("#places-table tbody tr")).to_have_count(2)
    # Chromium logs the requests that failed while offline.
    page.console_errors[:] = [e for e in page.console_errors
                              if "ERR_INTERNET_DISCONNECTED" not in e and "ERR_FAILED" not in e]
    page.locator("form[action$='/finish'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/summary$"))
    check(page, language, "the summary")
    page.goto(f"{live_server}/map/preschools/{world.school_a.id}/answers")
    check(page, language, "what became of our places")


@pytest.mark.parametrize("language", STAFF_LANGUAGES)
def test_the_apis_field_messages_come_in_the_language(playwright, live_server, world, db,
                                                      language):
    token = accounts.create_token(db, world.users["staff_a"])
    held = factories.mapping_session(db, world.campaign, world.school_a)
    db.commit()
    api = playwright.request.new_context(base_url=live_server, extra_http_headers={
        "Authorization": f"Bearer {token}"})
    feature = {"type": "Feature", "id": "3f0a8f52-9d1e-4c38-9d7f-0d6ad6f1b2c4",
               "geometry": {"type": "Point", "coordinates": [20.2253, 67.8558]},
               "properties": {"session": str(held.id), "category": "no-such-kind",
                              "children_count": 0, "comment": "Olles 20200101-1234"}}
    try:
        refused = api.post(f"/api/v1/places?lang={language}", data=feature)
        assert refused.status == 422, refused.text()
        fields = refused.json()["detail"]["fields"]
    finally:
        api.dispose()
    assert set(fields) == {"category", "children_count", "comment"}
    assert fields["comment"] == translation(language, PERSONNUMMER)
    for message in fields.values():
        assert words(message) & foreign_words(language) == set(), message


def test_the_check_finds_swedish_and_english_words():
    for language in STAFF_LANGUAGES:
        assert {"kartlägga", "spara"} <= words("Börja kartlägga. Spara") & foreign_words(language)
        assert {"mapping", "save"} <= words("Start mapping. Save") & foreign_words(language)
        assert not words(translation(language, "Start mapping")) & foreign_words(language)
