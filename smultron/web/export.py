"""Downloads for planners: /export/places.gpkg, .geojson and .csv.

Access is checked on every request (browser session, Bearer, or Basic with the
e-mail and an API token): an export URL carries only filters, never a
credential, so a link passed on works only for someone who may export anyway.
Every download is written to the audit log with its filters and row counts.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, Response, current_app, request
from flask_login import current_user
from sqlalchemy import func, select

from smultron import audit, plans
from smultron.db import get_session
from smultron.errors import AppError
from smultron.export.csv import stream_csv
from smultron.export.geojson import stream_geojson
from smultron.export.gpkg import ExportOptions, write_scope
from smultron.export.layers import DEFAULT_HEX_SIZE
from smultron.export.query import Filters, parse_filters, parse_srid, places_select, resolve
from smultron.models import SRID
from smultron.web.auth import current_viewer, role_required

bp = Blueprint("export", __name__, url_prefix="/export")
CHUNK = 256 * 1024
EXPORT_ROLES = ("planner", "admin")
MIN_HEX, MAX_HEX = 50, 5000


def request_filters() -> Filters:
    return parse_filters(request.args.getlist, request.args.get)


def _hex_size() -> int:
    raw = request.args.get("hex", "")
    if not raw:
        return DEFAULT_HEX_SIZE
    if not raw.isdigit() or not MIN_HEX <= int(raw) <= MAX_HEX:
        raise AppError(f"'hex' must be a hexagon size in metres from {MIN_HEX} to {MAX_HEX}.")
    return int(raw)


def _filename(extension: str, srid: int | None = None) -> str:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    crs = f"-epsg{srid}" if srid else ""
    return f"smultron-places{crs}-{day}.{extension}"


def _download_headers(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Vary"] = "Authorization, Cookie"
    return response


def _audit(what: str, filters: Filters, counts: dict, **extra) -> None:
    session = get_session()
    audit.record(session, "export", current_user.user, target=what,
                 detail={"format": what.rsplit(".", 1)[-1], "filters": filters.as_dict(),
                         "counts": counts, **extra},
                 ip=request.remote_addr)
    session.commit()


def _stream_file(path: Path, folder: Path):
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@bp.get("/places.gpkg")
@role_required(*EXPORT_ROLES)
def gpkg():
    filters = request_filters()
    srid = parse_srid(request.args.get("crs"))
    session = get_session()
    viewer = current_viewer()
    scope = resolve(session, viewer, filters)
    options = ExportOptions(srid=srid, threshold=current_app.config["ANONYMITY_THRESHOLD"],
                            hex_size=_hex_size(), source=f"Smultron, {request.host_url}")
    plan = request.args.get("plan")
    buffer_m = plans.parse_buffer(request.args.get("buffer"))
    if plan:
        options.plan_layer = plans.conflicts_layer(session, viewer, filters, plan, buffer_m,
                                                   srid)
    if request.method == "HEAD":  # the request is valid; nothing is exported or logged
        head = Response(mimetype="application/geopackage+sqlite3")
        return _download_headers(head, _filename("gpkg", srid))
    folder = Path(tempfile.mkdtemp(prefix="smultron-export-"))
    filename = _filename("gpkg", srid)  # the QGIS project inside names the file by it
    try:
        result = write_scope(session, current_app.extensions["smultron.engine"].url, scope,
                             folder / filename, options)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _audit("places.gpkg", filters, result.counts, crs=f"EPSG:{srid}",
           **({"plan": plan, "buffer_m": buffer_m} if plan else {}))
    response = Response(_stream_file(result.path, folder),
                        mimetype="application/geopackage+sqlite3", direct_passthrough=True)
    response.content_length = result.path.stat().st_size
    return _download_headers(response, filename)


def _streamed(render, *args):
    """Run ``render(session, *args)`` as a response body on a Session of its own, closed
    when the body ends or the client goes away (the request's Session is closed at
    teardown, before a streamed body runs)."""
    session = current_app.extensions["smultron.db"]()

    def body():
        try:
            yield from render(session, *args)
        finally:
            session.close()
    return body()


def _count(scope) -> int:
    stmt = places_select(scope, None, SRID).order_by(None).subquery()
    return get_session().scalar(select(func.count()).select_from(stmt))


@bp.get("/places.geojson")
@role_required(*EXPORT_ROLES)
def geojson():
    filters = request_filters()
    if parse_srid(request.args.get("crs"), default=SRID) != SRID:
        raise AppError("GeoJSON is always WGS 84 longitude/latitude (RFC 7946). Use the "
                       "GeoPackage or CSV for SWEREF 99.")
    scope = resolve(get_session(), current_viewer(), filters)
    _audit("places.geojson", filters, {"places": _count(scope)}, crs="EPSG:4326")
    body = _streamed(stream_geojson, scope)
    response = Response(body, mimetype="application/geo+json")
    return _download_headers(response, _filename("geojson"))


@bp.get("/places.csv")
@role_required(*EXPORT_ROLES)
def csv():
    filters = request_filters()
    srid = parse_srid(request.args.get("crs"))
    scope = resolve(get_session(), current_viewer(), filters)
    _audit("places.csv", filters, {"places": _count(scope)}, crs=f"EPSG:{srid}")
    body = _streamed(stream_csv, scope, srid)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    return _download_headers(response, _filename("csv", srid))
