"""A dataset's title and description in Swedish and English (DCAT, ISO 19139, the pages)."""

from __future__ import annotations

from smultron.core.messages import M, gettext_for, translate


def _messages(content: dict) -> tuple:
    campaigns = ", ".join(c["name"] for c in content["campaigns"])
    title = M("Children's favourite places in %(municipality)s, %(campaigns)s",
              municipality=content["municipality"]["name"], campaigns=campaigns)
    description = M(
        "Favourite and scary places preschool children chose with their staff in "
        "%(municipality)s (%(campaigns)s), counted on a fixed grid of %(size)s m hexagons. "
        "Every hexagon and every figure rests on at least %(k)s children; the others are "
        "withheld and only counted. Counts are perturbed by up to one per group. No "
        "comments, photos, sessions, dates or small preschools.",
        municipality=content["municipality"]["name"], campaigns=campaigns,
        size=content["hex_size"], k=content["threshold"])
    return title, description


def title_texts(content: dict) -> dict[str, str]:
    title, _description = _messages(content)
    return {"sv": translate(title, gettext_for("sv")), "en": str(title)}


def description_texts(content: dict) -> dict[str, str]:
    _title, description = _messages(content)
    return {"sv": translate(description, gettext_for("sv")), "en": str(description)}
