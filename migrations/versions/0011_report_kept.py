"""report_atom, report_unit, report_figure: the reports' figures, kept by triggers

Revision ID: 0011
Revises: 0012
Create Date: 2026-12-02

A report's first view after a change reads kept figures instead of every place
(smultron/reports/kept.py says how they are read). Three tables, kept by
statement-level triggers with transition tables (as place_cell, migration 0002):

- ``report_atom``: the places of one mapping session per atom of aggregate.py (base
  square, feeling, category, season, age group, planners' answer; its language and
  distance band ride along) and children_count: how many places and the sum of their
  record keys. Exact sums, changed by the delta of each statement.
- ``report_unit``: each (campaign, preschool)'s children_min (its sessions' largest
  children_count, added up: the rule that leaves small units out) and a version.
- ``report_figure``: every figure of a municipality report (hexagons of every offered
  size, heat squares, the tables' groups) per campaign and *bucket* = the unit's
  children_min (at most 100): a report for threshold k adds up the rows with bucket >= k,
  so the anonymity rule is today's for every k <= 100. The perturbed counts and
  children_min of a unit are computed from its atoms before and after a change (under
  an advisory lock on the unit) and the difference is added: cost proportional to the
  unit, never to the table.

A place's answer comes from place_response (its trigger moves the place's atom); a
place hard-deleted with its answers finds the answer in report_answer_gone, where a
row-level BEFORE DELETE trigger left it (the cascade removes the answers first). A session's language and a preschool's location (distance
bands) have triggers too. A bulk load that skips triggers (session_replication_role =
replica) calls report_kept_rebuild() afterwards.
"""
from alembic import op

revision = '0011'
down_revision = '0012'
branch_labels = None
depends_on = None

TABLES = """
CREATE TABLE report_atom (
  municipality_id int NOT NULL, campaign_id int NOT NULL, preschool_id int NOT NULL,
  session_id uuid NOT NULL, feeling text NOT NULL, category_id int NOT NULL,
  season text NOT NULL, age_group text NOT NULL, answer text NOT NULL, language text NOT NULL,
  band int NOT NULL, ci int NOT NULL, cj int NOT NULL, children_count int NOT NULL,
  places int NOT NULL, key_sum bigint NOT NULL,
  CONSTRAINT pk_report_atom PRIMARY KEY (municipality_id, campaign_id, preschool_id,
    session_id, feeling, category_id, season, age_group, answer, language, band, ci, cj,
    children_count));
CREATE INDEX ix_report_atom_square ON report_atom (municipality_id, ci, cj);
CREATE TABLE report_unit (
  municipality_id int NOT NULL, campaign_id int NOT NULL, preschool_id int NOT NULL,
  children_min int NOT NULL, version bigint NOT NULL,
  CONSTRAINT pk_report_unit PRIMARY KEY (municipality_id, campaign_id, preschool_id));
CREATE TABLE report_figure (
  municipality_id int NOT NULL, campaign_id int NOT NULL, bucket smallint NOT NULL,
  kind smallint NOT NULL, g int NOT NULL, feeling text NOT NULL, category int NOT NULL,
  season text NOT NULL, age_group text NOT NULL, band int NOT NULL, preschool int NOT NULL,
  answer text NOT NULL, language text NOT NULL, i int NOT NULL, j int NOT NULL,
  places int NOT NULL, children int NOT NULL, children_min int NOT NULL,
  CONSTRAINT pk_report_figure PRIMARY KEY (municipality_id, campaign_id, bucket, kind, g,
    feeling, category, season, age_group, band, preschool, answer, language, i, j));
CREATE TABLE report_answer_gone (
  place_id uuid NOT NULL, status text NOT NULL,
  CONSTRAINT pk_report_answer_gone PRIMARY KEY (place_id));
CREATE SEQUENCE report_version;
"""

# The arithmetic of smultron/reports/aggregate.py and perturbation.py, as it was when this
# revision was written (BASE_CELL 250 m, bands 250/500/1000 m, the multipliers of
# places and children); tests/test_reports_kept.py checks that both give equal reports.
# ST_HexagonGrid's hexagon (edge ``size``) whose centre is nearest to each atom's square
# centre, as aggregate.HEX_SQL computes it (inline: a function call per atom is slow).
HEXAGONS = """
SELECT *, CASE WHEN da <= db THEN i0 ELSE i0 + 1 END AS hi,
       CASE WHEN da <= db THEN ja ELSE jb END AS hj
FROM (
  SELECT *, power(x - w * i0, 2) + power(y - (h * ja + mod(abs(i0), 2) * h / 2), 2) AS da,
            power(x - w * (i0 + 1), 2)
              + power(y - (h * jb + mod(abs(i0 + 1), 2) * h / 2), 2) AS db
  FROM (SELECT *, round((y - mod(abs(i0), 2) * h / 2) / h)::int AS ja,
                  round((y - mod(abs(i0 + 1), 2) * h / 2) / h)::int AS jb
        FROM (SELECT *, floor(x / w)::int AS i0
              FROM (SELECT a.*, s.size, 1.5::float8 * s.size AS w, sqrt(3::float8) * s.size AS h
                    FROM a CROSS JOIN (VALUES (250), (500), (1000)) s(size)) c
              OFFSET 0) b) d) e"""


def _noise(key_sum: str, multiplier: int) -> str:
    """perturbation.noise_sql as it was: -1, 0 or +1 from the key sum's top two bits."""
    lookup = f"(({key_sum}) % 4294967296 * {multiplier} % 4294967296)"
    return (f"(CASE WHEN {lookup} < 1073741824 THEN -1 "
            f"WHEN {lookup} >= 3221225472 THEN 1 ELSE 0 END)")


FUNCTIONS = """
CREATE TYPE report_change AS (
  municipality_id int, campaign_id int, preschool_id int, session_id uuid, feeling text,
  category_id int, season text, age_group text, answer text, language text, band int,
  ci int, cj int, children_count int, places int, key_sum bigint);

-- One place's piece of an atom (d = +1 or -1), with its answer, its session's language
-- and its preschool's location (EPSG:4326) given by the caller.
CREATE FUNCTION report_place_change(p place, d int, answer text, language text,
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

-- Every figure of the given changes' units, from their atoms as they are now (PL/pgSQL:
-- its plan is kept for the session, a SQL function's would be made on every call).
CREATE FUNCTION report_unit_figures(changes report_change[]) RETURNS SETOF report_figure
LANGUAGE plpgsql STABLE AS $$
BEGIN
RETURN QUERY
WITH units AS (SELECT DISTINCT municipality_id, campaign_id, preschool_id FROM unnest(changes)),
atoms AS MATERIALIZED (
  SELECT muni, cam, pid, sid, feeling, cat, season, age_group, answer, language, band, ci, cj,
         most, places + {noise_places} AS places, children + {noise_children} AS children
  FROM (SELECT a.municipality_id AS muni, a.campaign_id AS cam, a.preschool_id AS pid,
               a.session_id AS sid, a.feeling, a.category_id AS cat, a.season, a.age_group,
               a.answer, a.language, a.band, a.ci, a.cj, sum(a.places) AS places,
               sum(a.places * a.children_count) AS children, max(a.children_count) AS most,
               sum(a.key_sum)::bigint AS key_sum
        FROM report_atom a JOIN units u USING (municipality_id, campaign_id, preschool_id)
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13) t
),
a AS MATERIALIZED (  -- bucket: the unit's children_min (its sessions' largest, added up)
  SELECT *, least(sum(CASE WHEN first THEN session_most END)
                    OVER (PARTITION BY muni, cam, pid), 100)::smallint AS bucket
  FROM (SELECT atoms.*, (ci + 0.5::float8) * 250 AS x, (cj + 0.5::float8) * 250 AS y,
               max(most) OVER (PARTITION BY muni, cam, pid, sid) AS session_most,
               row_number() OVER (PARTITION BY muni, cam, pid, sid) = 1 AS first
        FROM atoms) w
),
hex AS (
  SELECT muni, cam, bucket, 1::smallint AS kind, size AS g, feeling, -1 AS category,
         '' AS season, '' AS age_group, -1 AS band, -1 AS preschool, '' AS answer,
         '' AS language, hi AS i, hj AS j, sum(places)::int AS places,
         sum(children)::int AS children, sum(most)::int AS children_min
  FROM (SELECT muni, cam, bucket, size, feeling, hi, hj, sid, sum(places) AS places,
               sum(children) AS children, max(most) AS most
        FROM ({hexagons}) hx
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) t
  GROUP BY muni, cam, bucket, size, feeling, hi, hj
),
heat AS (
  SELECT muni, cam, bucket, 2::smallint AS kind, q AS g, '' AS feeling, -1 AS category,
         '' AS season, '' AS age_group, -1 AS band, -1 AS preschool, '' AS answer,
         '' AS language, qi AS i, qj AS j, sum(places)::int AS places,
         sum(children)::int AS children, sum(most)::int AS children_min
  FROM (SELECT muni, cam, bucket, q, floor(x / q)::int AS qi, floor(y / q)::int AS qj, sid,
               sum(places) AS places, sum(children) AS children, max(most) AS most
        FROM a CROSS JOIN (VALUES (250), (500)) s(q)
        WHERE feeling = 'favourite' GROUP BY 1, 2, 3, 4, 5, 6, 7) t
  GROUP BY muni, cam, bucket, q, qi, qj
),
dims AS (
  SELECT muni, cam, bucket, 0::smallint AS kind, g, coalesce(feeling, '') AS feeling,
         coalesce(cat, -1) AS category, coalesce(season, '') AS season,
         coalesce(age_group, '') AS age_group, coalesce(band, -1) AS band,
         coalesce(pid, -1) AS preschool, coalesce(answer, '') AS answer,
         coalesce(language, '') AS language, 0 AS i, 0 AS j, sum(places)::int AS places,
         sum(children)::int AS children, sum(most)::int AS children_min
  FROM (SELECT muni, cam, bucket,
               GROUPING(feeling, cat, season, age_group, band, pid, answer, language) AS g,
               feeling, cat, season, age_group, band, pid, answer, language, sid,
               sum(places) AS places, sum(children) AS children, max(most) AS most
        FROM a
        GROUP BY muni, cam, bucket,
                 GROUPING SETS ((sid), (feeling, sid), (feeling, cat, sid), (season, sid),
                                (age_group, sid), (feeling, band, sid), (pid, sid),
                                (answer, sid), (language, sid))) t
  GROUP BY muni, cam, bucket, g, feeling, cat, season, age_group, band, pid, answer, language
)
SELECT * FROM hex UNION ALL SELECT * FROM heat UNION ALL SELECT * FROM dims;
END $$;

CREATE FUNCTION report_apply(changes report_change[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  net report_change[];
  before report_figure[];
  unit record;
BEGIN
  net := ARRAY(
    SELECT ROW(municipality_id, campaign_id, preschool_id, session_id, feeling, category_id,
               season, age_group, answer, language, band, ci, cj, children_count,
               sum(places), sum(key_sum))::report_change
    FROM unnest(changes)
    GROUP BY municipality_id, campaign_id, preschool_id, session_id, feeling, category_id,
             season, age_group, answer, language, band, ci, cj, children_count
    HAVING sum(places) <> 0 OR sum(key_sum) <> 0
    ORDER BY 1);  -- the composite's fields in order: one lock order for every writer
  IF cardinality(net) = 0 THEN
    RETURN;
  END IF;
  -- One writer per unit at a time, in one order: each statement below then reads what
  -- the unit's earlier writers committed.
  FOR unit IN SELECT DISTINCT campaign_id, preschool_id FROM unnest(net) ORDER BY 1, 2 LOOP
    PERFORM pg_advisory_xact_lock(unit.campaign_id, unit.preschool_id);
  END LOOP;
  before := ARRAY(SELECT f FROM report_unit_figures(net) f);
  INSERT INTO report_atom AS t
  SELECT c.* FROM unnest(net) c
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
  INSERT INTO report_figure AS t
  SELECT municipality_id, campaign_id, bucket, kind, g, feeling, category, season, age_group,
         band, preschool, answer, language, i, j, sum(places), sum(children), sum(children_min)
  FROM (SELECT municipality_id, campaign_id, bucket, kind, g, feeling, category, season,
               age_group, band, preschool, answer, language, i, j, -places AS places,
               -children AS children, -children_min AS children_min FROM unnest(before)
        UNION ALL SELECT * FROM report_unit_figures(net)) d
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
  HAVING sum(places) <> 0 OR sum(children) <> 0 OR sum(children_min) <> 0
  ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15  -- one lock order
  ON CONFLICT ON CONSTRAINT pk_report_figure DO UPDATE SET
    places = t.places + EXCLUDED.places, children = t.children + EXCLUDED.children,
    children_min = t.children_min + EXCLUDED.children_min;
  -- A figure no unit adds to any more (children_min is at least 1 per unit that does).
  DELETE FROM report_figure t USING unnest(before) b
  WHERE t.children_min <= 0
    AND (t.municipality_id, t.campaign_id, t.bucket, t.kind, t.g, t.feeling, t.category,
         t.season, t.age_group, t.band, t.preschool, t.answer, t.language, t.i, t.j)
      = (b.municipality_id, b.campaign_id, b.bucket, b.kind, b.g, b.feeling, b.category,
         b.season, b.age_group, b.band, b.preschool, b.answer, b.language, b.i, b.j);
  DELETE FROM report_unit t USING (SELECT DISTINCT municipality_id, campaign_id, preschool_id
                                   FROM unnest(net)) u
  WHERE (t.municipality_id, t.campaign_id, t.preschool_id)
      = (u.municipality_id, u.campaign_id, u.preschool_id);
  INSERT INTO report_unit
  SELECT municipality_id, campaign_id, preschool_id, sum(most), nextval('report_version')
  FROM (SELECT a.municipality_id, a.campaign_id, a.preschool_id, a.session_id,
               max(a.children_count) AS most
        FROM report_atom a
        JOIN (SELECT DISTINCT municipality_id, campaign_id, preschool_id FROM unnest(net)) u
          USING (municipality_id, campaign_id, preschool_id)
        GROUP BY 1, 2, 3, 4) s
  GROUP BY 1, 2, 3;
END $$;

CREATE FUNCTION report_place_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM report_apply(ARRAY(
      SELECT report_place_change(n, 1, r.status, ms.language, s.location)
      FROM new_rows n JOIN preschool s ON s.id = n.preschool_id
      LEFT JOIN mapping_session ms ON ms.id = n.session_id
      LEFT JOIN place_response r ON r.place_id = n.id AND r.replaced_at IS NULL
      WHERE n.deleted_at IS NULL));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM report_apply(ARRAY(
      SELECT report_place_change(o, -1, coalesce(gone.status, r.status), ms.language,
                                 s.location)
      FROM old_rows o JOIN preschool s ON s.id = o.preschool_id
      LEFT JOIN mapping_session ms ON ms.id = o.session_id
      LEFT JOIN place_response r ON r.place_id = o.id AND r.replaced_at IS NULL
      LEFT JOIN report_answer_gone gone ON gone.place_id = o.id
      WHERE o.deleted_at IS NULL));
    DELETE FROM report_answer_gone g USING old_rows o WHERE g.place_id = o.id;
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM report_apply(ARRAY(
      SELECT report_place_change(o, -1, r.status, ms.language, s.location)
      FROM old_rows o JOIN preschool s ON s.id = o.preschool_id
      LEFT JOIN mapping_session ms ON ms.id = o.session_id
      LEFT JOIN place_response r ON r.place_id = o.id AND r.replaced_at IS NULL
      WHERE o.deleted_at IS NULL
      UNION ALL
      SELECT report_place_change(n, 1, r.status, ms.language, s.location)
      FROM new_rows n JOIN preschool s ON s.id = n.preschool_id
      LEFT JOIN mapping_session ms ON ms.id = n.session_id
      LEFT JOIN place_response r ON r.place_id = n.id AND r.replaced_at IS NULL
      WHERE n.deleted_at IS NULL));
  ELSE  -- TRUNCATE
    DELETE FROM report_atom;
    DELETE FROM report_figure;
    DELETE FROM report_unit;
    DELETE FROM report_answer_gone;
  END IF;
  RETURN NULL;
END $$;

-- A place about to be deleted: its answer, before the answers go with it (ON DELETE
-- CASCADE runs before the statement's own trigger sees the place gone).
CREATE FUNCTION report_place_answer_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_answer_gone
  SELECT OLD.id, r.status FROM place_response r
  WHERE r.place_id = OLD.id AND r.replaced_at IS NULL
  ON CONFLICT (place_id) DO UPDATE SET status = EXCLUDED.status;
  RETURN OLD;
END $$;

-- A place's answer changed: its piece moves from the answer it had to the one it has.
CREATE TYPE report_answer_move AS (place_id uuid, was text, now text);

CREATE FUNCTION report_answers_moved(olds place_response[], news place_response[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  moves report_answer_move[];
BEGIN
  moves := ARRAY(
    WITH affected AS (SELECT place_id FROM unnest(olds)
                      UNION SELECT place_id FROM unnest(news)),
    before AS (
      SELECT place_id, status FROM unnest(olds) WHERE replaced_at IS NULL
      UNION ALL
      SELECT r.place_id, r.status FROM place_response r JOIN affected USING (place_id)
      WHERE r.replaced_at IS NULL AND r.id NOT IN (SELECT id FROM unnest(news))
    ),
    after AS (SELECT r.place_id, r.status FROM place_response r JOIN affected USING (place_id)
              WHERE r.replaced_at IS NULL)
    SELECT ROW(a.place_id, b.status, f.status)::report_answer_move FROM affected a
    LEFT JOIN before b USING (place_id) LEFT JOIN after f USING (place_id)
    WHERE b.status IS DISTINCT FROM f.status);
  IF cardinality(moves) = 0 THEN
    RETURN;
  END IF;
  -- (a place deleted with its answers is gone: its own triggers saw to its piece)
  PERFORM report_apply(ARRAY(
    SELECT report_place_change(p, d.d, CASE WHEN d.d < 0 THEN m.was ELSE m.now END,
                               ms.language, s.location)
    FROM unnest(moves) m JOIN place p ON p.id = m.place_id
    CROSS JOIN (VALUES (-1), (1)) d(d)
    JOIN preschool s ON s.id = p.preschool_id LEFT JOIN mapping_session ms ON ms.id = p.session_id
    WHERE p.deleted_at IS NULL));
END $$;

CREATE FUNCTION report_answer_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM report_answers_moved('{}', ARRAY(SELECT ROW(n.*)::place_response FROM new_rows n));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM report_answers_moved(ARRAY(SELECT ROW(o.*)::place_response FROM old_rows o), '{}');
  ELSE
    PERFORM report_answers_moved(ARRAY(SELECT ROW(o.*)::place_response FROM old_rows o),
                                 ARRAY(SELECT ROW(n.*)::place_response FROM new_rows n));
  END IF;
  RETURN NULL;
END $$;

-- A session's language changed: its places move to the new language.
CREATE FUNCTION report_session_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_apply(ARRAY(
    SELECT report_place_change(p, d.d, r.status, d.language, s.location)
    FROM (SELECT o.id, o.language, -1 AS d FROM old_rows o JOIN new_rows n USING (id)
          WHERE o.language IS DISTINCT FROM n.language
          UNION ALL
          SELECT n.id, n.language, 1 FROM old_rows o JOIN new_rows n USING (id)
          WHERE o.language IS DISTINCT FROM n.language) d
    JOIN place p ON p.session_id = d.id JOIN preschool s ON s.id = p.preschool_id
    LEFT JOIN place_response r ON r.place_id = p.id AND r.replaced_at IS NULL
    WHERE p.deleted_at IS NULL));
  RETURN NULL;
END $$;

-- A preschool moved: its places' distance bands change.
CREATE FUNCTION report_preschool_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_apply(ARRAY(
    SELECT report_place_change(p, d.d, r.status, ms.language, d.location)
    FROM (SELECT o.id, o.location, -1 AS d FROM old_rows o JOIN new_rows n USING (id)
          WHERE o.location IS DISTINCT FROM n.location
          UNION ALL
          SELECT n.id, n.location, 1 FROM old_rows o JOIN new_rows n USING (id)
          WHERE o.location IS DISTINCT FROM n.location) d
    JOIN place p ON p.preschool_id = d.id
    LEFT JOIN mapping_session ms ON ms.id = p.session_id
    LEFT JOIN place_response r ON r.place_id = p.id AND r.replaced_at IS NULL
    WHERE p.deleted_at IS NULL));
  RETURN NULL;
END $$;

CREATE TRIGGER report_place_insert AFTER INSERT ON place REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_place_keep();
CREATE TRIGGER report_place_update AFTER UPDATE ON place
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_place_keep();
CREATE TRIGGER report_place_delete AFTER DELETE ON place REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_place_keep();
CREATE TRIGGER report_place_answer BEFORE DELETE ON place
  FOR EACH ROW EXECUTE FUNCTION report_place_answer_keep();
CREATE TRIGGER report_place_truncate AFTER TRUNCATE ON place
  FOR EACH STATEMENT EXECUTE FUNCTION report_place_keep();
CREATE TRIGGER report_answer_insert AFTER INSERT ON place_response
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_answer_keep();
CREATE TRIGGER report_answer_update AFTER UPDATE ON place_response
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_answer_keep();
CREATE TRIGGER report_answer_delete AFTER DELETE ON place_response
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_answer_keep();
CREATE TRIGGER report_session_update AFTER UPDATE ON mapping_session
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_session_keep();
CREATE TRIGGER report_preschool_update AFTER UPDATE ON preschool
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_preschool_keep();

-- Everything again from the places (after a load that skipped the triggers).
CREATE FUNCTION report_kept_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  everything report_change[];
BEGIN
  DELETE FROM report_atom;
  DELETE FROM report_figure;
  DELETE FROM report_unit;
  DELETE FROM report_answer_gone;
  INSERT INTO report_atom
  SELECT municipality_id, campaign_id, preschool_id, session_id, feeling, category_id, season,
         age_group, answer, language, band, ci, cj, children_count, sum(places), sum(key_sum)
  FROM (SELECT c.*  -- in FROM: one call per place ((f()).* would call it per column)
        FROM place p JOIN preschool s ON s.id = p.preschool_id
        LEFT JOIN mapping_session ms ON ms.id = p.session_id
        LEFT JOIN place_response r ON r.place_id = p.id AND r.replaced_at IS NULL
        CROSS JOIN LATERAL report_place_change(p, 1, r.status, ms.language, s.location) c
        WHERE p.deleted_at IS NULL) c
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14;
  everything := ARRAY(
    SELECT ROW(municipality_id, campaign_id, preschool_id, NULL, NULL, NULL, NULL, NULL, NULL,
               NULL, NULL, NULL, NULL, NULL, 0, 0)::report_change
    FROM (SELECT DISTINCT municipality_id, campaign_id, preschool_id FROM report_atom) u);
  INSERT INTO report_figure
  SELECT municipality_id, campaign_id, bucket, kind, g, feeling, category, season, age_group,
         band, preschool, answer, language, i, j, sum(places), sum(children), sum(children_min)
  FROM report_unit_figures(everything)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15;
  INSERT INTO report_unit
  SELECT municipality_id, campaign_id, preschool_id, sum(most), nextval('report_version')
  FROM (SELECT municipality_id, campaign_id, preschool_id, session_id,
               max(children_count) AS most
        FROM report_atom GROUP BY 1, 2, 3, 4) s
  GROUP BY 1, 2, 3;
END $$;
"""

DROP = """
DROP TRIGGER report_place_insert ON place;
DROP TRIGGER report_place_update ON place;
DROP TRIGGER report_place_delete ON place;
DROP TRIGGER report_place_truncate ON place;
DROP TRIGGER report_place_answer ON place;
DROP TRIGGER report_answer_insert ON place_response;
DROP TRIGGER report_answer_update ON place_response;
DROP TRIGGER report_answer_delete ON place_response;
DROP TRIGGER report_session_update ON mapping_session;
DROP TRIGGER report_preschool_update ON preschool;
DROP FUNCTION report_kept_rebuild();
DROP FUNCTION report_preschool_keep();
DROP FUNCTION report_session_keep();
DROP FUNCTION report_answer_keep();
DROP FUNCTION report_answers_moved(place_response[], place_response[]);
DROP FUNCTION report_place_keep();
DROP FUNCTION report_place_answer_keep();
DROP FUNCTION report_apply(report_change[]);
DROP FUNCTION report_unit_figures(report_change[]);
DROP FUNCTION report_place_change(place, int, text, text, geometry);
DROP TYPE report_change;
DROP TYPE report_answer_move;
DROP SEQUENCE report_version;
DROP TABLE report_answer_gone;
DROP TABLE report_figure;
DROP TABLE report_unit;
DROP TABLE report_atom;
"""


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(FUNCTIONS.replace("{hexagons}", HEXAGONS)
               .replace("{noise_places}", _noise("key_sum", 0x5BD1E995))
               .replace("{noise_children}", _noise("key_sum", 0x27D4EB2D)))
    op.execute("SELECT report_kept_rebuild()")


def downgrade() -> None:
    op.execute(DROP)
