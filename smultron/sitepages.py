"""The public pages' texts (about, accessibility statement, privacy notice) in the
five interface languages: defaults in data/pages/<page>.<lang>.txt (fi, fit and se
drafted, waiting for a native speaker's review), an admin's edits in
the Setting table. The format is deliberately tiny and never rendered as HTML:

    ## A heading
    A paragraph; [link text](https://example.org) or [mail us](mailto:a@b.se).
    - a list item

Blocks are separated by blank lines. ``{comment_months}`` and the other names in
``placeholders`` are replaced with the configured values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from smultron import ROOT, retention
from smultron.core import settings
from smultron.core.i18n import LANGUAGES as INTERFACE_LANGUAGES
from smultron.core.problems import N_, Collector, fail
from smultron.models import Municipality

PAGES = {"about": N_("About Smultron"), "accessibility": N_("Accessibility statement"),
         "privacy": N_("Privacy notice")}
LANGUAGES = tuple(INTERFACE_LANGUAGES)  # sv, en, fi, fit, se
FOLDER = ROOT / "data" / "pages"
SITE_KEY = "site"
SITE_DEFAULTS = {"organisation": "", "contact_email": "", "dpo_email": "",
                 "feedback_email": ""}
LINK = re.compile(r"\[([^\]\n]{1,200})\]\(((?:https?://|mailto:)[^\s)]{1,500})\)")
MAX_TEXT = 20_000


@dataclass
class Block:
    kind: str  # "heading", "paragraph" or "list"
    spans: list = field(default_factory=list)  # paragraph/heading: [(text, href|None)]
    items: list = field(default_factory=list)  # list: [[(text, href|None)], …]


def _key(page: str, lang: str) -> str:
    return f"page:{page}:{lang}"


def check_page(page: str, lang: str) -> None:
    """404 for a page or language the site does not have."""
    if page not in PAGES or lang not in LANGUAGES:
        raise fail(N_("There is no such page"), status=404)


def default_text(page: str, lang: str) -> str:
    check_page(page, lang)
    path = FOLDER / f"{page}.{lang}.txt"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def text(session: Session, page: str, lang: str) -> tuple[str, bool]:
    """The page's text and whether an admin has edited it."""
    check_page(page, lang)
    stored = settings.read(session, _key(page, lang), {"text": None})["text"]
    return (stored, True) if stored is not None else (default_text(page, lang), False)


def save(session: Session, page: str, lang: str, form) -> None:
    check_page(page, lang)
    problems = Collector()
    value = problems.text(form, "text", MAX_TEXT, label=N_("The text"), multiline=True)
    problems.raise_if_any()
    settings.write(session, _key(page, lang), {"text": value.replace("\r\n", "\n")})


def reset(session: Session, page: str, lang: str) -> bool:
    check_page(page, lang)
    return settings.remove(session, _key(page, lang))


def site(session: Session) -> dict:
    return settings.read(session, SITE_KEY, SITE_DEFAULTS)


def save_site(session: Session, form) -> dict:
    problems = Collector()
    values = {"organisation": problems.text(form, "organisation", 200, required=False) or ""}
    for name in ("contact_email", "dpo_email", "feedback_email"):
        values[name] = problems.email(form, name, required=False)
    problems.raise_if_any()
    before = site(session)
    settings.write(session, SITE_KEY, values)
    return {key: [before[key], values[key]] for key in values if before[key] != values[key]}


FALLBACKS = {
    "sv": {"organisation": "{name} kommun", "nobody": "kommunen",
           "email": "(ingen adress är angiven ännu)"},
    "en": {"organisation": "{name} municipality", "nobody": "the municipality",
           "email": "(no address has been given yet)"},
    # drafts, like the pages themselves
    "fi": {"organisation": "{name}n kunta", "nobody": "kunta",
           "email": "(osoitetta ei ole vielä annettu)"},
    "fit": {"organisation": "{name}n kunta", "nobody": "kunta",
            "email": "(osotetta ei ole vielä annettu)"},
    "se": {"organisation": "{name} suohkan", "nobody": "suohkan",
           "email": "(čujuhus ii leat vel addojuvvon)"},
}


def placeholders(session: Session, lang: str = "sv") -> dict:
    """Values for {name} in the texts: retention periods, organisation and contacts
    (e-mail addresses as mailto links; a readable fallback when one is not set)."""
    words = FALLBACKS.get(lang, FALLBACKS["en"])
    values = {key: str(value) for key, value in retention.periods(session).items()}
    values["link_days"] = str(retention.LINK_DAYS)
    info = site(session)
    names = session.scalars(select(Municipality.name).limit(2)).all()
    values["organisation"] = info["organisation"] or (
        words["organisation"].replace("{name}", names[0]) if len(names) == 1
        else words["nobody"])
    for key in ("contact_email", "dpo_email", "feedback_email"):
        address = info[key] or info["contact_email"]
        values[key] = f"[{address}](mailto:{address})" if address else words["email"]
    return values


def feedback_address(session: Session) -> str:
    info = site(session)
    return info["feedback_email"] or info["contact_email"]


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(raw: str, values: dict) -> str:
    """Replace {name} with its value; anything else (unknown names, stray braces) stays."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), raw)


def spans(line: str) -> list[tuple[str, str | None]]:
    result, position = [], 0
    for match in LINK.finditer(line):
        if match.start() > position:
            result.append((line[position:match.start()], None))
        result.append((match.group(1), match.group(2)))
        position = match.end()
    if position < len(line):
        result.append((line[position:], None))
    return result


def blocks(raw: str) -> list[Block]:
    """The tiny format as blocks (text is escaped by the template, never trusted): a
    ``#`` line is a heading, a run of ``- `` (or ``* ``) lines a list, a run of other
    lines a paragraph; blank lines separate paragraphs and lists."""
    result: list[Block] = []
    for chunk in re.split(r"\n\s*\n", raw.replace("\r\n", "\n").strip()):
        paragraph: list[str] = []
        items: list | None = None  # the list being filled
        for line in (line.strip() for line in chunk.splitlines()):
            if line.startswith(("- ", "* ", "#")) and paragraph:
                result.append(Block("paragraph", spans(" ".join(paragraph))))
                paragraph = []
            if line.startswith(("- ", "* ")):
                if items is None:
                    items = []
                    result.append(Block("list", items=items))
                items.append(spans(line[2:].strip()))
                continue
            items = None
            if line.startswith("#"):
                result.append(Block("heading", spans(line.lstrip("#").strip())))
            elif line:
                paragraph.append(line)
        if paragraph:
            result.append(Block("paragraph", spans(" ".join(paragraph))))
    return result


def render(session: Session, page: str, lang: str) -> list[Block]:
    raw, _edited = text(session, page, lang)
    return blocks(fill(raw, placeholders(session, lang)))
