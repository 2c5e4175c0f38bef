"""Downloads for planners: /export/places.gpkg, .geojson and .csv.

Access is checked on every request (browser session, Bearer, or Basic with the
e-mail and an API token): an export URL carries only filters, never a
credential, so a link passed on works only for someone who may export anyway.
Every download is written to the audit log with its filters and row counts; a HEAD
request is checked the same way but exports and logs nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select

from smultron import plans
from smultron.core import csvfile, parsing
from smultron.core.access import PLANNERS
from smultron.core.errors import AppError
from smultron.core.messages import M, translate
from smultron.export import record_export
from smultron.export.csv import stream_csv
from smultron.export.filenames import download_name
from smultron.export.geojson import stream_geojson
from smultron.export.gpkg import ExportOptions, write_scope
from smultron.export.layers import DEFAULT_HEX_SIZE
from smultron.models import SRID
from smultron.photos import store as photo_store
from smultron.places.query import (
    LOCAL_TZ,
    Filters,
    parse_filters,
    parse_srid,
    places_select,
    resolve,
)
from smultron.web.auth import current_viewer, role_required
from smultron.web.database import get_session
from smultron.web.errors import error_response, wants_json
from smultron.web.language import current_language
from smultron.web.photos import photo_url

bp = Blueprint("export", __name__, url_prefix="/export")
CHUNK = 256 * 1024
MIN_HEX, MAX_HEX = 50, 5000
GPKG_TYPE = "application/geopackage+sqlite3"


def page_lang() -> str:
    return current_language()


def request_filters() -> Filters:
    return parse_filters(request.args.getlist, request.args.get)


@bp.errorhandler(AppError)
def _refused(exc: AppError):
    """JSON for clients; for the planner's form in a browser, the form again with the
    message at the field and everything chosen kept (a 4xx, never an error page)."""
    if wants_json() or exc.status not in (400, 413, 422):
        return error_response(exc.status, translate(exc.message, gettext),
                              translate(exc.detail, gettext))
    from smultron.web.plans import download_form_refused  # the page the form is on

    return download_form_refused(exc)


def _hex_size() -> int:
    raw = request.args.get("hex", "").strip()
    if not raw:
        return DEFAULT_HEX_SIZE
    size = parsing.identifier(raw)
    if size is None or not MIN_HEX <= size <= MAX_HEX:
        raise AppError(M("The hexagon size must be a whole number of metres from %(min)d to "
                         "%(max)d.", min=MIN_HEX, max=MAX_HEX), detail={"field": "hex"})
    return size


def _filename(extension: str, filters: Filters, srid: int | None = None,
              plan: str | None = None, suffix: str = "") -> str:
    day = datetime.now(ZoneInfo(LOCAL_TZ)).date()
    return download_name(extension, filters, day, srid, plan, suffix)


def _download(body, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype, direct_passthrough=body is not None)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Vary"] = "Authorization, Cookie"
    return response


def _head() -> bool:
    """A HEAD request: checked like a download, but nothing is exported or logged."""
    return request.method == "HEAD"


def _audit(what: str, filters: Filters, counts: dict, **extra) -> None:
    session = get_session()
    record_export(session, what, filters, counts, user=current_user.user,
                  ip=request.remote_addr, **extra)
    session.commit()


def _stream_file(path: Path, folder: Path):
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@bp.get("/places.gpkg")
@role_required(*PLANNERS)
def gpkg():
    filters = request_filters()
    srid = parse_srid(request.args.get("crs"))
    session = get_session()
    viewer = current_viewer()
    scope = resolve(session, viewer, filters)
    options = ExportOptions(srid=srid, threshold=current_app.config["ANONYMITY_THRESHOLD"],
                            hex_size=_hex_size(), source=f"Smultron, {request.host_url}",
                            lang=page_lang(), photo_store=photo_store.of(session))
    plan = request.args.get("plan")
    buffer_m = plans.parse_buffer(request.args.get("buffer"))
    area = plans.find_plan_area(session, plan) if plan else None
    if area is not None:
        options.plan_layer = plans.conflicts_layer(session, viewer, filters, area.id, buffer_m,
                                                   srid)
    # the file is written under the name it is downloaded as: the QGIS project inside
    # names its layers' source by it
    filename = _filename("gpkg", filters, srid, area.name if area else None)
    if _head():
        return _download(None, GPKG_TYPE, filename)
    folder = Path(tempfile.mkdtemp(prefix="smultron-export-"))
    # nothing is written yet: end the request's transaction, so that its connection goes
    # back to the pool while the export reads from a snapshot of its own (one pooled
    # connection per export, not two; the audit below takes one again)
    session.commit()
    try:
        result = write_scope(current_app.extensions["smultron.engine"].url, scope,
                             folder / filename, options)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _audit("places.gpkg", filters, result.counts, crs=f"EPSG:{srid}",
           **({"plan": area.id, "buffer_m": buffer_m} if area else {}))
    response = _download(_stream_file(result.path, folder), GPKG_TYPE, filename)
    response.content_length = result.path.stat().st_size
    return response


def _streamed(render, *args):
    """Run ``render(session, *args)`` as a response body on a Session of its own, closed
    when the body ends or the client goes away (the request's Session is closed at
    teardown, before a streamed body runs)."""
    session = current_app.extensions["smultron.core.db"]()

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
@role_required(*PLANNERS)
def geojson():
    """Always WGS 84 (RFC 7946): a coordinate system chosen on the form is checked but
    does not apply (the form says so)."""
    filters = request_filters()
    parse_srid(request.args.get("crs"), default=SRID)
    scope = resolve(get_session(), current_viewer(), filters)
    filename = _filename("geojson", filters, SRID)
    if _head():
        return _download(None, "application/geo+json", filename)
    _audit("places.geojson", filters, {"places": _count(scope)}, crs=f"EPSG:{SRID}")
    return _download(_streamed(stream_geojson, scope, photo_url()), "application/geo+json",
                     filename)


@bp.get("/places.csv")
@role_required(*PLANNERS)
def csv():
    """``sep=comma`` or ``sep=semicolon`` (with a decimal comma, for Excel in Swedish);
    without it, the page's language decides (semicolon for Swedish)."""
    filters = request_filters()
    srid = parse_srid(request.args.get("crs"))
    dialect = csvfile.dialect_for(request.args.get("sep"), page_lang())
    if dialect is None:
        raise AppError(M("'sep' must be comma or semicolon."), detail={"field": "sep"})
    scope = resolve(get_session(), current_viewer(), filters)
    filename = _filename("csv", filters, srid, suffix=dialect.name)
    mimetype = "text/csv; charset=utf-8"
    if _head():
        return _download(None, mimetype, filename)
    _audit("places.csv", filters, {"places": _count(scope)}, crs=f"EPSG:{srid}",
           separator=dialect.name)
    return _download(_streamed(stream_csv, scope, srid, photo_url(), dialect), mimetype,
                     filename)
