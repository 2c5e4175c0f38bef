"""Reference data every installation has: the seeded categories (data/categories.json)
and their drafted labels in Finnish, Meänkieli and North Sámi (data/category_labels.json)."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from smultron import ROOT
from smultron.models import Category

CATEGORIES_FILE = ROOT / "data" / "categories.json"
LABELS_FILE = ROOT / "data" / "category_labels.json"


def drafted_labels() -> dict[str, dict[str, str]]:
    """{code: {language: label}} for the seeded categories, drafted without a native
    speaker (the admin reviews them under Administration › Categories)."""
    return json.loads(LABELS_FILE.read_text(encoding="utf-8"))


def ensure_categories(session: Session) -> int:
    """Add the seeded categories that are missing, and give the seeded ones the drafted
    label of a language they have none in (an admin's edits, an emptied label too, are
    kept)."""
    known = {category.code: category for category in session.scalars(select(Category))}
    drafted = drafted_labels()
    added = 0
    for order, row in enumerate(json.loads(CATEGORIES_FILE.read_text(encoding="utf-8"))):
        category = known.get(row["code"])
        if category is None:
            category = Category(sort_order=order * 10, hidden=False, labels={}, **row)
            session.add(category)
            added += 1
        missing = {lang: label for lang, label in drafted.get(row["code"], {}).items()
                   if lang not in (category.labels or {})}
        if missing:
            category.labels = {**(category.labels or {}), **missing}
    session.flush()
    return added


def migrate_and_seed(engine: Engine) -> None:
    """The newest schema and the reference data every installation has (``smultron db
    upgrade``, the test suite's template database, the benchmarks' databases)."""
    from smultron.core import migrate

    migrate.upgrade(engine)
    with sessionmaker(engine)() as session:
        ensure_categories(session)
        session.commit()
