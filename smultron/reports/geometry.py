"""Geometry of published cells, at the edge: ST_HexagonGrid's hexagons and the heat
squares' centres from their (i, j) indexes, in EPSG:3006 and EPSG:4326 (pyproj,
vectorised), and the nearest preschool of each (shapely's STRtree).

The hexagon of (i, j) is exactly ST_HexagonGrid's (origin 0,0, flat top, corners in
PostGIS's order); tests compare the two.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer

from smultron.models import METRIC_SRID, SRID

# ST_HexagonGrid's unit hexagon: x in edges, y in heights (PostGIS lwgeom_generate_grid.c)
HEX_X = np.array([-1.0, -0.5, 0.5, 1.0, 0.5, -0.5, -1.0])
HEX_Y = np.array([0.0, -0.5, -0.5, 0.0, 0.5, 0.5, 0.0])
COMPASS = ("E", "NE", "N", "NW", "W", "SW", "S", "SE")


@lru_cache(maxsize=1)
def _to_lonlat() -> Transformer:
    return Transformer.from_crs(METRIC_SRID, SRID, always_xy=True)


def hex_centres(cell: int, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    height = math.sqrt(3) * cell
    return 1.5 * cell * i, height * j + (np.abs(i) % 2) * height / 2


def hexagons(cell: int, keys: list[tuple[int, int]]) -> list[dict]:
    """For each (i, j): centre x, y (EPSG:3006), lon, lat and a GeoJSON Polygon (EPSG:4326)."""
    if not keys:
        return []
    i = np.array([k[0] for k in keys], dtype=float)
    j = np.array([k[1] for k in keys], dtype=float)
    cx, cy = hex_centres(cell, i, j)
    height = math.sqrt(3) * cell
    xs = cx[:, None] + cell * HEX_X[None, :]
    ys = cy[:, None] + height * HEX_Y[None, :]
    lon, lat = _to_lonlat().transform(xs, ys)
    clon, clat = _to_lonlat().transform(cx, cy)
    rings = np.stack((np.round(lon, 6), np.round(lat, 6)), axis=-1).tolist()  # n x 7 x 2
    return [{"x": x, "y": y, "lon": lo, "lat": la,
             "geojson": {"type": "Polygon", "coordinates": [ring]}}
            for x, y, lo, la, ring in zip(cx.tolist(), cy.tolist(), clon.tolist(), clat.tolist(),
                                          rings, strict=True)]


def square_centres(size: int, keys: list[tuple[int, int]]) -> list[tuple[float, float]]:
    """(lat, lon) of the centres of ST_SquareGrid cells (i, j) of ``size`` metres."""
    if not keys:
        return []
    x = (np.array([k[0] for k in keys], dtype=float) + 0.5) * size
    y = (np.array([k[1] for k in keys], dtype=float) + 0.5) * size
    lon, lat = _to_lonlat().transform(x, y)
    return list(zip(np.round(lat, 5).tolist(), np.round(lon, 5).tolist(), strict=True))


def label_near(items: list[dict], preschools: list[dict]) -> None:
    """Tell where each item (x, y in EPSG:3006) is in words: its nearest preschool, the
    distance and the direction (item["near"])."""
    if not items or not preschools:
        for item in items:
            item["near"] = None
        return
    schools, where = _xy(preschools), _xy(items)
    found = shapely.STRtree(shapely.points(schools)).query_nearest(
        shapely.points(where), all_matches=False)
    nearest = np.empty(len(items), dtype=int)
    nearest[found[0]] = found[1]
    dx, dy = (where - schools[nearest]).T
    metres = np.hypot(dx, dy)
    sectors = (((np.degrees(np.arctan2(dy, dx)) + 360 + 22.5) % 360) // 45).astype(int)
    rounded = np.round(metres, -1).astype(int).tolist()
    for item, school, distance, sector, far in zip(items, nearest.tolist(), rounded,
                                                   sectors.tolist(), (metres >= 50).tolist(),
                                                   strict=True):
        item["near"] = {"preschool": preschools[school]["name"], "metres": distance,
                        "direction": COMPASS[sector] if far else None}


def _xy(items: list[dict]) -> np.ndarray:
    """The items' x, y as an n x 2 array."""
    return np.fromiter((v for item in items for v in (item["x"], item["y"])), dtype=float,
                       count=2 * len(items)).reshape(-1, 2)
