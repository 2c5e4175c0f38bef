"""The home page, public pages, the language switch and /healthz."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from smultron.core.db import database_ok
from smultron.feedback import notices
from smultron.web import language
from smultron.web.auth import current_viewer
from smultron.web.database import get_session, replica_answers
from smultron.web.security import safe_next

bp = Blueprint("pages", __name__)


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("pages.home"))


@bp.route("/home")
@login_required
def home():
    return render_template("home.html",
                           new_answers=notices.new_answers(get_session(), current_viewer()))


@bp.route("/about")
def about():
    return _public_page("about")


@bp.route("/accessibility")
def accessibility():
    return _public_page("accessibility")


@bp.route("/privacy")
def privacy():
    return _public_page("privacy")


def _public_page(page: str):
    """A public text page (editable under Administration -> Public pages)."""
    from smultron import sitepages

    session, lang = get_session(), language.current_language()
    return render_template("public_page.html", page=page, title=sitepages.PAGES[page],
                           blocks=sitepages.render(session, page, lang),
                           feedback=sitepages.feedback_address(session),
                           retention=sitepages.placeholders(session, lang))


@bp.route("/lang/<code>")
def set_language(code: str):
    language.choose(code)
    back = safe_next(request.args.get("next"))
    return redirect(language.without_lang(back) if back else url_for("pages.index"))


@bp.route("/healthz")
def healthz():
    """200 while this instance can serve: its primary answers ("ok"), or, during a failover,
    its reports replica does ("replica only": reads are served, writes are a 503 from the
    app), so that a load balancer keeps the instances that can still read in rotation."""
    try:
        ok = database_ok(get_session())
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        if replica_answers():
            return jsonify(status="degraded", database="replica only"), 200
        return jsonify(status="error", database=str(exc.__class__.__name__)), 503
    return jsonify(status="ok" if ok else "error", database="ok" if ok else "no postgis"), (
        200 if ok else 503)
