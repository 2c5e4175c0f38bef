"""The planner answers the children and writes the plan's child impact assessment, on the
plan page (/planner/plans/<id>): answer ticked places or every place inside the plan,
save the texts and each place's weighing (a field at a time as the planner types, or
the whole form without a script), add to the decision log, download the documents.

Thin: parse, call smultron.responses / smultron.assessment, commit, answer. A refused
form comes back as the plan page with the messages at their fields and the typing kept.
"""

from __future__ import annotations

import base64
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from smultron import assessment, plans, responses
from smultron.assessment import document as documents
from smultron.assessment import drawing, evidence, public, word
from smultron.core import audit
from smultron.core.access import PLANNERS
from smultron.core.errors import AppError
from smultron.core.messages import translate
from smultron.models import ASSESSMENT_TEXTS
from smultron.places.query import Filters
from smultron.reports import pdf as report_pdf
from smultron.reports.labels import LOCAL_TIME, Labeller
from smultron.web.auth import current_viewer, role_required
from smultron.web.database import get_session
from smultron.web.errors import wants_json
from smultron.web.export import page_lang
from smultron.web.plans import plan_page

bp = Blueprint("assessment", __name__, url_prefix="/planner/plans")
WHICH = ("ticked", "inside", "all")


def _fields(exc: AppError) -> dict[str, str]:
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    fields = detail.get("fields") or {detail.get("field", "form"): exc.message}
    return {name: translate(message, _) for name, message in fields.items()}


def _answer_ids(plan_id: int, which: str) -> list[str]:
    if which == "ticked":
        return request.form.getlist("place")
    result = plans.impact(get_session(), current_viewer(), Filters(), plan_id,
                          plans.parse_buffer(request.form.get("buffer")))
    return [p.place_id for p in result.places if which == "all" or p.relation == "inside"]


@bp.post("/<int:plan_id>/answers")
@role_required(*PLANNERS)
def answer(plan_id: int):
    """Answer the ticked places, or every place inside (or near) the plan area, at once."""
    session = get_session()
    plans.find_plan_area(session, plan_id)
    which = request.form.get("which", "ticked")
    form = {"status": request.form.get("status", ""), "text": request.form.get("text", ""),
            "plan": plan_id if request.form.get("tie", "1") == "1" else None}
    try:
        answer_ = responses.parse_answer(session, form)
        ids = _answer_ids(plan_id, which if which in WHICH else "ticked")
        count = responses.answer_places(session, current_viewer(), current_user.user, ids,
                                        answer_)
    except AppError as exc:
        session.rollback()
        if exc.status not in (404, 422):
            raise
        return plan_page(plan_id, answer_errors=_fields(exc), answer_form=form,
                         status=exc.status)
    session.commit()
    flash(ngettext("%(num)d place is answered.", "%(num)d places are answered.", count),
          "info")
    return redirect(url_for("planner.plan", plan_id=plan_id) + "#answers")


@bp.post("/<int:plan_id>/assessment/field")
@role_required(*PLANNERS)
def save_field(plan_id: int):
    """One text as the planner types (JSON from the page's script): a plan-level text
    ``{"field", "value", "base"}`` or a place's weighing ``{"place", "field", ...}``."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise AppError(_("Send a JSON object."), 400)
    session, viewer, user = get_session(), current_viewer(), current_user.user
    base = data.get("base") if isinstance(data.get("base"), str) else None
    if data.get("place"):
        saved = assessment.save_weighing(session, viewer, user, plan_id, data["place"],
                                         data.get("field"), data.get("value"), base)
    else:
        saved = assessment.save_text(session, viewer, user, plan_id, data.get("field"),
                                     data.get("value"), base)
    session.commit()
    return jsonify({"field": saved.field, "value": saved.value, "version": saved.version,
                    "message": _("Saved")})


def _save_form(plan_id: int) -> tuple[dict[str, str], set[int]]:
    """Every text and weighing of the form whose value changed: (field -> message, status)
    of each refused one (the others are saved)."""
    session, viewer, user = get_session(), current_viewer(), current_user.user
    errors, statuses = {}, set()
    for name in ASSESSMENT_TEXTS:
        if name in request.form:
            try:
                assessment.save_text(session, viewer, user, plan_id, name,
                                     request.form[name], request.form.get(f"base-{name}"))
            except AppError as exc:
                errors[name] = translate(exc.message, _)
                statuses.add(exc.status)
    for key, value in request.form.items():
        kind, _sep, place = key.partition(":")
        if kind in assessment.WEIGHING_FIELDS and place:
            try:
                assessment.save_weighing(session, viewer, user, plan_id, place, kind, value,
                                         request.form.get(f"base-{key}"))
            except AppError as exc:
                errors[key] = translate(exc.message, _)
                statuses.add(exc.status)
    return errors, statuses


@bp.post("/<int:plan_id>/assessment")
@role_required(*PLANNERS)
def save_assessment(plan_id: int):
    """The whole assessment form at once (without the page's script)."""
    session = get_session()
    plans.find_plan_area(session, plan_id)
    errors, statuses = _save_form(plan_id)
    session.commit()
    if errors:
        typed = {k: v for k, v in request.form.items() if k != "csrf_token"}
        return plan_page(plan_id, assessment_errors=errors, typed=typed,
                         status=409 if statuses == {409} else 422)
    flash(_("The assessment is saved."), "info")
    return redirect(url_for("planner.plan", plan_id=plan_id) + "#assessment")


@bp.post("/<int:plan_id>/decisions")
@role_required(*PLANNERS)
def add_decision(plan_id: int):
    session = get_session()
    try:
        assessment.add_decision(session, current_viewer(), current_user.user, plan_id,
                                request.form.get("decided_on"), request.form.get("text", ""))
    except AppError as exc:
        session.rollback()
        if exc.status != 422:
            raise
        if wants_json():
            raise
        return plan_page(plan_id, decision_errors=_fields(exc),
                         decision_form=dict(request.form), status=422)
    session.commit()
    flash(_("The decision is added to the log."), "info")
    return redirect(url_for("planner.plan", plan_id=plan_id) + "#decisions")


KINDS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "pdf": "application/pdf"}


def _build(plan_id: int, published: bool, lang: str) -> documents.Document:
    session, viewer = get_session(), current_viewer()
    buffer_m = plans.parse_buffer(request.args.get("buffer"))
    found = evidence.gather(session, viewer, plan_id, buffer_m, lang)
    k = int(current_app.config["ANONYMITY_THRESHOLD"])
    report = public.plan_report(session, found, k) if published else None
    if published:
        png = report_pdf.map_png(report, Labeller(report, _, lang)) if report else None
    else:
        png = drawing.map_png(found, lang) if found.places else None
    return documents.build(found, _, lang, current_user.user.email, k,
                           datetime.now(LOCAL_TIME).date(), public=published,
                           public_report=report, map_png=png,
                           map_alt=documents.map_alt(_, found, published))


def _pdf(document: documents.Document) -> bytes:
    types = {"image": "image/png", "photo": "image/jpeg"}
    images = {n: f"data:{types[b.kind]};base64," + base64.b64encode(b.image).decode()
              for n, b in enumerate(document.blocks) if b.kind in types and b.image}
    return report_pdf.html_to_pdf(render_template("planner/assessment_pdf.html",
                                                  document=document, images=images))


@bp.get("/<int:plan_id>/assessment.<kind>")
@role_required(*PLANNERS)
def document(plan_id: int, kind: str):
    """The child impact assessment's basis as Word or PDF; ``?public=1`` the publishable
    version (the anonymity rule applied, places only by the reports' grid)."""
    if kind not in KINDS:
        abort(404)
    published = request.args.get("public", "") in ("1", "true")
    built = _build(plan_id, published, page_lang())
    body = word.write(built) if kind == "docx" else _pdf(built)
    session = get_session()
    audit.record(session, "assessment_exported", current_user.user,
                 target=f"plan_area:{plan_id}", ip=request.remote_addr,
                 detail={"format": kind, "public": published, "buffer": request.args.get(
                     "buffer", plans.DEFAULT_BUFFER_M)})
    session.commit()
    return Response(body, mimetype=KINDS[kind], headers={
        "Content-Disposition": f'attachment; filename="{built.file_stem}.{kind}"',
        "Cache-Control": "private, no-store"})
