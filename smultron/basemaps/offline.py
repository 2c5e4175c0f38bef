"""Which tiles a tablet keeps for an outing ("Keep the map for offline use"): those of
the neighbourhood and a ring of one tile around it, zoom 13 to 17, bounded."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import box
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

from smultron.basemaps import Basemap, tile_bounds, tile_of

OFFLINE_ZOOMS = range(13, 18)
MAX_OFFLINE_TILES = 1500  # about 30-60 MB of raster tiles on the tablet


@dataclass(frozen=True)
class OfflinePlan:
    tiles: list[tuple[int, int, int]]  # (z, x, y), the lower zoom levels first
    zooms: list[int]  # the zoom levels kept
    left_out: list[int]  # zoom levels in 13-17 the limit (not the map) left out


def _zoom_tiles(area, z: int) -> list[tuple[int, int, int]]:
    west, south, east, north = area.bounds
    x0, y0 = tile_of(west, north, z)
    x1, y1 = tile_of(east, south, z)
    prepared, last = prep(area), 2 ** z - 1
    found = []
    for x in range(max(x0 - 1, 0), min(x1 + 1, last) + 1):
        for y in range(max(y0 - 1, 0), min(y1 + 1, last) + 1):
            w, _s, _e, n = tile_bounds(z, max(x - 1, 0), max(y - 1, 0))
            _w, s, e, _n = tile_bounds(z, min(x + 1, last), min(y + 1, last))
            if prepared.intersects(box(w, s, e, n)):  # the tile or a neighbour touches it
                found.append((z, x, y))
    return found


def plan(area: BaseGeometry, basemap: Basemap, limit: int = MAX_OFFLINE_TILES) -> OfflinePlan:
    """The tiles of ``area`` (lon/lat) at the map's levels within 13-17, from the lowest
    level up while they stay within ``limit``."""
    tiles, zooms, left_out = [], [], []
    for z in OFFLINE_ZOOMS:
        if not basemap.min_zoom <= z <= basemap.max_zoom:
            continue
        level = _zoom_tiles(area, z)
        if left_out or len(tiles) + len(level) > limit:
            left_out.append(z)
            continue
        tiles.extend(level)
        zooms.append(z)
    return OfflinePlan(tiles, zooms, left_out)
