"""Photos of places under /api/v1/places/<uuid>/photos: PUT the image as the body (under the
device's UUID), GET it (``?size=thumb`` for 320 px), DELETE it. Thin: the body is
streamed to a spool file (on disk past 1 MB) and hashed on the way, then
smultron.photos decides."""

from __future__ import annotations

import hashlib
import tempfile

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

from smultron import photos
from smultron.core.errors import AppError
from smultron.core.messages import M
from smultron.web import api
from smultron.web.auth import current_viewer
from smultron.web.database import get_session
from smultron.web.security import large_upload

bp = Blueprint("photos", __name__, url_prefix="/api/v1")
bp.register_error_handler(CSRFError, api._csrf_error)  # noqa: SLF001 - the API's own answer

CHUNK = 64 * 1024
SPOOL_IN_MEMORY = 2**20
CACHE = "private, max-age=86400"


def upload_limit() -> int:
    return min(photos.MAX_UPLOAD_BYTES, current_app.config["MAX_UPLOAD_LENGTH"])


def _spooled_body(limit: int) -> photos.Upload:
    """The request's body in a spool file, hashed; 413 as soon as it passes ``limit``."""
    if (request.content_length or 0) > limit:
        raise photos.too_large(limit)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    digest, size = hashlib.sha256(), 0
    try:
        while chunk := request.stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise photos.too_large(limit)
            digest.update(chunk)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    if size == 0:
        spool.close()
        raise AppError(M("Send the photo itself as the request's body (e.g. Content-Type: "
                         "image/jpeg)."), 400)
    spool.seek(0)
    return photos.Upload(spool, digest.hexdigest(), size)


def photo_url() -> photos.PhotoUrl:
    """Absolute addresses of photos for what leaves the app (the downloads, the OGC API),
    from the request's root as url_for(_external=True) gives the OGC API's other links;
    made once per request, so a streamed body needs no request context."""
    template = url_for("photos.photo", place_id="PLACE", photo_id="PHOTO", _external=True)
    head, rest = template.split("PLACE", 1)
    middle, tail = rest.split("PHOTO", 1)
    return lambda place, photo: f"{head}{place}{middle}{photo}{tail}"


def _links(photo: dict) -> dict:
    ids = {"place_id": photo["place"], "photo_id": photo["id"]}
    return {**photo, "href": url_for("photos.photo", **ids),
            "thumb_href": url_for("photos.photo", **ids, size="thumb")}


@bp.put("/places/<place_id>/photos/<photo_id>")
@large_upload
@login_required
def put_photo(place_id: str, photo_id: str):
    upload = _spooled_body(upload_limit())
    try:
        db = get_session()
        photo, created = photos.put_photo(db, current_viewer(), current_user.user,
                                          place_id, photo_id, upload)
        db.commit()
    finally:
        upload.stream.close()
    response = jsonify(_links(photo))
    response.status_code = 201 if created else 200
    response.headers["Location"] = response.json["href"]
    return response


@bp.get("/places/<place_id>/photos/<photo_id>")
@login_required
def photo(place_id: str, photo_id: str):
    image = photos.get_image(get_session(), current_viewer(), place_id, photo_id,
                             request.args.get("size", "full"),
                             cached=lambda etag: etag.strip('"') in request.if_none_match)
    if image.content is None:  # the client's copy is current: 304, nothing read
        response = current_app.response_class(status=304)
        response.headers["Cache-Control"] = CACHE
        response.headers["ETag"] = image.etag
        return response
    response = current_app.response_class(image.content, mimetype="image/jpeg")
    response.headers["Cache-Control"] = CACHE
    response.headers["ETag"] = image.etag
    response.headers["Content-Disposition"] = f'inline; filename="photo-{image.id}.jpg"'
    return response.make_conditional(request)


@bp.delete("/places/<place_id>/photos/<photo_id>")
@login_required
def delete_photo(place_id: str, photo_id: str):
    db = get_session()
    photos.delete_photo(db, current_viewer(), current_user.user, place_id, photo_id)
    db.commit()
    return "", 204


@bp.get("/places/<place_id>/photos")
@login_required
def list_photos(place_id: str):
    found = photos.list_photos(get_session(), current_viewer(), place_id)
    return jsonify({"photos": [_links(photo) for photo in found],
                    "max": photos.MAX_PER_PLACE})
