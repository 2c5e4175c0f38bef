"""The guardians' letter as a one-page tagged PDF: /map/preschools/<id>/letter.pdf
?lang=sv|en|fi|fit|se (default the page's language). Staff of that preschool, planners
and admins; staff of another preschool get 404, officials 403 (as on the answers page).
The content is in smultron/letter.py, the layout in templates/letter/letter.html."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from smultron import letter
from smultron.export.filenames import slug
from smultron.feedback import answers
from smultron.reports.pdf import html_to_pdf
from smultron.web.auth import current_viewer, role_required
from smultron.web.database import get_session
from smultron.web.language import current_language

bp = Blueprint("letter", __name__)
VIEWERS = ("staff", "planner", "admin", "official")  # officials: 403 from the domain


@bp.get("/map/preschools/<int:preschool_id>/letter.pdf")
@role_required(*VIEWERS)
def letter_pdf(preschool_id: int):
    lang = letter.language(request.args.get("lang"), current_language())
    db = get_session()
    preschool = answers.preschool(db, current_viewer(), preschool_id)
    found = letter.gather(db, preschool, int(current_app.config["ANONYMITY_THRESHOLD"]))
    # a valid ?lang= is already the request's language (smultron.web.language)
    body = html_to_pdf(render_template("letter/letter.html", letter=found, lang=lang))
    name = f"smultron-letter-{slug(found.preschool) or preschool.id}-{lang}.pdf"
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"',
        "Cache-Control": "private, no-cache"})
