"""Admin: Open data (Administration › Open data): publish campaigns' anonymous results,
republish (a new version), unpublish. The domain (smultron/opendata) checks and audits
every change; this module parses the form and commits."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from smultron import opendata
from smultron.core import parsing
from smultron.core.errors import AppError
from smultron.core.problems import N_, Collector
from smultron.models import OPEN_LICENCES, Campaign
from smultron.opendata.titles import title_texts
from smultron.web.admin import bp, db, me, problems_of


def _actor() -> opendata.Actor:
    return opendata.Actor(user=me(), ip=request.remote_addr)


def _defaults() -> dict:
    return {"hex_size": str(opendata.DEFAULT_HEX_SIZE),
            "threshold": str(current_app.config["OPEN_THRESHOLD"]),
            "licence": opendata.DEFAULT_LICENCE,
            "min_preschool": str(opendata.DEFAULT_MIN_PRESCHOOL)}


def _render(form: dict, chosen: set[str], problems=None, status: int = 200):
    campaigns = db().scalars(select(Campaign).order_by(Campaign.starts_on.desc(),
                                                       Campaign.name)).all()
    rows = []
    for dataset, number in opendata.all_datasets(db()):
        names = [c.name for c in campaigns if c.id in dataset.campaign_ids]
        rows.append({"dataset": dataset, "version": number, "campaigns": names})
    published = {cid for row in rows for cid in row["dataset"].campaign_ids}
    return render_template(
        "admin/opendata.html", rows=rows, campaigns=campaigns, published=published,
        form=form, chosen=chosen, problems=problems or [], sizes=opendata.HEX_SIZES,
        licences=OPEN_LICENCES, open_threshold=current_app.config["OPEN_THRESHOLD"],
        max_threshold=opendata.MAX_THRESHOLD), status


@bp.get("/open-data")
def open_data():
    return _render(_defaults(), set())


def _parse(form) -> tuple[list[int], opendata.Options]:
    check = Collector()
    ids = [parsing.identifier(raw) for raw in form.getlist("campaigns")]
    if not ids or None in ids:
        check.add(N_("Choose the campaigns to publish"), "campaigns")
    hex_size = check.integer(form, "hex_size", 250, 1000, label=_("Hexagon size (metres)"))
    threshold = check.integer(form, "threshold", current_app.config["OPEN_THRESHOLD"],
                              opendata.MAX_THRESHOLD, label=_("Public threshold (children)"))
    smallest = check.integer(form, "min_preschool", 0, opendata.MAX_MIN_PRESCHOOL,
                             label=_("Smallest preschool named (enrolled children)"))
    if form.get("licence") not in OPEN_LICENCES:
        check.add(N_("Choose a licence"), "licence")
    check.raise_if_any()
    return ids, opendata.Options(hex_size=hex_size, threshold=threshold,
                                 licence=form["licence"], min_preschool=smallest)


@bp.post("/open-data")
def open_data_publish():
    chosen = set(request.form.getlist("campaigns"))
    try:
        ids, options = _parse(request.form)
        version = opendata.publish(db(), ids, options,
                                   open_threshold=current_app.config["OPEN_THRESHOLD"],
                                   actor=_actor())
    except AppError as exc:
        db().rollback()
        return _render(request.form.to_dict(), chosen, problems_of(exc), exc.status)
    db().commit()
    flash(_("Published dataset %(id)s, version %(n)s: %(title)s.", id=version.dataset_id,
            n=version.version, title=title_texts(version.content)["sv"]), "info")
    return redirect(url_for("admin.open_data"), 303)


@bp.post("/open-data/<int:dataset_id>/republish")
def open_data_republish(dataset_id: int):
    try:
        version = opendata.republish(db(), dataset_id,
                                     open_threshold=current_app.config["OPEN_THRESHOLD"],
                                     actor=_actor())
    except AppError as exc:
        db().rollback()
        return _render(_defaults(), set(), problems_of(exc), exc.status)
    db().commit()
    flash(_("Published dataset %(id)s, version %(n)s: %(title)s.", id=dataset_id,
            n=version.version, title=title_texts(version.content)["sv"]), "info")
    return redirect(url_for("admin.open_data"), 303)


@bp.post("/open-data/<int:dataset_id>/unpublish")
def open_data_unpublish(dataset_id: int):
    try:
        opendata.unpublish(db(), dataset_id, actor=_actor())
    except AppError as exc:
        db().rollback()
        return _render(_defaults(), set(), problems_of(exc), exc.status)
    db().commit()
    flash(_("Dataset %(id)s is unpublished: it is gone from every public address.",
            id=dataset_id), "info")
    return redirect(url_for("admin.open_data"), 303)
