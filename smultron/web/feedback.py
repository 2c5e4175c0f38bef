"""The children hear back (issue 15): "What became of our places"
(/map/preschools/<id>/answers). Parse, authorise, render; the domain is in
smultron/feedback/."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select

from smultron.core import audit
from smultron.core.errors import NotFound
from smultron.core.messages import M
from smultron.feedback import answers, lasttime, notices, poster, poster_map
from smultron.models import RESPONSE_STATUSES, Preschool
from smultron.reports import pdf as report_pdf
from smultron.reports.labels import number
from smultron.responses import STATUS_LABELS
from smultron.web.auth import current_viewer, role_required
from smultron.web.database import get_session
from smultron.web.language import current_language
from smultron.web.mapping_strings import season_labels
from smultron.web.page_config import page_config, tiles
from smultron.web.recordings import speech

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
        tiles=tiles(), sw=url_for("map.service_worker"), speech=speech(preschool.id),
        strings={"of": gettext("%(n)s of %(total)s"),
                 "not_answered": gettext("Not answered yet")})


def last_time(preschool_id: int, current: list) -> dict | None:
    """"Last time" for the session start page: the previous campaign's places as cards
    (``current``: the campaigns open for mapping now), or None when there is none."""
    campaign, found = lasttime.slides(get_session(), preschool_id, current,
                                      current_language())
    if campaign is None or not found:
        return None
    return {"campaign": campaign, "cards": [_card(c) for c in found],
            "feelings": feeling_labels(), "seasons": season_labels()}


@bp.route("/map/preschools/<int:preschool_id>/answers")
@role_required(*VIEWERS)
def answers_page(preschool_id: int):
    db = get_session()
    preschool = answers.preschool(db, current_viewer(), preschool_id)
    choices = answers.campaigns(db, preschool.id)
    campaign = answers.chosen_campaign(choices, request.args.get("campaign"))
    notices.mark_seen(db, current_user.user.id, preschool.id)  # its answers are seen now
    db.commit()
    cards = [] if campaign is None else [
        _card(c) for c in answers.cards(db, preschool.id, campaign.id, current_language())]
    return render_template(
        "feedback/answers.html", preschool=preschool, campaigns=choices, campaign=campaign,
        cards=cards, statuses=statuses(), feelings=feeling_labels(), seasons=season_labels(),
        page_config=_config(preschool, cards))


@lru_cache(maxsize=64)
def _pictogram_data(folder: str, name: str) -> str:
    """A pictogram as a data: URL (WeasyPrint reads nothing else); a name that is not a
    plain pictogram's (a category's pictogram is an admin's text) falls back to "other"."""
    if not re.fullmatch(r"(status/)?[a-z0-9_-]{1,40}", name):
        name = "other"
    path = Path(folder, "img", "pictograms", f"{name}.svg")
    if not path.is_file():
        path = Path(folder, "img", "pictograms", "other.svg")
    return "data:image/svg+xml;base64," + base64.b64encode(path.read_bytes()).decode()


def _used_pictograms(found: poster.Poster) -> set[str]:
    names = {c.pictogram for c in found.counts} | {p for p, _w in found.words}
    for group in found.answers:
        names |= {*group.pictograms, f"status/{group.status}"}
    return names | {f"status/{status}" for status, _places in found.more_by_status}


def _poster_pdf(db, preschool, campaign, size: str, lang: str) -> bytes:
    found = poster.gather(preschool, campaign.name,
                          answers.cards(db, preschool.id, campaign.id, lang), size)
    area, school = poster.neighbourhood_3006(db, preschool.id)

    def pictogram(name: str) -> str:
        return _pictogram_data(current_app.static_folder, name)

    svg = poster_map.map_svg(found.cards, area, school, pictogram, lang)
    pictograms = {name: pictogram(name) for name in sorted(_used_pictograms(found))}
    html = render_template(
        "feedback/poster_pdf.html", poster=found, lang=lang,
        pictograms={**pictograms, "scary-marker": poster_map.scary_symbol_uri()},
        map_image="data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
        number=lambda n: number(n, lang),
        statuses={code: gettext(label.msgid) for code, label in STATUS_LABELS.items()})
    return report_pdf.html_to_pdf(html)


@bp.route("/map/preschools/<int:preschool_id>/poster.pdf")
@role_required(*VIEWERS)
def poster_pdf(preschool_id: int):
    """The wall poster of one campaign (``?campaign=``, the newest by default) on A3 or A4
    (``?size=``), in the page's language; downloads are audited like other exports."""
    db = get_session()
    preschool = answers.preschool(db, current_viewer(), preschool_id)
    size = poster.parse_size(request.args.get("size"))
    campaign = answers.chosen_campaign(answers.campaigns(db, preschool.id),
                                       request.args.get("campaign"))
    if campaign is None:
        raise NotFound(M("This preschool has not marked any places yet."))
    body = _poster_pdf(db, preschool, campaign, size, current_language())
    audit.record(db, "poster_pdf", current_user.user, target=f"preschool:{preschool.id}",
                 ip=request.remote_addr, detail={"campaign": campaign.id, "size": size})
    db.commit()
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="poster-{preschool.id}-{campaign.id}-'
                               f'{size}.pdf"',
        "Cache-Control": "private, no-store"})
