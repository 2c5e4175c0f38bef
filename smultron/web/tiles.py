"""Vector tiles of places for the maps: GET /tiles/places/{z}/{x}/{y}.mvt.

Query parameters: ``campaign`` and ``preschool`` (ids). The answer is private to the
person asking (their access decides what is in it), cacheable for a minute, with an
ETag so a reloaded map gets 304s for tiles that did not change.
"""

from __future__ import annotations

from flask import Blueprint, make_response, request
from flask_babel import gettext as _

from smultron import tiles
from smultron.db import get_session
from smultron.errors import AppError
from smultron.web.auth import current_viewer, role_required

bp = Blueprint("tiles", __name__, url_prefix="/tiles")
CACHE_SECONDS = 60


def _id_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    if raw == "":
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise AppError(_("The parameter '%(name)s' must be a whole number.", name=name))
    return int(raw)


@bp.get("/places/<int:z>/<int:x>/<int:y>.mvt")
@role_required("staff", "planner", "admin")
def places(z: int, x: int, y: int):
    filters = tiles.TileFilter(campaign=_id_arg("campaign"), preschool=_id_arg("preschool"))
    data = tiles.render(get_session(), current_viewer(), tiles.Tile(z, x, y), filters)
    response = make_response(data)
    response.mimetype = tiles.CONTENT_TYPE
    response.set_etag(tiles.etag(data))
    response.cache_control.private = True
    response.cache_control.max_age = CACHE_SECONDS
    response.vary.update(("Cookie", "Authorization"))
    return response.make_conditional(request)
