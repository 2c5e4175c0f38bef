"""Admin: campaigns (mapping rounds) and the preschools taking part."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from smultron import campaigns as domain
from smultron.core.errors import AppError
from smultron.models import Campaign, Preschool
from smultron.preschools import editing as preschool_domain
from smultron.web.admin import bp, db, log, problems_of


@bp.get("/campaigns")
def campaigns():
    return render_template("admin/campaigns.html", rows=domain.list_campaigns(db()),
                           today=date.today())


def _choices():
    return list(db().scalars(select(Preschool).where(Preschool.archived_at.is_(None))
                             .order_by(Preschool.name)))


def _form_from(campaign: Campaign) -> dict:
    return {"name": campaign.name, "starts_on": campaign.starts_on.isoformat(),
            "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else "",
            "municipality_id": campaign.municipality_id}


def _render(campaign: Campaign | None, form: dict, chosen: list, problems=None,
            status: int = 200):
    return render_template(
        "admin/campaign_form.html", campaign=campaign, form=form, chosen=set(map(str, chosen)),
        preschools=_choices(), municipalities=preschool_domain.municipalities(db()),
        problems=problems or [],
        taking_part=domain.taking_part(db(), campaign) if campaign else []), status


@bp.get("/campaigns/new")
def campaign_new():
    return _render(None, {}, [])


@bp.post("/campaigns/new")
def campaign_create():
    chosen = request.form.getlist("preschools")
    try:
        campaign = domain.create(db(), domain.parse(db(), request.form, chosen))
    except AppError as exc:
        db().rollback()
        return _render(None, request.form.to_dict(), chosen, problems_of(exc), exc.status)
    log("campaign_created", campaign.name, {**domain.summary(campaign), "status": "open"})
    db().commit()
    flash(_("The campaign %(name)s is open.", name=campaign.name), "info")
    return redirect(url_for("admin.campaign_edit", campaign_id=campaign.id), 303)


@bp.get("/campaigns/<int:campaign_id>")
def campaign_edit(campaign_id: int):
    campaign = domain.get(db(), campaign_id)
    return _render(campaign, _form_from(campaign), [p.id for p in campaign.preschools])


@bp.post("/campaigns/<int:campaign_id>")
def campaign_update(campaign_id: int):
    campaign = domain.get(db(), campaign_id)
    chosen = request.form.getlist("preschools")
    try:
        changes = domain.update(db(), campaign, domain.parse(db(), request.form, chosen))
    except AppError as exc:
        db().rollback()
        return _render(domain.get(db(), campaign_id), request.form.to_dict(), chosen,
                       problems_of(exc), exc.status)
    log("campaign_updated", campaign.name, changes)
    db().commit()
    flash(_("The changes to %(name)s were saved.", name=campaign.name), "info")
    return redirect(url_for("admin.campaign_edit", campaign_id=campaign.id), 303)


def _status(campaign_id: int, status: str):
    campaign = domain.get(db(), campaign_id)
    if domain.set_status(db(), campaign, status):
        log(f"campaign_{'opened' if status == 'open' else 'closed'}", campaign.name)
        db().commit()
    if status == "open":
        flash(_("The campaign %(name)s is open: staff can add places.", name=campaign.name),
              "info")
    else:
        flash(_("The campaign %(name)s is closed: it accepts no new places, and its places "
                "stay.", name=campaign.name), "info")
    return redirect(request.form.get("back") == "list" and url_for("admin.campaigns")
                    or url_for("admin.campaign_edit", campaign_id=campaign_id), 303)


@bp.post("/campaigns/<int:campaign_id>/open")
def campaign_open(campaign_id: int):
    return _status(campaign_id, "open")


@bp.post("/campaigns/<int:campaign_id>/close")
def campaign_close(campaign_id: int):
    return _status(campaign_id, "closed")
