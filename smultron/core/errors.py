"""The errors domain code raises: a status, a message a person can act on, and detail.
The web layer turns them into JSON or a page (``smultron.web.errors``)."""

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
