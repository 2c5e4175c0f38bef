"""Where a background map's tiles come from: a tile server upstream (fetched with the
key or the account added here, never by the browser), or a tile file on this server
(MBTiles: SQLite; PMTiles: one archive, read with the ``pmtiles`` package)."""

from __future__ import annotations

import gzip
import html
import json
import logging
import re
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

import requests
from pmtiles.reader import Reader
from pmtiles.tile import Compression, TileType

from smultron.basemaps import MAX_ZOOM, Basemap, BasemapError

log = logging.getLogger(__name__)
MAX_TILE_BYTES = 4 * 1024 * 1024
CONNECT_SECONDS, READ_SECONDS, TOTAL_SECONDS = 3.05, 8, 15
VECTOR = "application/vnd.mapbox-vector-tile"
try:
    VERSION = metadata.version("smultron")
except metadata.PackageNotFoundError:  # a checkout that was never installed
    VERSION = "0"
# A file's "format" (MBTiles metadata) -> the tile's content type.
FORMATS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
           "webp": "image/webp", "pbf": VECTOR, "mvt": VECTOR}
PMTILES_TYPES = {TileType.PNG: "image/png", TileType.JPEG: "image/jpeg",
                 TileType.WEBP: "image/webp", TileType.MVT: VECTOR}
UPSTREAM_TYPES = {"image/png", "image/jpeg", "image/webp", VECTOR, "application/x-protobuf",
                  "application/octet-stream"}


@dataclass(frozen=True)
class Tile:
    data: bytes
    content_type: str
    encoding: str | None = None  # "gzip": a vector tile kept compressed


class UpstreamError(Exception):
    """The tile server did not give a tile; the message never holds its address."""


def sniff(data: bytes) -> str | None:
    """The image type that ``data`` starts as, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _vector(data: bytes) -> Tile:
    return Tile(data, VECTOR, "gzip" if data[:2] == b"\x1f\x8b" else None)


def _plain_text(value) -> str:
    """An attribution from a file's metadata as text (MBTiles often hold HTML links)."""
    text = html.unescape(re.sub(r"<[^>]*>", "", str(value or "")))
    return " ".join(text.split())[:500]


@dataclass(frozen=True)
class FileInfo:
    label: str
    attribution: str
    content_type: str
    min_zoom: int
    max_zoom: int


# -- tile servers upstream ------------------------------------------------------------------

_http = requests.Session()
_http.mount("https://", requests.adapters.HTTPAdapter(pool_maxsize=16))
_http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=16))
_http.max_redirects = 3


def user_agent(site: str | None) -> str:
    """Tile servers ask to be told who asks (OpenStreetMap's usage policy requires it)."""
    return f"Smultron/{VERSION} (+{site})" if site else f"Smultron/{VERSION}"


def fetch(basemap: Basemap, z: int, x: int, y: int, *, site: str | None = None) -> Tile | None:
    """The tile from upstream; None when the server has none there (204 or 404)."""
    headers = {"User-Agent": user_agent(site),
               "Accept": "image/png,image/jpeg,image/webp,application/vnd.mapbox-vector-tile;"
                         "q=0.9,*/*;q=0.5"}
    if basemap.key_header:
        headers[basemap.key_header] = basemap.key or ""
    auth = (basemap.username, basemap.password) if basemap.username else None
    try:
        with _http.get(basemap.upstream_url(z, x, y), headers=headers, auth=auth, stream=True,
                       timeout=(CONNECT_SECONDS, READ_SECONDS)) as response:
            if response.status_code in (204, 404):
                return None
            if response.status_code != 200:
                raise UpstreamError(f"HTTP {response.status_code}")
            declared = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            return _checked(_read(response), declared)
    except requests.RequestException as exc:
        # the exception's text holds the address (and with it the key): name the kind only
        raise UpstreamError(type(exc).__name__) from None


def _read(response) -> bytes:
    started, chunks, size = time.monotonic(), [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_TILE_BYTES:
            raise UpstreamError(f"a tile larger than {MAX_TILE_BYTES} bytes")
        if time.monotonic() - started > TOTAL_SECONDS:
            raise UpstreamError(f"a tile that took more than {TOTAL_SECONDS} s")
        chunks.append(chunk)
    return b"".join(chunks)


def _checked(data: bytes, declared: str) -> Tile | None:
    if not data:
        return None
    image = sniff(data)
    if image:
        return Tile(data, image)
    if declared in (VECTOR, "application/x-protobuf") or (
            declared == "application/octet-stream" and data[:2] == b"\x1f\x8b"):
        return _vector(data)
    raise UpstreamError(f"not a tile ({declared or 'no content type'})")


# -- tile files on this server ----------------------------------------------------------------

def file_kind(path: str) -> str:
    with open(path, "rb") as handle:
        start = handle.read(16)
    if start.startswith(b"PMTiles"):
        return "pmtiles"
    if start.startswith(b"SQLite format 3\x00"):
        return "mbtiles"
    raise BasemapError(f"SMULTRON_BASEMAP_FILE {path}: neither MBTiles nor PMTiles")


def _mbtiles(path: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=ro&immutable=1",
                           uri=True, timeout=5, check_same_thread=False)


def _mbtiles_info(path: str) -> FileInfo:
    with closing(_mbtiles(path)) as db:
        meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
        low, high = db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
    fmt = str(meta.get("format", "png")).lower()
    if fmt not in FORMATS:
        raise BasemapError(f"SMULTRON_BASEMAP_FILE {path}: tiles of format {fmt!r} cannot be "
                           f"served (use {', '.join(FORMATS)})")
    low = _zoom(meta.get("minzoom"), low, 0)
    return FileInfo(label=_plain_text(meta.get("name"))[:60], content_type=FORMATS[fmt],
                    attribution=_plain_text(meta.get("attribution")), min_zoom=low,
                    max_zoom=max(low, _zoom(meta.get("maxzoom"), high, MAX_ZOOM)))


def _zoom(value, fallback, default: int) -> int:
    for candidate in (value, fallback):
        try:
            number = int(candidate)
        except (TypeError, ValueError):
            continue
        if 0 <= number <= MAX_ZOOM:
            return number
    return default


def _pmtiles_reader(handle) -> Reader:
    def get_bytes(offset: int, length: int) -> bytes:
        handle.seek(offset)
        return handle.read(length)

    return Reader(get_bytes)


def _pmtiles_info(path: str) -> FileInfo:
    with open(path, "rb") as handle:
        reader = _pmtiles_reader(handle)
        header = reader.header()
        try:
            meta = reader.metadata()
        except (ValueError, OSError):
            meta = {}
    content_type = PMTILES_TYPES.get(header["tile_type"])
    if content_type is None:
        raise BasemapError(f"SMULTRON_BASEMAP_FILE {path}: tiles of type "
                           f"{header['tile_type'].name} cannot be served")
    meta = meta if isinstance(meta, dict) else {}
    low = _zoom(header["min_zoom"], None, 0)
    return FileInfo(label=_plain_text(meta.get("name"))[:60], content_type=content_type,
                    attribution=_plain_text(meta.get("attribution")), min_zoom=low,
                    max_zoom=max(low, _zoom(header["max_zoom"], None, MAX_ZOOM)))


def file_info(path: str) -> FileInfo:
    """What a tile file says about itself (name, attribution, format, zoom levels)."""
    try:
        kind = file_kind(path)
        return _pmtiles_info(path) if kind == "pmtiles" else _mbtiles_info(path)
    except (OSError, sqlite3.Error, KeyError, json.JSONDecodeError) as exc:
        raise BasemapError(f"SMULTRON_BASEMAP_FILE {path}: cannot be read as MBTiles or "
                           f"PMTiles ({exc})") from exc


def read_file_tile(path: str, info: FileInfo, z: int, x: int, y: int) -> Tile | None:
    """A tile of the file, or None where the file has none."""
    if file_kind(path) == "pmtiles":
        with open(path, "rb") as handle:
            reader = _pmtiles_reader(handle)
            data = reader.get(z, x, y)
            compression = reader.header()["tile_compression"]
        if not data:
            return None
        if info.content_type == VECTOR:
            return Tile(data, VECTOR, "gzip" if compression == Compression.GZIP else None)
        return Tile(data, info.content_type)
    with closing(_mbtiles(path)) as db:
        row = db.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
                         "AND tile_row = ?", (z, x, 2 ** z - 1 - y)).fetchone()
    if not row or not row[0]:
        return None
    data = bytes(row[0])
    if info.content_type == VECTOR:
        return _vector(data)
    return Tile(data, sniff(data) or info.content_type)


def decoded(tile: Tile) -> bytes:
    """The tile's bytes without its Content-Encoding (for a client that takes no gzip)."""
    return gzip.decompress(tile.data) if tile.encoding == "gzip" else tile.data
