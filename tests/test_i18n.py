"""The five languages, and the catalogues kept honestly (issue 16): every message id of
the code and templates has a Swedish text; every message of a staff area is translated
in sv, fi, fit and se, of the other areas in sv, en and fi; no translation drops or adds
a placeholder; each has the locale's number of plural forms; no error is raised with
English text instead of a message the catalogues translate. English is the message id
itself (an area may still have an en catalogue; then it is checked too)."""

from __future__ import annotations

import ast
import re
from collections import Counter
from datetime import date
from pathlib import Path

import flask_babel
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask_babel import get_locale
from sqlalchemy import select

from smultron import ROOT
from smultron.core import i18n
from smultron.core.i18n import LANGUAGES, TRANSLATIONS, merged_catalog
from smultron.models import User
from tests.conftest import AuthActions

METHODS = [("**.py", "python"), ("**.html", "jinja2.ext:babel_extract")]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.do"}}


def _message_ids() -> dict[str, tuple[str, bool]]:
    """Each message id the code and templates use: where, and whether it is plural."""
    found = {}
    for folder in ("smultron", "templates"):
        for filename, _line, message, _comments, _context in extract_from_dir(
                ROOT / folder, METHODS, options_map=OPTIONS,
                keywords={"_": None, "gettext": None, "lazy_gettext": None,
                          "ngettext": (1, 2), "_l": None, "N_": None, "M": None}):
            # A plural message is keyed by its singular id in the catalogue.
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid, (f"{folder}/{filename}", isinstance(message, tuple)))
    return found


# An error's message reaches the page through smultron.core.messages.translate, which
# translates a Message (M(...)) and leaves text as it is: an error raised with a literal or
# an f-string is shown in English. Only the command line's own errors may be (their modules
# here), and the errors listed below, which the web layer translates itself or which are
# still to be converted (issue 16): a new one fails.
ENGLISH_ERRORS_ALLOWED_IN = {"smultron/cli.py", "smultron/accounts/__init__.py",
                             "smultron/core/backup.py", "smultron/retention/cli.py"}
ENGLISH_ERRORS_KNOWN: set[str] = set()  # none left: a new one is converted, not listed


def _error_classes(trees) -> set[str]:
    """AppError and the names of its subclasses, however deep."""
    names = {"AppError"}
    while True:
        more = {node.name for tree in trees for node in ast.walk(tree)
                if isinstance(node, ast.ClassDef) and node.name not in names
                and any(getattr(base, "id", getattr(base, "attr", None)) in names
                        for base in node.bases)}
        if not more:
            return names
        names |= more


def english_errors(folder: Path = ROOT / "smultron") -> list[str]:
    """``path:line: text`` of each error raised with text, not a Message."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8"))
             for path in sorted(folder.rglob("*.py"))}
    classes = _error_classes(trees.values())
    found = []
    for path, tree in trees.items():
        where = path.relative_to(folder.parent).as_posix()
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args and getattr(
                    node.func, "id", getattr(node.func, "attr", None)) in classes):
                continue
            text = node.args[0]
            words = (text.value if isinstance(text, ast.Constant) else
                     "".join(part.value for part in text.values if isinstance(part, ast.Constant))
                     if isinstance(text, ast.JoinedStr) else None)
            if isinstance(words, str) and " " in words:  # a message, not a reason's code
                found.append(f"{where}:{node.lineno}: {words}")
    return found


def test_errors_carry_messages_the_catalogues_translate():
    found = english_errors()
    new = [line for line in found if line.split(":", 1)[0] not in ENGLISH_ERRORS_ALLOWED_IN
           and not any(line.split(": ", 1)[1].startswith(known)
                       for known in ENGLISH_ERRORS_KNOWN)]
    assert new == [], "raise the error with M('...', name=value) and add it to the catalogues"


def test_the_error_check_finds_text(tmp_path):
    (tmp_path / "smultron").mkdir()
    (tmp_path / "smultron" / "x.py").write_text(
        "class Refused(errors.AppError): ...\n"
        "class Gone(Refused): ...\n"
        "raise AppError(f'There is no tile {z}')\n"
        "raise Gone('Gone for good', status=410)\n"
        "raise Gone(M('Gone for %(n)s days', n=2))\n"
        "raise Refused('no_role')\n"  # a reason's code
        "raise ValueError('Not shown to anyone')\n", encoding="utf-8")
    assert english_errors(tmp_path / "smultron") == [
        "smultron/x.py:3: There is no tile ", "smultron/x.py:4: Gone for good"]


def test_every_ui_string_has_a_swedish_translation():
    catalog = merged_catalog("sv")
    ids = _message_ids()
    assert len(ids) > 30  # the extraction itself works
    missing = {msgid: where for msgid, (where, plural) in ids.items()
               if catalog.get(msgid) is None or not i18n.translated(catalog.get(msgid))
               or isinstance(catalog.get(msgid).id, tuple) != plural}
    assert missing == {}, ("add these to smultron/translations/sv/LC_MESSAGES/<area>.po "
                           "(with msgid_plural where the code says ngettext)")


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
    ("fit", {1: "1 kuusikulmio näytethään", 2: "2 kuusikulmiota näytethään"}),  # Finnish rules
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


def test_the_area_table_counts_each_area(tmp_path, monkeypatch):
    for lang, area, body in (
            ("sv", "core", 'msgid "Hello"\nmsgstr "Hej"\n\nmsgid "Bye"\nmsgstr "Hej då"\n'),
            ("sv", "poster", 'msgid "Print"\nmsgstr "Skriv ut"\n'),
            ("fi", "core", '#. needs review by a native speaker\nmsgid "Hello"\nmsgstr "Hei"\n'),
            ("fi", "poster", 'msgid "Bye"\nmsgstr "Hei hei"\n\nmsgid "Print"\nmsgstr "Tulosta"\n')):
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{area}.po").write_text(
            f'msgid ""\nmsgstr ""\n"Language: {lang}\\n"\n\n{body}', encoding="utf-8")
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    assert i18n.area_table().splitlines() == [
        "| area | messages | fi |", "|---|---|---|",
        "| core | 2 | 2 (1 to review) |",  # "Bye" is translated in another area's file
        "| poster | 1 | 1 (0 to review) |"]


def test_an_english_catalogue_falls_back_to_the_message_id(tmp_path, monkeypatch):
    for lang, body in (("sv", 'msgid "Hello"\nmsgstr "Hej"\n\nmsgid "Bye"\nmsgstr "Hej då"\n'),
                       ("en", 'msgid "Hello"\nmsgstr "Hello there"\n')):
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "core.po").write_text(
            f'msgid ""\nmsgstr ""\n"Language: {lang}\\n"\n\n{body}', encoding="utf-8")
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    catalog, counts = i18n.compiled_catalog("en")
    assert catalog.get("Hello").string == "Hello there"
    assert catalog.get("Bye") is None  # gettext shows the id, never the Swedish text
    assert counts.line().endswith("1 shown as the message id")


# -- the catalogues ------------------------------------------------------------------------

# Plural forms per language (Babel/CLDR): North Sámi has one, two, other; Meänkieli
# follows Finnish.
PLURAL_FORMS = {
    "sv": "nplurals=2; plural=(n != 1);",
    "en": "nplurals=2; plural=(n != 1);",
    "fi": "nplurals=2; plural=(n != 1);",
    "fit": "nplurals=2; plural=(n != 1);",
    "se": "nplurals=3; plural=(n==1 ? 0 : n==2 ? 1 : 2);",
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
STRAY_PERCENT = re.compile(r"%(?!\(\w+\)[sd]|%)")
CATALOGUES = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/*.po"))

# The areas planners, administrators, GIS users and open data's re-users meet: complete in
# sv, en and fi; in fit and se they may fall back to Swedish string by string. Every other
# area is the staff journey's (core, places, geoman, photos, basemaps, feedback, tiles,
# sso, and any area not named here, a new one included): complete in sv, fi, fit and se.
OTHER_AREAS = {"admin", "answers", "ogc", "opendata", "planner", "reports"}
STAFF_LANGUAGES = ("sv", "fi", "fit", "se")
OTHER_LANGUAGES = ("sv", "en", "fi")


def _language(path: Path) -> str:
    return path.parent.parent.name


def _read(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def required_languages(area: str) -> tuple[str, ...]:
    return OTHER_LANGUAGES if area in OTHER_AREAS else STAFF_LANGUAGES


def area_message_ids(area: str) -> dict[str, bool]:
    """The message ids of ``area`` (a plural one by its singular), whether plural: those of
    the area's catalogue in every language, so that an entry a translation has and Swedish
    lacks counts as a gap of Swedish (or a stale entry to drop)."""
    ids: dict[str, bool] = {}
    for path in sorted(i18n.TRANSLATIONS.glob(f"*/LC_MESSAGES/{area}.po")):
        for message in _read(path):
            if message.id:
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                ids[key] = ids.get(key, False) or isinstance(message.id, tuple)
    return ids


def untranslated(area: str, language: str) -> list[str]:
    """The message ids of ``area`` that ``language`` does not translate (in any of its area
    files), or translates as a single form where the message is plural or the other way."""
    if language == "en" and not (i18n.TRANSLATIONS / "en" / "LC_MESSAGES" / f"{area}.po").exists():
        return []  # the message ids are the English texts
    catalog = merged_catalog(language)
    missing = []
    for msgid, plural in area_message_ids(area).items():
        message = catalog.get(msgid)
        if (message is None or not i18n.translated(message)
                or isinstance(message.id, tuple) != plural):
            missing.append(msgid)
    return missing


def _completeness_cases():
    for area in sorted({path.stem for path in CATALOGUES}):
        for language in required_languages(area):
            yield pytest.param(area, language, id=f"{area}-{language}")


@pytest.mark.parametrize(("area", "language"), _completeness_cases())
def test_every_message_is_translated(area, language):
    assert untranslated(area, language) == [], (
        f"translate these in smultron/translations/{language}/LC_MESSAGES/{area}.po "
        "(a draft with the translator comment '#. needs review by a native speaker'), "
        "or drop a stale entry")


def test_the_completeness_check_finds_gaps(tmp_path, monkeypatch):
    header = 'msgid ""\nmsgstr ""\n"Language: {}\\n"\n\n'
    files = {
        ("sv", "poster"): 'msgid "Print"\nmsgstr "Skriv ut"\n\n'
                          'msgid "%(n)s copy"\nmsgid_plural "%(n)s copies"\n'
                          'msgstr[0] "%(n)s kopia"\nmsgstr[1] "%(n)s kopior"\n',
        ("fi", "poster"): 'msgid "Print"\nmsgstr "Tulosta"\n\n'
                          'msgid "%(n)s copy"\nmsgstr "%(n)s kopio"\n\n'  # not plural
                          'msgid "Gone from Swedish"\nmsgstr "Poissa"\n',
        ("fit", "core"): 'msgid "Print"\nmsgstr "Printtaa"\n',  # another area counts
    }
    for (language, area), body in files.items():
        folder = tmp_path / language / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{area}.po").write_text(header.format(language) + body, encoding="utf-8")
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    assert required_languages("poster") == STAFF_LANGUAGES  # unknown: the strict rule
    assert untranslated("poster", "sv") == ["Gone from Swedish"]
    assert untranslated("poster", "fi") == ["%(n)s copy"]
    assert untranslated("poster", "fit") == ["%(n)s copy", "Gone from Swedish"]
    assert untranslated("poster", "se") == ["Print", "%(n)s copy", "Gone from Swedish"]
    assert untranslated("poster", "en") == []  # no en catalogue: the ids are English
    (tmp_path / "en" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "en" / "LC_MESSAGES" / "poster.po").write_text(
        header.format("en") + 'msgid "Print"\nmsgstr "Print"\n', encoding="utf-8")
    assert untranslated("poster", "en") == ["%(n)s copy", "Gone from Swedish"]


def _placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text))


def problems(path: Path) -> list[str]:
    """What is wrong with one .po file (empty when nothing is)."""
    language = _language(path)
    raw = path.read_text(encoding="utf-8")
    found = []
    named = re.search(r'^"Language: ([\w-]+)\\n"$', raw, re.MULTILINE)
    if not named or named.group(1) != language:
        found.append(f"the header's Language is not {language}")
    catalog = _read(path)
    plural = re.search(r'^"Plural-Forms: ([^"]*)\\n"$', raw, re.MULTILINE)
    has_plurals = any(isinstance(message.id, tuple) for message in catalog)
    if (plural or has_plurals) and (not plural or plural.group(1) != PLURAL_FORMS[language]):
        found.append(f"Plural-Forms must be {PLURAL_FORMS[language]!r}")
    wanted = int(re.search(r"nplurals=(\d)", PLURAL_FORMS[language]).group(1))
    for message in catalog:
        if message.id:
            found += _message_problems(message, wanted)
    return found


def _message_problems(message, wanted: int) -> list[str]:
    if isinstance(message.id, tuple):
        forms = [form for form in message.string if form]
        if forms and (len(message.string) != wanted or len(forms) != wanted):
            return [f"{message.id[0]!r}: {len(forms)} plural forms, {wanted} wanted"]
        pairs = [(message.id[1], form) for form in forms]
    else:
        pairs = [(message.id, message.string)] if message.string else []
    found = []
    for msgid, text in pairs:
        if _placeholders(text) != _placeholders(msgid):
            found.append(f"{msgid!r}: the placeholders of {text!r} differ")
        if "python-format" in message.flags and STRAY_PERCENT.search(text):
            found.append(f"{msgid!r}: a lone % in {text!r} breaks formatting (write %%)")
    return found


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: f"{_language(path)}/{path.name}")
def test_catalogue_is_sound(path):
    assert problems(path) == []


@pytest.mark.parametrize("language", sorted({_language(path) for path in CATALOGUES}))
def test_areas_agree_on_shared_message_ids(language):
    assert len(merged_catalog(language)) > 30


def test_the_check_finds_broken_entries(tmp_path):
    folder = tmp_path / "se" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    broken = folder / "places.po"
    broken.write_text(
        'msgid ""\nmsgstr ""\n"Language: fi\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        '#, python-format\nmsgid "From 1 to %(n)s children."\nmsgstr "1–%(m)s mánná, 5 %"\n\n'
        'msgid "%(num)s place"\nmsgid_plural "%(num)s places"\n'
        'msgstr[0] "%(num)s báiki"\nmsgstr[1] "%(num)s báikki"\n',
        encoding="utf-8")
    found = problems(broken)
    assert len(found) == 5, found
    assert "Language is not se" in found[0] and "nplurals=3" in found[1]
    assert "placeholders" in found[2] and "lone %" in found[3] and "plural forms" in found[4]
