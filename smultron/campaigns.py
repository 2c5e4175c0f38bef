"""Campaigns (mapping rounds): create, edit, open and close. A closed campaign
accepts no new places; its places stay. No preschools chosen = all take part."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smultron.core.db import taken
from smultron.core.problems import N_, Collector, fail
from smultron.models import CAMPAIGN_STATUSES, Campaign, Place, Preschool
from smultron.preschools.editing import municipalities


@dataclass(frozen=True)
class CampaignInput:
    municipality_id: int
    name: str
    starts_on: date
    ends_on: date | None
    preschool_ids: tuple[int, ...]


def list_campaigns(session: Session) -> list:
    """Rows of (campaign, live places), newest first."""
    places = (select(func.count(Place.id))
              .where(Place.campaign_id == Campaign.id, Place.deleted_at.is_(None))
              .scalar_subquery())
    return list(session.execute(select(Campaign, places.label("places"))
                                .order_by(Campaign.starts_on.desc(), Campaign.name)))


def get(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise fail(N_("There is no such campaign"), status=404)
    return campaign


def _date(problems: Collector, form: Mapping, name: str, label: str,
          required: bool) -> date | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        if required:
            problems.add(N_("%(label)s is missing"), name, label=label)
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.add(N_("%(label)s must be a date (YYYY-MM-DD)"), name, label=label)
        return None


def parse(session: Session, form: Mapping, preschool_ids: list[str]) -> CampaignInput:
    problems = Collector()
    name = problems.text(form, "name", 200, label=N_("The name"))
    starts_on = _date(problems, form, "starts_on", N_("The start date"), True)
    ends_on = _date(problems, form, "ends_on", N_("The end date"), False)
    if starts_on and ends_on and ends_on < starts_on:
        problems.add(N_("The campaign must end on or after its start date"), "ends_on")
    found = municipalities(session)
    chosen = str(form.get("municipality_id") or "")
    if chosen:
        found = [m for m in found if str(m.id) == chosen]
    if len(found) != 1:
        problems.add(N_("Choose the municipality") if found else N_("Add a municipality first"),
                     "municipality_id")
    ids = _preschool_ids(session, preschool_ids, found[0].id if len(found) == 1 else None,
                         problems)
    problems.raise_if_any()
    return CampaignInput(found[0].id, name, starts_on, ends_on, ids)


def _preschool_ids(session: Session, raw: list[str], municipality_id: int | None,
                   problems: Collector) -> tuple[int, ...]:
    ids = problems.ids(raw, "preschools")
    if not ids or municipality_id is None:
        return tuple(ids)
    known = set(session.scalars(select(Preschool.id).where(
        Preschool.id.in_(ids), Preschool.municipality_id == municipality_id)))
    if known != set(ids):
        problems.add(N_("Choose preschools from the list"), "preschools")
    return tuple(ids)


def _check_unique(session: Session, data: CampaignInput, own_id: int | None) -> None:
    if taken(session, Campaign, own_id, Campaign.municipality_id == data.municipality_id,
             Campaign.name == data.name):
        raise fail(N_("A campaign called %(name)s exists already"), "name", status=409,
                   name=data.name)


def _apply(session: Session, campaign: Campaign, data: CampaignInput) -> None:
    campaign.municipality_id = data.municipality_id
    campaign.name, campaign.starts_on, campaign.ends_on = data.name, data.starts_on, data.ends_on
    campaign.preschools = list(session.scalars(
        select(Preschool).where(Preschool.id.in_(data.preschool_ids)))) if data.preschool_ids \
        else []
    session.flush()


def create(session: Session, data: CampaignInput) -> Campaign:
    _check_unique(session, data, None)
    campaign = Campaign(status="open")
    session.add(campaign)
    _apply(session, campaign, data)
    return campaign


def update(session: Session, campaign: Campaign, data: CampaignInput) -> dict:
    _check_unique(session, data, campaign.id)
    before = summary(campaign)
    _apply(session, campaign, data)
    after = summary(campaign)
    return {key: [before[key], after[key]] for key in after if before[key] != after[key]}


def summary(campaign: Campaign) -> dict:
    return {"name": campaign.name, "starts_on": campaign.starts_on.isoformat(),
            "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else None,
            "preschools": sorted(p.name for p in campaign.preschools)}


def set_status(session: Session, campaign: Campaign, status: str) -> bool:
    """Open or close; returns False when it already had that status."""
    if status not in CAMPAIGN_STATUSES:
        raise fail(N_("A campaign is either open or closed"))
    if campaign.status == status:
        return False
    campaign.status = status
    session.flush()
    return True


def taking_part(session: Session, campaign: Campaign) -> list[Preschool]:
    """The preschools taking part: the chosen ones, or every active one when none is chosen."""
    if campaign.preschools:
        return sorted(campaign.preschools, key=lambda p: p.name)
    return list(session.scalars(select(Preschool).where(
        Preschool.municipality_id == campaign.municipality_id,
        Preschool.archived_at.is_(None)).order_by(Preschool.name)))
