"""Swedish by default, English switchable (Flask-Babel).

Message ids are English. Swedish translations live in one .po file per area
under ``translations/sv/LC_MESSAGES/`` (so that areas can grow independently);
``python -m smultron.i18n compile`` merges them into ``messages.mo``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import Babel

LANGUAGES = {"sv": "Svenska", "en": "English"}
DEFAULT_LANGUAGE = "sv"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if request.args.get("lang") in LANGUAGES:
        return request.args["lang"]
    return DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)


def merged_catalog(language: str) -> Catalog:
    """All .po files of ``language`` as one catalogue; a msgid twice must agree."""
    merged = Catalog(locale=language)
    for path in sorted((TRANSLATIONS / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            part = read_po(handle, locale=language)
        for message in part:
            if not message.id:
                continue
            known = merged.get(message.id)
            if known is not None and known.string and known.string != message.string:
                raise ValueError(f"{path.name}: '{message.id}' is translated twice, differently")
            merged[message.id] = message
    return merged


def compile_catalogs() -> None:
    for language in LANGUAGES:
        folder = TRANSLATIONS / language / "LC_MESSAGES"
        if not folder.exists():
            continue
        with (folder / "messages.mo").open("wb") as handle:
            write_mo(handle, merged_catalog(language))


if __name__ == "__main__":
    if sys.argv[1:] == ["compile"]:
        compile_catalogs()
    else:
        sys.exit("usage: python -m smultron.i18n compile")
