"""Smultron through a real pgbouncer in transaction mode (Debian's package) in front of the
test cluster: writes, reads, reports, an export and the retention job, with several app
connections sharing one server connection per pool (default_pool_size = 1), so that
anything a transaction leaves behind on the server meets another client's next
transaction, and a request that held two connections of one pool at once (an export did:
its request's and its ADBC snapshot's) would wait for itself and fail after
query_wait_timeout.

The control: psycopg 3's own prepared statements (after a statement's fifth use) break
through such a pooler, which is why SMULTRON_DB_POOLER=transaction turns them off.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from smultron import create_app, reference
from smultron.cli import main
from smultron.core.db import make_engine
from smultron.core.embedded_pg import EmbeddedPostgres
from tests import place_data
from tests.conftest import TEMPLATE_DB, AuthActions, HttpsClient, app_config
from tests.helpers import serve
from tests.test_resilience import http

pytestmark = pytest.mark.skipif(shutil.which("pgbouncer") is None,
                                reason="pgbouncer is not installed (make system-test)")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def pgbouncer(cluster: EmbeddedPostgres, dbname: str):
    """pgbouncer (transaction mode, one server connection per pool, a client waits at most
    15 s for it) on a loopback port, in front of ``cluster``'s Unix socket, with two names
    for ``dbname``: ``smultron`` and ``smultron_reports`` (two pools, as
    deploy/pgbouncer.ini has: a request that holds a connection of each never waits for
    its own). Yields the two SQLAlchemy URLs."""
    folder = Path(tempfile.mkdtemp(prefix="smt-pgb-"))
    port = free_port()
    (folder / "users.txt").write_text('"postgres" ""\n')
    server = f"host={cluster.socket_dir} port=5432 dbname={dbname}"
    (folder / "pgbouncer.ini").write_text(
        f"[databases]\nsmultron = {server}\nsmultron_reports = {server}\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\n"
        f"unix_socket_dir = {folder}\nauth_type = trust\nauth_file = {folder}/users.txt\n"
        "pool_mode = transaction\ndefault_pool_size = 1\nmax_client_conn = 200\n"
        "query_wait_timeout = 15\n"
        "ignore_startup_parameters = extra_float_digits\n")
    folder.chmod(0o755)
    shutil.chown(folder, "postgres")
    log = open(folder / "pgbouncer.log", "wb")  # noqa: SIM115 - closed below
    # pgbouncer refuses to run as root; -u switches to the postgres user.
    proc = subprocess.Popen(["pgbouncer", "-u", "postgres", str(folder / "pgbouncer.ini")],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, proc, folder / "pgbouncer.log")
        base = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
        yield f"{base}/smultron", f"{base}/smultron_reports"
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_port(port: int, proc, log: Path) -> None:
    import socket

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"pgbouncer did not start: {log.read_text()[-2000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("pgbouncer did not listen within 10 s")


@pytest.fixture
def bouncer(cluster):
    """A fresh migrated database behind its own pgbouncer; yields (URL, reports URL)."""
    name = f"pooled_{uuid.uuid4().hex[:10]}"
    cluster.create_database(name, template=TEMPLATE_DB)
    try:
        with pgbouncer(cluster, name) as urls:
            yield urls
    finally:
        cluster.drop_database(name)


@pytest.fixture
def pooled(bouncer):
    return bouncer[0]


def _same_query_on_two_connections(engine) -> None:
    """Each of two client connections runs one statement often enough for psycopg to
    prepare it, one transaction at a time; pgbouncer hands each transaction the server
connection used last."""
    first, second = engine.connect(), engine.connect()
    try:
        for connection in (first, second):
            for _ in range(8):
                connection.execute(text("SELECT count(*) FROM category WHERE code <> :c"),
                                   {"c": "x"})
                connection.commit()
    finally:
        first.close()
        second.close()


def test_psycopgs_prepared_statements_break_through_transaction_pooling(pooled):
    engine = make_engine(pooled)
    try:
        with pytest.raises(DBAPIError, match="prepared statement"):
            _same_query_on_two_connections(engine)
    finally:
        engine.dispose()


def test_with_the_pooler_setting_no_statement_is_prepared(pooled):
    engine = make_engine(pooled, "transaction")
    try:
        _same_query_on_two_connections(engine)
    finally:
        engine.dispose()


def test_the_setting_is_read_and_checked():
    from smultron.core import config

    assert config.from_environment({"SMULTRON_DB_POOLER": "Transaction"})["DB_POOLER"] == \
        "transaction"
    settings = config.from_environment({"SMULTRON_DB_POOLER": "statement"})
    with pytest.raises(config.ConfigError, match="SMULTRON_DB_POOLER"):
        config.check(settings)


def _concurrent_reads(base: str, headers: dict, threads: int = 4, each: int = 12) -> list:
    statuses: list = []

    def run():
        for _ in range(each):
            statuses.append(http("GET", f"{base}/api/v1/places", headers=headers)[0])

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return statuses


def test_the_app_works_through_pgbouncer_in_transaction_mode(bouncer, tmp_path):
    pooled, reports = bouncer
    app = create_app(app_config(pooled, DB_POOLER="transaction", REPORTS_DATABASE_URL=reports))
    app.test_client_class = HttpsClient
    try:
        with app.extensions["smultron.core.db"]() as db:
            reference.ensure_categories(db)
            setup = place_data.build(db)
        client = app.test_client()
        staff = setup.headers("staff_a")
        ids = []
        for index in range(8):  # more than psycopg's prepare threshold
            feature = place_data.feature(setup.session_a.id, children_count=index + 1)
            assert client.post("/api/v1/places", json=feature, headers=staff).status_code == 201
            ids.append(feature["id"])
        changed = client.patch(f"/api/v1/places/{ids[0]}",
                               headers={**staff, "If-Match": '"1"'},
                               json={"properties": {"comment": "Högst upp i trädet"}})
        assert changed.status_code == 200, changed.get_data(as_text=True)
        with serve(app) as base:  # four threads: four app connections, one server's
            statuses = _concurrent_reads(base, setup.headers("planner"))
        assert statuses == [200] * len(statuses)
        _reports_and_export_work(app, setup, tmp_path)
        listed = client.get("/api/v1/places", headers=setup.headers("planner")).get_json()
        assert {f["id"] for f in listed["features"]} >= set(ids)
    finally:
        app.extensions["smultron.engine"].dispose()
    done = CliRunner().invoke(main, ["retention", "apply"],
                              env={"DATABASE_URL": pooled, "SMULTRON_DB_POOLER": "transaction"})
    assert done.exit_code == 0, done.output


def _reports_and_export_work(app, setup, tmp_path) -> None:
    official = app.test_client()
    AuthActions(official).login(setup.world.email("official"))
    campaign = setup.world.campaign.id
    for _ in range(3):
        report = official.get("/reports/data", query_string={"campaign": campaign})
        assert report.status_code == 200, report.get_data(as_text=True)
    assert report.get_json()["totals"]["children"] > 0  # perturbed: not exactly 36
    export = app.test_client().get("/export/places.gpkg", headers=setup.headers("planner"))
    assert export.status_code == 200, export.get_data(as_text=True)[:500]
    import pyogrio

    path = tmp_path / "places.gpkg"
    path.write_bytes(export.data)
    assert pyogrio.read_info(path, layer="places_points")["features"] == 8
