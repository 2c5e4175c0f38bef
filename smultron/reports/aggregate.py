"""Every aggregation of a report, in PostGIS (EPSG:3006, metres). Nothing here is
published as it is: ``anonymity.publish`` turns these groups into a report.

Three rules make every figure of every report a sum of the same fixed pieces, so that no
set of reports (other areas, campaigns, hexagon sizes, scopes, plan areas) can be
subtracted down to a small group's exact size:

1. **A fixed grid.** Every place lies in one square of a base grid of ``BASE_CELL``
   metres (EPSG:3006, origin 0,0; its point, or ST_PointOnSurface of a route or area).
   A drawn district or a plan area takes in every base square it covers or touches; a
   hexagon holds the base squares whose centres it contains (so hexagons of every size
   are sums of the same squares); heat squares are 1 or 2 x 2 base squares; distances
   are measured from the square's centre.
2. **Small units are left out first.** A unit is a (campaign, preschool): when all its
   places together rest on fewer than k children (``children_min`` below) it adds to
   no figure, in any scope.
3. **Perturbed atoms.** An atom is the places of one mapping session in one base square
   with one feeling, category, season, age group and planners' answer (its status, or
   none yet): the finest piece any table, map or figure splits by. Each atom's places
   and children's choices are perturbed once (perturbation.py), and every figure adds
   up perturbed atoms; the true counts never leave this module.

Each group carries three numbers:
- ``places``: how many places (perturbed);
- ``children``: the sum of ``children_count`` (children's choices: a child who chose
  two places counts twice; perturbed);
- ``children_min``: the fewest distinct children the group can rest on (true). Within
  one mapping session the same children may have chosen several places, so a session
  adds only its largest ``children_count``. The anonymity threshold is applied to this.

Hexagons: ST_HexagonGrid's cells (edge ``cell`` metres, origin 0,0). A base square
belongs to the hexagon whose centre is nearest to its centre (a hexagon is the Voronoi
cell of its centre), computed arithmetically so that a million places need no spatial
join; tests check the assignment against ST_HexagonGrid itself.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from smultron.reports.filters import ReportFilters, scope_area_sql, scope_sql
from smultron.reports.perturbation import noise_sql

BASE_CELL = 250  # metres: the fixed grid every figure is made of
DISTANCE_BANDS = (250, 500, 1000)  # metres; 0 stands for "farther than 1,000 m"
DIMENSIONS = ("feeling", "category", "season", "age_group", "band", "preschool", "answer",
              "language")
NO_ANSWER = "none"  # the answer dimension's key for a place no planner has answered yet
NO_LANGUAGE = "unknown"  # sessions from before the session's language was recorded
SPATIAL_SCOPES = ("area", "plan_area")


@dataclass
class RawReport:
    """Groups straight from SQL (perturbed counts, true children_min). Never published
    as they are: see anonymity.publish."""

    cell: int
    heat_cell: int
    total: dict
    hex: dict[str, np.ndarray]  # columns: feeling and CELL_COLUMNS, one entry per hexagon
    heat: dict[str, np.ndarray]  # CELL_COLUMNS, one entry per heat square
    dims: list[dict]
    participation: list[dict]
    plans: list[dict]
    preschools: list[dict]
    scope_outline: dict | None
    categories: list[dict] = field(default_factory=list)
    languages: list[dict] = field(default_factory=list)

    @cached_property
    def dims_by_grouping(self) -> dict[int, list[dict]]:
        """``dims`` by their GROUPING() bits: each table reads one grouping set."""
        grouped: dict[int, list[dict]] = {}
        for row in self.dims:
            grouped.setdefault(row["g"], []).append(row)
        return grouped


def hex_constants(cell: int) -> tuple[float, float]:
    """(column spacing, row height) of ST_HexagonGrid with edge ``cell``."""
    return 1.5 * cell, math.sqrt(3) * cell


def hex_centre(cell: int, i: int, j: int) -> tuple[float, float]:
    w, h = hex_constants(cell)
    return w * i, h * j + (abs(i) % 2) * h / 2


def heat_cell_size(cell: int) -> int:
    """Heat squares: base squares, or 2 x 2 of them beside the largest hexagons."""
    return max(BASE_CELL, (cell // 2) // BASE_CELL * BASE_CELL)


AREA_SQL = """
scope_area AS MATERIALIZED (
  SELECT geom, g3006,
         ST_Transform(ST_Segmentize(ST_Expand(ST_Envelope(g3006), 2 * :base), 1000), 4326) AS box
  FROM (SELECT geom, ST_Transform(geom, 3006) AS g3006 FROM ({area}) a) t
),
scope_cells AS MATERIALIZED (
  SELECT g.i, g.j FROM scope_area a CROSS JOIN LATERAL ST_SquareGrid(:base, a.g3006) g
  WHERE {spatial} AND ST_Intersects(g.geom, a.g3006)
)"""

PS_SQL = """
ps AS MATERIALIZED (
  SELECT s.id, s.name, s.enrolled_children, s.location, s.archived_at,
         ST_X(t.l) AS x, ST_Y(t.l) AS y, ST_X(s.location) AS lon, ST_Y(s.location) AS lat
  FROM preschool s CROSS JOIN LATERAL (SELECT ST_Transform(s.location, 3006) AS l) t
  WHERE s.municipality_id = :muni
)"""

PLACES_SQL = "".join((PS_SQL, """,
units AS MATERIALIZED (  -- (campaign, preschool): do all its places rest on k children?
  SELECT campaign_id, preschool_id, sum(most) >= :k AS ok
  FROM (SELECT campaign_id, preschool_id, session_id, max(children_count) AS most
        FROM place WHERE deleted_at IS NULL AND municipality_id = :muni
          AND campaign_id = ANY(:campaigns) GROUP BY 1, 2, 3) t
  GROUP BY 1, 2
),
pl AS MATERIALIZED (
  SELECT sid, pid, cat, feeling, season, age_group, answer, n, key, psx, psy,
         floor(ST_X(g) / :base)::int AS ci, floor(ST_Y(g) / :base)::int AS cj
  FROM (  -- OFFSET 0 keeps this a separate step: each place is transformed once
    SELECT p.session_id AS sid, p.preschool_id AS pid, p.category_id AS cat, p.feeling,
           p.season, p.age_group, coalesce(r.status, '{no_answer}') AS answer,
           p.children_count AS n, p.stat_key AS key, ps.x AS psx, ps.y AS psy,
           ST_Transform(CASE WHEN GeometryType(p.geom) = 'POINT' THEN p.geom
                             ELSE ST_PointOnSurface(p.geom) END, 3006) AS g
    FROM place p JOIN ps ON ps.id = p.preschool_id
    JOIN units u ON u.campaign_id = p.campaign_id AND u.preschool_id = p.preschool_id AND u.ok
    LEFT JOIN place_response r ON r.place_id = p.id AND r.replaced_at IS NULL
    WHERE {where} OFFSET 0) q
  WHERE {in_cells}
),
atoms AS MATERIALIZED (
  SELECT sid, pid, feeling, cat, season, age_group, answer, ci, cj, most,
         places + {noise_places} AS places, children + {noise_children} AS children,
         x, y, sqrt(power(x - psx, 2) + power(y - psy, 2)) AS dist
  FROM (
    SELECT *, (ci + 0.5::float8) * :base AS x, (cj + 0.5::float8) * :base AS y
    FROM (SELECT sid, pid, feeling, cat, season, age_group, answer, ci, cj,
                 min(psx) AS psx, min(psy) AS psy, count(*) AS places, sum(n) AS children,
                 max(n) AS most, sum(key) AS key_sum
          FROM pl GROUP BY sid, pid, feeling, cat, season, age_group, answer, ci, cj) a) b
)"""))

HEX_SQL = """
cell_hex AS (  -- each base square's hexagon, from the square's centre
  SELECT ci, cj, CASE WHEN da <= db THEN i0 ELSE i0 + 1 END AS hi,
         CASE WHEN da <= db THEN ja ELSE jb END AS hj
  FROM (
    SELECT *, power(x - :w * i0, 2) + power(y - (:h * ja + mod(abs(i0), 2) * :h / 2), 2) AS da,
              power(x - :w * (i0 + 1), 2)
                + power(y - (:h * jb + mod(abs(i0 + 1), 2) * :h / 2), 2) AS db
    FROM (
      SELECT *, round((y - mod(abs(i0), 2) * :h / 2) / :h)::int AS ja,
                round((y - mod(abs(i0 + 1), 2) * :h / 2) / :h)::int AS jb
      FROM (SELECT ci, cj, x, y, floor(x / :w)::int AS i0
            FROM (SELECT DISTINCT ci, cj, x, y FROM atoms) d OFFSET 0) a) b) c
),
hx AS (
  SELECT a.feeling, a.sid, a.places, a.children, a.most, c.hi, c.hj
  FROM atoms a JOIN cell_hex c USING (ci, cj)
),
hex AS (
  SELECT feeling, hi AS i, hj AS j, sum(places)::int AS places, sum(children)::int AS children,
         sum(most)::int AS children_min
  FROM (SELECT feeling, hi, hj, sid, sum(places) AS places, sum(children) AS children,
               max(most) AS most
        FROM hx GROUP BY feeling, hi, hj, sid) t
  GROUP BY feeling, hi, hj
),
heat AS (
  SELECT qi AS i, qj AS j, sum(places)::int AS places, sum(children)::int AS children,
         sum(most)::int AS children_min
  FROM (SELECT floor(x / :q)::int AS qi, floor(y / :q)::int AS qj, sid, sum(places) AS places,
               sum(children) AS children, max(most) AS most
        FROM atoms WHERE feeling = 'favourite' GROUP BY 1, 2, 3) t
  GROUP BY qi, qj
)"""

DIMS_SQL = """
dims AS (
  SELECT g, feeling, category, season, age_group, band, preschool, answer, language,
         sum(places)::int AS places, sum(children)::int AS children,
         sum(most)::int AS children_min
  FROM (
    SELECT GROUPING(feeling, cat, season, age_group, band, pid, answer, language) AS g,
           feeling, cat AS category, season, age_group, band, pid AS preschool, answer,
           language, sid, sum(places) AS places, sum(children) AS children, max(most) AS most
    FROM (SELECT a.*, coalesce(ms.language, '{no_language}') AS language,
                 CASE WHEN dist <= 250 THEN 250 WHEN dist <= 500 THEN 500
                      WHEN dist <= 1000 THEN 1000 ELSE 0 END AS band
          FROM atoms a LEFT JOIN mapping_session ms ON ms.id = a.sid) b
    GROUP BY GROUPING SETS ((sid), (feeling, sid), (feeling, cat, sid), (season, sid),
                            (age_group, sid), (feeling, band, sid), (pid, sid),
                            (answer, sid), (language, sid))) t
  GROUP BY g, feeling, category, season, age_group, band, preschool, answer, language
)"""

PARTICIPATION_SQL = """
scope_ps AS (
  SELECT ps.* FROM ps
  WHERE {ps_scope}
    AND (ps.archived_at IS NULL OR ps.id IN (SELECT preschool_id FROM mapping_session
                                             WHERE campaign_id = ANY(:campaigns)))
),
unit_sessions AS (  -- each unit's sessions and children present by the sessions' language,
                    -- perturbed once (the atoms every participation figure adds up)
  SELECT ms.preschool_id, coalesce(ms.language, '{no_language}') AS language,
         coalesce(bool_and(u.ok), false) AS ok, count(*) + {noise_sessions} AS sessions,
         sum(ms.children_present) + {noise_present} AS present,
         sum(ms.children_present) AS present_min
  FROM mapping_session ms LEFT JOIN units u ON u.campaign_id = ms.campaign_id
                                            AND u.preschool_id = ms.preschool_id
  WHERE ms.municipality_id = :muni AND ms.campaign_id = ANY(:campaigns)
  GROUP BY ms.campaign_id, ms.preschool_id, coalesce(ms.language, '{no_language}')
),
languages AS (  -- the shown units' sessions per language (true present_min for the rule)
  SELECT us.language, sum(us.sessions)::int AS sessions, sum(us.present)::int AS present,
         sum(us.present_min)::int AS present_min
  FROM unit_sessions us JOIN scope_ps sp ON sp.id = us.preschool_id
  WHERE us.ok GROUP BY us.language
),
participation AS (
  SELECT sp.id AS preschool, sp.name, sp.enrolled_children AS enrolled,
         coalesce(sum(us.sessions) FILTER (WHERE us.ok), 0)::int AS sessions,
         coalesce(sum(us.present) FILTER (WHERE us.ok), 0)::int AS children,
         count(us.ok) FILTER (WHERE us.ok)::int AS units_shown,
         count(us.ok) FILTER (WHERE NOT us.ok)::int AS units_withheld
  FROM scope_ps sp LEFT JOIN unit_sessions us ON us.preschool_id = sp.id
  GROUP BY sp.id, sp.name, sp.enrolled_children
),
plans AS (
  SELECT pa.id, pa.name, pa.geom, ST_Transform(pa.geom, 3006) AS g3006 FROM plan_area pa
  WHERE pa.municipality_id = :muni
    AND ((SELECT geom FROM scope_area) IS NULL
         OR ST_Intersects(pa.geom, (SELECT geom FROM scope_area)))
),
plan_cells AS (  -- the base squares each plan area covers or touches
  SELECT pa.id, g.i, g.j FROM plans pa CROSS JOIN LATERAL ST_SquareGrid(:base, pa.g3006) g
  WHERE ST_Intersects(g.geom, pa.g3006)
),
plan_hits AS (
  SELECT id, feeling, sum(places)::int AS places, sum(children)::int AS children,
         sum(most)::int AS children_min
  FROM (SELECT c.id, a.feeling, a.sid, sum(a.places) AS places, sum(a.children) AS children,
               max(a.most) AS most
        FROM plan_cells c JOIN atoms a ON a.ci = c.i AND a.cj = c.j GROUP BY 1, 2, 3) t
  GROUP BY id, feeling
)"""

CELL_COLUMNS = ("i", "j", "places", "children", "children_min")


def _columns(cte: str, names: tuple[str, ...]) -> str:
    """A CTE's rows as one JSON object of columns (one array each, in the same order: the
    aggregates of one SELECT see its rows in one pass): 17,000 hexagons and 64,000 heat
    squares decode into a few arrays rather than 80,000 objects."""
    arrays = ", ".join(f"'{name}', json_agg({name})" for name in names)
    return f"(SELECT json_build_object({arrays}) FROM {cte})"  # noqa: S608 - our names


RESULT_SQL = f"""
SELECT json_build_object(
  'hex', {_columns("hex", ("feeling", *CELL_COLUMNS))},
  'heat', {_columns("heat", CELL_COLUMNS)},
  'dims', (SELECT coalesce(json_agg(dims), '[]') FROM dims),
  'participation', (SELECT coalesce(json_agg(participation ORDER BY name), '[]')
                    FROM participation),
  'languages', (SELECT coalesce(json_agg(languages ORDER BY language), '[]') FROM languages),
  'plans', (SELECT coalesce(json_agg(json_build_object(
                'id', pa.id, 'name', pa.name,
                'geojson', ST_AsGeoJSON(ST_SimplifyPreserveTopology(pa.geom, 0.00002), 6)::json,
                'geojson_3006', ST_AsGeoJSON(ST_SimplifyPreserveTopology(pa.g3006, 1), 1)::json,
                'hits', (SELECT coalesce(json_agg(plan_hits), '[]') FROM plan_hits
                         WHERE plan_hits.id = pa.id)) ORDER BY pa.name), '[]') FROM plans pa),
  'preschools', (SELECT coalesce(json_agg(json_build_object(
                'id', id, 'name', name, 'lon', lon, 'lat', lat, 'x', x, 'y', y)
                ORDER BY name), '[]') FROM scope_ps),
  'scope_outline', (SELECT json_build_object(
                'geojson', ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.00002), 6)::json,
                'geojson_3006', ST_AsGeoJSON(ST_SimplifyPreserveTopology(g3006, 1), 1)::json)
                FROM scope_area WHERE geom IS NOT NULL),
  'categories', (SELECT json_agg(json_build_object('id', id, 'code', code, 'label_sv', label_sv,
                'label_en', label_en, 'labels', labels, 'colour', colour) ORDER BY sort_order)
                FROM category)
)"""  # noqa: S608 - only this module's text


def _ps_scope(filters: ReportFilters) -> str:
    if filters.scope == "preschool":
        return "ps.id = :preschool"
    if filters.scope in SPATIAL_SCOPES:  # a preschool whose base square the area takes in
        return ("(floor(ps.x / :base)::int, floor(ps.y / :base)::int) "
                "IN (SELECT i, j FROM scope_cells)")
    return "true"


def _sql(filters: ReportFilters) -> str:
    """The report's one statement (every fragment is this module's own text)."""
    where, _params = scope_sql(filters)
    area_sql, _area_params = scope_area_sql(filters)
    spatial = filters.scope in SPATIAL_SCOPES
    in_cells = ("(floor(ST_X(g) / :base)::int, floor(ST_Y(g) / :base)::int) "
                "IN (SELECT i, j FROM scope_cells)") if spatial else "true"
    places = PLACES_SQL.format(
        where=where, no_answer=NO_ANSWER, in_cells=in_cells,
        noise_places=noise_sql("key_sum", "places"),
        noise_children=noise_sql("key_sum", "children"))
    participation = PARTICIPATION_SQL.format(
        ps_scope=_ps_scope(filters), no_language=NO_LANGUAGE,
        noise_sessions=noise_sql("sum(ms.stat_key)", "sessions"),
        noise_present=noise_sql("sum(ms.stat_key)", "present"))
    dims = DIMS_SQL.format(no_language=NO_LANGUAGE)
    return ("WITH" + AREA_SQL.format(area=area_sql, spatial="true" if spatial else "false")
            + "," + places + "," + HEX_SQL + "," + dims + "," + participation + RESULT_SQL)


def collect(session: Session, filters: ReportFilters, k: int) -> RawReport:
    """All groups of a report in one statement, from every place (today's path: the
    reports read kept figures, reports/kept.py, and tests compare the two)."""
    return run(session, _sql(filters), filters, k)


def run(session: Session, sql: str, filters: ReportFilters, k: int) -> RawReport:
    """Run a report statement (this module's or kept.py's) and take its groups apart."""
    _where, params = scope_sql(filters)
    _area, area_params = scope_area_sql(filters)
    w, h = hex_constants(filters.cell)
    heat_cell = heat_cell_size(filters.cell)
    params.update(area_params, w=w, h=h, q=float(heat_cell), base=BASE_CELL, k=k,
                  cell=filters.cell, heat=heat_cell)
    session.execute(text("SET LOCAL work_mem = '256MB'"))
    data = session.execute(text(sql), params).scalar_one()
    all_bits = (1 << len(DIMENSIONS)) - 1  # GROUPING() of the total: every dimension off
    total = next((d for d in data["dims"] if d["g"] == all_bits), None)
    return RawReport(
        cell=filters.cell, heat_cell=heat_cell,
        total=total or {"places": 0, "children": 0, "children_min": 0},
        hex=cell_columns(data["hex"], ("feeling", *CELL_COLUMNS)),
        heat=cell_columns(data["heat"], CELL_COLUMNS), dims=data["dims"],
        participation=data["participation"], plans=data["plans"],
        preschools=data["preschools"], scope_outline=data["scope_outline"],
        categories=data["categories"] or [], languages=data["languages"])


def cell_columns(data: dict, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """``_columns``'s JSON as numpy arrays (every one empty when there was no row)."""
    return {name: np.array(data[name] or [], dtype=object if name == "feeling" else np.int64)
            for name in names}


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
  -- every change a report shows, hard deletes included, gives its unit a new version
  -- (report_unit, kept by triggers: migration 0011)
  (SELECT json_build_array(count(*), sum(version)) FROM report_unit
   WHERE municipality_id = :muni),
  (SELECT max(updated_at) FROM place),
  (SELECT json_build_array(count(*), max(created_at), sum(children_present))
   FROM mapping_session WHERE municipality_id = :muni),
  (SELECT json_build_array(count(*), sum(hashtext(concat_ws(':', id, name,
              enrolled_children, archived_at, ST_X(location), ST_Y(location)))::bigint))
   FROM preschool WHERE municipality_id = :muni),
  (SELECT json_build_array(count(*), max(id), max(created_at)) FROM plan_area
   WHERE municipality_id = :muni),
  (SELECT md5(string_agg(concat_ws(':', id, code, label_sv, label_en, labels, colour), ','
                         ORDER BY id)) FROM category),
  (SELECT md5(string_agg(concat_ws(':', id, name, status), ',' ORDER BY id)) FROM campaign
   WHERE municipality_id = :muni),
  -- a new answer adds a row (and marks the one it replaces): the count and the newest
  (SELECT json_build_array(count(*), max(created_at)) FROM place_response
   WHERE municipality_id = :muni)
)::text"""


def data_version(session: Session, municipality_id: int) -> str:
    """A string that changes whenever anything a municipality's report shows changes (a
    hash: the raw counts behind it are not published)."""
    raw = session.execute(text(VERSION_SQL), {"muni": municipality_id}).scalar_one()
    return hashlib.sha256(raw.encode()).hexdigest()[:20]
