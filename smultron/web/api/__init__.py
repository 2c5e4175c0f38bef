"""The JSON API under /api/v1: places (GeoJSON), sessions, categories, the OpenAPI
document. Thin: parse the request, call smultron.places / mapping_sessions, answer JSON."""

from __future__ import annotations

import json
import math
import uuid
from datetime import datetime

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from werkzeug.urls import iri_to_uri

from smultron import mapping_sessions, plans, responses
from smultron.assessment import evidence
from smultron.categories import visible as visible_categories
from smultron.core import parsing
from smultron.core.access import PLANNERS
from smultron.core.errors import AppError
from smultron.core.geo import extent
from smultron.core.messages import M, translate
from smultron.core.parsing import ParseError
from smultron.core.problems import Invalid
from smultron.models import Municipality
from smultron.places import reading, writing
from smultron.places.validation import CODE as PLACE_CODE
from smultron.web.api import openapi
from smultron.web.auth import current_viewer
from smultron.web.database import get_session
from smultron.web.errors import error_response
from smultron.web.language import current_language

bp = Blueprint("api", __name__, url_prefix="/api/v1")
GEOJSON = "application/geo+json"


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError):
    """Without a login a write is 401 (log in or send a token), not a CSRF complaint."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return error_response(400, gettext("The form has expired or did not come from this site. "
                                       "Reload the page and try again."), exc.description)


def _json_body():
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # absurdly deep nesting: not a place either
        data = None
    if data is None:
        raise AppError(M("Send a JSON body (Content-Type: application/json or "
                         "application/geo+json)."), 400)
    return data


def _geojson(body, status: int = 200, headers: dict | None = None):
    response = jsonify(body)
    response.status_code = status
    response.mimetype = GEOJSON
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _etag(feature: dict) -> str:
    return f'"{feature["properties"]["version"]}"'


def _feature_response(feature: dict, status: int = 200):
    headers = {"ETag": _etag(feature),
               "Location": url_for("api.place", place_id=feature["id"])}
    return _geojson(feature, status, headers)


def _bad(name: str, message):
    raise Invalid.of_fields({name: message}, M("The parameter '%(name)s' is not valid.",
                                                name=name), status=400)


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if not parsing.is_digits(raw):
        _bad(name, M("A whole number is expected."))
    try:
        return parsing.integer(raw, 0)
    except ParseError:
        _bad(name, M("A whole number is expected."))


def _bbox() -> tuple[float, float, float, float] | None:
    raw = request.args.get("bbox")
    if not raw:
        return None
    try:
        parts = tuple(float(p) for p in raw.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        _bad("bbox", M("Four numbers: min longitude, min latitude, max longitude, max "
                       "latitude."))
    west, east = sorted(parts[0::2])
    south, north = sorted(parts[1::2])
    if west < -180 or east > 180 or south < -90 or north > 90:
        _bad("bbox", M("Four numbers: min longitude, min latitude, max longitude, max "
                       "latitude."))
    return west, south, east, north


def _since() -> datetime | None:
    raw = request.args.get("updated_since")
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        _bad("updated_since", M("A date and time with its time zone, e.g. "
                                "2026-10-01T08:00:00Z."))
    return parsed


def _session_arg() -> uuid.UUID | None:
    raw = request.args.get("session")
    if raw is None:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        _bad("session", M("A session id (UUID) is expected."))


def _filters() -> reading.PlaceFilter:
    categories = tuple(c for c in request.args.get("category", "").split(",") if c)
    if not all(PLACE_CODE.fullmatch(c) for c in categories):
        _bad("category", M("Category codes, separated by commas (e.g. play,water)."))
    return reading.PlaceFilter(
        bbox=_bbox(), campaign=_int_arg("campaign"), preschool=_int_arg("preschool"),
        session=_session_arg(), categories=categories, updated_since=_since(),
        include_deleted=_bool_arg("include_deleted"))


def _bool_arg(name: str) -> bool:
    raw = request.args.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0"):
        _bad(name, M("true or false is expected."))
    return raw in ("true", "1")


@bp.get("/places")
@login_required
def list_places():
    limit = _int_arg("limit")
    if limit is None:
        limit = reading.DEFAULT_LIMIT
    if not 1 <= limit <= reading.MAX_LIMIT:
        _bad("limit", M("From 1 to %(n)d per page.", n=reading.MAX_LIMIT))
    features, following = reading.list_places(
        get_session(), current_viewer(), _filters(), limit, request.args.get("cursor"))
    links = [{"rel": "self", "type": GEOJSON, "href": iri_to_uri(request.url)}]
    headers = {}
    next_url = None
    if following:
        args = {k: v for k, v in request.args.items() if k != "cursor"}
        next_url = url_for("api.list_places", _external=True, **args, cursor=following)
        links.append({"rel": "next", "type": GEOJSON, "href": next_url})
        headers["Link"] = f'<{next_url}>; rel="next"'
    rest = {"numberReturned": len(features), "next": next_url, "links": links}
    return _geojson_text(_collection(features, rest), headers=headers)


def _collection(features: list[str], rest: dict) -> str:
    """A FeatureCollection around features that are GeoJSON texts already."""
    return ('{"type":"FeatureCollection","features":[' + ",".join(features) + "],"
            + json.dumps(rest, separators=(",", ":"))[1:])


def _geojson_text(text: str, headers: dict):
    return current_app.response_class(text, mimetype=GEOJSON, headers=headers)


@bp.post("/places")
@login_required
def create_place():
    db = get_session()
    feature, created = writing.create_place(db, current_viewer(), current_user.user, _json_body())
    db.commit()
    return _feature_response(feature, 201 if created else 200)


@bp.get("/places/<place_id>")
@login_required
def place(place_id: str):
    feature = reading.get_place(get_session(), current_viewer(), place_id)
    response = _feature_response(feature)
    return response.make_conditional(request) if request.if_none_match else response


@bp.patch("/places/<place_id>")
@login_required
def patch_place(place_id: str):
    db = get_session()
    feature = writing.patch_place(db, current_viewer(), current_user.user, place_id,
                                  _json_body(), request.headers.get("If-Match"))
    db.commit()
    return _feature_response(feature)


@bp.delete("/places/<place_id>")
@login_required
def delete_place(place_id: str):
    db = get_session()
    writing.delete_place(db, current_viewer(), current_user.user, place_id,
                         request.headers.get("If-Match"))
    db.commit()
    return "", 204


@bp.post("/places/<place_id>/restore")
@login_required
def restore_place(place_id: str):
    db = get_session()
    feature = writing.restore_place(db, current_viewer(), current_user.user, place_id)
    db.commit()
    return _feature_response(feature)


@bp.put("/places/<place_id>/response")
@login_required
def answer_place(place_id: str):
    """A planner's answer to the place (replaces the shown one; the earlier are kept)."""
    session = get_session()
    answer = responses.answer_place(session, current_viewer(), current_user.user, place_id,
                                    _json_body())
    session.commit()
    return jsonify(answer)


@bp.get("/places/<place_id>/response")
@login_required
def place_answer(place_id: str):
    """The shown answer (staff: their own preschool's places); planners also get the
    history."""
    session, viewer = get_session(), current_viewer()
    body = {"response": responses.current(session, viewer, place_id)}
    if viewer.role in PLANNERS:
        body["history"] = responses.history(session, viewer, place_id)
    return jsonify(body)


def _plan_feature(session, row, properties: dict | None = None) -> dict:
    return {"type": "Feature", "id": row.id, "geometry": plans.plan_geojson(session, row.id),
            "properties": {"name": row.name, "source": row.source,
                           "created_at": row.created_at.isoformat(),
                           **(properties or {})}}


@bp.get("/plans")
@login_required
def list_plans():
    session = get_session()
    responses.require_answerer(current_viewer())
    rows = plans.list_plan_areas(session)
    features = [_plan_feature(session, row, {"area_ha": row.area_ha}) for row in rows]
    return _geojson({"type": "FeatureCollection", "features": features,
                     "numberReturned": len(features)})


@bp.post("/plans")
@login_required
def create_plan():
    session, viewer = get_session(), current_viewer()
    responses.require_answerer(viewer)
    name, read = plans.from_api(_json_body())
    area = plans.save_plan_area(session, current_user.user, name, read.geometry, "API")
    session.commit()
    body = _plan_detail(session, viewer, area.id, plans.DEFAULT_BUFFER_M)
    body["properties"]["repairs"] = translate(list(read.repairs), gettext)
    return _geojson(body, 201, {"Location": url_for("api.plan", plan_id=area.id)})


def _plan_detail(session, viewer, plan_id: int, buffer_m: int) -> dict:
    found = evidence.gather(session, viewer, plan_id, buffer_m, current_language())
    places_out = [{
        "id": p.id, "relation": p.relation, "distance_m": p.distance_m,
        "category": p.category, "feeling": p.feeling, "season": p.season,
        "children_count": p.children_count, "age_group": p.age_group,
        "preschool": p.preschool, "campaign": p.campaign, "comment": p.comment,
        "lon": p.lon, "lat": p.lat, "response": p.response,
        "weighing": {"consequence": p.consequence, "measure": p.measure},
    } for p in found.places]
    return _plan_feature(session, found.plan, {
        "area_ha": found.area_ha, "buffer_m": buffer_m, "places": places_out,
        "complete": found.listed_all,
        "assessment": {"texts": found.texts, "version": found.version},
        "decisions": [{"decided_on": d.decided_on.isoformat(), "text": d.text}
                      for d in found.decisions]})


@bp.get("/plans/<plan_id>")
@login_required
def plan(plan_id: str):
    session, viewer = get_session(), current_viewer()
    responses.require_answerer(viewer)
    plan_number = parsing.identifier(plan_id)
    if plan_number is None:
        raise AppError(M("There is no such plan area."), 404)
    try:
        buffer_m = plans.parse_buffer(request.args.get("buffer"))
    except AppError as exc:
        _bad("buffer", exc.message)
    return _geojson(_plan_detail(session, viewer, plan_number, buffer_m))


@bp.get("/sessions/<session_id>")
@login_required
def session_summary(session_id: str):
    viewer = current_viewer()
    viewer.require_raw_places()
    summary = mapping_sessions.summary(get_session(), viewer, session_id, current_language())
    row = summary.session
    return jsonify({
        "id": str(row.id), "preschool": row.preschool_id, "campaign": row.campaign_id,
        "department": row.department_id, "held_on": row.held_on.isoformat(),
        "children_present": row.children_present, "age_group": row.age_group,
        "finished": row.finished_at is not None,
        "places": summary.places, "areas": summary.areas, "routes": summary.routes,
        "by_category": [{"category": c.code, "label": c.label,
                         "places": c.places, "favourite": c.favourite, "scary": c.scary,
                         "children": c.children} for c in summary.by_category],
    })


@bp.get("/categories")
@login_required
def categories():
    rows = visible_categories(get_session())
    lang = current_language()
    return jsonify([{"code": c.code, "label": c.label(lang), "label_sv": c.label_sv,
                     "label_en": c.label_en, "labels": c.labels or {}, "colour": c.colour,
                     "pictogram": url_for("static", filename=f"img/pictograms/{c.pictogram}.svg")}
                    for c in rows])


@bp.get("/openapi.json")
def openapi_document():
    codes = [c.code for c in visible_categories(get_session())]
    return jsonify(openapi.document(openapi.server_url(current_app.config["BASE_URL"]), codes,
                                    extent(get_session(), Municipality.extent)))
