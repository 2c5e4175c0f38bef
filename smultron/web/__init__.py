"""The HTTP layer: one module per blueprint, each thin (parse, authorise, render)."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from functools import lru_cache

from flask import Flask, request, url_for
from flask_babel import lazy_gettext
from flask_login import current_user

from smultron.core.access import PLANNERS

# Each module listed here has a module-level ``bp`` Blueprint.
BLUEPRINT_MODULES = (
    "smultron.web.auth",
    "smultron.web.sso",
    "smultron.web.sitepages",
    "smultron.web.reports",
    "smultron.web.export",
    "smultron.web.ogc",
    "smultron.web.plans",
    "smultron.web.assessment",
    "smultron.web.admin",
    "smultron.web.tokens",
    "smultron.web.account",
    "smultron.web.api",
    "smultron.web.photos",
    "smultron.web.photo_moderation",
    "smultron.web.mapping_sessions",
    "smultron.web.feedback",
    "smultron.web.letter",
    "smultron.web.recordings",
    "smultron.web.tiles",
    "smultron.web.basemaps",
    "smultron.web.opendata",
)

# The main menu: (endpoint, label, roles that see it). Items whose endpoint
# does not exist (yet) are skipped.
NAV = (
    ("map.index", lazy_gettext("Map"), {"staff"}),
    ("planner.index", lazy_gettext("Planning"), PLANNERS),
    ("tiles.overview", lazy_gettext("All places"), PLANNERS),
    ("reports.index", lazy_gettext("Reports"), {"official", "planner", "admin", "staff"}),
    ("admin.index", lazy_gettext("Administration"), {"admin"}),
    ("tokens.index", lazy_gettext("API tokens"), PLANNERS),
)


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str
    current: bool


def blueprints():
    return [importlib.import_module(name).bp for name in BLUEPRINT_MODULES]


def nav_items(app: Flask) -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    items = []
    for endpoint, label, roles in NAV:
        if current_user.role in roles and endpoint in app.view_functions:
            url = url_for(endpoint)
            items.append(NavItem(url, str(label), request.path.startswith(url)))
    return items


@lru_cache(maxsize=1)
def vendor_manifest() -> dict[str, str]:
    """Front-end package -> its folder under static/vendor/ (written by make vendor)."""
    from smultron import ROOT

    return json.loads((ROOT / "static" / "vendor" / "manifest.json").read_text())


def vendor_url(package: str, filename: str) -> str:
    """The URL of a vendored file, e.g. vendor_url('leaflet', 'leaflet.js')."""
    return url_for("static", filename=f"vendor/{vendor_manifest()[package]}/{filename}")


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals["vendor_url"] = vendor_url
    app.jinja_env.globals["nav_items"] = lambda: nav_items(app)
