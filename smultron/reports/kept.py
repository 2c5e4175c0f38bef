"""Reports from kept figures: what aggregate.py computes from every place, read from the
tables the database keeps as places change (migration 0011, statement-level triggers).

- ``report_atom``: aggregate.py's atoms (one mapping session's places in one base
  square with one feeling, category, season, age group and answer), per children_count,
  with their places and the sum of their record keys: each atom's perturbation is the
  same as from the places.
- ``report_unit``: each (campaign, preschool)'s children_min, the rule that leaves the
  small units out.
- ``report_figure``: every figure of a municipality report (hexagons of each offered
  size, heat squares, every table's groups: perturbed counts and children_min) per
  campaign and bucket (the unit's children_min, at most ``MAX_K``): the units that rest
  on k children are the buckets >= k, so no figure mixes a left-out unit in.

The triggers only append each change to ``report_pending`` (migration 0013): ``refresh``
applies what is pending, in the caller's transaction, before a report reads (the web layer
does it on the primary and commits, so that a replica sees it too).

A municipality report adds up report_figure's rows (one per figure and bucket, not one
per place); its plan areas' hits read the atoms of the base squares they cover (bounded
by the plan areas). A preschool, a plan area or a drawn district, and a threshold above
``MAX_K``, read the atoms of the scope. Participation reads the mapping sessions, as
before. The anonymity rule is anonymity.publish's, on the same groups: tests compare
every report with aggregate.collect's (from the places).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from smultron.reports import aggregate
from smultron.reports.aggregate import (
    AREA_SQL,
    DIMS_SQL,
    HEX_SQL,
    NO_LANGUAGE,
    PARTICIPATION_SQL,
    PS_SQL,
    RESULT_SQL,
    SPATIAL_SCOPES,
    RawReport,
)
from smultron.reports.filters import ReportFilters, scope_area_sql
from smultron.reports.perturbation import noise_sql

MAX_K = 100  # report_figure keeps buckets up to this children_min (migration 0011)

UNITS_SQL = """
units AS MATERIALIZED (  -- (campaign, preschool): do all its places rest on k children?
  SELECT campaign_id, preschool_id, children_min >= :k AS ok FROM report_unit
  WHERE municipality_id = :muni AND campaign_id = ANY(:campaigns)
)"""

PLAN_SQUARES_SQL = """
plan_squares AS MATERIALIZED (  -- the base squares the municipality's plan areas touch
  SELECT DISTINCT g.i, g.j
  FROM (SELECT ST_Transform(geom, 3006) AS g3006 FROM plan_area
        WHERE municipality_id = :muni) pa
  CROSS JOIN LATERAL ST_SquareGrid(:base, pa.g3006) g WHERE ST_Intersects(g.geom, pa.g3006)
)"""

ATOMS_SQL = """
atoms AS MATERIALIZED (
  SELECT sid, pid, feeling, cat, season, age_group, answer, ci, cj, most,
         places + {noise_places} AS places, children + {noise_children} AS children,
         x, y, sqrt(power(x - psx, 2) + power(y - psy, 2)) AS dist
  FROM (
    SELECT *, (ci + 0.5::float8) * :base AS x, (cj + 0.5::float8) * :base AS y
    FROM (SELECT a.session_id AS sid, a.preschool_id AS pid, a.feeling, a.category_id AS cat,
                 a.season, a.age_group, a.answer, a.ci, a.cj, min(ps.x) AS psx,
                 min(ps.y) AS psy, sum(a.places) AS places,
                 sum(a.places * a.children_count) AS children, max(a.children_count) AS most,
                 sum(a.key_sum)::bigint AS key_sum
          FROM report_atom a JOIN ps ON ps.id = a.preschool_id
          JOIN units u ON u.campaign_id = a.campaign_id AND u.preschool_id = a.preschool_id
                      AND u.ok
          WHERE a.municipality_id = :muni AND a.campaign_id = ANY(:campaigns) AND {where}
          GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9) a) b
)"""

_FIGURES = ("FROM report_figure WHERE municipality_id = :muni AND campaign_id = ANY(:campaigns)"
            " AND bucket >= :k AND ")
_SUMS = ("sum(places)::int AS places, sum(children)::int AS children, "
         "sum(children_min)::int AS children_min")
FIGURES_SQL = f"""
hex AS (SELECT feeling, i, j, {_SUMS} {_FIGURES} kind = 1 AND g = :cell GROUP BY feeling, i, j),
heat AS (SELECT i, j, {_SUMS} {_FIGURES} kind = 2 AND g = :heat GROUP BY i, j),
dims AS (
  SELECT g, nullif(feeling, '') AS feeling, nullif(category, -1) AS category,
         nullif(season, '') AS season, nullif(age_group, '') AS age_group,
         nullif(band, -1) AS band, nullif(preschool, -1) AS preschool,
         nullif(answer, '') AS answer, nullif(language, '') AS language, {_SUMS}
  {_FIGURES} kind = 0
  GROUP BY g, feeling, category, season, age_group, band, preschool, answer, language
)"""


def _atoms(where: str) -> str:
    return ATOMS_SQL.format(where=where, noise_places=noise_sql("key_sum", "places"),
                            noise_children=noise_sql("key_sum", "children"))


def _participation(filters: ReportFilters) -> str:
    return PARTICIPATION_SQL.format(
        ps_scope=aggregate._ps_scope(filters), no_language=NO_LANGUAGE,
        noise_sessions=noise_sql("sum(ms.stat_key)", "sessions"),
        noise_present=noise_sql("sum(ms.stat_key)", "present"))


def refresh(session: Session) -> int:
    """Apply the places' pending changes to the kept tables (one refresher at a time; on
    a standby nothing): how many were applied. The caller commits."""
    return session.execute(text("SELECT report_kept_refresh()")).scalar_one()


def uses_figures(filters: ReportFilters, k: int) -> bool:
    """A municipality report at a threshold report_figure's buckets tell apart."""
    return filters.scope == "municipality" and 1 <= k <= MAX_K


def sql(filters: ReportFilters, k: int) -> str:
    """The report's one statement on the kept tables (every fragment is this package's)."""
    area_sql, _params = scope_area_sql(filters)
    spatial = filters.scope in SPATIAL_SCOPES
    head = ("WITH" + AREA_SQL.format(area=area_sql, spatial="true" if spatial else "false")
            + "," + PS_SQL + "," + UNITS_SQL + ",")
    if uses_figures(filters, k):
        return "".join((head, PLAN_SQUARES_SQL, ",",
                        _atoms("(a.ci, a.cj) IN (SELECT i, j FROM plan_squares)"), ",",
                        FIGURES_SQL, ",", _participation(filters), RESULT_SQL))
    if filters.scope == "preschool":
        where = "a.preschool_id = :preschool"
    elif spatial:
        where = "(a.ci, a.cj) IN (SELECT i, j FROM scope_cells)"
    else:
        where = "true"
    return "".join((head, _atoms(where), ",", HEX_SQL, ",",
                    DIMS_SQL.format(no_language=NO_LANGUAGE), ",", _participation(filters),
                    RESULT_SQL))


def collect(session: Session, filters: ReportFilters, k: int) -> RawReport:
    """All groups of a report from the kept tables (equal to aggregate.collect's)."""
    return aggregate.run(session, sql(filters, k), filters, k)
