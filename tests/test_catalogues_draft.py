"""Every message catalogue present (sv, and the drafted fi, fit and se): it parses,
names its language, has the locale's plural forms, keeps each message id's
placeholders, and translates a message id shared by two areas the same way. The
drafted public pages keep the English page's structure and placeholders, and every
category has a label in each drafted language."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from smultron import ROOT
from smultron.admin.sitepages import FOLDER, PAGES, blocks
from smultron.i18n import TRANSLATIONS, merged_catalog

# Plural forms per language (Babel/CLDR): North Sámi has one, two, other.
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
DRAFTED = ("fi", "fit", "se")


def _language(path: Path) -> str:
    return path.parent.parent.name


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
    with path.open("rb") as handle:
        catalog = read_po(handle)
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


def _shape(text: str) -> list:
    """The page's blocks with their kind, list length and links, not their words."""
    return [(block.kind, len(block.items),
             [href for spans in (block.items or [block.spans]) for _text, href in spans if href])
            for block in blocks(text)]


@pytest.mark.parametrize("language", DRAFTED)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_drafted_page_keeps_the_english_structure(page, language):
    english = (FOLDER / f"{page}.en.txt").read_text(encoding="utf-8")
    drafted = (FOLDER / f"{page}.{language}.txt").read_text(encoding="utf-8")
    assert _shape(drafted) == _shape(english)
    assert sorted(re.findall(r"\{\w+\}", drafted)) == sorted(re.findall(r"\{\w+\}", english))


def test_every_category_has_a_drafted_label():
    codes = [category["code"] for category in json.loads(
        (ROOT / "data" / "categories.json").read_text(encoding="utf-8"))]
    labels = json.loads((ROOT / "data" / "category_labels.json").read_text(encoding="utf-8"))
    assert list(labels) == codes
    assert all(sorted(labels[code]) == sorted(DRAFTED) and all(labels[code].values())
               for code in codes)
