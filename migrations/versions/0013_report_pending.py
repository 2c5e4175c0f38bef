"""report_pending: the places' changes wait for the next report instead of the writer

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-03

Migration 0011's triggers recomputed the figures of every unit a write touched, before
and after it, inside the writer's transaction: a tablet's place cost 6-7 times as much
as without them, and every write of a campaign queued for the same total rows of
report_figure. Now a trigger only appends its changes (report_change rows, as before) to
``report_pending``, a plain append-only table no writer ever waits on, and
``report_kept_refresh()`` applies everything pending (report_apply_now, 0011's
report_apply as it was: the touched units' figures before and after, the difference
added) in one batch, in its own transaction, one refresher at a time. A report calls it
before it reads (smultron/reports/kept.py), so its first view after a change reads
kept figures brought up to date by the changes since the last view, never every place:
the cost follows the units changed since then, not the table.

report_kept_rebuild() takes the refresher's lock and empties report_pending (it computes
everything from the places), and TRUNCATE of place empties it too.
"""
from alembic import op

revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None

# The one advisory lock (bigint key space) that lets one refresher at a time apply the
# pending changes: hashtext('report_kept_refresh').
REFRESH_LOCK = "pg_advisory_xact_lock(hashtext('report_kept_refresh')::bigint)"
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
  PERFORM report_apply_now(batch);
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
CREATE OR REPLACE FUNCTION report_place_change(p place, d int, answer text, language text,
                                               location geometry) RETURNS report_change
LANGUAGE sql IMMUTABLE AS $$
  SELECT ROW(p.municipality_id, p.campaign_id, p.preschool_id, p.session_id, p.feeling,
             p.category_id, p.season, p.age_group, coalesce(answer, 'none'),
             coalesce(language, 'unknown'),
             CASE WHEN dist <= 250 THEN 250 WHEN dist <= 500 THEN 500
                  WHEN dist <= 1000 THEN 1000 ELSE 0 END,
             ci, cj, p.children_count, d, d * p.stat_key::bigint)::report_change
  FROM (SELECT ci, cj, sqrt(power((ci + 0.5::float8) * 250 - ST_X(l), 2)
                            + power((cj + 0.5::float8) * 250 - ST_Y(l), 2)) AS dist
        FROM (SELECT floor(ST_X(g) / 250)::int AS ci, floor(ST_Y(g) / 250)::int AS cj,
                     ST_Transform(location, 3006) AS l
              FROM (SELECT ST_Transform(CASE WHEN GeometryType(p.geom) = 'POINT' THEN p.geom
                                             ELSE ST_PointOnSurface(p.geom) END, 3006) AS g) a
             ) b) c
$$;
DROP TRIGGER report_pending_truncate ON place;
DROP FUNCTION report_pending_truncate();
DROP FUNCTION report_kept_rebuild();
ALTER FUNCTION report_kept_rebuild_now() RENAME TO report_kept_rebuild;
DROP FUNCTION report_kept_refresh();
DROP FUNCTION report_apply(report_change[]);
ALTER FUNCTION report_apply_now(report_change[]) RENAME TO report_apply;
DROP TABLE report_pending;
"""


def upgrade() -> None:
    op.execute(UPGRADE.replace("{REFRESH_LOCK}", REFRESH_LOCK).replace("{COLUMNS}", COLUMNS)
               .replace("{KEY}", KEY))


def downgrade() -> None:
    op.execute(DOWNGRADE)
