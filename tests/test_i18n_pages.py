"""The pages without a browser (issue 16): on the staff journey's pages in en, fi, fit and
se, no text of the page, none of its labels and none of the page config's words is a
Swedish or English text of the catalogues that the page's language translates otherwise;
the same for the 404 pages staff meet, and for the planners' and administrators' pages in
en and fi; and the API's validation errors (?lang=) differ from the Swedish and English
ones. (The browser's journey in these languages is a test of its own.)"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from smultron.core.i18n import LANGUAGES, SOURCE_LANGUAGE, merged_catalog
from tests.helpers import PAGE_CONFIG
from tests.place_data import feature

LABELS = ("alt", "title", "aria-label", "placeholder")
CODE = re.compile(r"^[a-z_]+$")


def _strings(message) -> list[str]:
    return list(message) if isinstance(message, tuple | list) else [message]


def foreign_texts(language: str) -> set[str]:
    """Whole texts (no placeholders) of Swedish and of the English ids that ``language``
    does not share: one of them on a page in ``language`` was left untranslated. (The
    language switch names each language in its own name.)"""
    own = set(LANGUAGES.values()) | {text for message in merged_catalog(language) if message.id
           for text in _strings(message.string) if text}
    foreign = set()
    for message in merged_catalog("sv"):
        if message.id:
            foreign.update(_strings(message.id) + [text for text in _strings(message.string)])
            if language == SOURCE_LANGUAGE:  # English is the message ids themselves
                own.update(_strings(message.id))
    return {text for text in foreign - own
            if text and "%(" not in text and "{" not in text and any(c.isalpha() for c in text)}


class _Texts(HTMLParser):
    """A page's text nodes and label attributes, stripped; scripts and styles skipped."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")
        self.texts += [value.strip() for name, value in attrs if name in LABELS and value]

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def _config_words(value) -> list[str]:
    if isinstance(value, str):
        return [] if CODE.match(value) else [value]  # a code ("favourite"), not a text
    if isinstance(value, dict):
        return [word for item in value.values() for word in _config_words(item)]
    if isinstance(value, list):
        return [word for item in value for word in _config_words(item)]
    return []


def page_texts(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    config = PAGE_CONFIG.search(html)
    return parser.texts + (_config_words(json.loads(config.group(1))) if config else [])


def untranslated_on(html: str, language: str) -> list[str]:
    foreign = foreign_texts(language)
    return sorted({text for text in page_texts(html) if text in foreign})


def _staff_pages(setup) -> list[str]:
    school, session = setup.world.school_a.id, setup.session_a.id
    return ["/home", "/map", f"/map/preschools/{school}", f"/map/sessions/{session}",
            f"/map/sessions/{session}/summary", f"/map/preschools/{school}/answers",
            "/account"]


@pytest.mark.parametrize("language", ["en", "fi", "fit", "se"])
def test_the_staff_pages_speak_the_language(client, auth, setup, language):
    client.get(f"/lang/{language}")
    found = {"/login": untranslated_on(client.get("/login").get_data(as_text=True), language)}
    found = {url: left for url, left in found.items() if left}
    auth.login(setup.world.email("staff_a"))
    for url in _staff_pages(setup):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert f'<html lang="{language}">' in html
        if left := untranslated_on(html, language):
            found[url] = left
    assert found == {}


def test_the_check_finds_a_swedish_text_left():
    html = ('<html lang="fi"><body><h1>Platser</h1><p>Smultron</p><img alt="Kept">'
            '<script type="application/json" id="page-config">{"a": ["Kampanj"]}</script>'
            '</body></html>')
    assert untranslated_on(html, "fi") == ["Kampanj", "Kept", "Platser"]


@pytest.mark.parametrize("language", ["en", "fi", "fit", "se"])
def test_the_errors_staff_meet_speak_the_language(client, auth, setup, language):
    auth.login(setup.world.email("staff_a"))
    client.get(f"/lang/{language}")
    found = {}
    for url in (f"/map/preschools/{setup.world.school_b.id}",
                f"/map/sessions/{setup.session_b.id}"):
        response = client.get(url)
        assert response.status_code == 404
        if left := untranslated_on(response.get_data(as_text=True), language):
            found[url] = left
    assert found == {}


def test_the_apis_validation_errors_speak_the_language(client, setup):
    body = feature(setup.session_a.id, children_count=0, season="monsoon", category="nope")
    fields = {}
    for language in ("sv", "en", "fi", "fit", "se"):
        response = client.post(f"/api/v1/places?lang={language}", json=body,
                               headers=setup.headers("staff_a"))
        assert response.status_code == 422, response.json
        fields[language] = response.json["detail"]["fields"]
    assert len(fields["sv"]) >= 3
    for language in ("fi", "fit", "se"):
        assert fields[language].keys() == fields["sv"].keys()
        for field, message in fields[language].items():
            assert message not in (fields["sv"][field], fields["en"][field]), (language, field)


PLANNERS_PAGES = ("/planner/", "/planner/comments", "/planner/photos", "/reports", "/tiles/map")
ADMINS_PAGES = ("/admin", "/admin/campaigns", "/admin/categories", "/admin/preschools",
                "/admin/users", "/admin/retention", "/admin/audit", "/admin/pages",
                "/admin/sso", "/admin/recordings")


@pytest.mark.parametrize("language", ["en", "fi"])
def test_the_planners_and_admins_pages_speak_english_and_finnish(client, auth, setup,
                                                                   language):
    found = {}
    for who, urls in (("planner", PLANNERS_PAGES), ("admin", ADMINS_PAGES)):
        auth.login(setup.world.email(who))
        client.get(f"/lang/{language}")
        for url in urls:
            response = client.get(url, follow_redirects=True)
            assert response.status_code == 200, url
            assert f'<html lang="{language}">' in response.get_data(as_text=True), url
            if left := untranslated_on(response.get_data(as_text=True), language):
                found[url] = left
        auth.logout()
    assert found == {}
