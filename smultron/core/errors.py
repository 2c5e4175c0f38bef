"""The errors domain code raises: a status, a message a person can act on, and detail.
The web layer turns them into JSON or a page (``smultron.web.errors``).

Two audiences, two families. ``AppError`` and its kin reach the site's users: their
messages are translatable (``M(...)``, ``core.messages``). ``CommandError`` (and the
settings' ``ConfigError``, the background maps' ``BasemapError``, ...) reach the person
at the console or in the log, in English like the commands' help and the logs."""

from __future__ import annotations


class AppError(Exception):
    """An error a person can act on: a status, a message and optional detail."""

    status = 400

    def __init__(self, message: str, status: int | None = None, detail=None):
        super().__init__(message)
        self.message = message
        self.status = status or self.status
        self.detail = detail


class NotFound(AppError):
    status = 404


class Forbidden(AppError):
    status = 403


class Conflict(AppError):
    status = 409


class CommandError(RuntimeError):
    """A command's argument or a file on the server is wrong (``smultron user add``,
    ``smultron db restore``): English, for the console; never shown to a site's user."""

    def __init__(self, message: str, detail=None):
        super().__init__(message)
        self.message = message
        self.detail = detail
