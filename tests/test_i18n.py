"""Every UI string has a Swedish translation; English is the message id itself."""

from babel.messages.extract import extract_from_dir

from smultron import ROOT
from smultron.i18n import merged_catalog

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
