"""Is a read replica fresh enough to read from? One function, ``check``, for the reports
(web/database.get_reports_session) and anything else that reads from a replica.

A replica (PostgreSQL streaming replication, ``pg_is_in_recovery()``) holds the data as of
its last replayed transaction (``pg_last_xact_replay_timestamp()``). It is *caught up*
when it has replayed the primary's current WAL position (nothing newer exists); otherwise
it is used only while that transaction is at most ``max_lag`` seconds old
(SMULTRON_REPLICA_MAX_LAG, default 60). A replica that cannot be reached, or answers with
an error, is *down*. A server that is not in recovery (a pooler in front of the primary,
say) is as fresh as the primary. While the primary does not answer (a failover: the leader
died and the replica is not promoted yet) nothing newer than the replica can be written,
so a standby is read, *as of* its last replayed transaction ("primary down"). No Flask in
here: callers pass connections.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)
DEFAULT_MAX_LAG = 60.0
CATCH_UP_SECONDS = 2.0  # how long a reader waits for the replica to replay a write of its own

_REPLICA_SQL = text("SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn() AS replayed, "
                    "pg_last_xact_replay_timestamp() AS replayed_at, now() AS now")
_PRIMARY_SQL = text("SELECT pg_current_wal_lsn() AS position, now() AS now")
_REPLAYED_SQL = text("SELECT coalesce(pg_last_wal_replay_lsn() >= CAST(:position AS pg_lsn), "
                     "true)")
_CAUGHT_UP_SQL = text("SELECT pg_wal_lsn_diff(CAST(:position AS pg_lsn), "
                      "CAST(:replayed AS pg_lsn)) <= 0")


@dataclass(frozen=True)
class ReplicaState:
    usable: bool
    reason: str  # "primary", "caught up", "lagging", "too far behind", "primary down", "down"
    as_of: datetime | None = None  # the data's time: its last replayed transaction
    lag_seconds: float | None = None


def check(replica: Connection, primary: Connection | None, max_lag: float) -> ReplicaState:
    """How fresh ``replica`` is next to ``primary`` (open connections, ``primary`` None when
    it could not be opened; read-only queries, the caller closes them). Never raises for a
    database error: the replica's is 'down', the primary's 'primary down'."""
    try:
        row = replica.execute(_REPLICA_SQL).one()
    except DBAPIError as exc:
        return _down(exc)
    if not row.standby:
        return ReplicaState(True, "primary", row.now, 0.0)
    if primary is None:
        return primary_down(row)
    try:
        position = primary.execute(_PRIMARY_SQL).one()
        caught_up = row.replayed is not None and primary.execute(
            _CAUGHT_UP_SQL, {"position": position.position, "replayed": row.replayed}
        ).scalar_one()
    except DBAPIError as exc:
        log.warning("the primary did not answer: %s", _first_line(exc))
        return primary_down(row)
    if caught_up:  # as of its last transaction: nothing has changed since
        return ReplicaState(True, "caught up", row.replayed_at or position.now, 0.0)
    if row.replayed_at is None:
        return ReplicaState(False, "too far behind")
    lag = max(0.0, (position.now - row.replayed_at).total_seconds())
    if lag > max_lag:
        return ReplicaState(False, "too far behind", row.replayed_at, lag)
    return ReplicaState(True, "lagging", row.replayed_at, lag)


def wait_for_replay(replica: Connection, position: str,
                    seconds: float = CATCH_UP_SECONDS) -> bool:
    """Wait (at most ``seconds``) until ``replica`` has replayed the primary's WAL
    ``position`` (a server not in recovery has): whether it did. A replica that does not
    answer is not waited for (``check`` finds it down)."""
    deadline = time.monotonic() + seconds
    try:
        while not replica.execute(_REPLAYED_SQL, {"position": position}).scalar_one():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
    except DBAPIError as exc:
        log.warning("the replica did not answer: %s", _first_line(exc))
        return False
    return True


def primary_down(row) -> ReplicaState:
    """The standby's data, as of its last replayed transaction, while the primary is away."""
    return ReplicaState(True, "primary down", row.replayed_at or row.now, None)


def _first_line(exc: DBAPIError) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _down(exc: DBAPIError) -> ReplicaState:
    log.warning("the replica did not answer: %s", _first_line(exc))
    return ReplicaState(False, "down")
