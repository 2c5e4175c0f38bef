"""Open data: anonymous results published for everyone (/open, /ogc/open).

A published dataset is one or more campaigns' results of one municipality on the fixed
hexagon grid every report shares (ST_HexagonGrid, origin 0,0 in EPSG:3006; so every
publication of the installation has the same cells), made by the reports' own anonymity
rule (reports/aggregate.py and anonymity.py) with the public threshold
(SMULTRON_OPEN_THRESHOLD, default 10, never below the internal one) and frozen: each
publication is a version (snapshot.py) holding every public figure, and later changes to
places alter nothing public until the dataset is republished. Only the newest version of
a published dataset is public; unpublishing takes it off every public address at once.

No differencing across publications: a campaign is in one dataset at most, at one hexagon
size and one threshold; publishing the same campaigns again is a new version of that
dataset, anything else that overlaps it is refused with a message. Only closed campaigns
are published (no tablet adds to them, so a version is not the previous one plus a few
children), and a new version in which any figure shown in the previous one moved by
fewer than the threshold's children (a place hidden, a campaign reopened) is refused:
subtracting the two would show those few children. Unpublishing remains.

    version = publish(session, campaign_ids, Options(hex_size=500), open_threshold=10,
                      actor="cli")
    unpublish(session, dataset_id, actor="cli")

Domain functions flush; the caller (route or CLI) commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from smultron.core import audit
from smultron.core.errors import AppError, Conflict, NotFound
from smultron.core.messages import M
from smultron.models import OPEN_LICENCES, Campaign, OpenDataset, OpenDatasetVersion, User
from smultron.opendata.snapshot import build_content

HEX_SIZES = (250, 500, 1000)  # metres; a hexagon is a union of the 250 m base squares
DEFAULT_HEX_SIZE = 500
DEFAULT_LICENCE = "CC0-1.0"
DEFAULT_MIN_PRESCHOOL = 20  # a preschool with fewer enrolled children is never named
MAX_MIN_PRESCHOOL = 1000
MAX_CAMPAIGNS = 10
MAX_THRESHOLD = 100


@dataclass(frozen=True)
class Options:
    hex_size: int = DEFAULT_HEX_SIZE
    threshold: int | None = None  # None: the public threshold itself
    licence: str = DEFAULT_LICENCE
    min_preschool: int = DEFAULT_MIN_PRESCHOOL


@dataclass(frozen=True)
class Actor:
    """Who publishes: a user of the admin pages, or the command line."""

    user: User | None = None
    name: str | None = None
    ip: str | None = None


def check_options(options: Options, open_threshold: int) -> int:
    """The threshold the options ask for (refusing what the rule does not allow)."""
    if options.hex_size not in HEX_SIZES:
        raise AppError(M("The hexagon size must be one of %(sizes)s metres (never finer "
                         "than 250 m).", sizes=", ".join(str(s) for s in HEX_SIZES)),
                       detail={"hex_size": options.hex_size})
    threshold = open_threshold if options.threshold is None else options.threshold
    if not open_threshold <= threshold <= MAX_THRESHOLD:
        raise AppError(M("The public threshold must be from %(low)s to %(high)s children.",
                         low=open_threshold, high=MAX_THRESHOLD),
                       detail={"threshold": threshold})
    if options.licence not in OPEN_LICENCES:
        raise AppError(M("Choose a licence: %(choices)s.", choices=", ".join(OPEN_LICENCES)))
    if not 0 <= options.min_preschool <= MAX_MIN_PRESCHOOL:
        raise AppError(M("The smallest preschool named must be from 0 to %(most)s enrolled "
                         "children.", most=MAX_MIN_PRESCHOOL))
    return threshold


def find_campaigns(session: Session, campaign_ids) -> list[Campaign]:
    ids = sorted(set(campaign_ids))
    if not 1 <= len(ids) <= MAX_CAMPAIGNS:
        raise AppError(M("Choose from 1 to %(most)s campaigns to publish.", most=MAX_CAMPAIGNS))
    campaigns = session.scalars(select(Campaign).where(Campaign.id.in_(ids))
                                .order_by(Campaign.starts_on, Campaign.name)).all()
    if len(campaigns) != len(ids):
        raise NotFound(M("There is no such campaign."))
    if len({c.municipality_id for c in campaigns}) > 1:
        raise AppError(M("A dataset holds the campaigns of one municipality."))
    running = [c.name for c in campaigns if c.status != "closed"]
    if running:
        raise Conflict(M("%(names)s is still open: a campaign's results are published once "
                         "it is closed, so that no later version is this one plus a few "
                         "children. Close the campaign first.", names=", ".join(running)),
                       detail={"campaigns": running})
    return list(campaigns)


def _figures(content: dict) -> dict[tuple, tuple]:
    """Every shown figure of a version's content: key -> (places, children)."""
    figures = {("cell", c["id"]): (c["places"], c["children"]) for c in content["cells"]}
    for name, rows in content["tables"].items():
        figures.update({("table", name, r["key"]): (r["places"], r["children"])
                        for r in rows if not r["withheld"]})
    figures.update({("preschool", p["name"]): (p["sessions"], p["children"])
                    for p in content["preschools"]})
    totals = content["totals"]
    if totals["children"] is not None:
        figures["totals",] = (totals["places"], totals["children"])
    return figures


def small_differences(previous: dict, content: dict, k: int) -> int:
    """How many figures shown in both versions changed by fewer than k children (0 when
    the new version cannot be subtracted from the previous one to show a small group)."""
    before, after = _figures(previous), _figures(content)
    return sum(1 for key in before.keys() & after.keys()
               if before[key] != after[key] and abs(before[key][1] - after[key][1]) < k)


def campaign_by_name(session: Session, name: str) -> Campaign:
    found = session.scalars(select(Campaign).where(Campaign.name == name)).all()
    if not found:
        raise NotFound(M("There is no campaign named %(name)s.", name=name))
    if len(found) > 1:
        raise AppError(M("Several municipalities have a campaign named %(name)s.", name=name))
    return found[0]


def _same_dataset(session: Session, campaigns: list[Campaign], options: Options,
                  threshold: int) -> OpenDataset | None:
    """The dataset these campaigns are already in (to republish), None for a new one;
    refuses any other overlap: a variant at another size or threshold, or another set of
    campaigns sharing one, could be subtracted from it."""
    ids = [c.id for c in campaigns]
    overlapping = session.scalars(select(OpenDataset).where(
        OpenDataset.campaign_ids.overlap(ids)).order_by(OpenDataset.id)).all()
    for dataset in overlapping:
        if sorted(dataset.campaign_ids) != ids:
            raise Conflict(M("Dataset %(dataset)s already holds some of these campaigns with "
                             "others: a campaign is published in one dataset only.",
                             dataset=dataset.id), detail={"dataset": dataset.id})
        if (dataset.hex_size, dataset.threshold) != (options.hex_size, threshold):
            raise Conflict(M("Dataset %(dataset)s already publishes these campaigns with "
                             "%(size)s m hexagons and the threshold %(k)s: a variant at "
                             "another size or threshold could be subtracted from it. "
                             "Republish that dataset instead.", dataset=dataset.id,
                             size=dataset.hex_size, k=dataset.threshold),
                           detail={"dataset": dataset.id})
        return dataset
    return None


def publish(session: Session, campaign_ids, options: Options, *, open_threshold: int,
            actor: Actor) -> OpenDatasetVersion:
    """Publish the campaigns' results: a new dataset, or a new version of the dataset that
    already holds exactly these campaigns at this size and threshold."""
    threshold = check_options(options, open_threshold)
    campaigns = find_campaigns(session, campaign_ids)
    dataset = _same_dataset(session, campaigns, options, threshold)
    if dataset is None:
        dataset = OpenDataset(municipality_id=campaigns[0].municipality_id,
                              campaign_ids=[c.id for c in campaigns],
                              hex_size=options.hex_size, threshold=threshold)
        session.add(dataset)
    dataset.licence, dataset.min_preschool = options.licence, options.min_preschool
    dataset.status, dataset.unpublished_at = "published", None
    session.flush()
    number = (session.scalar(select(OpenDatasetVersion.version)
                             .where(OpenDatasetVersion.dataset_id == dataset.id)
                             .order_by(OpenDatasetVersion.version.desc()).limit(1)) or 0) + 1
    content = build_content(session, dataset, campaigns)
    _refuse_differencing(session, dataset, content)
    version = OpenDatasetVersion(dataset_id=dataset.id, version=number, content=content)
    session.add(version)
    session.flush()
    audit.record(session, "open_data_published", actor.user, actor=actor.name, ip=actor.ip,
                 target=f"open_dataset:{dataset.id}",
                 detail={"version": number, "campaigns": [c.name for c in campaigns],
                         "hex_size": dataset.hex_size, "threshold": dataset.threshold,
                         "licence": dataset.licence, "cells": len(content["cells"]),
                         "cells_withheld": content["withheld_cells"]})
    return version


def _refuse_differencing(session: Session, dataset: OpenDataset, content: dict) -> None:
    previous = _latest(session, dataset.id)
    moved = small_differences(previous.content, content, dataset.threshold) if previous else 0
    if moved:
        raise Conflict(M("A new version of dataset %(dataset)s would move published "
                         "figures by fewer than %(k)s children (%(count)s of them): anyone "
                         "comparing it with the previous version would see those few children's "
                         "places. The previous version stays published; unpublish it if "
                         "it must go.", dataset=dataset.id, count=moved, k=dataset.threshold),
                       detail={"dataset": dataset.id, "figures": moved})


def republish(session: Session, dataset_id: int, *, open_threshold: int,
              actor: Actor) -> OpenDatasetVersion:
    """A new version of a dataset from the places as they are now, with its own options."""
    dataset = get_dataset(session, dataset_id)
    options = Options(hex_size=dataset.hex_size, threshold=dataset.threshold,
                      licence=dataset.licence, min_preschool=dataset.min_preschool)
    return publish(session, dataset.campaign_ids, options,
                   open_threshold=open_threshold, actor=actor)


def unpublish(session: Session, dataset_id: int, *, actor: Actor) -> OpenDataset:
    dataset = get_dataset(session, dataset_id)
    if dataset.status != "published":
        raise AppError(M("Dataset %(dataset)s is not published.", dataset=dataset.id))
    dataset.status, dataset.unpublished_at = "unpublished", datetime.now(UTC)
    session.flush()
    audit.record(session, "open_data_unpublished", actor.user, actor=actor.name, ip=actor.ip,
                 target=f"open_dataset:{dataset.id}", detail={"version": latest_number(
                     session, dataset.id)})
    return dataset


def get_dataset(session: Session, dataset_id: int) -> OpenDataset:
    dataset = session.get(OpenDataset, dataset_id)
    if dataset is None:
        raise NotFound(M("There is no such dataset."))
    return dataset


def latest_number(session: Session, dataset_id: int) -> int | None:
    return session.scalar(select(OpenDatasetVersion.version)
                          .where(OpenDatasetVersion.dataset_id == dataset_id)
                          .order_by(OpenDatasetVersion.version.desc()).limit(1))


def _latest(session: Session, dataset_id: int) -> OpenDatasetVersion | None:
    return session.scalars(select(OpenDatasetVersion)
                           .where(OpenDatasetVersion.dataset_id == dataset_id)
                           .order_by(OpenDatasetVersion.version.desc()).limit(1)).first()


def public_version(session: Session, dataset_id: int) -> tuple[OpenDataset, OpenDatasetVersion]:
    """A published dataset and its newest version; anything else is not found (an
    unpublished dataset is gone from every public address)."""
    dataset = session.get(OpenDataset, dataset_id)
    version = _latest(session, dataset_id) if dataset is not None else None
    if dataset is None or dataset.status != "published" or version is None:
        raise NotFound(M("There is no such open dataset."))
    return dataset, version


def public_datasets(session: Session) -> list[tuple[OpenDataset, OpenDatasetVersion]]:
    datasets = session.scalars(select(OpenDataset).where(OpenDataset.status == "published")
                               .order_by(OpenDataset.id.desc())).all()
    return [(d, v) for d in datasets if (v := _latest(session, d.id)) is not None]


def first_published(session: Session, dataset_id: int):
    return session.scalar(select(OpenDatasetVersion.published_at)
                          .where(OpenDatasetVersion.dataset_id == dataset_id)
                          .order_by(OpenDatasetVersion.version).limit(1))


def any_published(session: Session) -> bool:
    return session.scalar(select(OpenDataset.id).where(OpenDataset.status == "published")
                          .limit(1)) is not None


def all_datasets(session: Session) -> list[tuple[OpenDataset, int | None]]:
    """Every dataset (published or not) with its newest version number: the admin's list."""
    datasets = session.scalars(select(OpenDataset).order_by(OpenDataset.id.desc())).all()
    return [(d, latest_number(session, d.id)) for d in datasets]
