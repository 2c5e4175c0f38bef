"""Every UI string has a Swedish translation; English is the message id itself."""

from datetime import date

import flask_babel
import pytest
from babel.messages.extract import extract_from_dir
from flask_babel import get_locale
from sqlalchemy import select

from smultron import ROOT, i18n
from smultron.i18n import LANGUAGES, merged_catalog
from smultron.models import User
from tests.conftest import AuthActions

METHODS = [("**.py", "python"), ("**.html", "jinja2.ext:babel_extract")]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.do"}}


def _message_ids() -> dict[str, str]:
    found = {}
    for folder in ("smultron", "templates"):
        for filename, _line, message, _comments, _context in extract_from_dir(
                ROOT / folder, METHODS, options_map=OPTIONS,
                keywords={"_": None, "gettext": None, "lazy_gettext": None,
                          "ngettext": (1, 2), "_l": None, "N_": None, "M": None}):
            # A plural message is keyed by its singular id in the catalogue.
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid, f"{folder}/{filename}")
    return found


def _translated(catalog, msgid: str) -> bool:
    message = catalog.get(msgid)
    if message is None:
        return False
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


def test_every_ui_string_has_a_swedish_translation():
    catalog = merged_catalog("sv")
    ids = _message_ids()
    assert len(ids) > 30  # the extraction itself works
    missing = {msgid: where for msgid, where in ids.items() if not _translated(catalog, msgid)}
    assert missing == {}, "add these to smultron/translations/sv/LC_MESSAGES/<area>.po"


def test_language_switch(client):
    assert "Logga in i Smultron" in client.get("/login").get_data(as_text=True)
    client.get("/lang/en")
    assert "Log in to Smultron" in client.get("/login").get_data(as_text=True)
    client.get("/lang/sv")
    assert 'lang="sv"' in client.get("/login").get_data(as_text=True)


# -- five languages ------------------------------------------------------------------------

def test_each_language_is_offered_in_its_own_name_and_sets_lang(client):
    for code, name in LANGUAGES.items():
        client.get(f"/lang/{code}")
        page = client.get("/login").get_data(as_text=True)
        assert f'<html lang="{code}">' in page
        assert f'<span lang="{code}">{name}</span>' in page  # the switch says what it is
        for other, other_name in LANGUAGES.items():
            if other != code:
                assert f'hreflang="{other}">{other_name}</a>' in page


def test_the_login_page_speaks_each_language(client):
    titles = {"sv": "Logga in i Smultron", "en": "Log in to Smultron",
              "fi": "Kirjaudu Smultroniin", "fit": "Loggaa sisäle Smultroniin",
              "se": "Čálit sisa Smultronii"}
    for code, title in titles.items():
        assert title in client.get(f"/login?lang={code}").get_data(as_text=True)


def test_the_choice_is_kept_in_a_cookie_and_on_the_account(app, client, auth, world, db):
    assert client.get("/lang/se?next=/about%3Flang%3Den").headers["Location"] == "/about"
    assert client.get_cookie("smultron_lang").value == "se"
    auth.login(world.email("staff_a"))  # the account had none: it keeps the visitor's
    assert 'lang="se"' in client.get("/home").get_data(as_text=True)
    user = db.scalar(select(User).where(User.email == world.email("staff_a")))
    assert user.language == "se"
    client.get("/lang/fit")
    db.refresh(user)
    assert user.language == "fit"
    auth.logout()
    assert 'lang="fit"' in client.get("/login").get_data(as_text=True)  # the cookie

    elsewhere = app.test_client()  # another browser, never chose: the account decides
    elsewhere.__class__ = client.__class__
    elsewhere.environ_base.update(client.environ_base)
    AuthActions(elsewhere).login(world.email("staff_a"))
    assert 'lang="fit"' in elsewhere.get("/home").get_data(as_text=True)
    assert elsewhere.get_cookie("smultron_lang").value == "fit"


def test_an_unknown_language_changes_nothing(client):
    client.get("/lang/fi")
    client.get("/lang/xx")
    assert 'lang="fi"' in client.get("/login?lang=de").get_data(as_text=True)


def test_meankieli_formats_as_finnish_under_its_own_tag(app):
    with app.test_request_context("/?lang=fit"):
        assert str(get_locale()) == "fit"
        assert flask_babel.format_date(date(2026, 12, 2), "long") == "2. joulukuuta 2026"
        assert flask_babel.format_decimal(1234.5) == "1\N{NO-BREAK SPACE}234,5"
    with app.test_request_context("/?lang=sv"):
        assert flask_babel.format_date(date(2026, 12, 2), "long") == "2 december 2026"


@pytest.mark.parametrize(("lang", "forms"), [
    ("fi", {1: "1 kuusikulmio näytetään", 2: "2 kuusikulmiota näytetään"}),
    ("se", {1: "1 heksagon čájehuvvo", 2: "2 heksagona čájehuvvoba",
            5: "Čájehuvvon heksagonat: 5"}),  # one, two, other
])
def test_plural_forms_follow_the_language(app, lang, forms):
    with app.test_request_context(f"/?lang={lang}"):
        for n, text in forms.items():
            assert flask_babel.ngettext("%(num)s hexagon shown", "%(num)s hexagons shown",
                                        n) == text


def test_an_untranslated_message_falls_back_to_swedish(tmp_path, monkeypatch):
    for lang, body in (("sv", 'msgid "Hello"\nmsgstr "Hej"\n\n'
                               'msgid "%(num)d day"\nmsgid_plural "%(num)d days"\n'
                               'msgstr[0] "%(num)d dag"\nmsgstr[1] "%(num)d dagar"\n'),
                       ("se", '#. needs review by a native speaker\n'
                              'msgid "Hello"\nmsgstr "Bures"\n\n'
                              'msgid "A message the app no longer has"\nmsgstr "Dološ"\n')):
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "core.po").write_text(
            f'msgid ""\nmsgstr ""\n"Language: {lang}\\n"\n\n{body}', encoding="utf-8")
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    catalog, counts = i18n.compiled_catalog("se")
    assert catalog.get("Hello").string == "Bures"
    assert catalog.get(("%(num)d day", "%(num)d days")).string == (
        "%(num)d dag", "%(num)d dagar", "%(num)d dagar")  # three forms in North Sámi
    assert (counts.messages, counts.translated, counts.needs_review, counts.from_fallback) == (
        2, 1, 1, 1)
