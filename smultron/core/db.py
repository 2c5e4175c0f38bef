"""The one module that owns the database: the engine, its warm-up, the embedded cluster.

The web layer gives each request a Session (``smultron.web.database``); domain code
takes the Session as an argument.
"""

from __future__ import annotations

import atexit
import logging
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

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


def database_ok(session: Session) -> bool:
    return session.execute(text("SELECT postgis_lib_version() IS NOT NULL")).scalar() is True
