"""What a publication freezes: every public figure of a dataset, as JSON.

The figures come from the reports' own rule (reports/aggregate.collect and
anonymity.publish) with the dataset's threshold k and hexagon size: hexagons of favourite
and of scary places, each resting on at least k children (the others withheld and only
counted), and the tables by feeling, category, season and age group with their
complementary suppression. Left out of open data altogether: the heat squares (finer
than the hexagons), distances to preschools, per-preschool choices, planners' answers,
sessions' languages, plan areas, comments, photos, sessions and any date finer than the
campaign's period. Each published hexagon lists the categories that alone rest on k
children in it (the category, never its count). A preschool is named (with its sessions
and children taking part) only when it rests on k children and has at least
``min_preschool`` enrolled children; the others are counted. No total of sessions is
published (it would reveal the preschools left out).
"""

from __future__ import annotations

import math

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from smultron.models import METRIC_SRID, Campaign, Municipality, OpenDataset
from smultron.reports import aggregate, anonymity, geometry
from smultron.reports.filters import ReportFilters, scope_area_sql, scope_sql
from smultron.reports.perturbation import noise_sql

FEELINGS = ("favourite", "scary")
TABLES = ("feeling", "category_favourite", "category_scary", "season", "age_group")


def hexagon_3006(cell: int, i: int, j: int) -> list[list[float]]:
    """The ring of ST_HexagonGrid's hexagon (i, j) with edge ``cell`` (EPSG:3006)."""
    cx, cy = geometry.hex_centres(cell, np.array([float(i)]), np.array([float(j)]))
    height = math.sqrt(3) * cell
    return [[round(float(cx[0]) + cell * dx, 2), round(float(cy[0]) + height * dy, 2)]
            for dx, dy in zip(geometry.HEX_X, geometry.HEX_Y, strict=True)]


CATEGORY_SQL = """,
cat_hex AS (  -- each (feeling, category, hexagon): the children it rests on (true)
  SELECT feeling, cat, hi, hj, sum(most) AS children_min
  FROM (SELECT a.feeling, a.cat, c.hi, c.hj, a.sid, max(a.most) AS most
        FROM atoms a JOIN cell_hex c USING (ci, cj) GROUP BY 1, 2, 3, 4, 5) t
  GROUP BY 1, 2, 3, 4
)
SELECT coalesce(json_agg(json_build_object('feeling', feeling, 'cat', cat, 'i', hi, 'j', hj)),
                '[]')
FROM cat_hex WHERE children_min >= :k"""


def category_presence(session: Session, filters: ReportFilters, k: int) -> set[tuple]:
    """(feeling, category id, i, j) of every category that rests on at least k children in
    a hexagon, from the reports' own atoms and grid (aggregate.py). Only the category is
    published, never its count: a category left out says only "fewer than k or none"."""
    where, params = scope_sql(filters)
    area_sql, area_params = scope_area_sql(filters)
    places = aggregate.PLACES_SQL.format(
        where=where, no_answer=aggregate.NO_ANSWER, in_cells="true",
        noise_places=noise_sql("key_sum", "places"),
        noise_children=noise_sql("key_sum", "children"))
    sql = ("WITH" + aggregate.AREA_SQL.format(area=area_sql, spatial="false") + "," + places
           + "," + aggregate.HEX_SQL + CATEGORY_SQL)
    w, h = aggregate.hex_constants(filters.cell)
    params.update(area_params, w=w, h=h, q=float(aggregate.heat_cell_size(filters.cell)),
                  base=aggregate.BASE_CELL, k=k)
    rows = session.execute(text(sql), params).scalar_one()
    return {(r["feeling"], r["cat"], r["i"], r["j"]) for r in rows}


def _cells(report: dict, cell: int, present: set[tuple], codes: dict[int, str]) -> list[dict]:
    by_cell: dict[tuple, list[str]] = {}
    for feeling, cat, i, j in present:
        by_cell.setdefault((feeling, i, j), []).append(codes.get(cat, str(cat)))
    cells = []
    for feeling in FEELINGS:
        shown = report["layers"][feeling]["cells"]
        shapes = geometry.hexagons(cell, [(c["i"], c["j"]) for c in shown])
        for c, shape in zip(shown, shapes, strict=True):
            cells.append({"id": f"{feeling}:{c['i']}:{c['j']}", "i": c["i"], "j": c["j"],
                          "feeling": feeling, "places": c["places"],
                          "children": c["children"], "lon": round(shape["lon"], 6),
                          "lat": round(shape["lat"], 6), "x": round(shape["x"], 2),
                          "y": round(shape["y"], 2), "geometry": shape["geojson"],
                          "categories": sorted(by_cell.get((feeling, c["i"], c["j"]), []))})
    cells.sort(key=lambda c: (c["feeling"], -c["children"], c["i"], c["j"]))
    return cells


def _tables(report: dict, categories: dict[int, dict]) -> dict:
    tables = {}
    for name in TABLES:
        rows = []
        for row in report["tables"][name]:
            key = row["key"]
            if name.startswith("category_"):
                key = categories.get(key, {}).get("code", str(key))
            rows.append({"key": str(key), "withheld": row["withheld"],
                         "places": row["places"], "children": row["children"]})
        tables[name] = rows
    return tables


def _preschools(report: dict, min_preschool: int) -> tuple[list[dict], int]:
    taking_part = [r for r in report["participation"] if r["withheld"] or r["sessions"]]
    named = [{"name": r["name"], "enrolled": r["enrolled"], "sessions": r["sessions"],
              "children": r["children"]}
             for r in taking_part
             if not r["withheld"] and (r["enrolled"] or 0) >= min_preschool]
    return named, len(taking_part) - len(named)


def _extent(cells: list[dict]) -> list[float] | None:
    if not cells:
        return None
    xs = [p[0] for c in cells for p in c["geometry"]["coordinates"][0]]
    ys = [p[1] for c in cells for p in c["geometry"]["coordinates"][0]]
    return [min(xs), min(ys), max(xs), max(ys)]


def _period(campaigns: list[Campaign]) -> dict:
    ends = [c.ends_on for c in campaigns]
    return {"start": min(c.starts_on for c in campaigns).isoformat(),
            "end": None if None in ends else max(ends).isoformat()}


def build_content(session: Session, dataset: OpenDataset, campaigns: list[Campaign]) -> dict:
    """The frozen, public content of a new version of ``dataset``."""
    k = dataset.threshold
    filters = ReportFilters(dataset.municipality_id, tuple(c.id for c in campaigns),
                            cell=dataset.hex_size)
    report = anonymity.publish(aggregate.collect(session, filters, k), k)
    categories = {c["id"]: c for c in report["categories"]}
    municipality = session.get(Municipality, dataset.municipality_id)
    codes = {c["id"]: c["code"] for c in report["categories"]}
    cells = _cells(report, dataset.hex_size, category_presence(session, filters, k), codes)
    named, preschools_withheld = _preschools(report, dataset.min_preschool)
    totals = report["totals"]
    return {
        "municipality": {"code": municipality.code, "name": municipality.name},
        "campaigns": [{"name": c.name, "start": c.starts_on.isoformat(),
                       "end": c.ends_on.isoformat() if c.ends_on else None}
                      for c in campaigns],
        "period": _period(campaigns),
        "hex_size": dataset.hex_size, "threshold": k, "licence": dataset.licence,
        "grid": {"crs": f"EPSG:{METRIC_SRID}", "origin": [0, 0], "edge_m": dataset.hex_size,
                 "function": "ST_HexagonGrid"},
        "cells": cells,
        "withheld_cells": {f: report["layers"][f]["withheld"] for f in FEELINGS},
        "totals": {"places": totals["places"], "children": totals["children"],
                   "withheld": totals["withheld"]},
        "tables": _tables(report, categories),
        "preschools": named, "preschools_withheld": preschools_withheld,
        "min_preschool": dataset.min_preschool,
        "categories": [{"code": c["code"], "label_sv": c["label_sv"],
                        "label_en": c["label_en"], "colour": c["colour"]}
                       for c in report["categories"]],
        "extent": _extent(cells),
    }
