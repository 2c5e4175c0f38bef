"""Reports from a real streaming replica (EmbeddedPostgres.replica: pg_basebackup -R,
standby.signal) of a cluster of this module's own: the reports read from it and say
"data as of" its replay position; a replica that lags more than REPLICA_MAX_LAG or is
down sends them to the primary, logged, never a 500; while the primary is down (a
failover) they read the replica."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pytest

from smultron import accounts, create_app, reference
from smultron.core import replica
from smultron.core.db import make_engine
from smultron.core.embedded_pg import EmbeddedPostgres
from tests import factories, report_data
from tests.conftest import AuthActions, app_config

pytestmark = pytest.mark.slow  # two clusters of its own: about 40 s


@pytest.fixture(scope="module")
def clusters():
    base = Path(tempfile.mkdtemp(prefix="smt-replica-"))
    base.chmod(0o755)
    primary = EmbeddedPostgres(base / "primary", fast=True)
    standby = None
    try:
        primary.ensure()
        engine = make_engine(primary.url())
        reference.migrate_and_seed(engine)
        engine.dispose()
        standby = primary.replica(base / "replica")
        yield primary, standby
    finally:
        if standby is not None:
            standby.remove()
        primary.remove()
        shutil.rmtree(base, ignore_errors=True)


def state_of(app, standby) -> replica.ReplicaState:
    replica_engine = make_engine(standby.url())
    with replica_engine.connect() as r, app.extensions["smultron.engine"].connect() as p:
        state = replica.check(r, p, 60)
    replica_engine.dispose()
    return state


def caught_up(app, standby) -> replica.ReplicaState:
    deadline = time.monotonic() + 30
    while (state := state_of(app, standby)).reason != "caught up":
        assert time.monotonic() < deadline, state
        time.sleep(0.1)
    return state


def totals(client, query) -> tuple[dict, dict]:
    response = client.get("/reports/data", query_string=query)
    assert response.status_code == 200
    data = response.get_json()
    return data["totals"], data["about"]


def test_reports_read_from_the_replica_and_fall_back_to_the_primary(clusters, caplog):
    primary, standby = clusters
    app = create_app(app_config(primary.url(), REPORTS_DATABASE_URL=standby.url(),
                                REPORTS_VERSION_TTL=0))
    assert app.config["REPLICA_MAX_LAG"] == 60  # SMULTRON_REPLICA_MAX_LAG's default
    db = app.extensions["smultron.core.db"]()
    known = report_data.build(db)
    client = app.test_client()
    AuthActions(client).login(known.world.email("official"))
    query = {"campaign": known.world.campaign.id}
    caught_up(app, standby)
    caplog.set_level(logging.WARNING)
    before, about = totals(client, query)
    assert about["data_as_of"] and not caplog.records

    # Replay paused: the primary has six more places, the replica does not.
    standby.psql("smultron", "SELECT pg_wal_replay_pause()")
    session = factories.mapping_session(db, known.world.campaign, known.world.school_a)
    for n in range(6):
        factories.place(db, session, report_data.at(known.world.school_a, 30 * n, 0),
                        "water", 5)
    db.commit()
    replayed = datetime.fromisoformat(standby.psql(
        "smultron", "SELECT pg_last_xact_replay_timestamp()").strip().replace(" ", "T"))
    app.config["REPLICA_MAX_LAG"] = 3600
    lagging, about = totals(client, query)
    assert lagging == before  # read from the replica
    assert datetime.fromisoformat(about["data_as_of"]) == replayed.replace(microsecond=0)
    html = client.get("/reports/view", query_string=query).get_data(as_text=True)
    assert f'<time datetime="{about["data_as_of"]}">' in html
    assert not caplog.records

    app.config["REPLICA_MAX_LAG"] = 0  # now it lags too much: the primary answers
    fresh, about = totals(client, query)
    assert fresh["places"] > before["places"]
    assert "too far behind" in caplog.text and "reports read from the primary" in caplog.text
    caplog.clear()

    standby.psql("smultron", "SELECT pg_wal_replay_resume()")
    app.config["REPLICA_MAX_LAG"] = 60
    caught_up(app, standby)
    assert totals(client, query)[0] == fresh and not caplog.records  # the replica again

    # Places, then at once a report: their pending changes are applied on the primary and
    # the replica is read once it has replayed that (the first view shows them).
    for n in range(6):
        factories.place(db, session, report_data.at(known.world.school_a, 30 * n, 400),
                        "water", 5)
    db.commit()
    newer, about = totals(client, query)
    assert newer["places"] > fresh["places"] and not caplog.records
    fresh = newer

    standby.stop()  # down: the primary answers, never a 500
    try:
        assert totals(client, query)[0] == fresh
        assert "reports read from the primary: the replica is down" in caplog.text
        assert client.get("/reports/view", query_string=query).status_code == 200
    finally:
        standby.start()
    token = accounts.create_token(db, accounts.find_user(db, known.world.email("official")))
    db.commit()
    caught_up(app, standby)
    caplog.clear()

    # A failover: the primary is gone and the replica not promoted yet. Reading carries on
    # from the replica (the logged-in user too) as of its last transaction; what must
    # write (the audited PDF) is a 503, never a 500.
    db.close()
    primary.stop()
    try:
        during, about = totals(client, query)
        assert during == fresh and about["data_as_of"]
        assert "the primary did not answer, reading from the replica" in caplog.text
        page = client.get("/reports/view", query_string=query)
        assert page.status_code == 200 and f'<time datetime="{about["data_as_of"]}">' in (
            page.get_data(as_text=True))
        assert client.get("/reports/report.pdf", query_string=query).status_code == 503
        by_token = app.test_client().get("/reports/data", query_string=query,
                                         headers={"Authorization": f"Bearer {token}"})
        assert by_token.status_code == 200 and by_token.get_json()["totals"] == fresh
        health = client.get("/healthz")  # a load balancer keeps this instance for reads
        assert health.status_code == 200 and health.get_json()["database"] == "replica only"
    finally:
        primary.start()
    assert totals(client, query)[0] == fresh
    app.extensions["smultron.engine"].dispose()


def test_a_server_that_is_no_replica_counts_as_the_primary(app, db):
    engine = app.extensions["smultron.engine"]
    with engine.connect() as one, engine.connect() as other:
        state = replica.check(one, other, 0)
    assert state.usable and state.reason == "primary" and state.lag_seconds == 0
