"""Background maps the app serves itself at /basemap/<name>/<z>/<x>/<y>.

A background map is either a tile server upstream (an XYZ, WMTS or WMS address with
placeholders; the key or the account's password stays on the server) or a file of tiles
on the server (MBTiles or PMTiles). They come from ``SMULTRON_BASEMAPS`` (JSON, or ``@file``
with the JSON), ``SMULTRON_BASEMAP_FILE`` and, when neither names one, the classic
``SMULTRON_TILE_URL`` (OpenStreetMap by default). No Flask here: smultron.web.basemaps
serves them.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
KINDS = ("map", "aerial")
MAX_ZOOM = 22
MAX_BASEMAPS = 10
# The placeholders an address may hold: XYZ ({z}/{x}/{y}, {-y} counted from the south as
# in TMS, {s} a subdomain), WMTS ({TileMatrix}/{TileRow}/{TileCol}, Web Mercator's
# GoogleMapsCompatible matrix set), WMS ({bbox} in EPSG:3857) and {key}.
PLACEHOLDERS = {"z", "x", "y", "-y", "s", "key", "bbox", "TileMatrix", "TileRow", "TileCol"}
FIELDS = {"name", "label", "kind", "url", "file", "attribution", "min_zoom", "max_zoom",
          "key", "key_header", "username", "password", "subdomains", "offline", "cache_hours"}
OSM_HOSTS = ("openstreetmap.org", "openstreetmap.fr", "openstreetmap.de")
WEB_MERCATOR_HALF = 20037508.342789244


class BasemapError(ValueError):
    """A background map's configuration is wrong; the message says what to change."""


@dataclass(frozen=True)
class Basemap:
    name: str
    kind: str = "map"
    label: str | dict | None = None  # text, or {"sv": …, "en": …}; None: the kind's name
    attribution: str = ""
    min_zoom: int = 0
    max_zoom: int = 19
    url: str | None = field(default=None, repr=False)
    file: str | None = None
    key: str | None = field(default=None, repr=False)
    key_header: str | None = None
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    subdomains: str = "abc"
    offline: bool = True  # may the tablets keep its tiles ("Keep the map for offline use")
    cache_hours: int = 168

    def covers(self, z: int, x: int, y: int) -> bool:
        return self.min_zoom <= z <= self.max_zoom and 0 <= x < 2 ** z and 0 <= y < 2 ** z

    def upstream_url(self, z: int, x: int, y: int) -> str:
        """The tile's address upstream (with the key: never to be shown or logged)."""
        values = {"z": z, "x": x, "y": y, "-y": 2 ** z - 1 - y, "TileMatrix": z,
                  "TileRow": y, "TileCol": x, "bbox": bbox_3857(z, x, y),
                  "s": self.subdomains[(x + y) % len(self.subdomains)] if self.subdomains else "",
                  "key": self.key or ""}
        return re.sub(r"\{([^{}]+)\}", lambda m: str(values[m.group(1)]), self.url or "")


def bbox_3857(z: int, x: int, y: int) -> str:
    """A tile's extent in EPSG:3857 metres, minx,miny,maxx,maxy (a WMS GetMap's BBOX)."""
    size = 2 * WEB_MERCATOR_HALF / 2 ** z
    minx = -WEB_MERCATOR_HALF + x * size
    maxy = WEB_MERCATOR_HALF - y * size
    return ",".join(f"{v:.3f}" for v in (minx, maxy - size, minx + size, maxy))


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """A tile's west, south, east, north in degrees."""
    n = 2 ** z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The tile (x, y) at zoom ``z`` that holds a point."""
    n = 2 ** z
    lat = max(min(lat, 85.0511), -85.0511)
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def _int_in(entry: dict, name: str, default: int, low: int, high: int, where: str) -> int:
    value = entry.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BasemapError(f"{where}: {name} must be a whole number from {low} to {high}")
    return value


def _text(entry: dict, name: str, where: str, limit: int = 500) -> str | None:
    value = entry.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise BasemapError(f"{where}: {name} must be text of at most {limit} characters")
    return value


def _label(entry: dict, where: str):
    label = entry.get("label")
    if isinstance(label, dict):
        if not label or not all(isinstance(k, str) and isinstance(v, str) and 0 < len(v) <= 60
                                for k, v in label.items()):
            raise BasemapError(f"{where}: label must be text, or languages to texts "
                               '({"sv": "Karta", "en": "Map"}) of at most 60 characters')
        return dict(label)
    text = _text(entry, "label", where, 60)
    return text or None


def _check_url(url: str, where: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BasemapError(f"{where}: url must be an http(s) address with placeholders, e.g. "
                           "https://tiles.example.org/{z}/{x}/{y}.png")
    names = set(re.findall(r"\{([^{}]+)\}", url))
    unknown = sorted(names - PLACEHOLDERS)
    if unknown:
        raise BasemapError(f"{where}: url has unknown placeholders {', '.join(unknown)} (use "
                           f"{', '.join(sorted(PLACEHOLDERS))})")
    tiled = ({"z", "TileMatrix"} & names and {"x", "TileCol"} & names
             and {"y", "-y", "TileRow"} & names)
    if not tiled and "bbox" not in names:
        raise BasemapError(f"{where}: url must hold the tile's {{z}}, {{x}} and {{y}} (or "
                           "WMTS's {TileMatrix}, {TileCol}, {TileRow}, or WMS's {bbox})")


def _credentials(entry: dict, where: str) -> dict:
    key = _text(entry, "key", where, 2000)
    key_header = _text(entry, "key_header", where, 100)
    username, password = _text(entry, "username", where), _text(entry, "password", where)
    url = entry.get("url") or ""
    if "{key}" in url and not key:
        raise BasemapError(f"{where}: url has {{key}} but there is no key")
    if key and "{key}" not in url and not key_header:
        raise BasemapError(f"{where}: the key is not sent: put {{key}} in the url, or name "
                           "the header that carries it (key_header)")
    if key_header and not re.fullmatch(r"[A-Za-z0-9-]{1,100}", key_header):
        raise BasemapError(f"{where}: key_header must be a header name, e.g. X-Api-Key")
    if bool(username) != bool(password):
        raise BasemapError(f"{where}: username and password go together (HTTP Basic)")
    return {"key": key, "key_header": key_header, "username": username, "password": password}


def _offline_default(url: str | None) -> bool:
    """OpenStreetMap's tile servers forbid keeping areas of tiles for offline use."""
    host = (urlsplit(url).hostname or "") if url else ""
    return not any(host == h or host.endswith("." + h) for h in OSM_HOSTS)


def basemap_from(entry, number: int) -> Basemap:
    """One entry of SMULTRON_BASEMAPS, checked."""
    where = f"SMULTRON_BASEMAPS entry {number}"
    if not isinstance(entry, dict):
        raise BasemapError(f"{where} must be a JSON object")
    unknown = sorted(set(entry) - FIELDS)
    if unknown:
        raise BasemapError(f"{where}: unknown fields {', '.join(unknown)} (known: "
                           f"{', '.join(sorted(FIELDS))})")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise BasemapError(f"{where}: name must be 1-32 lowercase letters, digits, - or _ "
                           "(it is in the tiles' address)")
    where = f"SMULTRON_BASEMAPS {name!r}"
    kind = entry.get("kind", "map")
    if kind not in KINDS:
        raise BasemapError(f"{where}: kind must be 'map' or 'aerial'")
    url, file = _text(entry, "url", where, 2000), _text(entry, "file", where, 1000)
    if bool(url) == bool(file):
        raise BasemapError(f"{where}: give either url (a tile server) or file (MBTiles or "
                           "PMTiles on this server)")
    if url:
        _check_url(url, where)
    offline = entry.get("offline", _offline_default(url))
    if not isinstance(offline, bool):
        raise BasemapError(f"{where}: offline must be true or false")
    min_zoom = _int_in(entry, "min_zoom", 0, 0, MAX_ZOOM, where)
    max_zoom = _int_in(entry, "max_zoom", 19, min_zoom, MAX_ZOOM, where)
    subdomains = _text(entry, "subdomains", where, 20)
    return Basemap(
        name=name, kind=kind, label=_label(entry, where), url=url, file=file,
        attribution=_text(entry, "attribution", where) or "", min_zoom=min_zoom,
        max_zoom=max_zoom, subdomains="abc" if subdomains is None else subdomains,
        offline=offline, cache_hours=_int_in(entry, "cache_hours", 168, 1, 24 * 365, where),
        **_credentials(entry, where))


def _entries(raw) -> list:
    if raw in (None, "", []):
        return []
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("@"):
            try:
                text = Path(text[1:]).read_text(encoding="utf-8")
            except OSError as exc:
                raise BasemapError(f"SMULTRON_BASEMAPS: cannot read {text[1:]} "
                                   f"({exc.strerror})") from exc
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise BasemapError("SMULTRON_BASEMAPS must be a JSON list of background maps, "
                               'e.g. [{"name": "topo", "url": "https://…/{z}/{x}/{y}.png"}], '
                               "or @ and the path of a file that holds it") from exc
    if not isinstance(raw, list):
        raise BasemapError("SMULTRON_BASEMAPS must be a JSON list of background maps")
    if len(raw) > MAX_BASEMAPS:
        raise BasemapError(f"SMULTRON_BASEMAPS: at most {MAX_BASEMAPS} background maps")
    return raw


def configured(config: dict) -> list[Basemap]:
    """The background maps of an app's settings, the default first; [] = none at all.

    SMULTRON_BASEMAPS when set; else SMULTRON_TILE_URL as the one map (OpenStreetMap
    unless changed; empty = none). SMULTRON_BASEMAP_FILE's map comes first, and replaces
    OpenStreetMap's default, so that a municipality's own file needs no outside server."""
    entries = _entries(config.get("BASEMAPS"))
    maps = [basemap_from(entry, n) for n, entry in enumerate(entries, start=1)]
    path = config.get("BASEMAP_FILE")
    if not maps:
        from smultron.core.config import DEFAULT_TILE_URL

        url = config.get("TILE_URL") or ""
        if url and not (path and url == DEFAULT_TILE_URL):
            maps = [_from_tile_url(url, config.get("TILE_ATTRIBUTION") or "")]
    if path:
        maps.insert(0, Basemap(name="file", file=str(path), max_zoom=MAX_ZOOM))
    names = [m.name for m in maps]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise BasemapError(f"SMULTRON_BASEMAPS: the name {', '.join(doubled)} is used twice "
                           "('file' is SMULTRON_BASEMAP_FILE's)")
    return maps


def _from_tile_url(url: str, attribution: str) -> Basemap:
    try:
        _check_url(url.replace("{r}", ""), "SMULTRON_TILE_URL")
    except BasemapError as exc:
        raise BasemapError(str(exc).replace(": url must", " must")) from exc
    return Basemap(name="map", url=url.replace("{r}", ""), attribution=attribution,
                   offline=_offline_default(url))
