"""Setting a password through a one-time link (invitation or reset), and the
account page that tells you who you are and which preschools you work with."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from smultron.accounts import users
from smultron.core import audit
from smultron.core.errors import AppError
from smultron.web.admin import problems_of
from smultron.web.auth import LoginUser
from smultron.web.database import get_session
from smultron.web.security import limiter

bp = Blueprint("account", __name__)


@bp.after_request
def _private(response):
    # The link is a secret: no cache keeps the page (the app's Referrer-Policy is
    # same-origin, and these pages load nothing from elsewhere).
    response.headers["Cache-Control"] = "no-store"
    return response


def _gone():
    return render_template("account/link_gone.html"), 410


@bp.get("/set-password/<token>")
def set_password(token: str):
    link = users.find_link(get_session(), token)
    if link is None:
        return _gone()
    user = get_session().get(users.User, link.user_id)
    return render_template("account/set_password.html", user=user, link=link, problems=[])


@bp.post("/set-password/<token>")
def set_password_save(token: str):
    db = get_session()
    link = users.find_link(db, token)
    if link is None:
        return _gone()
    try:
        user = users.use_link(db, token, request.form.get("password", ""),
                              request.form.get("password_repeat", ""))
    except AppError as exc:
        db.rollback()
        if exc.status == 410:
            return _gone()
        link = users.find_link(db, token)
        return render_template("account/set_password.html", link=link, problems=problems_of(exc),
                               user=db.get(users.User, link.user_id)), exc.status
    audit.record(db, "password_set", user, target=user.email, detail={"link": link.purpose},
                 ip=request.remote_addr)
    db.commit()
    if current_user.is_authenticated:
        logout_user()
    session["login_email"] = user.email  # the login form fills it in
    flash(_("Your password is set. Log in with your e-mail and the new password."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.get("/account")
@login_required
def index():
    return render_template("account/index.html", user=current_user.user, problems=[])


@bp.post("/account/password")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@login_required
def change_password():
    db = get_session()
    user = db.get(users.User, current_user.user.id)
    try:
        users.change_password(user, request.form.get("current_password", ""),
                              request.form.get("password", ""),
                              request.form.get("password_repeat", ""))
    except AppError as exc:
        db.rollback()
        return render_template("account/index.html", user=current_user.user,
                               problems=problems_of(exc)), exc.status
    audit.record(db, "password_changed", user, target=user.email, ip=request.remote_addr)
    db.commit()
    session.clear()
    login_user(LoginUser(user))  # this browser stays logged in; every other session ends
    flash(_("Your password was changed. You are logged out everywhere else."), "info")
    return redirect(url_for("account.index"), 303)
