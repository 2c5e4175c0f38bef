"""The one module that owns the database: the engine, its warm-up, the embedded cluster.

The web layer gives each request a Session (``smultron.web.database``); domain code
takes the Session as an argument.
"""

from __future__ import annotations

import atexit
import logging
from pathlib import Path

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from smultron.core.embedded_pg import EmbeddedPostgres

log = logging.getLogger(__name__)


POOL_SIZE = 5
# Loads PostGIS and PROJ (WGS 84 -> Web Mercator) in a new connection's backend.
_WARM_SQL = text("SELECT ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(0, 0), 4326), "
                 "3857), ST_TileEnvelope(0, 0, 0))")


def make_engine(url: str, pooler: str | None = None,
                connect_timeout: int | None = None) -> Engine:
    """The engine on ``url``. ``pooler="transaction"``: the URL leads to a pooler in
    transaction mode (pgbouncer), which hands each transaction to whichever server
    connection is free, so nothing may outlive a transaction on the server. psycopg 3
    prepares a statement on the server after its fifth use (prepare_threshold): through
    such a pooler the next transaction may reach a server that lacks it, or holds another
    client's of the same name. Everything else Smultron sets is transaction-local already
    (``SET LOCAL``, ``set_config(…, true)``, ``pg_advisory_xact_lock`` in the reports'
    triggers; no LISTEN). ``connect_timeout``: seconds before a server that does not
    answer counts as down (the reports' replica)."""
    connect_args = {"prepare_threshold": None} if pooler == "transaction" else {}
    if connect_timeout:
        connect_args["connect_timeout"] = connect_timeout
    return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=10,
                         connect_args=connect_args)


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


def taken(session: Session, model, own_id: int | None, *where) -> bool:
    """Whether a row of ``model`` other than ``own_id`` (None: a new one) matches
    ``where``: a name or a code is taken (the form then says so at its field)."""
    query = select(model.id).where(*where)
    if own_id is not None:
        query = query.where(model.id != own_id)
    return session.scalar(query.limit(1)) is not None
