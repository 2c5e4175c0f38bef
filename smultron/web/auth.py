"""Logging in and out, loading the user (session cookie, Bearer or Basic), role checks."""

from __future__ import annotations

import base64
import binascii
from functools import wraps

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from sqlalchemy import select

from smultron import accounts
from smultron.core import audit, parsing, passwords
from smultron.core.access import Viewer
from smultron.models import User
from smultron.sso import accounts as sso_accounts
from smultron.web import sso
from smultron.web.database import get_session, on_primary, read_primary_or_replica
from smultron.web.errors import wants_json
from smultron.web.security import limiter, safe_next

bp = Blueprint("auth", __name__)


class _LoginManager(LoginManager):
    """A request with an Authorization header is the token's user and nothing else: the
    session cookie it may also carry (an anonymous one with a CSRF token, or a login from
    elsewhere) neither logs it in nor, through strong session protection, locks it out."""

    def _load_user(self):
        if request.headers.get("Authorization"):
            return self._update_request_context_with_user(_load_from_header(request))
        return super()._load_user()


login_manager = _LoginManager()
# Where each role lands after logging in (the first endpoint that exists).
HOME_BY_ROLE = {"staff": ("map.index",), "planner": ("planner.index",),
                "official": ("reports.index",), "admin": ("admin.index",)}


def home_url(role: str) -> str:
    for endpoint in HOME_BY_ROLE.get(role, ()):
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return url_for("pages.home")


class LoginUser:
    """Flask-Login's view of a User; the id carries the session nonce."""

    def __init__(self, user: User):
        self.user = user
        self.is_authenticated = True
        self.is_active = user.active
        self.is_anonymous = False

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_nonce}"

    def __getattr__(self, name):
        return getattr(self.user, name)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.user_loader(_load_from_session)
    login_manager.request_loader(_load_from_header)
    login_manager.unauthorized_handler(_unauthorized)


def _load_from_session(user_id: str):
    ident, _sep, nonce = user_id.partition(":")
    user_number = parsing.identifier(ident)
    if user_number is None:
        return None
    user = read_primary_or_replica(lambda db: db.get(User, user_number))
    if user is None or not user.active or user.session_nonce != nonce:
        return None
    return LoginUser(user)


def _load_from_header(req):
    """Bearer <token>, or Basic with the e-mail and an API token as the password (QGIS)."""
    header = req.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    token = None
    if scheme.lower() == "bearer":
        token = value.strip()
    elif scheme.lower() == "basic":
        try:
            email, _sep, token = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
    if not token:
        return None
    user, db = read_primary_or_replica(lambda db: (accounts.user_for_token(db, token), db))
    if user is None or (scheme.lower() == "basic" and user.email != email.strip().lower()):
        return None
    if db.dirty and on_primary(db):
        db.commit()  # last_used_at (at most once a minute)
    elif db.dirty:
        db.rollback()  # read from the replica during a failover: the next request writes it
    return LoginUser(user)


def _unauthorized():
    if wants_json():
        response = current_app.response_class(
            '{"error": "Log in, or send an API token (Authorization: Bearer, or Basic with your '
            'e-mail and the token)", "detail": null}', status=401, mimetype="application/json")
        response.headers["WWW-Authenticate"] = 'Basic realm="Smultron", charset="UTF-8"'
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def current_viewer() -> Viewer:
    return Viewer.of(current_user.user)


def role_required(*roles: str):
    """Allow only logged-in users with one of ``roles`` (403 for the others)."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(home_url(current_user.role))
        return render_template("login.html", next=safe_next(request.args.get("next")))
    email = request.form.get("email", "")
    db = get_session()
    user = accounts.authenticate(db, email, request.form.get("password", ""))
    if user is None:
        audit.record(db, "login_failed", actor=email.strip().lower()[:254],
                     ip=request.remote_addr)
        db.commit()
        flash(_("The e-mail or password is wrong."), "error")
        return render_template("login.html", email=email,
                               next=safe_next(request.form.get("next"))), 401
    if sso.backends() and sso_accounts.password_refused(db, user):
        return _password_refused(db, user)
    session.clear()  # a new session: nothing from before the login survives
    login_user(LoginUser(user))
    audit.record(db, "login", user, ip=request.remote_addr)
    db.commit()
    return redirect(safe_next(request.form.get("next")) or home_url(user.role))


def _password_refused(db, user: User):
    """The account logs in through the provider only (the admin's choice)."""
    db.rollback()  # last_login_at
    audit.record(db, "login_failed", user, ip=request.remote_addr,
                 detail={"reason": "single sign-on only"})
    db.commit()
    names = ", ".join(backend.name for backend in sso.backends())
    flash(_("Your account logs in through %(name)s: use the button above.", name=names),
          "error")
    return render_template("login.html", email=user.email,
                           next=safe_next(request.form.get("next"))), 403


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    db = get_session()
    user = db.scalar(select(User).where(User.id == current_user.user.id))
    user.session_nonce = passwords.new_nonce()  # every copy of the old cookie stops working
    audit.record(db, "logout", user, ip=request.remote_addr)
    db.commit()
    provider_logout = sso.provider_logout_url()  # read before the session is cleared
    logout_user()
    session.clear()
    if provider_logout:
        return sso.leave_for_provider(provider_logout)
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))
