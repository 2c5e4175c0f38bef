"""Recordings read aloud (issue 15), for the pages that read aloud: the mapping panel and
the answers page. GET /map/preschools/<id>/recordings/<recording id> for whoever may see
that preschool's answers (staff of another preschool 404, officials 403); ``speech()`` is
what a page's scripts need to read aloud. The domain is smultron/feedback/recordings.py;
uploads are under Administration (smultron/web/admin/recordings.py)."""

from __future__ import annotations

from flask import Blueprint, current_app, request, url_for
from flask_babel import gettext

from smultron.feedback import answers, recordings
from smultron.web.auth import current_viewer, role_required
from smultron.web.database import get_session
from smultron.web.language import current_language

bp = Blueprint("recordings", __name__)
# A recording's address never changes meaning (a new upload gets a new id).
CACHE = "private, max-age=31536000, immutable"


def send(audio: recordings.Audio, cache: str = CACHE):
    """The recording with its real type, validators and caching headers."""
    response = current_app.response_class(audio.content, mimetype=audio.media_type)
    response.headers["Cache-Control"] = cache
    response.headers["ETag"] = audio.etag
    response.headers["Content-Disposition"] = f'inline; filename="{audio.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


@bp.get("/map/preschools/<int:preschool_id>/recordings/<int:recording_id>")
@role_required("staff", "planner", "admin", "official")  # officials: 403 from the domain
def recording(preschool_id: int, recording_id: int):
    db = get_session()
    answers.preschool(db, current_viewer(), preschool_id)
    return send(recordings.audio(db, recording_id))


def speech(preschool_id: int) -> dict:
    """The page's language, its recordings ({"category": {code: url}, "status": {code:
    url}}, that language's only), the speaker buttons' words and icon."""
    lang = current_language()
    found = recordings.for_language(get_session(), lang)

    def url(recording_id: int) -> str:
        return url_for("recordings.recording", preschool_id=preschool_id,
                       recording_id=recording_id)

    return {"lang": lang,
            "recordings": {kind: {code: url(rid) for code, rid in items.items()}
                           for kind, items in found.items()},
            "listen": gettext("Read aloud: %(text)s"),
            "icon": url_for("static", filename="img/speaker.svg")}
