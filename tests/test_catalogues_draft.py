"""The drafted public pages (fi, fit, se) keep the English page's structure and
placeholders, and every category has a label in each drafted language. (The
catalogues themselves are checked in tests/test_i18n.py.)"""

from __future__ import annotations

import json
import re

import pytest

from smultron import ROOT
from smultron.sitepages import FOLDER, PAGES, blocks

DRAFTED = ("fi", "fit", "se")


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
