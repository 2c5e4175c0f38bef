"""Categories: labels (Swedish and English required; Finnish, Meänkieli and North Sámi
optional, shown in Swedish where missing), pictogram, colour, order, hidden.
A category that any place uses (even a deleted one) is never deleted: hide it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smultron import ROOT
from smultron.core.problems import N_, Collector, fail
from smultron.models import LABEL_LANGUAGES, Category, Place

CODE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
COLOUR = re.compile(r"^#[0-9a-f]{6}$")
PICTOGRAM_FOLDER = ROOT / "static" / "img" / "pictograms"


@dataclass(frozen=True)
class CategoryInput:
    code: str | None
    label_sv: str
    label_en: str
    pictogram: str
    colour: str
    sort_order: int
    hidden: bool
    labels: dict  # {"fi": …, "fit": …, "se": …}, "" where there is none


# The optional labels' form fields, and how a problem names them.
LABEL_NAMES = {"fi": N_("The Finnish label"), "fit": N_("The Meänkieli label"),
               "se": N_("The North Sámi label")}


def pictograms() -> list[str]:
    """The pictograms there are: the seeded ones and any SVG in static/img/pictograms/."""
    seeded = [row["pictogram"] for row in
              json.loads((ROOT / "data" / "categories.json").read_text())]
    drawn = [path.stem for path in PICTOGRAM_FOLDER.glob("*.svg")] \
        if PICTOGRAM_FOLDER.is_dir() else []
    return sorted(set(seeded) | set(drawn))


def visible(session: Session) -> list[Category]:
    """The categories staff can choose (not hidden), in the order they see them."""
    return list(session.scalars(select(Category).where(Category.hidden.is_(False))
                                .order_by(Category.sort_order)))


def list_categories(session: Session) -> list:
    """Rows of (category, places using it, deleted ones too), in the order staff see them."""
    used = (select(func.count(Place.id)).where(Place.category_id == Category.id)
            .scalar_subquery())
    return list(session.execute(select(Category, used.label("places"))
                                .order_by(Category.sort_order, Category.id)))


def get(session: Session, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise fail(N_("There is no such category"), status=404)
    return category


def parse(form: Mapping, *, with_code: bool) -> CategoryInput:
    problems = Collector()
    code = None
    if with_code:
        code = (form.get("code") or "").strip().lower()
        if not CODE.match(code):
            problems.add(N_("The code is 1–40 lower-case letters, digits, - or _, starting "
                            "with a letter"), "code")
    label_sv = problems.text(form, "label_sv", 100, label=N_("The Swedish label"))
    label_en = problems.text(form, "label_en", 100, label=N_("The English label"))
    pictogram = (form.get("pictogram") or "").strip()
    if pictogram not in pictograms():
        problems.add(N_("Choose a pictogram from the list"), "pictogram")
    colour = (form.get("colour") or "").strip().lower()
    if not COLOUR.match(colour):
        problems.add(N_("The colour is written #rrggbb, e.g. #2e7d32"), "colour")
    order = problems.integer(form, "sort_order", 0, 100_000, default=0, label=N_("The order"))
    labels = {lang: problems.text(form, f"label_{lang}", 100, required=False,
                                  label=LABEL_NAMES[lang]) or "" for lang in LABEL_LANGUAGES}
    problems.raise_if_any()
    return CategoryInput(code, label_sv, label_en, pictogram, colour, order,
                         form.get("hidden") in ("on", "1", "true"), labels)


def create(session: Session, data: CategoryInput) -> Category:
    if session.scalar(select(Category.id).where(Category.code == data.code)) is not None:
        raise fail(N_("A category with the code %(code)s exists already"), "code", status=409,
                   code=data.code)
    category = Category(code=data.code)
    session.add(category)
    _apply(category, data)
    session.flush()
    return category


def _apply(category: Category, data: CategoryInput) -> None:
    category.label_sv, category.label_en = data.label_sv, data.label_en
    category.pictogram, category.colour = data.pictogram, data.colour
    category.sort_order, category.hidden = data.sort_order, data.hidden
    category.labels = dict(data.labels)


def summary(category: Category) -> dict:
    return {"label_sv": category.label_sv, "label_en": category.label_en,
            **{f"label_{lang}": (category.labels or {}).get(lang, "")
               for lang in LABEL_LANGUAGES},
            "pictogram": category.pictogram, "colour": category.colour,
            "sort_order": category.sort_order, "hidden": category.hidden}


def missing_labels(categories) -> dict[str, list[Category]]:
    """{language: the categories without a label in it (they show the Swedish one)}, only
    the languages that miss any."""
    missing = {lang: [c for c in categories if not (c.labels or {}).get(lang)]
               for lang in LABEL_LANGUAGES}
    return {lang: rows for lang, rows in missing.items() if rows}


def update(session: Session, category: Category, data: CategoryInput) -> dict:
    before = summary(category)
    _apply(category, data)
    session.flush()
    after = summary(category)
    return {key: [before[key], after[key]] for key in after if before[key] != after[key]}


def usage(session: Session, category: Category) -> int:
    return session.scalar(select(func.count(Place.id)).where(Place.category_id == category.id))


def delete(session: Session, category: Category) -> None:
    if usage(session, category):
        raise fail(N_("Places use the category %(label)s, so it cannot be deleted: hide it "
                      "instead"), status=409, label=category.label_en)
    session.delete(category)
    session.flush()


def move(session: Session, category: Category, direction: int) -> None:
    """Swap places with the neighbour above (-1) or below (+1); renumbers 10, 20, …"""
    ordered = list(session.scalars(select(Category).order_by(Category.sort_order, Category.id)))
    index = ordered.index(category)
    other = index + direction
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, row in enumerate(ordered):
        row.sort_order = (position + 1) * 10
    session.flush()
