"""The one module that owns the database: engine, sessions, the embedded cluster.

A Flask app gets one engine (``init_app``); every request gets a Session from
``get_session()`` that is closed on teardown. Domain code never imports Flask:
it takes the Session as an argument.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from smultron.core.embedded_pg import EmbeddedPostgres

log = logging.getLogger(__name__)


POOL_SIZE = 5
# Loads PostGIS and PROJ (WGS 84 -> Web Mercator) in a new connection's backend.
_WARM_SQL = text("SELECT ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(0, 0), 4326), "
                 "3857), ST_TileEnvelope(0, 0, 0))")


def make_engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=10)


def warm(engine: Engine, count: int = POOL_SIZE) -> int:
    """Open ``count`` pooled connections now, each with PostGIS loaded, so that a server's
    first burst of requests (a map's ~30 tiles at once) does not wait for them. A database
    that is not reachable yet is no error: the pool then fills on demand. Returns how many
    were opened."""
    opened, warmed = [], 0
    try:
        for _ in range(count):
            connection = engine.connect()
            opened.append(connection)
            connection.execute(_WARM_SQL)
            connection.rollback()
            warmed += 1
    except DBAPIError as exc:
        log.warning("the database is not ready at start (%s); connections open on demand",
                    str(exc).splitlines()[0])
    finally:
        for connection in opened:
            connection.close()
    return warmed


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


def database_ok(session: Session) -> bool:
    return session.execute(text("SELECT postgis_lib_version() IS NOT NULL")).scalar() is True
