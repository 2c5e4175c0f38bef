"""The planner's pages: filters and downloads, the QGIS connection, plan areas and the
plan-impact check, and the comment moderation queue."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from smultron import moderation, plans
from smultron.db import get_session
from smultron.errors import AppError
from smultron.export.query import ALLOWED_SRIDS
from smultron.models import AGE_GROUPS, FEELINGS, SEASONS, Campaign, Category, Preschool
from smultron.web.auth import current_viewer, role_required
from smultron.web.export import request_filters
from smultron.web.security import large_upload

bp = Blueprint("planner", __name__, url_prefix="/planner")
PLANNER_ROLES = ("planner", "admin")
CRS_NAMES = {3006: "SWEREF 99 TM", 4326: "WGS 84", 3007: "SWEREF 99 12 00",
             3008: "SWEREF 99 13 30", 3009: "SWEREF 99 15 00", 3010: "SWEREF 99 16 30",
             3011: "SWEREF 99 18 00", 3012: "SWEREF 99 14 15", 3013: "SWEREF 99 15 45",
             3014: "SWEREF 99 17 15", 3015: "SWEREF 99 18 45", 3016: "SWEREF 99 20 15",
             3017: "SWEREF 99 21 45", 3018: "SWEREF 99 23 15"}


def _choices() -> dict:
    session = get_session()
    return {
        "campaigns": session.scalars(select(Campaign.name).order_by(Campaign.starts_on.desc(),
                                                                     Campaign.name)).all(),
        "preschools": session.scalars(select(Preschool.name)
                                      .where(Preschool.archived_at.is_(None))
                                      .order_by(Preschool.name)).all(),
        "categories": session.execute(select(Category.code, Category.label_sv,
                                             Category.label_en, Category.colour)
                                      .order_by(Category.sort_order)).all(),
        "feelings": FEELINGS, "seasons": SEASONS, "age_groups": AGE_GROUPS,
        "crs": [(code, CRS_NAMES[code]) for code in ALLOWED_SRIDS],
    }


def _map_config() -> dict:
    return {"tileUrl": current_app.config["TILE_URL"],
            "tileAttribution": current_app.config["TILE_ATTRIBUTION"]}


@bp.get("/")
@role_required(*PLANNER_ROLES)
def index():
    session = get_session()
    viewer = current_viewer()
    return render_template(
        "planner/index.html", choices=_choices(), map_config=_map_config(),
        plan_areas=plans.list_plan_areas(session),
        pending=moderation.comments(session, viewer, "pending", limit=50),
        pending_count=moderation.pending_count(session, viewer),
        ogc_url=url_for("ogc.landing", _external=True),
        has_tokens_page="tokens.index" in current_app.view_functions,
        default_buffer=plans.DEFAULT_BUFFER_M)


@bp.post("/plans")
@large_upload
@role_required(*PLANNER_ROLES)
def upload_plan():
    session = get_session()
    name = request.form.get("name", "")
    upload = request.files.get("file")
    drawn = request.form.get("geojson", "").strip()
    if upload and upload.filename:
        geometry = plans.read_plan_file(upload.read(), upload.filename)
        source = upload.filename
    elif drawn:
        geometry = plans.geometry_from_geojson(drawn)
        source = _("drawn on the map")
    else:
        raise AppError(_("Choose a GeoPackage or GeoJSON file, or draw the area on the map."))
    area = plans.save_plan_area(session, current_user.user, name, geometry, source)
    session.commit()
    flash(_("The plan area %(name)s is saved.", name=area.name), "info")
    return redirect(url_for("planner.plan", plan_id=area.id))


@bp.get("/plans/<int:plan_id>")
@role_required(*PLANNER_ROLES)
def plan(plan_id: int):
    session = get_session()
    buffer_m = plans.parse_buffer(request.args.get("buffer"))
    filters = request_filters()
    result = plans.impact(session, current_viewer(), filters, plan_id, buffer_m)
    choices = _choices()
    colours = {row.code: row.colour for row in choices["categories"]}
    points = [{"geometry": json.loads(p.geom), "relation": p.relation,
               "colour": colours.get(p.category, "#616161"), "label": p.category_sv}
              for p in result.places]
    return render_template(
        "planner/plan.html", impact=result, buffer_m=buffer_m, filters=filters,
        plan_geojson=plans.plan_geojson(session, plan_id), map_points=points,
        map_config=_map_config(), choices=choices, listed_limit=plans.LISTED_PLACES)


@bp.post("/plans/<int:plan_id>/delete")
@role_required(*PLANNER_ROLES)
def delete_plan(plan_id: int):
    session = get_session()
    plans.delete_plan_area(session, current_user.user, plan_id)
    session.commit()
    flash(_("The plan area is deleted."), "info")
    return redirect(url_for("planner.index") + "#plans")


@bp.get("/comments")
@role_required(*PLANNER_ROLES)
def comments():
    state = request.args.get("state", "pending")
    rows = moderation.comments(get_session(), current_viewer(), state, limit=500)
    return render_template("planner/comments.html", rows=rows, state=state)


@bp.post("/comments/<place_id>")
@role_required(*PLANNER_ROLES)
def moderate(place_id: str):
    session = get_session()
    state = moderation.moderate(session, current_viewer(), current_user.user, place_id,
                                request.form.get("decision", ""))
    session.commit()
    flash(_("The comment is approved.") if state == "approved"
          else _("The comment is hidden."), "info")
    target = request.form.get("next", "")
    if not target.startswith("/planner") or target.startswith("//"):
        target = url_for("planner.index") + "#moderation"
    return redirect(target)
