"""The children hear back (issue 15): "What became of our places"
(/map/preschools/<id>/answers). Parse, authorise, render; the domain is in
smultron/feedback/."""

from __future__ import annotations

import json
from dataclasses import asdict

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import func, select

from smultron.core.db import get_session
from smultron.feedback import answers
from smultron.models import RESPONSE_STATUSES, Preschool
from smultron.responses import STATUS_LABELS
from smultron.web.auth import current_viewer, role_required
from smultron.web.language import current_language
from smultron.web.mapping_strings import season_labels
from smultron.web.page_config import page_config, tiles

bp = Blueprint("feedback", __name__)
VIEWERS = ("staff", "planner", "admin", "official")  # officials: 403 from the domain


def pictogram_url(name: str) -> str:
    return url_for("static", filename=f"img/pictograms/{name}.svg")


def statuses() -> dict[str, dict]:
    """Each answer's status: its words and its pictogram (static/img/pictograms/status/)."""
    return {code: {"label": gettext(STATUS_LABELS[code].msgid),
                   "pictogram": pictogram_url(f"status/{code}")}
            for code in RESPONSE_STATUSES}


def feeling_labels() -> dict[str, str]:
    return {"favourite": gettext("Favourite place"), "scary": gettext("Scary place")}


def _card(card: answers.Card) -> dict:
    return {**asdict(card), "pictogram": pictogram_url(card.pictogram)}


def _neighbourhood(preschool_id: int) -> tuple[dict, dict]:
    area, location = get_session().execute(select(
        func.ST_AsGeoJSON(Preschool.neighbourhood, 7), func.ST_AsGeoJSON(Preschool.location, 7),
    ).where(Preschool.id == preschool_id)).one()
    return json.loads(area), json.loads(location)


def _config(preschool, cards: list[dict]) -> dict:
    area, location = _neighbourhood(preschool.id)
    return page_config(
        cards=cards, statuses=statuses(), feelings=feeling_labels(), seasons=season_labels(),
        preschool={"id": preschool.id, "name": preschool.name, "location": location,
                   "neighbourhood": area, "pictogram": pictogram_url("preschool")},
        tiles=tiles(), sw=url_for("map.service_worker"),
        strings={"of": gettext("%(n)s of %(total)s"),
                 "not_answered": gettext("Not answered yet")})


@bp.route("/map/preschools/<int:preschool_id>/answers")
@role_required(*VIEWERS)
def answers_page(preschool_id: int):
    db = get_session()
    preschool = answers.preschool(db, current_viewer(), preschool_id)
    choices = answers.campaigns(db, preschool.id)
    campaign = answers.chosen_campaign(choices, request.args.get("campaign"))
    cards = [] if campaign is None else [
        _card(c) for c in answers.cards(db, preschool.id, campaign.id, current_language())]
    return render_template(
        "feedback/answers.html", preschool=preschool, campaigns=choices, campaign=campaign,
        cards=cards, statuses=statuses(), feelings=feeling_labels(), seasons=season_labels(),
        page_config=_config(preschool, cards))
