"""Every aggregation of a report, in PostGIS (EPSG:3006, metres). Nothing here is
published as it is: ``anonymity.publish`` turns these raw groups into a report.

Each group carries three numbers:
- ``places``: how many places;
- ``children``: the sum of ``children_count`` (children's choices: a child who chose
  two places counts twice);
- ``children_min``: the fewest distinct children the group can rest on. Within one
  mapping session the same children may have chosen several places, so a session
  adds only its largest ``children_count``. The anonymity threshold is applied to this.

Hexagons: ST_HexagonGrid's cells (edge ``cell`` metres, origin 0,0). A point is
assigned to the cell whose centre is nearest (a hexagon is the Voronoi cell of its
centre), computed arithmetically so that a million points need no spatial join;
tests check the assignment against ST_HexagonGrid itself.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from smultron.reports.filters import ReportFilters, scope_area_sql, scope_sql

DISTANCE_BANDS = (250, 500, 1000)  # metres; 0 stands for "farther than 1,000 m"
DIMENSIONS = ("feeling", "category", "season", "age_group", "band", "preschool")


@dataclass
class RawReport:
    """Raw groups straight from SQL. Never published: see anonymity.publish."""

    cell: int
    heat_cell: int
    total: dict
    hex: list[dict]
    heat: list[dict]
    dims: list[dict]
    participation: list[dict]
    plans: list[dict]
    preschools: list[dict]
    scope_outline: dict | None
    categories: list[dict] = field(default_factory=list)


def hex_constants(cell: int) -> tuple[float, float]:
    """(column spacing, row height) of ST_HexagonGrid with edge ``cell``."""
    return 1.5 * cell, math.sqrt(3) * cell


def hex_centre(cell: int, i: int, j: int) -> tuple[float, float]:
    w, h = hex_constants(cell)
    return w * i, h * j + (abs(i) % 2) * h / 2


PLACES_SQL = """
ps AS MATERIALIZED (
  SELECT s.id, s.name, s.enrolled_children, s.location, s.archived_at,
         ST_X(t.l) AS x, ST_Y(t.l) AS y, ST_X(s.location) AS lon, ST_Y(s.location) AS lat
  FROM preschool s CROSS JOIN LATERAL (SELECT ST_Transform(s.location, 3006) AS l) t
  WHERE s.municipality_id = :muni
),
pl AS MATERIALIZED (
  SELECT sid, pid, cat, feeling, season, age_group, n, ST_X(g) AS x, ST_Y(g) AS y,
         CASE WHEN pt THEN sqrt(power(ST_X(g) - psx, 2) + power(ST_Y(g) - psy, 2))
              ELSE ST_Distance(ST_Transform(geom, 3006),
                               ST_SetSRID(ST_MakePoint(psx, psy), 3006)) END AS dist
  FROM (  -- OFFSET 0 keeps this a separate step: each place is transformed once
    SELECT p.session_id AS sid, p.preschool_id AS pid, p.category_id AS cat, p.feeling,
           p.season, p.age_group, p.children_count AS n, p.geom, ps.x AS psx, ps.y AS psy,
           GeometryType(p.geom) = 'POINT' AS pt,
           ST_Transform(CASE WHEN GeometryType(p.geom) = 'POINT' THEN p.geom
                             ELSE ST_PointOnSurface(p.geom) END, 3006) AS g
    FROM place p JOIN ps ON ps.id = p.preschool_id
    WHERE {where} OFFSET 0) q
)"""

HEX_SQL = """
hx AS (
  SELECT feeling, sid, n, CASE WHEN da <= db THEN i0 ELSE i0 + 1 END AS hi,
         CASE WHEN da <= db THEN ja ELSE jb END AS hj
  FROM (
    SELECT *, power(x - :w * i0, 2) + power(y - (:h * ja + mod(abs(i0), 2) * :h / 2), 2) AS da,
              power(x - :w * (i0 + 1), 2)
                + power(y - (:h * jb + mod(abs(i0 + 1), 2) * :h / 2), 2) AS db
    FROM (
      SELECT *, round((y - mod(abs(i0), 2) * :h / 2) / :h)::int AS ja,
                round((y - mod(abs(i0 + 1), 2) * :h / 2) / :h)::int AS jb
      FROM (SELECT feeling, sid, n, x, y, floor(x / :w)::int AS i0 FROM pl) a) b) c
),
hex AS (
  SELECT feeling, hi AS i, hj AS j, sum(places)::int AS places, sum(total)::int AS children,
         sum(most)::int AS children_min
  FROM (SELECT feeling, hi, hj, sid, count(*) AS places, sum(n) AS total, max(n) AS most
        FROM hx GROUP BY feeling, hi, hj, sid) t
  GROUP BY feeling, hi, hj
),
heat AS (
  SELECT qi AS i, qj AS j, sum(places)::int AS places, sum(total)::int AS children,
         sum(most)::int AS children_min
  FROM (SELECT floor(x / :q)::int AS qi, floor(y / :q)::int AS qj, sid, count(*) AS places,
               sum(n) AS total, max(n) AS most
        FROM pl WHERE feeling = 'favourite' GROUP BY 1, 2, 3) t
  GROUP BY qi, qj
)"""

DIMS_SQL = """
dims AS (
  SELECT g, feeling, category, season, age_group, band, preschool, sum(places)::int AS places,
         sum(total)::int AS children, sum(most)::int AS children_min
  FROM (
    SELECT GROUPING(feeling, cat, season, age_group, band, pid) AS g, feeling, cat AS category,
           season, age_group, band, pid AS preschool, sid,
           count(*) AS places, sum(n) AS total, max(n) AS most
    FROM (SELECT *, CASE WHEN dist <= 250 THEN 250 WHEN dist <= 500 THEN 500
                         WHEN dist <= 1000 THEN 1000 ELSE 0 END AS band FROM pl) b
    GROUP BY GROUPING SETS ((sid), (feeling, sid), (feeling, cat, sid), (season, sid),
                            (age_group, sid), (feeling, band, sid), (pid, sid))) t
  GROUP BY g, feeling, category, season, age_group, band, preschool
)"""

PARTICIPATION_SQL = """
scope_ps AS (
  SELECT ps.* FROM ps
  WHERE {ps_scope}
    AND (ps.archived_at IS NULL OR ps.id IN (SELECT preschool_id FROM mapping_session
                                             WHERE campaign_id = ANY(:campaigns)))
),
participation AS (
  SELECT sp.id AS preschool, sp.name, sp.enrolled_children AS enrolled,
         coalesce(s.sessions, 0)::int AS sessions, coalesce(s.present, 0)::int AS children
  FROM scope_ps sp LEFT JOIN (
    SELECT preschool_id, count(*) AS sessions, sum(children_present) AS present
    FROM mapping_session WHERE municipality_id = :muni AND campaign_id = ANY(:campaigns)
    GROUP BY preschool_id) s ON s.preschool_id = sp.id
),
plans AS (
  SELECT pa.id, pa.name, pa.geom FROM plan_area pa
  WHERE pa.municipality_id = :muni
    AND ((SELECT geom FROM scope_area) IS NULL
         OR ST_Intersects(pa.geom, (SELECT geom FROM scope_area)))
),
plan_hits AS (
  SELECT id, feeling, sum(places)::int AS places, sum(total)::int AS children,
         sum(most)::int AS children_min
  FROM (SELECT pa.id, p.feeling, p.session_id, count(*) AS places, sum(p.children_count) AS total,
               max(p.children_count) AS most
        FROM plans pa JOIN place p ON ST_Intersects(p.geom, pa.geom)
        WHERE {where} GROUP BY 1, 2, 3) t
  GROUP BY id, feeling
)"""

RESULT_SQL = """
SELECT json_build_object(
  'hex', (SELECT coalesce(json_agg(hex), '[]') FROM hex),
  'heat', (SELECT coalesce(json_agg(heat), '[]') FROM heat),
  'dims', (SELECT coalesce(json_agg(dims), '[]') FROM dims),
  'participation', (SELECT coalesce(json_agg(participation ORDER BY name), '[]')
                    FROM participation),
  'plans', (SELECT coalesce(json_agg(json_build_object(
                'id', pa.id, 'name', pa.name,
                'geojson', ST_AsGeoJSON(ST_SimplifyPreserveTopology(pa.geom, 0.00002), 6)::json,
                'geojson_3006', ST_AsGeoJSON(ST_Transform(
                    ST_SimplifyPreserveTopology(pa.geom, 0.00002), 3006), 1)::json,
                'hits', (SELECT coalesce(json_agg(plan_hits), '[]') FROM plan_hits
                         WHERE plan_hits.id = pa.id)) ORDER BY pa.name), '[]') FROM plans pa),
  'preschools', (SELECT coalesce(json_agg(json_build_object(
                'id', id, 'name', name, 'lon', lon, 'lat', lat, 'x', x, 'y', y)
                ORDER BY name), '[]') FROM scope_ps),
  'scope_outline', (SELECT json_build_object(
                'geojson', ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.00002), 6)::json,
                'geojson_3006', ST_AsGeoJSON(ST_Transform(
                    ST_SimplifyPreserveTopology(geom, 0.00002), 3006), 1)::json)
                FROM scope_area WHERE geom IS NOT NULL),
  'categories', (SELECT json_agg(json_build_object('id', id, 'code', code, 'label_sv', label_sv,
                'label_en', label_en, 'colour', colour) ORDER BY sort_order) FROM category)
)"""


def _ps_scope(filters: ReportFilters) -> str:
    if filters.scope == "preschool":
        return "ps.id = :preschool"
    if filters.scope in ("plan_area", "area"):
        return "ST_Intersects(ps.location, (SELECT geom FROM scope_area))"
    return "true"


def collect(session: Session, filters: ReportFilters) -> RawReport:
    """All raw groups of a report in one statement (one scan of the places)."""
    where, params = scope_sql(filters)
    area_sql, area_params = scope_area_sql(filters)
    w, h = hex_constants(filters.cell)
    heat_cell = max(filters.cell // 2, 50)
    params.update(area_params, w=w, h=h, q=float(heat_cell))
    sql = ("WITH scope_area AS MATERIALIZED (" + area_sql + ")," + PLACES_SQL.format(where=where)
           + "," + HEX_SQL + "," + DIMS_SQL + ","
           + PARTICIPATION_SQL.format(ps_scope=_ps_scope(filters), where=where) + RESULT_SQL)
    session.execute(text("SET LOCAL work_mem = '256MB'"))
    data = session.execute(text(sql), params).scalar_one()
    total = next((d for d in data["dims"] if d["g"] == 0b111111), None)
    return RawReport(
        cell=filters.cell, heat_cell=heat_cell,
        total=total or {"places": 0, "children": 0, "children_min": 0},
        hex=data["hex"], heat=data["heat"], dims=data["dims"],
        participation=data["participation"], plans=data["plans"],
        preschools=data["preschools"], scope_outline=data["scope_outline"],
        categories=data["categories"] or [])


CLUSTER_SQL = """
SELECT cid, array_agg(k ORDER BY k) AS members
FROM (SELECT k, ST_ClusterDBSCAN(ST_SetSRID(ST_MakePoint(x, y), 3006), :eps, 1) OVER () AS cid
      FROM unnest(CAST(:k AS int[]), CAST(:x AS float8[]), CAST(:y AS float8[])) AS u(k, x, y)) t
GROUP BY cid
"""


def cluster_cells(session: Session, cell: int,
                  centres: list[tuple[float, float]]) -> list[list[int]]:
    """Groups of touching hexagons (ST_ClusterDBSCAN on their centres, EPSG:3006):
    each group is a list of indexes into ``centres``."""
    if not centres:
        return []
    eps = math.sqrt(3) * cell * 1.01  # neighbouring hexagon centres are sqrt(3)*edge apart
    rows = session.execute(text(CLUSTER_SQL), {
        "eps": eps, "k": list(range(len(centres))), "x": [c[0] for c in centres],
        "y": [c[1] for c in centres]}).all()
    return [list(r.members) for r in rows]


VERSION_SQL = """
SELECT json_build_array(
  -- every insert, edit, soft delete and restore sets updated_at (newest from the index);
  -- a hard delete (retention) changes the count (an index-only scan)
  (SELECT count(*) FROM place WHERE municipality_id = :muni),
  (SELECT max(updated_at) FROM place),
  (SELECT json_build_array(count(*), max(created_at), sum(children_present))
   FROM mapping_session WHERE municipality_id = :muni),
  (SELECT json_build_array(count(*), sum(hashtext(concat_ws(':', id, name,
              enrolled_children, archived_at, ST_X(location), ST_Y(location)))::bigint))
   FROM preschool WHERE municipality_id = :muni),
  (SELECT json_build_array(count(*), max(id), max(created_at)) FROM plan_area
   WHERE municipality_id = :muni),
  (SELECT md5(string_agg(concat_ws(':', id, code, label_sv, label_en, colour), ','
                         ORDER BY id)) FROM category),
  (SELECT md5(string_agg(concat_ws(':', id, name, status), ',' ORDER BY id)) FROM campaign
   WHERE municipality_id = :muni)
)::text"""


def data_version(session: Session, municipality_id: int) -> str:
    """A string that changes whenever anything a municipality's report shows changes (a
    hash: the raw counts behind it are not published)."""
    raw = session.execute(text(VERSION_SQL), {"muni": municipality_id}).scalar_one()
    return hashlib.sha256(raw.encode()).hexdigest()[:20]
