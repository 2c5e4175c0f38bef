"""Vector tiles of places (Mapbox Vector Tile, built by PostGIS with ST_AsMVT).

A tile never carries unbounded rows. Below ``DETAIL_ZOOM`` places are clustered on a
grid of ``GRID`` x ``GRID`` cells per tile (layer ``clusters``: one point per cell with
its place count, at the cells' mean position); from ``DETAIL_ZOOM`` on, each place is a
feature (layer ``places``), unless the tile would hold more than ``MAX_DETAIL_FEATURES``,
in which case it is clustered too. Access follows the Viewer: staff see their own
preschools' places, planners and admins all, officials none (they read reports).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from smultron.access import Viewer
from smultron.errors import AppError

MAX_ZOOM = 22
DETAIL_ZOOM = 14
GRID = 32  # cluster cells per tile side (a cell is 8 px on a 256 px tile)
EXTENT = 4096  # MVT coordinate space per tile side
MAX_DETAIL_FEATURES = 5_000
CONTENT_TYPE = "application/vnd.mapbox-vector-tile"


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int

    def __post_init__(self):
        if not (0 <= self.z <= MAX_ZOOM and 0 <= self.x < 2**self.z and 0 <= self.y < 2**self.z):
            raise AppError(f"There is no tile {self.z}/{self.x}/{self.y} (zoom 0–{MAX_ZOOM}, "
                           "x and y from 0 to 2^zoom − 1).", 404)


@dataclass(frozen=True)
class TileFilter:
    campaign: int | None = None
    preschool: int | None = None


def _where(viewer: Viewer, filters: TileFilter) -> tuple[str, dict]:
    """The WHERE clause (after the tile's bounding box) and its parameters."""
    clauses, params = ["p.deleted_at IS NULL"], {}
    if not viewer.sees_all_preschools:
        clauses.append("p.preschool_id = ANY(:allowed)")
        params["allowed"] = sorted(viewer.preschool_ids)
    if filters.campaign is not None:
        clauses.append("p.campaign_id = :campaign")
        params["campaign"] = filters.campaign
    if filters.preschool is not None:
        clauses.append("p.preschool_id = :preschool")
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

# Cells: the place's (bounding-box centre's) Web Mercator pixel position at GRID cells
# per tile, computed from longitude/latitude directly (no per-row reprojection).
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
         floor((1 - ln(tan(radians(lat)) + 1 / cos(radians(lat))) / pi()) / 2 * :scale) AS cy,
         count(*) AS count, sum(children_count) AS children,
         count(*) FILTER (WHERE feeling = 'scary') AS scary,
         avg(lon) AS lon, avg(lat) AS lat
  FROM pts GROUP BY 1, 2
),
rows AS (
  SELECT count::int AS count, children::int AS children, scary::int AS scary,
         ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 3857),
                      bounds.env, {extent}, 64, true) AS geom
  FROM cells, bounds
)
SELECT ST_AsMVT(rows, 'clusters', {extent}, 'geom') FROM rows
"""


def render(db: Session, viewer: Viewer, tile: Tile, filters: TileFilter = TileFilter()) -> bytes:
    """The tile's bytes (empty when no place the viewer may see lies in it)."""
    viewer.require_raw_places()
    if viewer.role == "staff" and not viewer.preschool_ids:
        return b""
    where, params = _where(viewer, filters)
    params.update(z=tile.z, x=tile.x, y=tile.y)
    if tile.z >= DETAIL_ZOOM:
        sql = _DETAIL_SQL.format(bounds=_BOUNDS, where=where, extent=EXTENT)
        count, data = db.execute(text(sql), {**params, "limit": MAX_DETAIL_FEATURES + 1}).one()
        if count <= MAX_DETAIL_FEATURES:
            return bytes(data or b"")
    sql = _CLUSTER_SQL.format(bounds=_BOUNDS, where=where, extent=EXTENT)
    data = db.execute(text(sql), {**params, "scale": float(2**tile.z * GRID)}).scalar()
    return bytes(data or b"")


def etag(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()
