"""The public pages in all five languages (issue 16): the drafted fi, fit and se texts
are shown, with their own fallback words, and an admin edits them like sv and en."""

from __future__ import annotations

import pytest

from smultron import sitepages

FIRST_WORDS = {"sv": "Smultron", "fi": "Smultron kartoittaa lasten lempipaikkoja",
               "fit": "Smultron kartoittaa lasten lempipaikkoja (ruottiksi",
               "se": "Smultron kártte mánáid ráhkis báikkiid"}


@pytest.mark.parametrize("lang", ["fi", "fit", "se"])
def test_the_about_page_speaks_the_language(client, lang):
    response = client.get(f"/about?lang={lang}")
    assert response.status_code == 200
    assert FIRST_WORDS[lang] in response.get_data(as_text=True)


@pytest.mark.parametrize("page", sorted(sitepages.PAGES))
@pytest.mark.parametrize("lang", ["fi", "fit", "se"])
def test_every_public_page_has_its_text_in_every_language(client, page, lang):
    body = client.get(f"/{page}?lang={lang}").get_data(as_text=True)
    headings = [block for block in sitepages.blocks(sitepages.default_text(page, lang))
                if block.kind == "heading"]
    assert headings  # the drafted text is there, with its headings
    assert all("".join(text for text, _href in h.spans) in body for h in headings)


def test_the_fallback_words_exist_for_every_language():
    assert set(sitepages.FALLBACKS) == set(sitepages.LANGUAGES)


def test_an_admin_edits_the_north_sami_page(client, auth, world):
    auth.login(world.email("admin"))
    assert "Davvisámegiella" in client.get("/admin/pages").get_data(as_text=True)
    form = client.get("/admin/pages/about/se")
    assert form.status_code == 200
    assert "Smultron kártte" in form.get_data(as_text=True)
