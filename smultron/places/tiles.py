"""Vector tiles of places (Mapbox Vector Tile, built by PostGIS with ST_AsMVT).

A tile never carries unbounded rows. Below ``DETAIL_ZOOM`` places are clustered on a
grid of ``GRID`` x ``GRID`` cells per tile (layer ``clusters``: one point per cell with
its place count, at the cells' mean position); from ``DETAIL_ZOOM`` on, each place is a
feature (layer ``places``), unless the tile would hold more than ``MAX_DETAIL_FEATURES``,
in which case it is clustered too. No cluster tile scans the places below it: the
database keeps the count of places per grid cell, preschool and campaign (table
``place_cell``, kept by triggers), and a zoom 10–13 tile sums its 32 x 32 cells from it.
Up to ``PRESCHOOL_ZOOM`` (a whole region or country in view) the clusters are built from
per-preschool counts (each preschool's places at the preschool), summed from the same
table and kept for a while (``preschool_counts``).
Cluster tiles are kept the same way (in an LRU per process), so a map that many people
look at is drawn from memory; single places (``DETAIL_ZOOM`` and closer) are always live.
Access follows the Viewer: staff see their own preschools' places, planners and admins
all, officials none (they read reports).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.orm import Session

from smultron.core.access import Viewer
from smultron.core.errors import AppError
from smultron.core.geo import extent, leaflet_bounds
from smultron.core.messages import M
from smultron.models import Preschool

MAX_ZOOM = 22
DETAIL_ZOOM = 14
GRID = 32  # cluster cells per tile side (a cell is 8 px on a 256 px tile)
CELL_SHIFT = 5  # GRID = 2**CELL_SHIFT: a tile's cells are the tiles CELL_SHIFT zooms closer
KEPT_CELL_LEVELS = range(15, 19)  # what place_cell keeps (migration 0002)
EXTENT = 4096  # MVT coordinate space per tile side
MAX_DETAIL_FEATURES = 5_000
PRESCHOOL_ZOOM = 9
COUNTS_FRESH_SECONDS = 30  # counts are recomputed after a change once they are this old
COUNTS_MAX_AGE_SECONDS = 300  # … and always after this long
CONTENT_TYPE = "application/vnd.mapbox-vector-tile"


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int

    def __post_init__(self):
        if not (0 <= self.z <= MAX_ZOOM and 0 <= self.x < 2**self.z and 0 <= self.y < 2**self.z):
            raise AppError(M("There is no tile %(tile)s (zoom 0–%(max)s, x and y from 0 to "
                             "2^zoom − 1).", tile=f"{self.z}/{self.x}/{self.y}", max=MAX_ZOOM),
                           404)


@dataclass(frozen=True)
class TileFilter:
    campaign: int | None = None
    preschool: int | None = None


def _where(viewer: Viewer, filters: TileFilter, alias: str = "p") -> tuple[str, dict]:
    """The WHERE clause (after the tile's bounding box) and its parameters, on the place
    table (``p``) or place_cell (``c``, which holds no deleted places)."""
    access, params = viewer.preschool_sql(alias + ".preschool_id")
    clauses = ["p.deleted_at IS NULL" if alias == "p" else "TRUE", access]
    if filters.campaign is not None:
        clauses.append(f"{alias}.campaign_id = :campaign")
        params["campaign"] = filters.campaign
    if filters.preschool is not None:
        clauses.append(f"{alias}.preschool_id = :preschool")
        params["preschool"] = filters.preschool
    return " AND ".join(clauses), params


# The tile's envelope in EPSG:3857 and the same rectangle in EPSG:4326 (a Web Mercator
# tile is a longitude/latitude rectangle), so the GiST index on place.geom is used.
_BOUNDS = """
bounds AS (
  SELECT ST_TileEnvelope(:z, :x, :y) AS env,
         ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326) AS env4326
)"""

_DETAIL_SQL = """
WITH {bounds},
rows AS (
  SELECT p.id::text AS id, c.code AS category, c.colour AS colour, p.feeling,
         p.children_count AS children,
         ST_AsMVTGeom(ST_Transform(p.geom, 3857), bounds.env, {extent}, 64, true) AS geom
  FROM place p JOIN category c ON c.id = p.category_id, bounds
  WHERE p.geom && bounds.env4326 AND {where}
  LIMIT :limit
)
SELECT (SELECT count(*) FROM rows) AS n,
       (SELECT ST_AsMVT(rows, 'places', {extent}, 'geom') FROM rows) AS tile
"""

# Layer `clusters` from a CTE ``cells`` (count, children, scary, lon, lat), the end of
# every cluster tile's SQL.
_CLUSTERS = """rows AS (
  SELECT count::int AS count, children::int AS children, scary::int AS scary,
         ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 3857),
                      bounds.env, {extent}, 64, true) AS geom
  FROM cells, bounds
)
SELECT ST_AsMVT(rows, 'clusters', {extent}, 'geom') FROM rows
"""

# Cells: GRID x GRID per tile, the tiles of zoom z + CELL_SHIFT, whose counts the
# database keeps (table place_cell, migration 0002): a tile reads at most GRID² cells per
# preschool and campaign, however many places lie under it.
_CELL_SQL = """
WITH {bounds},
cells AS (
  SELECT c.cx, c.cy, sum(c.count) AS count, sum(c.children) AS children,
         sum(c.scary) AS scary, sum(c.sum_lon) / sum(c.count) AS lon,
         sum(c.sum_lat) / sum(c.count) AS lat
  FROM place_cell c
  WHERE c.level = :level AND c.cx BETWEEN :x0 AND :x1 AND c.cy BETWEEN :y0 AND :y1
        AND {where}
  GROUP BY 1, 2 HAVING sum(c.count) > 0
),
{clusters}"""

# Past the kept levels (a crowded street tile): the same cells from the places themselves,
# from their longitude and latitude directly (within one tile from zoom 14 on, latitude is
# as good as linear in Web Mercator).
_CLUSTER_SQL = """
WITH {bounds},
pts AS (
  SELECT (ST_XMin(p.geom) + ST_XMax(p.geom)) / 2 AS lon,
         (ST_YMin(p.geom) + ST_YMax(p.geom)) / 2 AS lat,
         p.children_count, p.feeling
  FROM place p, bounds
  WHERE p.geom && bounds.env4326 AND {where}
),
cells AS (
  SELECT floor((lon + 180) / 360 * :scale) AS cx,
         floor((ST_YMax(bounds.env4326) - lat)
               / (ST_YMax(bounds.env4326) - ST_YMin(bounds.env4326)) * {grid}) AS cy,
         count(*) AS count, sum(children_count) AS children,
         count(*) FILTER (WHERE feeling = 'scary') AS scary,
         avg(lon) AS lon, avg(lat) AS lat
  FROM pts, bounds GROUP BY 1, 2
),
{clusters}"""


_PRESCHOOL_SQL = """
WITH {bounds},
counts AS (
  SELECT * FROM unnest(CAST(:ids AS int[]), CAST(:counts AS int[]), CAST(:children AS int[]),
                       CAST(:scary AS int[])) AS c(preschool_id, count, children, scary)
),
pts AS (
  SELECT ST_X(s.location) AS lon, ST_Y(s.location) AS lat, c.count, c.children, c.scary
  FROM counts c JOIN preschool s ON s.id = c.preschool_id, bounds
  WHERE s.location && bounds.env4326
),
cells AS (
  SELECT floor((lon + 180) / 360 * :scale) AS cx,
         floor((1 - ln(tan(radians(lat)) + 1 / cos(radians(lat))) / pi()) / 2 * :scale) AS cy,
         sum(count) AS count, sum(children) AS children, sum(scary) AS scary,
         sum(lon * count) / sum(count) AS lon, sum(lat * count) / sum(count) AS lat
  FROM pts GROUP BY 1, 2
),
{clusters}"""


@dataclass(frozen=True)
class _Kept:
    at: float
    version: object
    value: object


_counts: dict[str, _Kept] = {}
_counts_lock = threading.Lock()
_tiles: OrderedDict[tuple, _Kept] = OrderedDict()  # cluster tiles, least recently used first
_tiles_lock = threading.Lock()
KEPT_TILES = 2_000  # per process; a cluster tile is a few kB


def _data_version(db: Session):
    """Changes whenever a place is added, changed or deleted (soft deletes update it)."""
    return db.execute(text("SELECT max(updated_at) FROM place")).scalar()


def _fresh(kept: _Kept | None, version, now: float) -> bool:
    return kept is not None and now - kept.at < COUNTS_MAX_AGE_SECONDS and (
        kept.version == version or now - kept.at < COUNTS_FRESH_SECONDS)


def _database_key(db: Session) -> str:
    return db.get_bind().url.render_as_string(hide_password=True)


def preschool_counts(db: Session, version=None, shared=None) -> tuple:
    """(preschool, campaign, places, children, scary) for every preschool and campaign,
    from one aggregate over all places, kept up to COUNTS_FRESH_SECONDS after a change
    (the newest ``updated_at`` tells) and never longer than COUNTS_MAX_AGE_SECONDS: in this
    process, and in ``shared`` (Redis) for the other processes when there is one."""
    key = _database_key(db)
    version = _data_version(db) if version is None else version
    with _counts_lock:
        if _fresh(_counts.get(key), version, time.monotonic()):
            return _counts[key].value
        found = _shared_get(shared, ("counts", key), version)
        if found is not None:
            rows = tuple(tuple(row) for row in json.loads(found))
        else:
            rows = tuple(tuple(row) for row in db.execute(text(
                """SELECT preschool_id, campaign_id, sum(count)::int, sum(children)::int,
                          sum(scary)::int
                   FROM place_cell WHERE level = :level GROUP BY 1, 2
                   HAVING sum(count) > 0"""), {"level": KEPT_CELL_LEVELS[0]}).all())
            _shared_set(shared, ("counts", key), version, json.dumps(rows).encode())
        _counts[key] = _Kept(time.monotonic(), version, rows)
        return rows


# -- the store shared by every app process (Redis, when REDIS_URL is set) ---------------
# An entry is b'{"at": <unix time>, "version": "<newest updated_at>"}\n' + the data; it
# is fresh by the same rule as in-process entries, and expires after COUNTS_MAX_AGE_SECONDS.
# A store that fails is ignored: tiles are then computed here, never refused.

def _shared_name(key: tuple) -> str:
    return "smultron:tiles:" + hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()


def _shared_get(shared, key: tuple, version) -> bytes | None:
    if shared is None:
        return None
    try:
        raw = shared.get(_shared_name(key))
    except (RedisError, OSError):
        return None
    if not raw:
        return None
    head, _sep, data = raw.partition(b"\n")
    meta = json.loads(head)
    age = time.time() - meta["at"]
    fresh = age < COUNTS_MAX_AGE_SECONDS and (meta["version"] == str(version)
                                              or age < COUNTS_FRESH_SECONDS)
    return data if fresh else None


def _shared_set(shared, key: tuple, version, data: bytes) -> None:
    if shared is None:
        return
    head = json.dumps({"at": time.time(), "version": str(version)}).encode()
    with contextlib.suppress(RedisError, OSError):
        shared.setex(_shared_name(key), COUNTS_MAX_AGE_SECONDS, head + b"\n" + data)


def _preschool_tile(db: Session, viewer: Viewer, tile: Tile, filters: TileFilter,
                    version, shared=None) -> bytes:
    totals: dict[int, list[int]] = {}
    for preschool, campaign, count, children, scary in preschool_counts(db, version, shared):
        if (not viewer.may_see_preschool(preschool)
                or filters.campaign not in (None, campaign)
                or filters.preschool not in (None, preschool)):
            continue
        total = totals.setdefault(preschool, [0, 0, 0])
        total[0] += count
        total[1] += children
        total[2] += scary
    if not totals:
        return b""
    ids = list(totals)
    params = {"z": tile.z, "x": tile.x, "y": tile.y, "scale": float(2**tile.z * GRID),
              "ids": ids, "counts": [totals[i][0] for i in ids],
              "children": [totals[i][1] for i in ids], "scary": [totals[i][2] for i in ids]}
    sql = _PRESCHOOL_SQL.format(bounds=_BOUNDS, clusters=_CLUSTERS.format(extent=EXTENT))
    return bytes(db.execute(text(sql), params).scalar() or b"")


def render(db: Session, viewer: Viewer, tile: Tile, filters: TileFilter = TileFilter(),
           shared=None) -> bytes:
    """The tile's bytes (empty when no place the viewer may see lies in it). Cluster tiles
    (below DETAIL_ZOOM) are kept like the counts, at most COUNTS_FRESH_SECONDS stale: in
    this process and in ``shared`` (a Redis client) when given."""
    viewer.require_raw_places()
    if viewer.role == "staff" and not viewer.preschool_ids:
        return b""
    if tile.z >= DETAIL_ZOOM:
        return _detail_tile(db, viewer, tile, filters)
    scope = None if viewer.sees_all_preschools else tuple(sorted(viewer.preschool_ids))
    key = (_database_key(db), tile, filters, scope)
    version = _data_version(db)
    with _tiles_lock:
        kept = _tiles.get(key)
        if _fresh(kept, version, time.monotonic()):
            _tiles.move_to_end(key)
            return kept.value
    data = _shared_get(shared, key, version)
    if data is None:
        if tile.z <= PRESCHOOL_ZOOM:
            data = _preschool_tile(db, viewer, tile, filters, version, shared)
        elif tile.z + CELL_SHIFT in KEPT_CELL_LEVELS:
            data = _cell_tile(db, viewer, tile, filters)
        else:
            data = _cluster_tile(db, viewer, tile, filters)
        _shared_set(shared, key, version, data)
    with _tiles_lock:
        _tiles[key] = _Kept(time.monotonic(), version, data)
        while len(_tiles) > KEPT_TILES:
            _tiles.popitem(last=False)
    return data


def _detail_tile(db: Session, viewer: Viewer, tile: Tile, filters: TileFilter) -> bytes:
    where, params = _where(viewer, filters)
    params.update(z=tile.z, x=tile.x, y=tile.y, limit=MAX_DETAIL_FEATURES + 1)
    sql = _DETAIL_SQL.format(bounds=_BOUNDS, where=where, extent=EXTENT)
    count, data = db.execute(text(sql), params).one()
    if count <= MAX_DETAIL_FEATURES:
        return bytes(data or b"")
    return _cluster_tile(db, viewer, tile, filters)  # too crowded: clusters, never truncated


def _cell_tile(db: Session, viewer: Viewer, tile: Tile, filters: TileFilter) -> bytes:
    where, params = _where(viewer, filters, alias="c")
    params.update(z=tile.z, x=tile.x, y=tile.y, level=tile.z + CELL_SHIFT,
                  x0=tile.x * GRID, x1=tile.x * GRID + GRID - 1,
                  y0=tile.y * GRID, y1=tile.y * GRID + GRID - 1)
    sql = _CELL_SQL.format(bounds=_BOUNDS, where=where,
                          clusters=_CLUSTERS.format(extent=EXTENT))
    return bytes(db.execute(text(sql), params).scalar() or b"")


def _cluster_tile(db: Session, viewer: Viewer, tile: Tile, filters: TileFilter) -> bytes:
    where, params = _where(viewer, filters)
    params.update(z=tile.z, x=tile.x, y=tile.y, scale=float(2**tile.z * GRID))
    sql = _CLUSTER_SQL.format(bounds=_BOUNDS, where=where, grid=GRID,
                             clusters=_CLUSTERS.format(extent=EXTENT))
    return bytes(db.execute(text(sql), params).scalar() or b"")


def etag(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()


# -- what the overview map page needs ------------------------------------------------------

def view_bounds(db: Session, viewer: Viewer) -> list[list[float]] | None:
    """[[south, west], [north, east]] around the preschools the viewer sees."""
    box = extent(db, Preschool.location, viewer.preschool_filter(Preschool.id))
    return leaflet_bounds(box, pad=0.01)


def campaign_choices(db: Session, viewer: Viewer) -> list[tuple[int, str]]:
    """(id, "Municipality: campaign") of the campaigns in the viewer's municipalities."""
    access, params = viewer.preschool_sql("s.id")
    where = "TRUE" if viewer.sees_all_preschools else (
        f"c.municipality_id IN (SELECT s.municipality_id FROM preschool s WHERE {access})")  # noqa: S608
    rows = db.execute(text(
        f"""SELECT c.id, m.name || ': ' || c.name FROM campaign c
            JOIN municipality m ON m.id = c.municipality_id WHERE {where}
            ORDER BY m.name, c.starts_on DESC, c.name"""),  # noqa: S608
        params).all()
    return [(row[0], row[1]) for row in rows]
