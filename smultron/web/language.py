"""The request's interface language (Flask-Babel).

Chosen, first that applies: ``?lang=`` on the request (links, the API's error messages,
a PDF in another language), the language chosen in this session (a login sets it from
the account), the visitor's cookie, Swedish. Choosing one on the language switch stores
it in the session, in a year-long cookie (the login page speaks it after a logout) and
on the account of whoever is logged in.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, current_app, g, request, session
from flask_babel import Babel, get_locale
from flask_login import current_user, user_logged_in

from smultron.core.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    TRANSLATIONS,
    normalise,
    register_locales,
)

COOKIE = "smultron_lang"
COOKIE_AGE = 365 * 24 * 3600


def current_language() -> str:
    """The request's language code (sv, en, fi, fit, se)."""
    return str(get_locale() or DEFAULT_LANGUAGE)


def select_locale() -> str:
    for chosen in (request.args.get("lang"), session.get("lang"), request.cookies.get(COOKIE)):
        code = normalise(chosen)
        if code:
            return code
    return DEFAULT_LANGUAGE


def choose(code: str) -> bool:
    """The person picked ``code`` on the language switch; False if it is no language."""
    code = normalise(code)
    if code is None:
        return False
    session["lang"] = code
    g.language_cookie = code
    if current_user.is_authenticated and current_user.user.language != code:
        current_user.user.language = code
        from smultron.web.database import get_session

        get_session().commit()
    return True


def without_lang(path: str) -> str:
    """``path`` without a ``lang`` parameter (it would outvote the language just chosen)."""
    parts = urlsplit(path)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if all(key != "lang" for key, _value in pairs):
        return path
    query = urlencode([(key, value) for key, value in pairs if key != "lang"])
    return urlunsplit(("", "", parts.path, query, parts.fragment))


def _remember_on_login(_app, user, **_extra) -> None:
    """A login speaks the account's language; an account that never chose one keeps the
    language the visitor chose before logging in (saved with the login's commit)."""
    account = user.user
    chosen = normalise(request.cookies.get(COOKIE)) or normalise(request.args.get("lang"))
    if account.language:
        session["lang"] = g.language_cookie = account.language
    elif chosen:
        account.language = session["lang"] = chosen


def _write_cookie(response):
    code = g.get("language_cookie")
    if code:
        response.set_cookie(COOKIE, code, max_age=COOKIE_AGE, httponly=True, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", True))
    return response


def init_app(app: Flask) -> None:
    register_locales()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    app.after_request(_write_cookie)
    user_logged_in.connect(_remember_on_login, app)
    app.jinja_env.globals["current_lang"] = current_language
    app.jinja_env.globals["interface_languages"] = LANGUAGES
