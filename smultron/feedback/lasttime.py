"""A look back before a new round (issue 15): "Last time" on the session start page shows
the preschool's places of its previous campaign as big pictogram cards, so the children
can remember before they map again. Flask-free."""

from __future__ import annotations

from sqlalchemy.orm import Session

from smultron.feedback import answers
from smultron.models import Campaign

MAX_SLIDES = 60  # a preschool marks a few dozen places in a campaign


def previous_campaign(db: Session, preschool_id: int,
                      current: list[Campaign]) -> Campaign | None:
    """The newest campaign in which the preschool marked places, other than the ones now
    open for mapping (``current``)."""
    now = {c.id for c in current}
    return next((c for c in answers.campaigns(db, preschool_id) if c.id not in now), None)


def slides(db: Session, preschool_id: int, current: list[Campaign],
           lang: str) -> tuple[Campaign | None, list[answers.Card]]:
    """The previous campaign and its places as cards (the answers page's), at most
    MAX_SLIDES of them."""
    campaign = previous_campaign(db, preschool_id, current)
    if campaign is None:
        return None, []
    return campaign, answers.cards(db, preschool_id, campaign.id, lang)[:MAX_SLIDES]
