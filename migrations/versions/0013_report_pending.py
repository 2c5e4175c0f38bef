"""report_pending: the places' changes wait for the next report instead of the writer

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-03

Migration 0011's triggers recomputed the figures of every unit a write touched, before
and after it, inside the writer's transaction: a tablet's place cost 6-7 times as much
as without them, and every write of a campaign queued for the same total rows of
report_figure. Now a trigger only appends its changes (report_change rows, as before) to
``report_pending``, a plain append-only table no writer ever waits on, and
``report_kept_refresh()`` applies everything pending in one batch, one refresher at a
time. A report calls it before it reads (smultron/reports/kept.py), so its first view
after a change reads kept figures brought up to date by the changes since the last view.

The batch is applied session by session (``report_apply_sessions``): every figure is a
sum over mapping sessions (each session's perturbed atoms, and its largest children_count
in the figure), so the touched sessions' figures are computed before and after and the
difference added, in the bucket of their unit. When a unit's children_min crosses into
another bucket (it stops at 100, so this happens while a unit is small), all that unit's
sessions move. The cost follows the sessions changed since the last view, never the
table nor the size of a unit. 0011's report_apply stays as report_apply_now (for the
downgrade); its figures' SQL is read from 0011, not copied.

report_kept_rebuild() takes the refresher's lock and empties report_pending (it computes
everything from the places), and TRUNCATE of place empties it too.
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None



def _revision_0011():
    """Migration 0011's module (frozen): its figures' SQL is reused, not copied."""
    spec = importlib.util.spec_from_file_location(
        "smultron_migration_0011", Path(__file__).with_name("0011_report_kept.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The one advisory lock (bigint key space) that lets one refresher at a time apply the
# pending changes: hashtext('report_kept_refresh').
REFRESH_LOCK = "pg_advisory_xact_lock(hashtext('report_kept_refresh')::bigint)"
FIGURE_KEY = ("municipality_id, campaign_id, bucket, kind, g, feeling, category, season, "
              "age_group, band, preschool, answer, language, i, j")
KEY = ("municipality_id, campaign_id, preschool_id, session_id, feeling, category_id, "
       "season, age_group, answer, language, band, ci, cj, children_count")
COLUMNS = ("municipality_id, campaign_id, preschool_id, session_id, feeling, category_id, "
           "season, age_group, answer, language, band, ci, cj, children_count, places, key_sum")

UPGRADE = """
CREATE TABLE report_pending (
  seq bigint GENERATED ALWAYS AS IDENTITY,
  municipality_id int NOT NULL, campaign_id int NOT NULL, preschool_id int NOT NULL,
  session_id uuid NOT NULL, feeling text NOT NULL, category_id int NOT NULL,
  season text NOT NULL, age_group text NOT NULL, answer text NOT NULL, language text NOT NULL,
  band int NOT NULL, ci int NOT NULL, cj int NOT NULL, children_count int NOT NULL,
  places int NOT NULL, key_sum bigint NOT NULL,
  CONSTRAINT pk_report_pending PRIMARY KEY (seq));

-- A report reads one kind and size of figure of one municipality (a hexagon layer, the
-- heat squares, the tables): without this it read the whole table three times.
CREATE INDEX ix_report_figure_read ON report_figure (municipality_id, kind, g, campaign_id,
                                                    bucket);

ALTER FUNCTION report_apply(report_change[]) RENAME TO report_apply_now;

-- What every trigger of 0011 calls: the changes wait in report_pending, netted (a place
-- moved within its base square, or edited in a way no report shows, adds nothing). In
-- PL/pgSQL, as report_place_change below: its plans are kept for the connection, where a
-- SQL function's are made again on every call (a third of the trigger's time).
CREATE FUNCTION report_apply(changes report_change[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_pending ({COLUMNS})
  SELECT {KEY}, sum(places), sum(key_sum) FROM unnest(changes)
  GROUP BY {KEY} HAVING sum(places) <> 0 OR sum(key_sum) <> 0;
END $$;

-- 0011's report_place_change, the same arithmetic, in PL/pgSQL.
CREATE OR REPLACE FUNCTION report_place_change(p place, d int, answer text, language text,
                                               location geometry) RETURNS report_change
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  g geometry := ST_Transform(CASE WHEN GeometryType(p.geom) = 'POINT' THEN p.geom
                                  ELSE ST_PointOnSurface(p.geom) END, 3006);
  l geometry := ST_Transform(location, 3006);
  ci int := floor(ST_X(g) / 250)::int;
  cj int := floor(ST_Y(g) / 250)::int;
  dist float8 := sqrt(power((ci + 0.5::float8) * 250 - ST_X(l), 2)
                      + power((cj + 0.5::float8) * 250 - ST_Y(l), 2));
BEGIN
  RETURN ROW(p.municipality_id, p.campaign_id, p.preschool_id, p.session_id, p.feeling,
             p.category_id, p.season, p.age_group, coalesce(answer, 'none'),
             coalesce(language, 'unknown'),
             CASE WHEN dist <= 250 THEN 250 WHEN dist <= 500 THEN 500
                  WHEN dist <= 1000 THEN 1000 ELSE 0 END,
             ci, cj, p.children_count, d, d * p.stat_key::bigint)::report_change;
END $$;

-- A session of a unit, and the bucket (the unit's children_min, at most 100) its figures
-- are counted in.
CREATE TYPE report_pick AS (municipality_id int, campaign_id int, preschool_id int,
                            session_id uuid, bucket smallint);
-- A unit's bucket before and after a batch (NULL: the unit has no place).
CREATE TYPE report_bucket_move AS (municipality_id int, campaign_id int, preschool_id int,
                                   was smallint, now smallint);

-- The figures of the picked sessions alone (every figure is a sum over sessions: each
-- session's perturbed atoms and its largest children_count per figure), counted in the
-- given buckets: 0011's report_unit_figures for part of a unit.
CREATE FUNCTION report_session_figures(picks report_pick[]) RETURNS SETOF report_figure
LANGUAGE plpgsql STABLE AS $$
BEGIN
RETURN QUERY
WITH picked AS MATERIALIZED (SELECT DISTINCT * FROM unnest(picks)),
atoms AS MATERIALIZED (
  SELECT muni, cam, pid, sid, bucket, feeling, cat, season, age_group, answer, language,
         band, ci, cj, most, places + {noise_places} AS places,
         children + {noise_children} AS children
  FROM (SELECT a.municipality_id AS muni, a.campaign_id AS cam, a.preschool_id AS pid,
               a.session_id AS sid, p.bucket, a.feeling, a.category_id AS cat, a.season,
               a.age_group, a.answer, a.language, a.band, a.ci, a.cj, sum(a.places) AS places,
               sum(a.places * a.children_count) AS children, max(a.children_count) AS most,
               sum(a.key_sum)::bigint AS key_sum
        FROM report_atom a
        JOIN picked p USING (municipality_id, campaign_id, preschool_id, session_id)
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14) t
),
a AS (SELECT atoms.*, (ci + 0.5::float8) * 250 AS x, (cj + 0.5::float8) * 250 AS y
      FROM atoms),
{figures}
SELECT * FROM hex UNION ALL SELECT * FROM heat UNION ALL SELECT * FROM dims;
END $$;

-- A batch of changes, applied session by session: the touched sessions' figures before
-- and after are subtracted and added; a unit whose bucket moves has all its sessions'
-- figures moved from the old bucket to the new one. Cost: the touched sessions (and, the
-- rare time a unit's children_min crosses a bucket, that unit), never the table.
CREATE FUNCTION report_apply_sessions(changes report_change[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  net report_change[];
  touched report_pick[];
  moves report_bucket_move[];
  before report_figure[];
  after report_figure[];
BEGIN
  net := ARRAY(
    SELECT ROW({KEY}, sum(places), sum(key_sum))::report_change FROM unnest(changes)
    GROUP BY {KEY} HAVING sum(places) <> 0 OR sum(key_sum) <> 0);
  IF cardinality(net) = 0 THEN
    RETURN;
  END IF;
  touched := ARRAY(SELECT DISTINCT ROW(municipality_id, campaign_id, preschool_id, session_id,
                                       NULL)::report_pick FROM unnest(net));
  moves := ARRAY(
    SELECT ROW(t.municipality_id, t.campaign_id, t.preschool_id,
               least(u.children_min, 100), NULL)::report_bucket_move
    FROM (SELECT DISTINCT municipality_id, campaign_id, preschool_id FROM unnest(net)) t
    LEFT JOIN report_unit u USING (municipality_id, campaign_id, preschool_id));
  before := ARRAY(SELECT f FROM report_session_figures(ARRAY(
    SELECT ROW(t.municipality_id, t.campaign_id, t.preschool_id, t.session_id, m.was)::report_pick
    FROM unnest(touched) t JOIN unnest(moves) m USING (municipality_id, campaign_id, preschool_id)
    WHERE m.was IS NOT NULL)) f);
  INSERT INTO report_atom AS t
  SELECT c.* FROM unnest(net) c ORDER BY {KEY}
  ON CONFLICT ON CONSTRAINT pk_report_atom DO UPDATE SET
    places = t.places + EXCLUDED.places, key_sum = t.key_sum + EXCLUDED.key_sum;
  DELETE FROM report_atom t USING unnest(net) c
  WHERE t.places <= 0
    AND (t.municipality_id, t.campaign_id, t.preschool_id, t.session_id, t.feeling,
         t.category_id, t.season, t.age_group, t.answer, t.language, t.band, t.ci, t.cj,
         t.children_count)
      = (c.municipality_id, c.campaign_id, c.preschool_id, c.session_id, c.feeling,
         c.category_id, c.season, c.age_group, c.answer, c.language, c.band, c.ci, c.cj,
         c.children_count);
  DELETE FROM report_unit t USING unnest(moves) m
  WHERE (t.municipality_id, t.campaign_id, t.preschool_id)
      = (m.municipality_id, m.campaign_id, m.preschool_id);
  INSERT INTO report_unit
  SELECT municipality_id, campaign_id, preschool_id, sum(most), nextval('report_version')
  FROM (SELECT a.municipality_id, a.campaign_id, a.preschool_id, a.session_id,
               max(a.children_count) AS most
        FROM report_atom a JOIN unnest(moves) m
          USING (municipality_id, campaign_id, preschool_id)
        GROUP BY 1, 2, 3, 4) s
  GROUP BY 1, 2, 3;
  moves := ARRAY(
    SELECT ROW(m.municipality_id, m.campaign_id, m.preschool_id, m.was,
               least(u.children_min, 100))::report_bucket_move
    FROM unnest(moves) m LEFT JOIN report_unit u USING (municipality_id, campaign_id, preschool_id));
  -- A unit whose bucket moved: its untouched sessions leave the old bucket too.
  before := before || ARRAY(SELECT f FROM report_session_figures(ARRAY(
    SELECT DISTINCT ROW(a.municipality_id, a.campaign_id, a.preschool_id, a.session_id,
                        m.was)::report_pick
    FROM report_atom a JOIN unnest(moves) m USING (municipality_id, campaign_id, preschool_id)
    WHERE m.was IS NOT NULL AND m.was IS DISTINCT FROM m.now
      AND (a.municipality_id, a.campaign_id, a.preschool_id, a.session_id) NOT IN (
        SELECT municipality_id, campaign_id, preschool_id, session_id FROM unnest(touched)))) f);
  after := ARRAY(SELECT f FROM report_session_figures(ARRAY(
    SELECT ROW(t.municipality_id, t.campaign_id, t.preschool_id, t.session_id, m.now)::report_pick
    FROM unnest(touched) t JOIN unnest(moves) m USING (municipality_id, campaign_id, preschool_id)
    WHERE m.now IS NOT NULL AND m.was IS NOT DISTINCT FROM m.now
    UNION
    SELECT DISTINCT ROW(a.municipality_id, a.campaign_id, a.preschool_id, a.session_id,
                        m.now)::report_pick
    FROM report_atom a JOIN unnest(moves) m USING (municipality_id, campaign_id, preschool_id)
    WHERE m.now IS NOT NULL AND m.was IS DISTINCT FROM m.now)) f);
  INSERT INTO report_figure AS t
  SELECT {FIGURE_KEY}, sum(places), sum(children), sum(children_min)
  FROM (SELECT {FIGURE_KEY}, -places AS places, -children AS children,
               -children_min AS children_min FROM unnest(before)
        UNION ALL SELECT * FROM unnest(after)) d
  GROUP BY {FIGURE_KEY}
  HAVING sum(places) <> 0 OR sum(children) <> 0 OR sum(children_min) <> 0
  ORDER BY {FIGURE_KEY}
  ON CONFLICT ON CONSTRAINT pk_report_figure DO UPDATE SET
    places = t.places + EXCLUDED.places, children = t.children + EXCLUDED.children,
    children_min = t.children_min + EXCLUDED.children_min;
  -- A figure no session adds to any more (children_min is at least 1 per one that does).
  DELETE FROM report_figure t USING unnest(before) b
  WHERE t.children_min <= 0
    AND (t.municipality_id, t.campaign_id, t.bucket, t.kind, t.g, t.feeling, t.category,
         t.season, t.age_group, t.band, t.preschool, t.answer, t.language, t.i, t.j)
      = (b.municipality_id, b.campaign_id, b.bucket, b.kind, b.g, b.feeling, b.category,
         b.season, b.age_group, b.band, b.preschool, b.answer, b.language, b.i, b.j);
END $$;

-- Apply every committed pending change (on a standby: nothing, it is read only). Returns
-- how many were applied.
CREATE FUNCTION report_kept_refresh() RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  batch report_change[];
BEGIN
  IF pg_is_in_recovery() OR NOT EXISTS (SELECT 1 FROM report_pending) THEN
    RETURN 0;
  END IF;
  PERFORM {REFRESH_LOCK};
  WITH taken AS (DELETE FROM report_pending RETURNING {COLUMNS})
  SELECT array_agg(ROW({COLUMNS})::report_change) INTO batch FROM taken;
  IF batch IS NULL THEN  -- another refresher took them while this one waited
    RETURN 0;
  END IF;
  PERFORM report_apply_sessions(batch);
  RETURN cardinality(batch);
END $$;

ALTER FUNCTION report_kept_rebuild() RENAME TO report_kept_rebuild_now;
CREATE FUNCTION report_kept_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM {REFRESH_LOCK};
  DELETE FROM report_pending;
  PERFORM report_kept_rebuild_now();
END $$;

-- TRUNCATE place: 0011's trigger empties the kept tables; the pending changes go too.
CREATE FUNCTION report_pending_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM report_pending;
  RETURN NULL;
END $$;
CREATE TRIGGER report_pending_truncate AFTER TRUNCATE ON place
  FOR EACH STATEMENT EXECUTE FUNCTION report_pending_truncate();
"""

DOWNGRADE = """
SELECT report_kept_refresh();
{report_place_change_0011}
DROP TRIGGER report_pending_truncate ON place;
DROP FUNCTION report_pending_truncate();
DROP FUNCTION report_kept_rebuild();
ALTER FUNCTION report_kept_rebuild_now() RENAME TO report_kept_rebuild;
DROP FUNCTION report_kept_refresh();
DROP FUNCTION report_apply_sessions(report_change[]);
DROP FUNCTION report_session_figures(report_pick[]);
DROP TYPE report_bucket_move;
DROP TYPE report_pick;
DROP FUNCTION report_apply(report_change[]);
ALTER FUNCTION report_apply_now(report_change[]) RENAME TO report_apply;
DROP TABLE report_pending;
DROP INDEX ix_report_figure_read;
"""


def upgrade() -> None:
    m0011 = _revision_0011()
    figures = m0011.FUNCTIONS[m0011.FUNCTIONS.index("hex AS (\n"):
                              m0011.FUNCTIONS.index("SELECT * FROM hex UNION ALL")]
    op.execute(UPGRADE.replace("{figures}", figures).replace("{hexagons}", m0011.HEXAGONS)
               .replace("{noise_places}", m0011._noise("key_sum", 0x5BD1E995))
               .replace("{noise_children}", m0011._noise("key_sum", 0x27D4EB2D))
               .replace("{REFRESH_LOCK}", REFRESH_LOCK).replace("{COLUMNS}", COLUMNS)
               .replace("{FIGURE_KEY}", FIGURE_KEY).replace("{KEY}", KEY))


def downgrade() -> None:
    body = _revision_0011().FUNCTIONS
    start = body.index("CREATE FUNCTION report_place_change(")
    sql_version = body[start:body.index("$$;", start) + 3]
    op.execute(DOWNGRADE.replace("{report_place_change_0011}",
                                 sql_version.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")))
