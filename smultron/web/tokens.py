"""Your own API tokens (/account/tokens): create one with a name (shown once), see
when each was last used, revoke. Planners use them for QGIS."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from smultron import accounts
from smultron.accounts import users
from smultron.core import audit
from smultron.core.errors import AppError
from smultron.web.admin import problems_of
from smultron.web.database import get_session

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(new_token: str | None = None, problems=None, status: int = 200, name: str = ""):
    db = get_session()
    return render_template("account/tokens.html", tokens=users.tokens(db, current_user.user),
                           new_token=new_token, problems=problems or [], name=name), status


@bp.get("")
@login_required
def index():
    return _page()


@bp.post("")
@login_required
def create():
    db = get_session()
    try:
        name = users.token_name(request.form)
    except AppError as exc:
        return _page(problems=problems_of(exc), status=exc.status,
                     name=request.form.get("name", ""))
    plain = accounts.create_token(db, current_user.user, name)
    audit.record(db, "token_created", current_user.user, target=current_user.email,
                 detail={"name": name, "prefix": plain[:12]}, ip=request.remote_addr)
    db.commit()
    return _page(new_token=plain, status=201)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    db = get_session()
    token, changed = users.revoke_token(db, current_user.user, token_id)
    if changed:
        audit.record(db, "token_revoked", current_user.user, target=current_user.email,
                     detail={"name": token.name, "prefix": token.prefix},
                     ip=request.remote_addr)
        db.commit()
    flash(_("The token %(name)s was revoked: programs using it can no longer connect.",
            name=token.name), "info")
    return redirect(url_for("tokens.index"), 303)
