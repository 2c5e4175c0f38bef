"""The app's background maps and their tiles: looked up by name, read from the disk
cache, the tile server upstream or the tile file."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from smultron.basemaps import Basemap, configured
from smultron.basemaps.cache import TileCache
from smultron.basemaps.sources import (
    VECTOR,
    Tile,
    UpstreamError,
    fetch,
    file_info,
    read_file_tile,
)

log = logging.getLogger(__name__)
BROWSER_SECONDS = 86400  # how long a browser keeps a tile before it asks again (ETag)
STALE_SECONDS = 300  # a stale tile served because the server upstream failed


class NoSuchTile(LookupError):
    """No such background map, or a tile outside its zoom levels or the world."""


@dataclass(frozen=True)
class Served:
    tile: Tile | None  # None: no tile there (an empty answer)
    fetched_at: float
    max_age: int


class Basemaps:
    def __init__(self, maps: list[Basemap], *, cache_dir: Path | None, cache_bytes: int,
                 site: str | None = None):
        self._files = {m.name: file_info(m.file) for m in maps if m.file}
        self.maps = {m.name: self._completed(m) for m in maps}
        self.cache = TileCache(cache_dir, cache_bytes) if cache_dir and cache_bytes > 0 else None
        self.site = site

    @classmethod
    def of(cls, config: dict, instance_path: str) -> Basemaps:
        folder = config.get("BASEMAP_CACHE_DIR") or Path(instance_path) / "basemap-cache"
        return cls(configured(config), cache_dir=Path(folder),
                   cache_bytes=config.get("BASEMAP_CACHE_MB", 512) * 1024 * 1024,
                   site=config.get("BASE_URL"))

    def _completed(self, basemap: Basemap) -> Basemap:
        """A file's map with the zoom levels, name and attribution the file gives."""
        info = self._files.get(basemap.name)
        if info is None:
            return basemap
        return dataclasses.replace(
            basemap, min_zoom=max(basemap.min_zoom, info.min_zoom),
            max_zoom=min(basemap.max_zoom, info.max_zoom),
            label=basemap.label or info.label or None,
            attribution=basemap.attribution or info.attribution)

    def ordered(self) -> list[Basemap]:
        return list(self.maps.values())

    def drawable(self) -> list[Basemap]:
        """The maps the app's own maps can draw: all but vector tile files (served for
        other clients, e.g. QGIS)."""
        return [m for m in self.maps.values()
                if m.name not in self._files or self._files[m.name].content_type != VECTOR]

    def get(self, name: str) -> Basemap | None:
        return self.maps.get(name)

    def tile(self, name: str, z: int, x: int, y: int) -> Served:
        """The tile; NoSuchTile outside the map, UpstreamError when the server upstream
        fails and no copy is kept."""
        basemap = self.maps.get(name)
        if basemap is None or not basemap.covers(z, x, y):
            raise NoSuchTile(name)
        if basemap.file:
            tile = read_file_tile(basemap.file, self._files[name], z, x, y)
            return Served(tile, Path(basemap.file).stat().st_mtime, BROWSER_SECONDS)
        kept = self.cache.get(basemap, z, x, y) if self.cache else None
        if kept and kept.fresh:
            return Served(kept.tile, kept.fetched_at, BROWSER_SECONDS)
        try:
            tile = fetch(basemap, z, x, y, site=self.site)
        except UpstreamError as exc:
            log.warning("background map %s: tile %s/%s/%s failed upstream: %s",
                        name, z, x, y, exc)
            if kept:
                return Served(kept.tile, kept.fetched_at, STALE_SECONDS)
            raise
        fetched = self.cache.put(basemap, z, x, y, tile) if self.cache else time.time()
        return Served(tile, fetched, BROWSER_SECONDS)
