"""Planners moderate photos of places: /planner/photos lists them by state with their
thumbnails; Approve / Hide (POST /planner/photos/<uuid>) answers JSON to the page's script
or, without it, goes back to the next photo. Only approved photos reach downloads and the
OGC API; a hidden photo is seen by moderators only."""

from __future__ import annotations

import re

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from smultron import photos
from smultron.core.access import PLANNERS
from smultron.web.auth import current_viewer, role_required
from smultron.web.database import get_session
from smultron.web.errors import wants_json
from smultron.web.export import page_lang

bp = Blueprint("planner_photos", __name__, url_prefix="/planner/photos")
MODERATORS = tuple(sorted(PLANNERS))
ANCHOR = re.compile(r"[a-z0-9-]{1,60}")
LIMIT = 200


@bp.get("")
@role_required(*MODERATORS)
def index():
    state = request.args.get("state", "pending")
    session, viewer = get_session(), current_viewer()
    rows = photos.moderation_rows(session, viewer, state, limit=LIMIT, lang=page_lang())
    return render_template("planner/photos.html", rows=rows, state=state, limit=LIMIT,
                           pending_count=photos.pending_count(session, viewer))


@bp.post("/<photo_id>")
@role_required(*MODERATORS)
def moderate(photo_id: str):
    session, viewer = get_session(), current_viewer()
    state = photos.moderate(session, viewer, current_user.user, photo_id,
                            request.form.get("decision", ""))
    session.commit()
    message = _("The photo is approved.") if state == "approved" else _("The photo is hidden.")
    if wants_json():
        return jsonify({"state": state, "message": message,
                        "pending": photos.pending_count(session, viewer)})
    flash(message, "info")
    back = request.form.get("state", "pending")
    anchor = request.form.get("anchor", "")
    return redirect(url_for("planner_photos.index",
                            state=back if back in ("pending", "approved", "hidden") else None)
                    + "#" + (anchor if ANCHOR.fullmatch(anchor) else "photos"))
