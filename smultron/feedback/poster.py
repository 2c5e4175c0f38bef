"""The wall poster (issue 15): what a preschool's children chose in one campaign and what
the planners answered, on exactly one printed page (A3 or A4).

Flask-free: ``gather`` reads the campaign's places once (the answers page's cards) and
bounds everything the page shows, so the poster stays one page at any number of places.
Nothing on it points to a child: the children's words only once approved, no dates of
sessions, no departments, no authors."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smultron.core.errors import AppError
from smultron.core.messages import M
from smultron.feedback.answers import Card
from smultron.models import METRIC_SRID, RESPONSE_STATUSES, Preschool

SIZES = {"A3": (297, 420), "A4": (210, 297)}  # millimetres, portrait
# Bounds that keep the poster one page in large type (the rest is on the answers page)
MAX_WORDS = 3  # the children's quotes on the poster
WORDS_CHARS = 60  # a longer quote is cut (with an ellipsis)
MAX_ANSWERS = 3  # answer groups; the rest are counted
ANSWER_CHARS = 90
MAX_ANSWER_PICTOGRAMS = 4


@dataclass(frozen=True)
class Count:
    """A category's pictogram and how many children chose its favourite places."""

    code: str
    label: str
    pictogram: str
    children: int


@dataclass(frozen=True)
class AnswerGroup:
    """One answer (status and text) and the pictograms of the places it answers."""

    status: str
    text: str
    pictograms: tuple[str, ...]
    places: int


@dataclass(frozen=True)
class Poster:
    size: str
    preschool: str
    campaign: str
    counts: list[Count]
    scary: int  # children's choices of scary places
    words: list[tuple[str, str]]  # (pictogram, the approved words)
    answers: list[AnswerGroup]
    more_answers: int  # answer groups left off the page
    more_by_status: list[tuple[str, int]]  # their statuses and how many places each
    cards: list[Card]  # every place, for the map


def parse_size(raw: str | None) -> str:
    """``?size=``: A3 (the default) or A4, in either case; anything else is refused."""
    size = (raw or "A3").strip().upper()
    if size not in SIZES:
        raise AppError(M("Choose the poster's size: A3 or A4."), 400,
                       detail={"field": "size"})
    return size


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def counts(cards: list[Card]) -> tuple[list[Count], int]:
    """Children's choices per category of favourite places (in the cards' order of
    categories), and of scary places."""
    totals: Counter[str] = Counter()
    first: dict[str, Card] = {}
    for card in cards:
        if card.feeling == "favourite":
            totals[card.category] += card.children
            first.setdefault(card.category, card)
    scary = sum(c.children for c in cards if c.feeling == "scary")
    ordered = sorted(first.values(), key=lambda c: (-totals[c.category], c.label))
    return [Count(c.category, c.label, c.pictogram, totals[c.category]) for c in ordered], scary


def words(cards: list[Card]) -> list[tuple[str, str]]:
    """A few of the children's approved words, of different categories first."""
    said = [c for c in cards if c.words.strip()]
    seen: set[str] = set()
    varied = [c for c in said if not (c.category in seen or seen.add(c.category))]
    chosen = (varied + [c for c in said if c not in varied])[:MAX_WORDS]
    return [(c.pictogram, _cut(c.words, WORDS_CHARS)) for c in chosen]


def answer_groups(cards: list[Card]) -> tuple[list[AnswerGroup], list[AnswerGroup]]:
    """The planners' answers, one group per (status, text) — planners often answer many
    places at once — the most places first: those shown in full, and the rest (shown by
    their status pictograms only)."""
    groups: dict[tuple[str, str], list[Card]] = {}
    for card in cards:
        if card.status:
            groups.setdefault((card.status, card.answer.strip()), []).append(card)
    ordered = sorted(groups.items(), key=lambda item: -len(item[1]))
    result = [AnswerGroup(status, _cut(text, ANSWER_CHARS),
                          tuple(dict.fromkeys(c.pictogram for c in places))
                          [:MAX_ANSWER_PICTOGRAMS], len(places))
              for (status, text), places in ordered]
    return result[:MAX_ANSWERS], result[MAX_ANSWERS:]


def by_status(groups: list[AnswerGroup]) -> list[tuple[str, int]]:
    """How many places each status answers in ``groups`` (in the statuses' order)."""
    places: Counter[str] = Counter()
    for group in groups:
        places[group.status] += group.places
    return [(status, places[status]) for status in RESPONSE_STATUSES if places[status]]


def gather(preschool: Preschool, campaign_name: str, cards: list[Card], size: str) -> Poster:
    """The poster's content from the campaign's cards (``answers.cards``)."""
    chosen, scary = counts(cards)
    answered, rest = answer_groups(cards)
    return Poster(size, preschool.name, campaign_name, chosen, scary, words(cards),
                  answered, len(rest), by_status(rest), cards)


def neighbourhood_3006(db: Session, preschool_id: int) -> tuple[dict, tuple[float, float]]:
    """The preschool's neighbourhood (GeoJSON) and point in EPSG:3006 metres."""
    area, x, y = db.execute(select(
        func.ST_AsGeoJSON(func.ST_Transform(Preschool.neighbourhood, METRIC_SRID), 1),
        func.ST_X(func.ST_Transform(Preschool.location, METRIC_SRID)),
        func.ST_Y(func.ST_Transform(Preschool.location, METRIC_SRID)),
    ).where(Preschool.id == preschool_id)).one()
    return (json.loads(area) if area else {}), (x, y)
