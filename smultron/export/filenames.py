"""Download file names that say what is in the file: the filters (campaign, preschool,
category, feeling, season, dates), the plan area, the CRS and the day.

Only ASCII letters, digits, ``-`` and ``_`` (å ä ö become a a o), at most MAX_LENGTH
characters: a name that would be longer is cut and ends with a short digest of the
whole, so that two different downloads never share a name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date

from smultron.places.query import Filters

MAX_LENGTH = 120  # the whole name, extension included
UNSAFE = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """'Förskolan Ängen 2' -> 'forskolan-angen-2'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return UNSAFE.sub("-", ascii_text.lower()).strip("-")


def _dates(filters: Filters) -> str:
    start, end = filters.date_from, filters.date_to
    if start and end:
        return f"{start.isoformat()}_{end.isoformat()}"
    if start:
        return f"from-{start.isoformat()}"
    return f"to-{end.isoformat()}" if end else ""


def download_name(extension: str, filters: Filters, day: date, srid: int | None = None,
                  plan: str | None = None, suffix: str = "") -> str:
    """``smultron-places-<filters>-[plan-<name>-]<crs>-<day>[-<suffix>].<extension>``."""
    values = [filters.campaigns, filters.preschools, filters.categories, filters.feelings,
              filters.seasons]
    parts = ["_".join(s for s in (slug(v) for v in group) if s) for group in values]
    parts += [_dates(filters), f"plan-{slug(plan)}" if plan else ""]
    described = "-".join(p for p in parts if p)
    tail = "-".join(p for p in (f"epsg{srid}" if srid else "", day.isoformat(), suffix) if p)
    room = MAX_LENGTH - len(f"smultron-places--{tail}.{extension}")
    if len(described) > room:
        digest = hashlib.sha256(described.encode()).hexdigest()[:8]
        described = f"{described[:room - len(digest) - 1].rstrip('-_')}-{digest}"
    return "-".join(p for p in ("smultron-places", described, tail) if p) + f".{extension}"
