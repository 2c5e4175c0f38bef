"""Security headers, CSRF for browser sessions, and the login rate limiter."""

from __future__ import annotations

import secrets
import unicodedata
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
QUERY_TOKEN_NAMES = ("token", "access_token", "api_key", "apikey", "password")
MAX_NEXT = 2000  # characters of a ?next= address kept


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    app.before_request(_body_limit)  # first: CSRF reads the form
    app.before_request(_refuse_query_tokens)
    app.before_request(_csrf_unless_token_auth)
    app.before_request(_new_csp_nonce)
    app.after_request(_security_headers)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site to go back to after a login or a language
    switch, else None. Only a path that starts with one ``/``: no second slash or backslash
    (``//host`` and ``/\\host`` leave the site), no scheme or host, and no control, format or
    space characters (browsers drop a tab or newline, so ``/\\t/evil.example`` becomes
    ``//evil.example``)."""
    if not target or len(target) > MAX_NEXT or not target.startswith("/"):
        return None
    if target[1:2] == "/" or "\\" in target:
        return None
    if any(char.isspace() or unicodedata.category(char).startswith("C") for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def large_upload(view):
    """Let ``view`` take a body up to MAX_UPLOAD_LENGTH (a file upload) instead of the app's
    MAX_CONTENT_LENGTH. Larger bodies are refused with 413 before anything reads them."""
    view.smultron_large_upload = True
    return view


def csrf_exempt(view):
    """No CSRF token on ``view``: for a form another site posts (the SAML identity
    provider's response to /saml/acs), which checks its request in another way."""
    view.smultron_csrf_exempt = True
    return view


def _body_limit():
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "smultron_large_upload", False):
        request.max_content_length = current_app.config["MAX_UPLOAD_LENGTH"]


def _refuse_query_tokens():
    if any(name in request.args for name in QUERY_TOKEN_NAMES):
        abort(400, _("Credentials in the address are refused (they end up in logs). "
                     "Send them in the Authorization header."))


def _csrf_unless_token_auth():
    """Browser sessions need the CSRF token; Bearer/Basic clients carry no cookie."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.headers.get("Authorization"):
        return
    if getattr(current_app.view_functions.get(request.endpoint), "smultron_csrf_exempt", False):
        return
    csrf.protect()


def _new_csp_nonce():
    g.csp_nonce = secrets.token_urlsafe(16)


def content_security_policy(nonce: str) -> str:
    """Nothing from another origin: the background maps come through /basemap/ too."""
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _security_headers(response):
    nonce = g.get("csp_nonce", "")
    response.headers.setdefault(
        "Content-Security-Policy",
        content_security_policy(nonce))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(self)"
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response
