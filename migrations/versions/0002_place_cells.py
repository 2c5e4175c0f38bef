"""place_cell: places counted per map grid cell, kept by triggers on place

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

The cluster tiles (zoom 10–13) and the overview's per-preschool counts read these
counts instead of aggregating millions of places on a map's first view. A cluster tile of
zoom z has 32 x 32 cells, the tiles of zoom z + 5: levels 15–18 are kept.
Statement-level triggers with transition tables apply the change of each INSERT, UPDATE
and DELETE on place in one upsert, in key order; a bulk load that skips triggers
(session_replication_role = replica) calls place_cell_rebuild() afterwards.
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Levels 15-18 (generate_series below) are smultron.places.tiles.KEPT_CELL_LEVELS.
FUNCTIONS = """
CREATE TYPE place_cell_change AS (
  lon float8, lat float8, preschool_id int, campaign_id int, children int, scary int,
  sign int);

-- A place's change: its bounding box's centre (as the cluster tiles use), +1 or -1.
CREATE FUNCTION place_cell_change(p place, sign int) RETURNS place_cell_change
LANGUAGE sql IMMUTABLE AS $$
  SELECT ROW((ST_XMin(p.geom) + ST_XMax(p.geom)) / 2, (ST_YMin(p.geom) + ST_YMax(p.geom)) / 2,
             p.preschool_id, p.campaign_id, p.children_count,
             (p.feeling = 'scary')::int, sign)::place_cell_change
$$;

-- The tile grid's column and row at a zoom level (Web Mercator, as the map's tiles).
CREATE FUNCTION place_cell_x(lon float8, level int) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT least(greatest(floor((lon + 180) / 360 * 2 ^ level), 0), 2 ^ level - 1)::int
$$;
CREATE FUNCTION place_cell_y(lat float8, level int) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT least(greatest(floor((1 - ln(tan(radians(least(greatest(lat, -85), 85)))
                                      + 1 / cos(radians(least(greatest(lat, -85), 85))))
                                  / pi()) / 2 * 2 ^ level), 0), 2 ^ level - 1)::int
$$;

CREATE FUNCTION place_cell_apply(changes place_cell_change[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO place_cell AS t (level, cx, cy, preschool_id, campaign_id, count, children,
                               scary, sum_lon, sum_lat)
  SELECT l.level, place_cell_x(c.lon, l.level), place_cell_y(c.lat, l.level),
         c.preschool_id, c.campaign_id, sum(c.sign), sum(c.sign * c.children),
         sum(c.sign * c.scary), sum(c.sign * c.lon), sum(c.sign * c.lat)
  FROM unnest(changes) c, generate_series(15, 18) AS l(level)
  GROUP BY 1, 2, 3, 4, 5
  HAVING sum(c.sign) <> 0 OR sum(c.sign * c.children) <> 0 OR sum(c.sign * c.scary) <> 0
      OR sum(c.sign * c.lon) <> 0 OR sum(c.sign * c.lat) <> 0
  ORDER BY 1, 2, 3, 4, 5  -- one lock order for every writer
  ON CONFLICT (level, cx, cy, preschool_id, campaign_id) DO UPDATE SET
    count = t.count + EXCLUDED.count, children = t.children + EXCLUDED.children,
    scary = t.scary + EXCLUDED.scary, sum_lon = t.sum_lon + EXCLUDED.sum_lon,
    sum_lat = t.sum_lat + EXCLUDED.sum_lat;
  -- A cell whose last place went away is removed.
  DELETE FROM place_cell t
  USING (SELECT DISTINCT l.level, place_cell_x(c.lon, l.level) AS cx,
                place_cell_y(c.lat, l.level) AS cy, c.preschool_id, c.campaign_id
         FROM unnest(changes) c, generate_series(15, 18) AS l(level)
         WHERE c.sign < 0) k
  WHERE t.count <= 0 AND (t.level, t.cx, t.cy, t.preschool_id, t.campaign_id)
                       = (k.level, k.cx, k.cy, k.preschool_id, k.campaign_id);
END $$;

CREATE FUNCTION place_cell_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM place_cell_apply(ARRAY(
      SELECT place_cell_change(n, 1) FROM new_rows n WHERE n.deleted_at IS NULL));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM place_cell_apply(ARRAY(
      SELECT place_cell_change(o, -1) FROM old_rows o WHERE o.deleted_at IS NULL));
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM place_cell_apply(ARRAY(
      SELECT place_cell_change(o, -1) FROM old_rows o WHERE o.deleted_at IS NULL
      UNION ALL
      SELECT place_cell_change(n, 1) FROM new_rows n WHERE n.deleted_at IS NULL));
  ELSE  -- TRUNCATE
    DELETE FROM place_cell;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER place_cell_insert AFTER INSERT ON place REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION place_cell_keep();
CREATE TRIGGER place_cell_update AFTER UPDATE ON place
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION place_cell_keep();
CREATE TRIGGER place_cell_delete AFTER DELETE ON place REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION place_cell_keep();
CREATE TRIGGER place_cell_truncate AFTER TRUNCATE ON place
  FOR EACH STATEMENT EXECUTE FUNCTION place_cell_keep();

-- Every count again from the places (after a load that skipped the triggers): the
-- finest level from the places, each coarser one from the level below (a cell of level
-- L - 1 is the four cells of level L with cx >> 1, cy >> 1: the grid's scale is a power
-- of two, so this is the same cell place_cell_x/y give).
CREATE FUNCTION place_cell_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM place_cell;
  INSERT INTO place_cell (level, cx, cy, preschool_id, campaign_id, count, children, scary,
                          sum_lon, sum_lat)
  SELECT 18, place_cell_x(lon, 18), place_cell_y(lat, 18), preschool_id, campaign_id,
         count(*), sum(children_count), sum(scary), sum(lon), sum(lat)
  FROM (SELECT (ST_XMin(geom) + ST_XMax(geom)) / 2 AS lon,
               (ST_YMin(geom) + ST_YMax(geom)) / 2 AS lat, preschool_id, campaign_id,
               children_count, (feeling = 'scary')::int AS scary
        FROM place WHERE deleted_at IS NULL) p
  GROUP BY 1, 2, 3, 4, 5;
  FOR coarser IN REVERSE 17..15 LOOP
    INSERT INTO place_cell (level, cx, cy, preschool_id, campaign_id, count, children, scary,
                            sum_lon, sum_lat)
    SELECT coarser, cx >> 1, cy >> 1, preschool_id, campaign_id, sum(count), sum(children),
           sum(scary), sum(sum_lon), sum(sum_lat)
    FROM place_cell WHERE level = coarser + 1
    GROUP BY 1, 2, 3, 4, 5;
  END LOOP;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        'place_cell',
        sa.Column('level', sa.SmallInteger(), nullable=False),
        sa.Column('cx', sa.Integer(), nullable=False),
        sa.Column('cy', sa.Integer(), nullable=False),
        sa.Column('preschool_id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('children', sa.Integer(), nullable=False),
        sa.Column('scary', sa.Integer(), nullable=False),
        sa.Column('sum_lon', sa.Double(), nullable=False),
        sa.Column('sum_lat', sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint('level', 'cx', 'cy', 'preschool_id', 'campaign_id',
                                name=op.f('pk_place_cell')),
    )
    op.execute(FUNCTIONS)
    op.execute("SELECT place_cell_rebuild()")


def downgrade() -> None:
    for event in ('insert', 'update', 'delete', 'truncate'):
        op.execute(f'DROP TRIGGER place_cell_{event} ON place')
    for function in ('place_cell_keep()', 'place_cell_rebuild()',
                     'place_cell_apply(place_cell_change[])', 'place_cell_x(float8, int)',
                     'place_cell_y(float8, int)', 'place_cell_change(place, int)'):
        op.execute(f'DROP FUNCTION {function}')
    op.execute('DROP TYPE place_cell_change')
    op.drop_table('place_cell')
