"""The staff map (/map): choose a preschool and department, start a mapping session,
mark places on the map (or in its list), finish with a summary. Also the service
worker (/sw.js) and the web app manifest that make the map work offline."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from functools import lru_cache
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select

from smultron import mapping_sessions, photos
from smultron.categories import visible as visible_categories
from smultron.core.messages import translate
from smultron.core.problems import Invalid
from smultron.feedback import notices
from smultron.models import FEELINGS, SEASONS, Campaign, Preschool
from smultron.places.validation import MAX_COMMENT
from smultron.web.auth import current_viewer, role_required
from smultron.web.basemaps import keep_offline_config
from smultron.web.database import get_session
from smultron.web.feedback import last_time
from smultron.web.language import current_language
from smultron.web.mapping_strings import (
    age_group_labels,
    js_strings,
    season_labels,
    session_language_labels,
)
from smultron.web.page_config import page_config, tiles
from smultron.web.photos import upload_limit
from smultron.web.recordings import speech

bp = Blueprint("map", __name__)
# How often the staff map tries again to send what waits in its outbox (0: only when
# asked, back online or shown again); app config OUTBOX_RETRY_SECONDS.
OUTBOX_RETRY_SECONDS = 20




def _categories() -> list[dict]:
    rows = visible_categories(get_session())
    return [{"code": c.code, "label": c.label(current_language()),
             "colour": c.colour,
             "pictogram": url_for("static", filename=f"img/pictograms/{c.pictogram}.svg")}
            for c in rows]


@bp.route("/map")
@role_required("staff")
def index():
    schools = mapping_sessions.preschools_for(get_session(), current_viewer())
    if len(schools) == 1:
        return redirect(url_for("map.start", preschool_id=schools[0].id))
    return render_template("map/choose.html", preschools=schools,
                           new_answers=notices.new_answers(get_session(), current_viewer()))


def _start_page(preschool, form: dict, errors: dict, status: int = 200):
    db = get_session()
    keep_offline = keep_offline_config(preschool.id)
    campaigns = mapping_sessions.open_campaigns(db, preschool)
    return render_template(
        "map/start.html", preschool=preschool, form=form, errors=errors,
        campaigns=campaigns, last_time=last_time(preschool.id, campaigns),
        new_answers=notices.new_answers(db, current_viewer(), preschool.id),
        recent=mapping_sessions.recent(db, current_viewer(), preschool.id),
        left_open=mapping_sessions.left_open(db, current_viewer(), preschool.id),
        age_groups=age_group_labels(), session_languages=session_language_labels(),
        today=date.today().isoformat(),
        continue_days=mapping_sessions.CONTINUE_DAYS,
        several=len(mapping_sessions.preschools_for(db, current_viewer())) > 1,
        keep_offline=keep_offline, page_config=page_config(keep_offline=keep_offline),
    ), status


@bp.route("/map/preschools/<int:preschool_id>", methods=["GET", "POST"])
@role_required("staff")
def start(preschool_id: int):
    db = get_session()
    preschool = mapping_sessions.preschool_for(db, current_viewer(), preschool_id)
    if request.method == "GET":
        return _start_page(preschool, {}, {})
    try:
        row = mapping_sessions.start(db, current_viewer(), current_user.user,
                                     _session_form(preschool.id, request.form))
    except Invalid as exc:
        db.rollback()
        return _start_page(preschool, request.form, translate(exc.fields, gettext), 422)
    db.commit()
    return redirect(url_for("map.session", session_id=row.id))


def _session_form(preschool_id: int, form) -> mapping_sessions.SessionForm:
    return mapping_sessions.SessionForm(
        preschool_id=preschool_id, department_id=form.get("department_id"),
        held_on=form.get("held_on"), children_present=form.get("children_present"),
        age_group=form.get("age_group"), consent=form.get("consent") == "yes",
        campaign_id=form.get("campaign_id"), language=form.get("language"))


def _map_config(row) -> dict:
    db = get_session()
    preschool = row.preschool
    neighbourhood, location = db.execute(select(
        func.ST_AsGeoJSON(Preschool.neighbourhood, 7), func.ST_AsGeoJSON(Preschool.location, 7),
    ).where(Preschool.id == preschool.id)).one()
    return {
        "session": {"id": str(row.id), "children_present": row.children_present,
                    "age_group": row.age_group, "campaign": row.campaign_id},
        "open_campaigns": list(db.scalars(select(Campaign.id).where(
            Campaign.municipality_id == preschool.municipality_id, Campaign.status == "open"))),
        "preschool": {"id": preschool.id, "name": preschool.name,
                      "location": json.loads(location),
                      "neighbourhood": json.loads(neighbourhood),
                      "pictogram": url_for("static", filename="img/pictograms/preschool.svg")},
        "categories": _categories(),
        "feelings": list(FEELINGS), "seasons": list(SEASONS),
        "max_comment": MAX_COMMENT,
        "photos": {"max": photos.MAX_PER_PLACE, "max_bytes": upload_limit()},
        "api": {"places": url_for("api.list_places"), "sw": url_for("map.service_worker")},
        "tiles": tiles(),
        "retry_seconds": current_app.config.get("OUTBOX_RETRY_SECONDS", OUTBOX_RETRY_SECONDS),
        "strings": js_strings(),
        "season_labels": season_labels(),
        "speech": speech(preschool.id),
    }


@bp.route("/map/sessions/<session_id>")
@role_required("staff")
def session(session_id: str):
    row = mapping_sessions.get(get_session(), current_viewer(), session_id)
    if row.finished_at is not None:
        return redirect(url_for("map.summary", session_id=row.id))
    return render_template("map/session.html", row=row,
                           page_config=page_config(geoman=True, **_map_config(row)),
                           department=row.department.name if row.department else None,
                           seasons=season_labels(), max_photos=photos.MAX_PER_PLACE)


@bp.route("/map/sessions/<session_id>/finish", methods=["POST"])
@role_required("staff")
def finish(session_id: str):
    db = get_session()
    row = mapping_sessions.finish(db, current_viewer(), current_user.user, session_id)
    db.commit()
    return redirect(url_for("map.summary", session_id=row.id))


@bp.route("/map/sessions/<session_id>/reopen", methods=["POST"])
@role_required("staff")
def reopen(session_id: str):
    db = get_session()
    row = mapping_sessions.reopen(db, current_viewer(), current_user.user, session_id)
    db.commit()
    return redirect(url_for("map.session", session_id=row.id))


@bp.route("/map/sessions/<session_id>/summary")
@role_required("staff")
def summary(session_id: str):
    result = mapping_sessions.summary(get_session(), current_viewer(), session_id,
                                      current_language())
    pictograms = {c["code"]: c for c in _categories()}
    return render_template("map/summary.html", summary=result, row=result.session,
                           pictograms=pictograms, age_groups=age_group_labels())


@lru_cache(maxsize=4)
def _service_worker_source(static_folder: str) -> str:
    """sw.js with a hash of the map's static files as its cache version."""
    folder = Path(static_folder)
    digest = hashlib.sha256()
    for path in sorted([*folder.glob("js/map/*.js"), *folder.glob("js/shared/*.js"),
                        *folder.glob("js/feedback/*.js"),
                        folder / "css" / "map.css", folder / "css" / "feedback.css",
                        *folder.glob("img/pictograms/**/*.svg")]):
        digest.update(path.name.encode() + path.read_bytes())
    source = (folder / "js" / "map" / "sw.js").read_text(encoding="utf-8")
    return source.replace("__VERSION__", digest.hexdigest()[:12])


@bp.route("/sw.js")
def service_worker():
    source = _service_worker_source(current_app.static_folder)
    response = current_app.response_class(source, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/manifest.webmanifest")
def manifest():
    response = jsonify({
        "name": gettext("Smultron – children's favourite places"),
        "short_name": gettext("Smultron"),
        "start_url": url_for("map.index"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f4f1",
        "theme_color": "#b00d28",
        "lang": current_language(),
        "icons": [{"src": url_for("static", filename="img/smultron.svg"),
                   "sizes": "any", "type": "image/svg+xml"}],
    })
    response.mimetype = "application/manifest+json"
    return response
