"""Vector tiles of places for the maps: GET /tiles/places/{z}/{x}/{y}.mvt, the
overview map that draws them (GET /tiles/map: every place at any scale), and the
preschools with their neighbourhoods that every map draws to orient by
(GET /tiles/preschools.json?bbox=west,south,east,north).

Query parameters: ``campaign`` and ``preschool`` (ids). The answer is private to the
person asking (their access decides what is in it), cacheable for a minute, with an
ETag so a reloaded map gets 304s for tiles that did not change.
"""

from __future__ import annotations

import redis
from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from smultron import responses
from smultron.core import parsing
from smultron.core.access import PLANNERS
from smultron.core.errors import AppError
from smultron.core.messages import translate
from smultron.models import RESPONSE_MAX, RESPONSE_STATUSES, Category
from smultron.places import tiles
from smultron.preschools import orientation
from smultron.web.auth import current_viewer, role_required
from smultron.web.database import get_session
from smultron.web.language import current_language
from smultron.web.page_config import page_config
from smultron.web.page_config import tiles as page_tiles

bp = Blueprint("tiles", __name__, url_prefix="/tiles")
CACHE_SECONDS = 60


def _id_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    if raw == "":
        return None
    number = parsing.identifier(raw)
    if number is None:
        raise AppError(_("The parameter '%(name)s' must be a whole number.", name=name))
    return number


def _shared_store():
    """A Redis client on REDIS_URL (shared by every app process), or None."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    store = current_app.extensions.get("smultron.places.tiles.redis")
    if store is None:
        store = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        current_app.extensions["smultron.places.tiles.redis"] = store
    return store


@bp.get("/places/<int:z>/<int:x>/<int:y>.mvt")
@role_required("staff", "planner", "admin")
def places(z: int, x: int, y: int):
    filters = tiles.TileFilter(campaign=_id_arg("campaign"), preschool=_id_arg("preschool"))
    data = tiles.render(get_session(), current_viewer(), tiles.Tile(z, x, y), filters,
                        shared=_shared_store())
    response = make_response(data)
    response.mimetype = tiles.CONTENT_TYPE
    response.set_etag(tiles.etag(data))
    response.cache_control.private = True
    response.cache_control.max_age = CACHE_SECONDS
    response.vary.update(("Cookie", "Authorization"))
    return response.make_conditional(request)


@bp.get("/map")
@role_required("staff", "planner", "admin")
def overview():
    """Every place the viewer may see, on one map, at any number of places."""
    db = get_session()
    viewer = current_viewer()
    campaign = _id_arg("campaign")
    lang = current_language()
    categories = {c.code: c.label(lang) for c in db.scalars(select(Category))}
    config = page_config(
        places_tiles=url_for("tiles.places", z=0, x=0, y=0).rsplit("/0/0/0.mvt", 1)[0],
        params={"campaign": campaign},
        bounds=tiles.view_bounds(db, viewer),
        tiles=page_tiles(),
        categories=categories,
        orientation=url_for("tiles.preschools"),
        labels={"places": _("{n} places"), "place": _("1 place"),
                "group": _("{children} children's choices, {scary} scary places"),
                "in_view": _("About {n} places in view."), "zoom": _("Zoom in here"),
                "show": _("Show on the map"), "scary": _("scary"),
                "favourite": _("favourite"), "loading": _("Loading the places …"),
                "failed": _("Some of the map could not be loaded. Try again.")},
    )
    answering = _answering() if viewer.role in PLANNERS else {}
    if answering:
        config["answer"] = answering["config"]
    return render_template("tiles/map.html", page_config=config, campaign=campaign,
                           campaigns=tiles.campaign_choices(db, viewer),
                           statuses=answering.get("statuses", ()),
                           status_labels=answering.get("labels", {}), response_max=RESPONSE_MAX)


def _answering() -> dict:
    """What a planner needs to answer a place from the map (static/js/tiles/answer.js)."""
    labels = translate(responses.STATUS_LABELS, _)
    url = url_for("api.place_answer", place_id="ID").replace("ID", "{id}")
    return {"statuses": RESPONSE_STATUSES, "labels": labels, "config": {
        "url": url, "statuses": labels, "labels": {
            "answer": _("Answer this place"), "shown": _("Shown now: %(answer)s"),
            "unanswered": _("Not answered yet"), "saved": _("The answer is saved."),
            "offline": _("No connection: the answer was not saved. Try again."),
            "failed": _("Something went wrong. Try again.")}}}


def orientation_labels() -> dict:
    """The texts the orientation layer shows (static/js/shared/orientation.js)."""
    return {"legend": _("Grey dots: preschools; dashed lines: their neighbourhoods."),
            "more": _("Zoom in to see every preschool.")}


@bp.get("/preschools.json")
@role_required("staff", "planner", "admin", "official")
def preschools():
    """The preschools the viewer may see in ``bbox``, with their neighbourhoods."""
    bbox = orientation.parse_bbox(request.args.get("bbox"))
    data = orientation.preschools_in(get_session(), current_viewer(), bbox)
    response = jsonify({**data, "labels": orientation_labels()})
    response.cache_control.private = True
    response.cache_control.max_age = CACHE_SECONDS
    response.vary.update(("Cookie", "Authorization", "Accept-Language"))
    return response
