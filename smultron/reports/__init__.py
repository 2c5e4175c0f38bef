"""Reports for officials: aggregates in PostGIS, the anonymity rule, a cache, the
map's data and a PDF. No Flask in here: the web layer passes a Session, plain
values and a translation function.

    report = build_report(session, filters, k=5, cache=ReportCache())
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from smultron.models import Campaign, Municipality, PlanArea, Preschool
from smultron.reports import aggregate, geometry
from smultron.reports import kept as kept_figures
from smultron.reports.anonymity import publish
from smultron.reports.cache import ReportCache
from smultron.reports.filters import ReportFilters

__all__ = ["ReportCache", "ReportFilters", "build_report"]
HOT_QUANTILE = 0.75
MAX_CLUSTERS = 10


def build_report(session: Session, filters: ReportFilters, k: int,
                 cache: ReportCache | None = None, kept: bool = True) -> dict:
    """The published report for ``filters`` (from the cache when the data has not changed),
    from the kept figures (reports/kept.py, brought up to date first), or with
    ``kept=False`` from every place (aggregate.collect: the same report, for the tests
    and the benchmark)."""
    cache = cache if cache is not None else ReportCache(1)
    if kept:
        kept_figures.refresh(session)  # the version and the figures include every change
    version = cache.version(("version", filters.municipality_id),
                            lambda: aggregate.data_version(session, filters.municipality_id))
    key = ("report", filters.key(), k, version, kept)
    return cache.get_or_compute(key, lambda: _compute(session, filters, k, cache, version,
                                                      kept))


@contextmanager
def _no_collection_pauses() -> Iterator[None]:
    """The cyclic garbage collector off while a report is built: a large report makes a
    million small dicts and lists (no cycles), and the collections their allocations set
    off made its geometry take 0.4 s instead of 0.15 s at 1,000,000 places."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _compute(session: Session, filters: ReportFilters, k: int, cache: ReportCache,
             version: str, kept: bool) -> dict:
    with _no_collection_pauses():
        return _build(session, filters, k, cache, version, kept)


def _build(session: Session, filters: ReportFilters, k: int, cache: ReportCache,
           version: str, kept: bool) -> dict:
    raw = (kept_figures.collect if kept else aggregate.collect)(session, filters, k)
    report = publish(raw, k)
    _attach_geometry(report)
    report["clusters"] = _clusters(session, report, k)
    report["about"] = _about(session, filters, version)
    report["filters"] = filters.query_args()
    if filters.compare_campaign_id:
        other = build_report(session, filters.for_campaigns((filters.compare_campaign_id,)), k,
                             cache, kept)
        report["change"] = change(report, other)
    else:
        report["change"] = None
    return report


def _attach_geometry(report: dict) -> None:
    layers = report["layers"]
    for name in ("favourite", "scary"):
        cells = layers[name]["cells"]
        shapes = geometry.hexagons(report["cell"], [(c["i"], c["j"]) for c in cells])
        for cell, shape in zip(cells, shapes, strict=True):
            cell["id"] = f"{cell['i']}:{cell['j']}"
            cell.update(shape)
        geometry.label_near(cells, report["preschools"])
    heat = layers["heat"]["cells"]
    centres = geometry.square_centres(report["heat_cell"], [(c["i"], c["j"]) for c in heat])
    for cell, (lat, lon) in zip(heat, centres, strict=True):
        cell["lat"], cell["lon"] = lat, lon


def _clusters(session: Session, report: dict, k: int) -> list[dict]:
    """The most-loved areas: touching hexagons that each hold many children's choices
    (at least k and at least the upper quartile of the shown cells), grouped with
    ST_ClusterDBSCAN, largest first. Built from published cells only."""
    cells = report["layers"]["favourite"]["cells"]
    if not cells:
        return []
    bar = max(k, float(np.quantile([c["children"] for c in cells], HOT_QUANTILE)))
    hot = [c for c in cells if c["children"] >= bar]
    groups = aggregate.cluster_cells(session, report["cell"], [(c["x"], c["y"]) for c in hot])
    clusters = []
    for members in groups:
        chosen = [hot[m] for m in members]
        weight = sum(c["children"] for c in chosen)
        clusters.append({
            "cells": [c["id"] for c in chosen],
            "places": sum(c["places"] for c in chosen),
            "children": weight,
            "area_km2": round(len(chosen) * 2.598076 * report["cell"] ** 2 / 1e6, 3),
            "x": sum(c["x"] * c["children"] for c in chosen) / weight,
            "y": sum(c["y"] * c["children"] for c in chosen) / weight,
            "lat": sum(c["lat"] * c["children"] for c in chosen) / weight,
            "lon": sum(c["lon"] * c["children"] for c in chosen) / weight,
        })
    clusters.sort(key=lambda c: (-c["children"], c["cells"][0]))
    clusters = clusters[:MAX_CLUSTERS]
    for rank, cluster in enumerate(clusters, start=1):
        cluster["rank"] = rank
    geometry.label_near(clusters, report["preschools"])
    return clusters


def _about(session: Session, filters: ReportFilters, version: str) -> dict:
    campaigns = session.scalars(select(Campaign).where(Campaign.id.in_(filters.campaign_ids))
                                .order_by(Campaign.starts_on, Campaign.name)).all()
    municipality = session.get(Municipality, filters.municipality_id)
    scope_name = None
    if filters.scope == "preschool":
        scope_name = session.get(Preschool, filters.preschool_id).name
    elif filters.scope == "plan_area":
        scope_name = session.get(PlanArea, filters.plan_area_id).name
    compare = session.get(Campaign, filters.compare_campaign_id) if (
        filters.compare_campaign_id) else None
    return {
        "municipality": municipality.name,
        "campaigns": [{"id": c.id, "name": c.name} for c in campaigns],
        "compare": {"id": compare.id, "name": compare.name} if compare else None,
        "scope": filters.scope,
        "scope_name": scope_name,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_version": version,
    }


def _pair(mine: dict | None, theirs: dict | None) -> dict:
    shown = bool(mine and theirs and not mine["withheld"] and not theirs["withheld"])
    return {"now": None if not mine or mine["withheld"] else mine["children"],
            "before": None if not theirs or theirs["withheld"] else theirs["children"],
            "difference": mine["children"] - theirs["children"] if shown else None}


def change(report: dict, other: dict) -> dict:
    """Change between two published reports (each side already anonymised): totals
    and children's choices per category of favourite places."""
    def by_key(rows):
        return {r["key"]: r for r in rows}

    now, before = report["totals"], other["totals"]
    totals = {}
    for field in ("places", "children"):
        both = now[field] is not None and before[field] is not None
        totals[field] = {"now": now[field], "before": before[field],
                         "difference": now[field] - before[field] if both else None}
    sessions_now, sessions_before = now["sessions"], before["sessions"]
    totals["sessions"] = {"now": sessions_now, "before": sessions_before,
                          "difference": sessions_now - sessions_before}
    mine = by_key(report["tables"]["category_favourite"])
    theirs = by_key(other["tables"]["category_favourite"])
    categories = [{"key": key, **_pair(mine.get(key), theirs.get(key))}
                  for key in sorted(set(mine) | set(theirs))]
    zero = {"withheld": False, "children": 0}
    for row in categories:  # a category missing on one side had no choices there
        if row["key"] not in mine:
            row.update(_pair(zero, theirs[row["key"]]))
        if row["key"] not in theirs:
            row.update(_pair(mine[row["key"]], zero))
    categories.sort(key=lambda r: -(r["now"] or 0))
    return {"totals": totals, "categories": categories}
