"""The request's database Sessions: one engine per app (``init_app``), a Session from
``get_session()`` opened on first use and closed at teardown, and one on the reports
replica from ``get_reports_session()``."""

from __future__ import annotations

import contextlib
import logging
import os

from flask import Flask, current_app, g
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from smultron.core.db import make_engine, resolve_database_url, warm

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    url = resolve_database_url(app.config, app.instance_path)
    engine = make_engine(url)
    reports_url = app.config.get("REPORTS_DATABASE_URL")
    app.extensions["smultron.core.db"] = sessionmaker(engine, expire_on_commit=False)
    app.extensions["smultron.core.db.reports"] = sessionmaker(
        make_engine(reports_url) if reports_url else engine, expire_on_commit=False
    )
    app.extensions["smultron.engine"] = engine
    app.teardown_appcontext(_close_session)
    if app.config["ENV"] == "production":
        # Under gunicorn --preload the app is made before the workers fork: a worker must
        # not use the parent's connections (it drops them without closing them).
        os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
        warm(engine)


def get_session() -> Session:
    """The request's Session (opened on first use, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["smultron.core.db"]()
    return g.db_session


def get_reports_session() -> Session:
    """A Session on the reports replica (the primary when none is configured)."""
    if "db_reports_session" not in g:
        g.db_reports_session = current_app.extensions["smultron.core.db.reports"]()
    return g.db_reports_session


def _close_session(_exc: BaseException | None) -> None:
    for key in ("db_session", "db_reports_session"):
        session = g.pop(key, None)
        if session is not None:
            try:
                session.close()
            except DBAPIError as exc:
                # The database went away during the request (a restart): the answer (a 503)
                # is made already; drop the dead connection instead of turning it into a 500.
                log.warning("closing a database session failed: %s", exc)
                with contextlib.suppress(DBAPIError):
                    session.invalidate()
