"""Reports: choose campaigns and a scope, read the report (map, tables, figures),
download it as PDF, or fetch its data as JSON. Officials, planners and admins see
every scope; staff only their own preschool's. Nothing here returns a single place."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from smultron.core import audit, csvfile
from smultron.core.errors import Forbidden, NotFound
from smultron.core.geo import extent, leaflet_bounds
from smultron.core.messages import M
from smultron.models import Campaign, PlanArea, Preschool
from smultron.reports import ReportCache, ReportFilters, build_report, kept, labels, pdf, render
from smultron.reports.filters import CELL_SIZES
from smultron.web.auth import current_viewer, role_required
from smultron.web.database import (
    get_reports_session,
    get_session,
    on_primary_first,
    reports_replica,
)
from smultron.web.language import current_language
from smultron.web.page_config import page_config
from smultron.web.page_config import tiles as page_tiles

bp = Blueprint("reports", __name__, url_prefix="/reports")
READERS = ("official", "planner", "admin", "staff")


def _cache() -> ReportCache:
    cache = current_app.extensions.get("smultron.reports.cache")
    if cache is None:
        cache = current_app.extensions["smultron.reports.cache"] = ReportCache(
            current_app.config.get("REPORTS_CACHE_ENTRIES", 64),
            version_ttl=current_app.config.get("REPORTS_VERSION_TTL", 5.0))
    return cache


def _lang() -> str:

    return current_language()


def _threshold() -> int:
    return int(current_app.config["ANONYMITY_THRESHOLD"])


def _filters() -> ReportFilters:
    """The request's filters, refused when the reader may not see that scope. The places'
    pending changes are applied to the kept figures first (on the primary, committed)."""
    on_primary_first(kept.refresh)
    filters = ReportFilters.parse(get_reports_session(), request.args.to_dict(flat=False))
    municipality = current_user.user.municipality_id
    if municipality is not None and municipality != filters.municipality_id:
        raise NotFound(M("One of the chosen campaigns does not exist"))
    viewer = current_viewer()
    if not viewer.sees_all_preschools:
        if filters.scope != "preschool":
            raise Forbidden(gettext("Your role sees the report of your own preschool only. "
                                    "Choose your preschool."))
        viewer.check_preschool(filters.preschool_id)
    return filters


def _report(filters: ReportFilters) -> dict:
    """The report; read from a replica, its data is as of the replica's replay position."""
    report = build_report(get_reports_session(), filters, _threshold(), _cache())
    state = reports_replica()
    if state is not None and state.usable and state.as_of is not None:
        about = {**report["about"], "data_as_of": state.as_of.isoformat(timespec="seconds")}
        report = {**report, "about": about}
    return report


def _choices() -> dict:
    """What the form offers this reader."""
    db = get_reports_session()
    viewer = current_viewer()
    municipality = current_user.user.municipality_id
    campaigns = select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.name)
    preschools = select(Preschool).where(Preschool.archived_at.is_(None),
                                         viewer.preschool_filter(Preschool.id)
                                         ).order_by(Preschool.name)
    plans = select(PlanArea).order_by(PlanArea.name)
    if municipality is not None:
        campaigns = campaigns.where(Campaign.municipality_id == municipality)
        preschools = preschools.where(Preschool.municipality_id == municipality)
        plans = plans.where(PlanArea.municipality_id == municipality)
    bounds = leaflet_bounds(extent(db, Preschool.location, Preschool.id.in_(
        preschools.with_only_columns(Preschool.id).order_by(None))))
    return {"campaigns": db.scalars(campaigns).all(), "preschools": db.scalars(preschools).all(),
            "bounds": bounds,
            "plan_areas": db.scalars(plans).all() if viewer.sees_all_preschools else [],
            "cell_sizes": CELL_SIZES, "staff_only": not viewer.sees_all_preschools}


@bp.route("")
@role_required(*READERS)
def index():
    choices = _choices()
    config = page_config(geoman=not choices["staff_only"], tiles=page_tiles(),
                         bounds=choices["bounds"], orientation=url_for("tiles.preschools"))
    return render_template("reports/index.html", **choices, args=request.args,
                           page_config=config)


@bp.route("/view")
@role_required(*READERS)
def view():
    filters = _filters()
    report = _report(filters)
    lang = _lang()
    parts = _cache().get_or_compute(
        ("map", filters.key(), report["about"]["data_version"], _threshold(), lang),
        lambda: render.render_map(report, t=gettext, lang=lang, tiles=page_tiles()))
    links = _links(filters)
    body = _cache().get_or_compute(
        ("page", filters.key(), report["about"]["data_version"], _threshold(), lang,
         report["about"].get("data_as_of")),
        lambda: render_template("reports/_report_body.html", parts=parts, links=links,
                                csv_link=links["csv"], **_figure_context(report)))
    return render_template("reports/report.html", body=body,
                           page_config=page_config(map=parts.data))


def _figure_context(report: dict) -> dict:
    """What the figure templates need besides the report (page and PDF alike)."""
    lang = _lang()
    return {"report": report, "L": labels.Labeller(report, gettext, lang), "lang": lang,
            "number": labels.number, "percent": labels.percent, "local_time": labels.local_time,
            "table_titles": labels.TABLE_TITLES,
            "marked_by_preschool": {r["key"]: r for r in report["tables"]["preschool"]}}


@bp.route("/data")
@role_required(*READERS)
def data():
    """The published report as JSON (aggregates only: cells, groups and figures)."""
    filters = _filters()
    report = _report(filters)
    body = _cache().get_or_compute(
        ("json", filters.key(), report["about"]["data_version"], _threshold(),
         report["about"].get("data_as_of")),
        lambda: json.dumps(report, ensure_ascii=False, separators=(",", ":")).encode())
    return Response(body, mimetype="application/json",
                    headers={"Cache-Control": "private, max-age=60"})


@bp.route("/report.pdf")
@role_required(*READERS)
def pdf_download():
    filters = _filters()
    report = _report(filters)
    lang = _lang()
    body = _cache().get_or_compute(
        ("pdf", filters.key(), report["about"]["data_version"], _threshold(), lang,
         report["about"].get("data_as_of")),
        lambda: _pdf(report, lang))
    db = get_session()
    audit.record(db, "report_pdf", current_user.user, target=request.full_path,
                 ip=request.remote_addr)
    db.commit()
    name = labels.file_name(report["about"], gettext) + ".pdf"
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store"})


def _pdf(report: dict, lang: str) -> bytes:
    context = _figure_context(report)
    breaks = render.class_breaks([c["children"] for c in report["layers"]["favourite"]["cells"]])
    html = render_template("reports/pdf.html", csv_link=None,
                           map_image=pdf.map_data_uri(report, context["L"]),
                           legend=render.legend(breaks, gettext, lang, report["k"]), **context)
    return pdf.html_to_pdf(html)


@bp.route("/participation.csv")
@role_required(*READERS)
def participation_csv():
    """Participation per preschool as a spreadsheet (the same anonymised figures)."""
    report = _report(_filters())
    lang = _lang()
    marked = {r["key"]: r for r in report["tables"]["preschool"]}
    withheld = gettext("withheld")
    rows = [[gettext("Preschool"), gettext("Sessions"), gettext("Children in sessions"),
             gettext("Enrolled"), gettext("Places marked"), gettext("Children's choices")]]
    for row in report["participation"]:
        mark = marked.get(row["preschool"], {"withheld": False, "places": 0, "children": 0})
        hidden = row["withheld"] or mark["withheld"]
        rows.append([row["name"], withheld if row["withheld"] else row["sessions"],
                     withheld if row["withheld"] else row["children"], row["enrolled"],
                     withheld if hidden else mark["places"],
                     withheld if hidden else mark["children"]])
    name = labels.file_name(report["about"], gettext, "Participation per preschool") + ".csv"
    return Response(csvfile.text(rows, csvfile.dialect_for(None, lang)),
                    mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store"})


def _links(filters: ReportFilters) -> dict:
    args = filters.query_args()
    return {"pdf": url_for("reports.pdf_download", **args),
            "csv": url_for("reports.participation_csv", **args),
            "data": url_for("reports.data", **args),
            "change": url_for("reports.index", **args)}
