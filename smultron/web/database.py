"""The request's database Sessions: one engine per app (``init_app``), a Session from
``get_session()`` opened on first use and closed at teardown, and one for the reports
from ``get_reports_session()``: on the replica (REPORTS_DATABASE_URL) while it is fresh
enough (core/replica.py), else on the primary.

During a failover (the primary does not answer, the replica is not promoted yet) a
request that only reads carries on from the replica: ``read_primary_or_replica`` loads
the logged-in user there, and the reports read the replica as of its last transaction;
a write still gets the 503 of web/errors.py."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, g
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from smultron.core import replica
from smultron.core.db import database_ok, make_engine, resolve_database_url, warm
from smultron.photos import store as photo_store

log = logging.getLogger(__name__)
T = TypeVar("T")


def init_app(app: Flask) -> None:
    url = resolve_database_url(app.config, app.instance_path)
    pooler = app.config.get("DB_POOLER")
    engine = make_engine(url, pooler)
    reports_url = app.config.get("REPORTS_DATABASE_URL")
    # The photo store (PostgreSQL, or S3 when SMULTRON_PHOTO_STORE says so) rides in
    # every Session's info, for the domain code (smultron.photos.store).
    info = photo_store.session_info(app.config)
    app.extensions["smultron.core.db"] = sessionmaker(engine, expire_on_commit=False,
                                                      info=info)
    app.extensions["smultron.core.db.reports"] = sessionmaker(
        make_engine(reports_url, pooler, connect_timeout=5) if reports_url else engine,
        expire_on_commit=False, info=info)
    app.extensions["smultron.core.db.replica"] = bool(reports_url)
    app.extensions["smultron.engine"] = engine
    app.teardown_appcontext(_close_session)
    if app.config["ENV"] == "production":
        _warm_in_every_process(engine)


def _warm_in_every_process(engine) -> None:
    """Open the pool's connections in the process that serves. Under gunicorn --preload
    (as deployed) the app is made before the workers fork: a worker must not use the
    parent's connections (it drops them without closing them) and opens its own, in the
    background, so that its first requests find them; the parent, which serves nothing,
    closes its own once it has forked."""
    def in_child() -> None:
        engine.dispose(close=False)
        threading.Thread(target=warm, args=(engine,), name="smultron-warm", daemon=True).start()

    os.register_at_fork(after_in_child=in_child, after_in_parent=engine.dispose)
    warm(engine)


def get_session() -> Session:
    """The request's Session (opened on first use, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["smultron.core.db"]()
    return g.db_session


def get_reports_session() -> Session:
    """The request's Session for reports: on the replica while ``replica.check`` finds it
    fresh (lag at most REPLICA_MAX_LAG seconds), else on the primary, logged (a replica
    that lags or is down never fails a report); on the primary when none is configured."""
    if "db_reports_session" not in g:
        g.db_reports_session, g.reports_replica = _open_reports_session()
    return g.db_reports_session


def read_primary_or_replica(read: Callable[[Session], T]) -> T:
    """``read(session)`` on the primary; when the primary does not answer and a replica is
    configured, on the replica (logged), so that reading (a report, the logged-in user)
    survives a failover. Only for reads: what is read may be a moment old."""
    try:
        return read(get_session())
    except (OperationalError, InterfaceError) as exc:
        if not current_app.extensions["smultron.core.db.replica"]:
            raise
        _primary_is_down(exc)
    return read(get_reports_session())


def on_primary_first(write: Callable[[Session], int]) -> None:
    """``write(session)`` on the primary and committed, before the reports' Session opens;
    when it changed anything and a replica is configured, the reports read the replica
    once it has replayed that (at most replica.CATCH_UP_SECONDS). While the primary does
    not answer nothing is written (the replica is read as it is)."""
    if g.get("primary_down"):
        return
    session = get_session()
    try:
        changed = write(session)
        session.commit()
        if changed and current_app.extensions["smultron.core.db.replica"]:
            g.replay_until = session.execute(text("SELECT pg_current_wal_lsn()")).scalar_one()
    except (OperationalError, InterfaceError) as exc:
        _primary_is_down(exc)


def replica_answers() -> bool:
    """Whether a reports replica is configured and answers (for /healthz)."""
    if not current_app.extensions["smultron.core.db.replica"]:
        return False
    session = current_app.extensions["smultron.core.db.reports"]()
    try:
        return database_ok(session)
    except DBAPIError:
        return False
    finally:
        _drop(session)


def on_primary(session: Session) -> bool:
    """Whether ``session`` is the request's Session on the primary (not the replica's)."""
    return session is g.get("db_session")


def _primary_is_down(exc: DBAPIError) -> None:
    log.warning("the primary did not answer, reading from the replica: %s",
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    g.primary_down = True
    session = g.pop("db_session", None)
    if session is not None:
        _drop(session)


def _primary_connection():
    """The primary's connection for the replica check; None when it does not answer."""
    if g.get("primary_down"):
        return None
    try:
        return get_session().connection()
    except (OperationalError, InterfaceError) as exc:
        _primary_is_down(exc)
        return None


def reports_replica() -> replica.ReplicaState | None:
    """What get_reports_session found about the replica (None: none is configured)."""
    get_reports_session()
    return g.reports_replica


def _open_reports_session() -> tuple[Session, replica.ReplicaState | None]:
    session = current_app.extensions["smultron.core.db.reports"]()
    if not current_app.extensions["smultron.core.db.replica"]:
        return session, None
    max_lag = float(current_app.config.get("REPLICA_MAX_LAG", replica.DEFAULT_MAX_LAG))
    try:
        if g.get("replay_until"):
            replica.wait_for_replay(session.connection(), g.pop("replay_until"))
        state = replica.check(session.connection(), _primary_connection(), max_lag)
    except DBAPIError as exc:  # no connection to the replica at all
        state = replica.ReplicaState(False, "down")
        log.warning("the reports replica is not reachable: %s", str(exc).splitlines()[0])
    if state.usable:
        return session, state
    log.warning("reports read from the primary: the replica is %s (lag %s s, at most %s s)",
                state.reason, state.lag_seconds, max_lag)
    _drop(session)
    return current_app.extensions["smultron.core.db"](), state


def _drop(session: Session) -> None:
    try:
        session.close()
    except DBAPIError:
        with contextlib.suppress(DBAPIError):
            session.invalidate()


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
