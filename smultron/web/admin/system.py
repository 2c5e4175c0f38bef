"""Admin: the start page, municipalities, retention, the audit log and the public pages."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from smultron import retention, sitepages
from smultron.core import auditlog, csvfile
from smultron.core.errors import AppError
from smultron.models import Campaign, Place, Preschool, User
from smultron.preschools import editing as preschool_domain
from smultron.web.admin import actions, bp, db, log, problems_of

TIMEZONE = ZoneInfo("Europe/Stockholm")


def _figures() -> dict:
    def count(query):
        return db().scalar(query)

    return {
        "preschools": count(select(func.count(Preschool.id))
                            .where(Preschool.archived_at.is_(None))),
        "open_campaigns": count(select(func.count(Campaign.id))
                                .where(Campaign.status == "open")),
        "users": count(select(func.count(User.id)).where(User.active.is_(True))),
        "places": count(select(func.count(Place.id)).where(Place.deleted_at.is_(None))),
    }


def _index(problems=None, status: int = 200, form=None):
    return render_template("admin/index.html", figures=_figures(),
                           retention_overdue=retention.overdue(db()),
                           last_purge=retention.last_run(db()),
                           municipalities=preschool_domain.municipalities(db()),
                           problems=problems or [], form=form or {}), status


@bp.get("")
def index():
    return _index()


@bp.post("/municipalities")
def municipality_create():
    try:
        municipality = preschool_domain.create_municipality(db(), request.form)
    except AppError as exc:
        db().rollback()
        return _index(problems_of(exc), exc.status, request.form.to_dict())
    log("municipality_created", municipality.name, {"code": municipality.code})
    db().commit()
    flash(_("%(name)s was added.", name=municipality.name), "info")
    return redirect(url_for("admin.index"), 303)


# -- retention ---------------------------------------------------------------------------

def _retention(problems=None, status: int = 200, form=None):
    return render_template("admin/retention.html", periods=retention.periods(db()),
                           limits=retention.LIMITS, form=form, preview=retention.preview(db()),
                           link_days=retention.LINK_DAYS, last_run=retention.last_run(db()),
                           problems=problems or []), status


@bp.get("/retention")
def retention_page():
    return _retention()


@bp.post("/retention")
def retention_save():
    try:
        changes = retention.save(db(), retention.parse(request.form))
    except AppError as exc:
        db().rollback()
        return _retention(problems_of(exc), exc.status, request.form.to_dict())
    if changes:
        log("retention_changed", None, changes)
        db().commit()
    flash(_("The retention periods were saved."), "info")
    return redirect(url_for("admin.retention_page"), 303)


@bp.post("/retention/apply")
def retention_apply():
    outcome = retention.apply(db())
    log("retention_applied", None, {**outcome.as_dict(), "periods": retention.periods(db())})
    db().commit()
    flash(_("Removed %(comments)s comments, %(deleted_places)s deleted places, "
            "%(audit_events)s audit events and %(links)s old links.", **outcome.as_dict()),
          "info")
    return redirect(url_for("admin.retention_page"), 303)


# -- audit log (read only: no route changes a row) ------------------------------------

@bp.get("/audit")
def audit_log():
    wanted = auditlog.AuditFilter.from_args(request.args)
    events, total = auditlog.search(db(), wanted, TIMEZONE)
    return render_template("admin/audit.html", events=events, total=total, wanted=wanted,
                           action_label=actions.label, detail_lines=actions.detail_lines,
                           actions=auditlog.actions(db()), pages=auditlog.pages(total),
                           timezone=TIMEZONE)


@bp.get("/audit.csv")
def audit_export():
    wanted = auditlog.AuditFilter.from_args(request.args)
    rows = [["at", "actor", "action", "target", "detail", "ip"]]
    for at, actor, action, target, detail, ip in auditlog.export_rows(db(), wanted, TIMEZONE):
        rows.append([at.astimezone(TIMEZONE).isoformat(), actor, action, target,
                     json.dumps(detail, ensure_ascii=False), ip])
    filters = wanted.as_args()
    filters.pop("page", None)
    log("audit_exported", None, {"filters": filters, "rows": len(rows) - 1})
    db().commit()
    return Response(csvfile.text(rows), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="smultron-audit.csv"'})


# -- public pages ----------------------------------------------------------------------

@bp.get("/pages")
def site_pages():
    edited = {(page, lang): sitepages.text(db(), page, lang)[1]
              for page in sitepages.PAGES for lang in sitepages.LANGUAGES}
    return render_template("admin/pages.html", pages=sitepages.PAGES,
                           languages=sitepages.LANGUAGES, edited=edited,
                           site=sitepages.site(db()), problems=[])


@bp.post("/pages/site")
def site_save():
    try:
        changes = sitepages.save_site(db(), request.form)
    except AppError as exc:
        db().rollback()
        return render_template("admin/pages.html", pages=sitepages.PAGES,
                               languages=sitepages.LANGUAGES, edited={},
                               site=request.form.to_dict(), problems=problems_of(exc)), exc.status
    if changes:
        log("site_contacts_changed", None, changes)
        db().commit()
    flash(_("The contact details were saved."), "info")
    return redirect(url_for("admin.site_pages"), 303)


def _page_form(page: str, lang: str, text: str, edited: bool, problems=None, status=200):
    return render_template("admin/page_form.html", page=page, lang=lang,
                           title=sitepages.PAGES[page], text=text, edited=edited,
                           problems=problems or [],
                           names=sorted(sitepages.placeholders(db(), lang))), status


@bp.get("/pages/<page>/<lang>")
def page_edit(page: str, lang: str):
    text, edited = sitepages.text(db(), page, lang)
    return _page_form(page, lang, text, edited)


@bp.post("/pages/<page>/<lang>")
def page_save(page: str, lang: str):
    sitepages.check_page(page, lang)  # the form below is only for a page there is
    try:
        sitepages.save(db(), page, lang, request.form)
    except AppError as exc:
        db().rollback()
        return _page_form(page, lang, request.form.get("text", ""), True, problems_of(exc),
                          exc.status)
    log("page_text_changed", f"{page}.{lang}", {"characters": len(request.form["text"])})
    db().commit()
    flash(_("The text was saved."), "info")
    return redirect(url_for("admin.page_edit", page=page, lang=lang), 303)


@bp.post("/pages/<page>/<lang>/reset")
def page_reset(page: str, lang: str):
    if sitepages.reset(db(), page, lang):
        log("page_text_reset", f"{page}.{lang}")
        db().commit()
    flash(_("The text is back to the default."), "info")
    return redirect(url_for("admin.page_edit", page=page, lang=lang), 303)
