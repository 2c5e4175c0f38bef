"""Translatable messages from domain code (which has no Flask).

A ``Message`` is the English text (a plain ``str`` wherever it goes) that also keeps its
message id and parameters, so the HTTP layer can translate it with Flask-Babel.
"""

from __future__ import annotations

from functools import lru_cache

from babel import support

from smultron import ROOT

TRANSLATIONS = ROOT / "smultron" / "translations"


class Message(str):
    """English text; ``msgid`` (with %(name)s placeholders) and ``params`` for gettext."""

    msgid: str
    params: dict

    def __new__(cls, msgid: str, params: dict | None = None):
        params = params or {}
        self = super().__new__(cls, msgid % params if params else msgid)
        self.msgid = msgid
        self.params = params
        return self


def M(msgid: str, **params) -> Message:  # noqa: N802 - reads like _() at call sites
    return Message(msgid, params)


def translate(value, gettext):
    """``value`` with every Message in it (also inside dicts and lists, and a Message
    given as a parameter of another) translated."""
    if isinstance(value, Message):
        if not value.params:
            return gettext(value.msgid)
        return gettext(value.msgid, **{key: translate(item, gettext)
                                       for key, item in value.params.items()})
    if isinstance(value, dict):
        return {key: translate(item, gettext) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [translate(item, gettext) for item in value]
    return value


@lru_cache(maxsize=8)
def _catalogue(language: str) -> support.NullTranslations:
    return support.Translations.load(TRANSLATIONS, [language], domain="messages")


def gettext_for(language: str):
    """A ``gettext(msgid, **params)`` for ``language`` from the compiled catalogue, for
    what is written outside a request (files the CLI exports); English is the msgid."""
    catalogue = _catalogue(language)

    def gettext(msgid: str, **params) -> str:
        text = catalogue.gettext(msgid)
        return text % params if params else text
    return gettext
