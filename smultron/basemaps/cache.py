"""The background maps' tiles kept on disk (under instance/), bounded in size.

One file per tile: a first line with its content type and encoding, then its bytes
("empty" for a tile the server does not have). A tile is fresh for its map's
``cache_hours``; a stale one is still served when the server upstream fails. The least
recently used tiles go first when the folder grows past its bound; every app process
sweeps after writing a tenth of the bound, so several processes may overshoot a little."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from smultron.basemaps import Basemap
from smultron.basemaps.sources import Tile

TOUCH_SECONDS = 3600  # a hit marks a tile as used at most once an hour (one write)


@dataclass(frozen=True)
class Cached:
    tile: Tile | None  # None: the server has no tile there
    fetched_at: float
    fresh: bool


class TileCache:
    def __init__(self, root: Path, max_bytes: int):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._written = max_bytes // 10  # the first write sweeps (the folder may be full)

    def _path(self, basemap: Basemap, z: int, x: int, y: int) -> Path:
        # the address template (not the key) names the folder: another template, other tiles
        digest = hashlib.sha256((basemap.url or basemap.file or "").encode()).hexdigest()[:12]
        return self.root / f"{basemap.name}-{digest}" / str(z) / str(x) / f"{y}.tile"

    def get(self, basemap: Basemap, z: int, x: int, y: int) -> Cached | None:
        path = self._path(basemap, z, x, y)
        try:
            with open(path, "rb") as handle:
                head = handle.readline().decode("ascii", "replace").split()
                data = handle.read()
            stat = path.stat()
        except OSError:
            return None
        if len(head) != 2:
            return None
        content_type, encoding = head
        now = time.time()
        if now - stat.st_atime > TOUCH_SECONDS:
            with contextlib.suppress(OSError):
                os.utime(path, (now, stat.st_mtime))
        tile = None if content_type == "empty" else Tile(
            data, content_type, None if encoding == "-" else encoding)
        fresh = now - stat.st_mtime < basemap.cache_hours * 3600
        return Cached(tile, stat.st_mtime, fresh)

    def put(self, basemap: Basemap, z: int, x: int, y: int, tile: Tile | None) -> float:
        """Keep ``tile`` (None: none there); returns when it was kept."""
        if self.max_bytes <= 0:
            return time.time()
        path = self._path(basemap, z, x, y)
        head = (f"{tile.content_type} {tile.encoding or '-'}\n" if tile else "empty -\n").encode()
        body = head + (tile.data if tile else b"")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
            with os.fdopen(handle, "wb") as out:
                out.write(body)
            os.replace(temporary, path)
        except OSError:
            return time.time()  # a full or read-only disk: served, not kept
        with self._lock:
            self._written += len(body)
            due = self._written >= self.max_bytes // 10
            if due:
                self._written = 0
        if due:
            self.sweep()
        return time.time()

    def sweep(self) -> int:
        """Remove the least recently used tiles until the folder is within 90 % of its
        bound; returns the bytes it then holds."""
        files, total = [], 0
        for folder, _dirs, names in os.walk(self.root):
            for name in names:
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                files.append((stat.st_atime, stat.st_size, path))
                total += stat.st_size
        if total <= self.max_bytes:
            return total
        files.sort()
        target = self.max_bytes * 0.9
        for _used, size, path in files:
            if total <= target:
                break
            try:
                os.remove(path)
                total -= size
            except OSError:
                continue
        return total
