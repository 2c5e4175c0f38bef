"""One set of error handlers: JSON under /api/ and /ogc, a page elsewhere, each message
in the user's language."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from smultron.core.errors import AppError
from smultron.core.messages import translate
from smultron.core.parsing import ParseError

log = logging.getLogger(__name__)
JSON_PREFIXES = ("/api/", "/ogc", "/export/", "/reports/data")


def wants_json() -> bool:
    path = request.path
    if path.startswith(JSON_PREFIXES):
        return "text/html" not in request.headers.get("Accept", "") or path.startswith("/api/")
    return request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str, detail=None):
    if wants_json():
        body = {"error": message, "detail": detail}
        return jsonify(body), status
    return render_template("error.html", status=status, message=message, detail=detail), status


def register(app: Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(exc: AppError):
        return error_response(exc.status, translate(exc.message, _), translate(exc.detail, _))

    @app.errorhandler(ParseError)
    def _parse_error(exc: ParseError):  # what a request carries, refused at the edge
        return error_response(400, translate(exc.message, _), None)

    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError):  # its description (which check failed) is English only
        return error_response(
            400, _("The form has expired or did not come from this site. Reload the page and "
                   "try again."), None)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        body, status = error_response(exc.code or 500, _http_message(exc), None)
        response = current_app.make_response((body, status))
        for name, value in exc.get_headers():  # e.g. Allow on 405, Retry-After on 429
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(OperationalError)
    def _db_down(exc: DBAPIError):
        log.warning("database unavailable: %s", exc)
        # The page must not load the user again from the database that just failed (that
        # raised inside this handler: a bare 500 without the security headers).
        current_app.login_manager._update_request_context_with_user()  # noqa: SLF001
        return error_response(503, _("The database is not reachable right now. Try again in a "
                                     "moment."), None)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return _db_down(exc)
        log.exception("unexpected error")
        return error_response(500, _("Something went wrong on our side. It has been logged."),
                              None)


# Codes whose description is never shown: the libraries' own texts are English only (the
# login limiter's is "10 per 1 minute").
_OWN_MESSAGE_ONLY = (405, 413, 429)


def _http_message(exc: HTTPException) -> str:
    code = exc.code or 500
    custom = exc.description and exc.description != type(exc).description
    if custom and code not in _OWN_MESSAGE_ONLY:
        return exc.description  # abort(400, _("a message that says what to do"))
    if code == 413:
        limit = request.max_content_length or 0
        return _("This is too large: at most %(size)s MB can be sent at once.",
                 size=max(1, round(limit / 2**20)))
    messages = {
        400: _("The request could not be understood."),
        401: _("Please log in first."),
        403: _("You do not have access to this."),
        404: _("There is nothing here."),
        405: _("This address does not accept that method."),
        429: _("Too many attempts. Wait a minute and try again."),
    }
    return messages.get(code) or _("This request could not be handled (error %(code)s).",
                                   code=code)
