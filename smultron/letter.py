"""The guardians' letter (issue 16): what a one-page information letter for the
guardians of a preschool's children says about Smultron, from what is configured: the
retention periods, the organisation and its contact and data-protection addresses (the
admin's settings), the anonymity threshold. Laid out as a PDF by the web layer; no Flask
here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from smultron import retention, sitepages
from smultron.core import i18n
from smultron.core.errors import AppError
from smultron.core.messages import M
from smultron.models import Preschool


@dataclass(frozen=True)
class Letter:
    preschool: str
    municipality: str
    organisation: str  # as the admin set it, or "" (the letter then names the municipality)
    contact_email: str  # "" when none is set
    dpo_email: str  # the data protection officer's, else the contact address, else ""
    periods: dict  # retention.periods(): comment_months, deleted_place_days, photo_months, …
    threshold: int  # reports hide what rests on fewer children than this


def language(raw: str | None, page_language: str) -> str:
    """The letter's language: ``?lang=`` when given (one of the five), else the page's.
    An unknown code is refused (400) rather than quietly answered in another language."""
    if raw is None or raw == "":
        return page_language
    code = i18n.normalise(raw)
    if code is None:
        raise AppError(M("There is no letter in that language. Choose one of: %(languages)s.",
                         languages=", ".join(i18n.LANGUAGES.values())),
                       detail={"field": "lang"})
    return code


def gather(db: Session, preschool: Preschool, threshold: int) -> Letter:
    site = sitepages.site(db)
    return Letter(preschool=preschool.name, municipality=preschool.municipality.name,
                  organisation=site["organisation"], contact_email=site["contact_email"],
                  dpo_email=site["dpo_email"] or site["contact_email"],
                  periods=retention.periods(db), threshold=threshold)
