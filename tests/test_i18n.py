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
                          "ngettext": (1, 2), "_l": None}):
            ids = message if isinstance(message, tuple) else (message,)
            for msgid in ids:
                if msgid:
                    found.setdefault(msgid, f"{folder}/{filename}")
    return found


def test_every_ui_string_has_a_swedish_translation():
    catalog = merged_catalog("sv")
    ids = _message_ids()
    assert len(ids) > 30  # the extraction itself works
    missing = {msgid: where for msgid, where in ids.items()
               if not (catalog.get(msgid) and catalog.get(msgid).string)}
    assert missing == {}, "add these to smultron/translations/sv/LC_MESSAGES/<area>.po"


def test_language_switch(client):
    assert "Logga in i Smultron" in client.get("/login").get_data(as_text=True)
    client.get("/lang/en")
    assert "Log in to Smultron" in client.get("/login").get_data(as_text=True)
    client.get("/lang/sv")
    assert 'lang="sv"' in client.get("/login").get_data(as_text=True)
