"""What a page's scripts are handed: one JSON block, ``<script type="application/json"
id="page-config">``, that templates/base.html writes from the view's ``page_config`` and
static/js/shared/page-config.js reads. Data, never code (Jinja's ``tojson`` escapes ``<``,
``>``, ``&`` and quotes, so nothing in it can end the block).

One set of key names for every page: snake_case, and the background map always as
``tiles: {"url", "attribution", "choices", "strings"}`` (an empty url: no background map,
no request; static/js/shared/background.js draws it);
``bounds`` is ``[[south, west], [north, east]]``, ``orientation`` the URL of the
preschools to orient by, ``strings`` or ``labels`` the page's words, ``geoman`` the
drawing tools' words (static/js/shared/geoman-lang.js)."""

from __future__ import annotations

from smultron.web.basemaps import choices
from smultron.web.mapping_strings import geoman_strings


def tiles() -> dict:
    """The background maps, all through /basemap/ on this site (smultron/web/basemaps.py
    ``choices``: the default's url and attribution, the picker's choices and words)."""
    return choices()


def page_config(*, geoman: bool = False, **values) -> dict:
    """``values`` for the page's scripts; with ``geoman``, the drawing tools' words too."""
    config = dict(values)
    if geoman:
        config["geoman"] = geoman_strings()
    return config
