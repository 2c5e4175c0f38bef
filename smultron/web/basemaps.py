"""Background maps through the app's own origin: GET /basemap/<name>/<z>/<x>/<y> (the
tile server's key or account is added here, so no page or tablet ever holds it), what
the maps' scripts are told about them (``choices``), and the tiles a tablet keeps for
an outing: GET /map/preschools/<id>/offline-tiles?basemap=<name> (staff)."""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from geoalchemy2.shape import to_shape

from smultron.basemaps import offline
from smultron.basemaps.serve import Basemaps, NoSuchTile
from smultron.basemaps.sources import UpstreamError, decoded
from smultron.mapping_sessions import preschool_for
from smultron.web.auth import current_viewer, role_required
from smultron.web.database import get_session
from smultron.web.errors import error_response
from smultron.web.language import current_language
from smultron.web.security import limiter

bp = Blueprint("basemaps", __name__)
TILE_SIZE = 256


def registry() -> Basemaps:
    """The app's background maps, made again when the settings that name them change."""
    config = current_app.config
    key = repr([config.get(name) for name in (
        "BASEMAPS", "BASEMAP_FILE", "TILE_URL", "TILE_ATTRIBUTION", "BASEMAP_CACHE_MB",
        "BASEMAP_CACHE_DIR", "BASE_URL")])
    held = current_app.extensions.get("smultron.basemaps")
    if held is None or held[0] != key:
        held = (key, Basemaps.of(config, current_app.instance_path))
        current_app.extensions["smultron.basemaps"] = held
    return held[1]


def _label(basemap) -> str:
    label = basemap.label
    if isinstance(label, dict):
        lang = current_language()
        return label.get(lang) or label.get("sv") or next(iter(label.values()))
    if label:
        return label
    return _("Aerial photo") if basemap.kind == "aerial" else _("Map")


def _template(name: str) -> str:
    """The tiles' address for Leaflet: /basemap/<name>/{z}/{x}/{y}."""
    return url_for("basemaps.tile", name=name, z=0, x=0, y=0).rsplit("/", 3)[0] + "/{z}/{x}/{y}"


def choices() -> dict:
    """What every map's script gets about the backgrounds (never an upstream address or a
    key): ``url`` and ``attribution`` of the default one (an empty url: none at all), the
    choices for the picker (the first is the default) and the picker's words."""
    maps = [{"name": m.name, "label": _label(m), "kind": m.kind, "url": _template(m.name),
             "attribution": m.attribution, "min_zoom": m.min_zoom, "max_zoom": m.max_zoom,
             "offline": m.offline} for m in registry().drawable()]
    first = maps[0] if maps else {"url": "", "attribution": ""}
    return {"url": first["url"], "attribution": first["attribution"], "choices": maps,
            "strings": {"picker": _("Background"), "legend": _("Background map"),
                        "none": _("No background"), "zoom_in": _("Zoom in"),
                        "zoom_out": _("Zoom out"),
                        "leaflet": _("A JavaScript library for interactive maps")}}


@lru_cache(maxsize=1)
def unavailable_png() -> bytes:
    """The tile shown where the server upstream failed: plain light grey."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (TILE_SIZE, TILE_SIZE), (232, 230, 227)).save(out, format="PNG")
    return out.getvalue()


def _no_tile(status: int, message: str) -> Response:
    response = Response(message, status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def _open_map_visitor() -> bool:
    """An anonymous visitor may fetch tiles while open data is published: /open's map has
    a background like every map (rate-limited, ANONYMOUS_TILE_RATE)."""
    from smultron import opendata

    return opendata.any_published(get_session())


ANONYMOUS_TILE_RATE = "600 per minute"


@bp.get("/basemap/<name>/<int:z>/<int:x>/<int:y>")
@limiter.limit(ANONYMOUS_TILE_RATE, exempt_when=lambda: current_user.is_authenticated)
def tile(name: str, z: int, x: int, y: int):
    if not current_user.is_authenticated and not _open_map_visitor():
        return current_app.login_manager.unauthorized()
    try:
        served = registry().tile(name, z, x, y)
    except NoSuchTile:
        return _no_tile(404, _("There is no such background map tile."))
    except UpstreamError:
        response = Response(unavailable_png(), status=502, mimetype="image/png")
        response.headers["Cache-Control"] = "no-store"
        return response
    if served.tile is None:
        response = Response(status=204)
    else:
        gzip_ok = "gzip" in request.accept_encodings
        body = served.tile.data if gzip_ok else decoded(served.tile)
        response = Response(body, mimetype=served.tile.content_type)
        if served.tile.encoding and gzip_ok:
            response.headers["Content-Encoding"] = served.tile.encoding
        response.set_etag(hashlib.sha256(served.tile.data).hexdigest()[:24])
    response.headers["Cache-Control"] = f"private, max-age={served.max_age}"
    response.last_modified = served.fetched_at
    return response.make_conditional(request)


@bp.get("/map/preschools/<int:preschool_id>/offline-tiles")
@role_required("staff")
def offline_tiles(preschool_id: int):
    """The tiles of the preschool's neighbourhood for the service worker to keep."""
    preschool = preschool_for(get_session(), current_viewer(), preschool_id)
    basemap = registry().get(request.args.get("basemap", ""))
    if basemap is None:
        return error_response(404, _("There is no such background map."))
    if not basemap.offline:
        return error_response(409, _(
            "The terms of the background map %(name)s do not allow keeping it for offline "
            "use. The page and the places are kept; the map needs the network.",
            name=_label(basemap)))
    planned = offline.plan(to_shape(preschool.neighbourhood), basemap)
    if not planned.tiles and not planned.left_out:
        return error_response(409, _(
            "The background map %(name)s has no detailed zoom levels (13 to 17) to keep for "
            "offline use.", name=_label(basemap)))
    if not planned.tiles:
        return error_response(409, _(
            "The neighbourhood is too large to keep the background map for offline use "
            "(at most %(limit)d tiles).", limit=offline.MAX_OFFLINE_TILES))
    note = None
    if planned.left_out:
        note = ngettext(
            "The neighbourhood is large: the map is kept up to zoom level %(zoom)d; "
            "%(num)d more detailed level is left out (at most %(limit)d tiles).",
            "The neighbourhood is large: the map is kept up to zoom level %(zoom)d; "
            "%(num)d more detailed levels are left out (at most %(limit)d tiles).",
            len(planned.left_out), zoom=planned.zooms[-1], limit=offline.MAX_OFFLINE_TILES)
    base = _template(basemap.name)
    urls = [base.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
            for z, x, y in planned.tiles]
    return jsonify({"basemap": basemap.name, "label": _label(basemap), "tiles": urls,
                    "zooms": planned.zooms, "note": note})


def keep_offline_config(preschool_id: int) -> dict | None:
    """What the start page's "Keep the map for offline use" needs (None: no background
    map to keep)."""
    maps = choices()["choices"]
    if not maps:
        return None
    return {
        "tiles": url_for("basemaps.offline_tiles", preschool_id=preschool_id),
        "sw": url_for("map.service_worker"),
        "choices": [{"name": m["name"], "label": m["label"]} for m in maps],
        "strings": {
            "asking": _("Finding the tiles of the neighbourhood…"),
            "progress": _("Keeping the map: %(done)s of %(total)s tiles…"),
            "done": _("The background map %(name)s of the neighbourhood is kept on this device "
                      "for offline use (%(total)s tiles)."),
            "partial": _("%(failed)s of %(total)s tiles could not be fetched. Press the button "
                         "again where the network is better."),
            "unsupported": _("This browser cannot keep the map for offline use."),
            "no_network": _("The map could not be kept: the server did not answer. Try again "
                            "where the network is better."),
        },
    }
