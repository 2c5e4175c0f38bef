"""The planner's pages: filters and downloads, the QGIS connection, plan areas and the
plan-impact check, and the comment moderation queue.

A refused form (a bad plan-area file, reversed dates, …) comes back as the same page
with the message at its field and everything chosen or typed kept (a 4xx, never a
separate error page). A plan area that had to be repaired or simplified is shown for a
check before it is saved.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from shapely.geometry import mapping
from sqlalchemy import select

from smultron import assessment, photos, plans, responses
from smultron.assessment import evidence
from smultron.core import parsing
from smultron.core.access import PLANNERS
from smultron.core.errors import AppError
from smultron.core.messages import M, translate
from smultron.models import (
    AGE_GROUPS,
    ASSESSMENT_TEXTS,
    FEELINGS,
    RESPONSE_MAX,
    RESPONSE_STATUSES,
    SEASONS,
    Campaign,
    Category,
    Preschool,
)
from smultron.places import moderation, tiles
from smultron.places.query import ALLOWED_SRIDS, Filters, category_label
from smultron.web.auth import current_viewer, role_required
from smultron.web.database import get_session
from smultron.web.errors import wants_json
from smultron.web.export import page_lang, request_filters
from smultron.web.page_config import page_config
from smultron.web.page_config import tiles as page_tiles
from smultron.web.security import large_upload

bp = Blueprint("planner", __name__, url_prefix="/planner")
CRS_NAMES = {3006: "SWEREF 99 TM", 4326: "WGS 84", 3007: "SWEREF 99 12 00",
             3008: "SWEREF 99 13 30", 3009: "SWEREF 99 15 00", 3010: "SWEREF 99 16 30",
             3011: "SWEREF 99 18 00", 3012: "SWEREF 99 14 15", 3013: "SWEREF 99 15 45",
             3014: "SWEREF 99 17 15", 3015: "SWEREF 99 18 45", 3016: "SWEREF 99 20 15",
             3017: "SWEREF 99 21 45", 3018: "SWEREF 99 23 15"}
ANCHOR = re.compile(r"[a-z0-9-]{1,60}")


def _message(exc: AppError) -> str:
    return translate(exc.message, _)


def _field_errors(*errors: AppError) -> dict[str, str]:
    """Form field -> message (a message without a field goes under "form")."""
    found = {}
    for exc in errors:
        name = exc.detail.get("field", "form") if isinstance(exc.detail, dict) else "form"
        found.setdefault(name, _message(exc))
    return found


def _choices() -> dict:
    session = get_session()
    return {
        "campaigns": session.scalars(select(Campaign.name).order_by(Campaign.starts_on.desc(),
                                                                     Campaign.name)).all(),
        "preschools": session.scalars(select(Preschool.name)
                                      .where(Preschool.archived_at.is_(None))
                                      .order_by(Preschool.name)).all(),
        "categories": session.execute(select(Category.code,
                                             category_label(page_lang()).label("label"),
                                             Category.colour)
                                      .order_by(Category.sort_order)).all(),
        "feelings": FEELINGS, "seasons": SEASONS, "age_groups": AGE_GROUPS,
        "crs": [(code, CRS_NAMES[code]) for code in ALLOWED_SRIDS],
    }


def _map_config() -> dict:
    """What every planner map starts from (page_config.py names the keys)."""
    return {"tiles": page_tiles(), "bounds": tiles.view_bounds(get_session(), current_viewer()),
            "orientation": url_for("tiles.preschools")}


def _state_labels() -> dict:
    """A comment's moderation state as shown (the table, and moderate.js after a decision)."""
    return {"pending": _("Waiting"), "approved": _("Approved"), "hidden": _("Hidden")}


@dataclass
class PlanForm:
    """What the planner typed into "Add a plan area" (kept when it is refused)."""

    name: str = ""
    geojson: str = ""
    source: str = ""
    errors: dict = field(default_factory=dict)
    review: dict | None = None  # a repaired area to check: {"repairs", "geojson"}


def _source_label(source: str) -> str:
    """A plan area's source as shown: a file's name, or "drawn on the map" translated."""
    return _(plans.DRAWN.msgid) if source in plans.DRAWN_SOURCES else source


def _index_page(status: int = 200, download_errors: dict | None = None,
                plan_form: PlanForm | None = None):
    session = get_session()
    viewer = current_viewer()
    plan_form = plan_form or PlanForm()
    review = json.loads(plan_form.review["geojson"]) if plan_form.review else None
    config = page_config(geoman=True, review=review, state_labels=_state_labels(),
                         **_map_config())
    return render_template(
        "planner/index.html", choices=_choices(), page_config=config,
        state_labels=_state_labels(),
        plan_areas=plans.list_plan_areas(session),
        pending=moderation.comments(session, viewer, "pending", limit=50, lang=page_lang()),
        pending_count=moderation.pending_count(session, viewer),
        photo_pending_count=photos.pending_count(session, viewer),
        ogc_url=url_for("ogc.landing", _external=True),
        has_tokens_page="tokens.index" in current_app.view_functions,
        default_buffer=plans.DEFAULT_BUFFER_M, source_label=_source_label,
        download_errors=download_errors or {},
        plan_form=plan_form, lang=page_lang(),
        limits={"mb": plans.MAX_FILE_BYTES // 2**20, "vertices": plans.MAX_VERTICES}), status


@bp.get("/")
@role_required(*PLANNERS)
def index():
    return _index_page()


def download_form_refused(exc: AppError):
    """The download form (on this page or a plan's page) again, with the message at its
    field and the choices kept: what /export answers a browser whose filters are wrong."""
    errors = _field_errors(exc)
    plan = parsing.identifier(request.args.get("plan", ""))
    if plan is not None:
        return plan_page(plan, errors, exc.status)
    return _index_page(exc.status, download_errors=errors)


def _read_plan(form: PlanForm):
    """The plan area of the request: the uploaded file, else the drawn GeoJSON."""
    upload = request.files.get("file")
    if upload and upload.filename:
        data = upload.stream.read(plans.MAX_FILE_BYTES + 1)
        return plans.read_plan_file(data, upload.filename), upload.filename[:300]
    if form.geojson.strip():
        return plans.geometry_from_geojson(form.geojson), form.source or plans.DRAWN
    raise plans.refuse(M("Choose a GeoPackage or GeoJSON file, or draw the area on the "
                         "map."), "file")


@bp.post("/plans")
@large_upload
@role_required(*PLANNERS)
def upload_plan():
    form = PlanForm(request.form.get("name", ""), request.form.get("geojson", ""),
                    request.form.get("source", "")[:300])
    refused = []
    try:
        name = plans.check_name(form.name)
    except AppError as exc:
        refused.append(exc)
    try:
        read, source = _read_plan(form)
    except AppError as exc:
        refused.append(exc)
        read = None
    if read is not None and (refused or read.repairs):
        # keep what was read: the area goes on the map and into the form as GeoJSON
        form.geojson, form.source = json.dumps(mapping(read.geometry)), source
    if refused:
        form.errors = _field_errors(*refused)
        return _index_page(refused[0].status, plan_form=form)
    if read.repairs:
        form.review = {"repairs": [translate(r, _) for r in read.repairs],
                       "geojson": form.geojson}
        return _index_page(plan_form=form)
    area = plans.save_plan_area(get_session(), current_user.user, name, read.geometry, source)
    get_session().commit()
    flash(_("The plan area %(name)s is saved.", name=area.name), "info")
    return redirect(url_for("planner.plan", plan_id=area.id))


def plan_page(plan_id: int, errors: dict | None = None, status: int = 200, **forms):
    """The plan-impact page with the answers and the assessment; with ``errors`` (the
    check form's), the figures are those of the default check and the form shows what was
    typed, marked. ``forms``: a refused answer, assessment or decision form (its errors
    and what was typed), see smultron.web.assessment."""
    session = get_session()
    errors = dict(errors or {})
    buffer_m, filters = plans.DEFAULT_BUFFER_M, Filters()
    if not errors:
        try:
            buffer_m = plans.parse_buffer(request.args.get("buffer"))
            filters = request_filters()
        except AppError as exc:
            errors, status = _field_errors(exc), exc.status
    result = plans.impact(session, current_viewer(), filters, plan_id, buffer_m,
                          lang=page_lang())
    choices = _choices()
    colours = {row.code: row.colour for row in choices["categories"]}
    points = [{"geometry": json.loads(p.geom), "relation": p.relation,
               "colour": colours.get(p.category, "#616161"), "label": p.category_label}
              for p in result.places]
    texts, version = evidence.texts(session, plan_id)
    return render_template(
        "planner/plan.html", impact=result, buffer_m=buffer_m, filters=filters,
        page_config=page_config(plan=plans.plan_geojson(session, plan_id), places=points,
                                assessment=_assessment_config(plan_id), **_map_config()),
        choices=choices, listed_limit=plans.LISTED_PLACES,
        errors=errors, buffer_typed=request.args.get("buffer", buffer_m),
        answers=evidence.shown_answers(session, [p.place_id for p in result.places]),
        weighed=assessment.weighings(session, plan_id), texts=texts, version=version,
        decisions=assessment.decisions(session, plan_id), statuses=RESPONSE_STATUSES,
        text_names=ASSESSMENT_TEXTS, response_max=RESPONSE_MAX, forms=forms,
        **_answer_labels(),
        has_documents="assessment.document" in current_app.view_functions,
        anonymity_k=int(current_app.config["ANONYMITY_THRESHOLD"])), status


def _assessment_config(plan_id: int) -> dict:
    """What static/js/planner/assessment.js saves to, and its words."""
    return {"save_url": url_for("assessment.save_field", plan_id=plan_id), "strings": {
        "saving": _("Saving…"),
        "failed": _("Not saved: the server did not answer. Try again in a moment."),
        "offline": _("Not saved: there is no connection. Your text is still here; it is sent "
                     "when you type again."),
        "not_saved": _("Not saved:"),
        "chars_left": _("%(n)s characters left")}}


def _answer_labels() -> dict:
    """The statuses', weighing fields' and BKA texts' names in the page's language."""
    return {"status_labels": translate(responses.STATUS_LABELS, _),
            "weighing_labels": translate(assessment.WEIGHING_LABELS, _),
            "text_labels": translate(assessment.TEXT_LABELS, _)}


@bp.get("/plans/<int:plan_id>")
@role_required(*PLANNERS)
def plan(plan_id: int):
    return plan_page(plan_id)


@bp.post("/plans/<int:plan_id>/delete")
@role_required(*PLANNERS)
def delete_plan(plan_id: int):
    session = get_session()
    plans.delete_plan_area(session, current_user.user, plan_id)
    session.commit()
    flash(_("The plan area is deleted."), "info")
    return redirect(url_for("planner.index") + "#plans")


@bp.get("/comments")
@role_required(*PLANNERS)
def comments():
    state = request.args.get("state", "pending")
    rows = moderation.comments(get_session(), current_viewer(), state, limit=500,
                               lang=page_lang())
    return render_template("planner/comments.html", rows=rows, state=state,
                           state_labels=_state_labels(),
                           page_config=page_config(state_labels=_state_labels()))


@bp.post("/comments/<place_id>")
@role_required(*PLANNERS)
def moderate(place_id: str):
    """Approve or hide; the page's script asks for JSON and updates the row in place,
    without a script the answer goes back to the same place in the list."""
    session = get_session()
    viewer = current_viewer()
    state = moderation.moderate(session, viewer, current_user.user, place_id,
                                request.form.get("decision", ""))
    session.commit()
    message = (_("The comment is approved.") if state == "approved"
               else _("The comment is hidden."))
    if wants_json():
        return jsonify({"state": state, "message": message,
                        "pending": moderation.pending_count(session, viewer)})
    flash(message, "info")
    target = request.form.get("next", "")
    if not target.startswith("/planner") or "\\" in target or not target.isprintable():
        target = url_for("planner.index")
    anchor = request.form.get("anchor", "")
    return redirect(target + "#" + (anchor if ANCHOR.fullmatch(anchor) else "moderation"))
