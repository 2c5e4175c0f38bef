"""The one module that owns the database: engine, sessions, the embedded cluster.

A Flask app gets one engine (``init_app``); every request gets a Session from
``get_session()`` that is closed on teardown. Domain code never imports Flask:
it takes the Session as an argument.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from smultron.embedded_pg import EmbeddedPostgres

log = logging.getLogger(__name__)


def make_engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def embedded_cluster(instance_path: str | Path) -> EmbeddedPostgres:
    return EmbeddedPostgres(Path(instance_path) / "postgres")


def resolve_database_url(config: dict, instance_path: str | Path) -> str:
    """DATABASE_URL, or the embedded cluster's (started if need be)."""
    if config.get("DATABASE_URL"):
        return config["DATABASE_URL"]
    pg = embedded_cluster(instance_path).ensure()
    if pg.started_here:
        atexit.register(pg.stop)
    return pg.url()


def init_app(app: Flask) -> None:
    url = resolve_database_url(app.config, app.instance_path)
    engine = make_engine(url)
    reports_url = app.config.get("REPORTS_DATABASE_URL")
    app.extensions["smultron.db"] = sessionmaker(engine, expire_on_commit=False)
    app.extensions["smultron.db.reports"] = sessionmaker(
        make_engine(reports_url) if reports_url else engine, expire_on_commit=False
    )
    app.extensions["smultron.engine"] = engine
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    """The request's Session (opened on first use, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["smultron.db"]()
    return g.db_session


def get_reports_session() -> Session:
    """A Session on the reports replica (the primary when none is configured)."""
    if "db_reports_session" not in g:
        g.db_reports_session = current_app.extensions["smultron.db.reports"]()
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


def database_ok(session: Session) -> bool:
    return session.execute(text("SELECT postgis_lib_version() IS NOT NULL")).scalar() is True
