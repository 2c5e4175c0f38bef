"""Reference data every installation has: the seeded categories (data/categories.json)."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from smultron import ROOT
from smultron.models import Category

CATEGORIES_FILE = ROOT / "data" / "categories.json"


def ensure_categories(session: Session) -> int:
    """Add the seeded categories that are missing (an admin's edits are kept)."""
    known = set(session.scalars(select(Category.code)))
    added = 0
    for order, row in enumerate(json.loads(CATEGORIES_FILE.read_text())):
        if row["code"] not in known:
            session.add(Category(sort_order=order * 10, hidden=False, **row))
            added += 1
    session.flush()
    return added
