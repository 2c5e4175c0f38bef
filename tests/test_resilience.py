"""Faults and scale-out: PostgreSQL restarted under load, two app instances sharing one
database and Redis, and schemathesis fuzzing the JSON API against its own OpenAPI.

A test that stops PostgreSQL does it on a cluster of its own (``own_cluster_app``), so no
other test sees the outage, and waits for what it can observe (answers, 503s), never for a
fixed time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from smultron import ROOT, create_app, reference
from smultron.core import migrate
from smultron.core.embedded_pg import EmbeddedPostgres, wait_until_ready
from tests import factories, place_data
from tests.conftest import AuthActions, HttpsClient, app_config, untranslated
from tests.helpers import serve

REDIS_URL = os.environ.get("SMULTRON_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


# -- helpers ---------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is the answer, as a browser's first response


_opener = urllib.request.build_opener(_NoRedirect)


def http(method: str, url: str, body=None, headers=None, timeout: float = 10.0):
    """(status, headers, parsed JSON or text) without raising on 3xx/4xx/5xx."""
    assert url.startswith("http://127.0.0.1:")
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(url, data=data, method=method,  # noqa: S310
                                     headers=headers or {})
    if isinstance(body, dict):
        request.add_header("Content-Type", "application/json")
    try:
        with _opener.open(request, timeout=timeout) as response:
            status, head, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, head, raw = error.code, error.headers, error.read()
    text = raw.decode(errors="replace")
    is_json = "json" in (head.get("Content-Type") or "")
    return status, head, json.loads(text) if is_json and text else text


def _restore_cluster(cluster) -> None:
    if not cluster.is_running():
        cluster.start()
    wait_until_ready(cluster)


def until(condition, what: str, timeout: float = 30.0) -> None:
    """Wait until ``condition()`` holds (checked every 20 ms), or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


# -- a cluster of the test's own: stopping it disturbs no other test ----------------------

@pytest.fixture
def own_cluster_app():
    """An app on a PostGIS cluster of its own, with place_data's world, sessions and
    tokens; yields (app, cluster, setup)."""
    base = Path(tempfile.mkdtemp(prefix="smt-down-"))
    base.chmod(0o755)
    pg = EmbeddedPostgres(base / "pg", fast=True)
    app = None
    try:
        pg.ensure()
        app = create_app(app_config(pg.url()))
        migrate.upgrade(app.extensions["smultron.engine"])
        with app.extensions["smultron.core.db"]() as session:
            reference.ensure_categories(session)
            setup = place_data.build(session)
        app.test_client_class = HttpsClient
        yield app, pg, setup
    finally:
        if app is not None:
            app.extensions["smultron.engine"].dispose()
        pg.remove()
        shutil.rmtree(base, ignore_errors=True)


# -- PostgreSQL stopped and restarted during requests --------------------------------------

def test_database_down_is_a_json_503_and_the_app_recovers(own_cluster_app):
    app, cluster, setup = own_cluster_app
    client = app.test_client()
    headers = setup.headers("planner")
    assert client.get("/api/v1/places", headers=headers).status_code == 200
    try:
        cluster.stop()
        response = client.get("/api/v1/places", headers=headers)
        assert response.status_code == 503
        assert response.is_json and response.get_json()["error"]
        health = client.get("/healthz")
        assert health.status_code == 503
    finally:
        _restore_cluster(cluster)
    # Same app, same pool: the stale connections are noticed (pool_pre_ping).
    for _ in range(5):
        assert client.get("/api/v1/places", headers=headers).status_code == 200


class Hammer:
    """Threads sending GET ``url`` until stopped, recording every status in order."""

    def __init__(self, url: str, headers: dict, threads: int = 4):
        self.url, self.headers = url, headers
        self.statuses, self.bodies = [], []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def _run(self):
        while not self._stop.is_set():
            status, _head, body = http("GET", self.url, headers=self.headers)
            self.statuses.append(status)
            if status != 200:
                self.bodies.append(body)

    def seen(self, status: int, since: int = 0) -> int:
        return self.statuses[since:].count(status)

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(15)


def test_restart_under_concurrent_requests_never_gives_a_500(own_cluster_app):
    app, cluster, setup = own_cluster_app
    with serve(app) as base:
        url = f"{base}/api/v1/places?limit=20"
        headers = setup.headers("planner")
        with Hammer(url, headers) as hammer:
            try:
                until(lambda: hammer.seen(200) >= 20, "requests answered before the fault")
                cluster.restart()
                mark = len(hammer.statuses)
                until(lambda: hammer.seen(200, mark) >= 5, "answers after the restart")
                cluster.stop()
                mark = len(hammer.statuses)
                until(lambda: hammer.seen(503, mark) >= 5, "503s while the database is down")
            finally:
                _restore_cluster(cluster)
            mark = len(hammer.statuses)
            until(lambda: hammer.seen(200, mark) >= 5, "answers once the database is back")
        statuses, bodies = hammer.statuses, hammer.bodies
        assert set(statuses) <= {200, 503}, sorted(set(statuses))
        assert all(isinstance(b, dict) and b.get("error") for b in bodies), bodies[:3]
        after = [http("GET", url, headers=headers)[0] for _ in range(10)]
        assert after == [200] * 10


# -- a database outage on the pages --------------------------------------------------------

PAGES_BY_ROLE = {"/map": "staff_a", "/home": "staff_a", "/about": "staff_a",
                 "/planner/": "planner", "/admin": "admin", "/reports": "official"}


def test_pages_during_a_database_outage_are_503_pages_with_the_security_headers(
        own_cluster_app):
    app, pg, setup = own_cluster_app
    world = setup.world
    clients = {}
    for role in set(PAGES_BY_ROLE.values()):
        clients[role] = app.test_client()
        assert AuthActions(clients[role]).login(world.email(role)).status_code == 302
    english = app.test_client()
    AuthActions(english).login(world.email("staff_a"))
    english.get("/lang/en")
    for path, role in PAGES_BY_ROLE.items():
        assert clients[role].get(path).status_code in (200, 302), path  # /map: its preschool
    pg.stop()
    try:
        for path, role in PAGES_BY_ROLE.items():
            response = clients[role].get(path)
            assert (response.status_code, response.mimetype) == (503, "text/html"), path
            page = response.get_data(as_text=True)
            assert "Databasen går inte att nå just nu" in page, path
            csp = response.headers.get("Content-Security-Policy", "")
            assert "default-src 'self'" in csp and "unsafe-inline" not in csp, path
            assert response.headers["X-Frame-Options"] == "DENY"
        in_english = english.get("/home")
        assert in_english.status_code == 503
        assert untranslated(clients["staff_a"].get("/home").get_data(as_text=True),
                            in_english.get_data(as_text=True)) == []
    finally:
        pg.start()
        wait_until_ready(pg)
    assert clients["planner"].get("/planner/").status_code == 200  # logged in still


# -- two app instances, one database, Redis for the rate limits ---------------------------

def _redis_reachable(url: str) -> bool:
    match = re.match(r"redis://([^:/]+):(\d+)", url)
    try:
        with socket.create_connection((match.group(1), int(match.group(2))), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SERVE = """
import os, sys
from werkzeug.serving import run_simple
from smultron import create_app
app = create_app({"RATELIMIT_KEY_PREFIX": os.environ["TEST_RATELIMIT_PREFIX"],
                  "TILE_URL": "https://tiles.test/{z}/{x}/{y}.png"})
run_simple("127.0.0.1", int(sys.argv[1]), app, threaded=True)
"""


@pytest.fixture
def two_instances(database_url, setup):
    """Two app processes on two ports: one database, one Redis, one secret."""
    if not _redis_reachable(REDIS_URL):
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (start redis-server, or set "
                    "SMULTRON_TEST_REDIS_URL)")
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
           "SMULTRON_ENV": "testing", "SMULTRON_SECRET_KEY": "shared-by-both-instances",
           "SMULTRON_LOGIN_RATE_LIMIT": "4 per minute", "SMULTRON_INSECURE_COOKIES": "1",
           "TEST_RATELIMIT_PREFIX": f"smultron-test-{uuid.uuid4().hex}"}
    ports = [_free_port(), _free_port()]
    procs = [subprocess.Popen([sys.executable, "-c", SERVE, str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, proc in zip(urls, procs, strict=True):
            _wait_for(url, proc)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)
            proc.stderr.close()


STARTUP_SECONDS = 120  # a fresh interpreter importing the app on a busy machine


def _wait_for(url: str, proc) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the app did not start: {proc.stderr.read().decode()[-2000:]}")
        try:
            if http("GET", f"{url}/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {STARTUP_SECONDS} s")


class Browser:
    """A cookie jar by hand (the cookie is Secure; these servers speak plain http)."""

    def __init__(self):
        self.cookie = ""

    def call(self, method, url, body=None, headers=None):
        headers = {**(headers or {}), **({"Cookie": self.cookie} if self.cookie else {})}
        status, head, parsed = http(method, url, body, headers)
        for value in head.get_all("Set-Cookie") or []:
            if value.startswith("smultron_session="):
                self.cookie = value.split(";", 1)[0]
        return status, head, parsed

    def login(self, base, email, password=factories.PASSWORD):
        token = factories.csrf_from(self.call("GET", f"{base}/login")[2])
        form = urllib.parse.urlencode({"email": email, "password": password,
                                       "csrf_token": token}).encode()
        return self.call("POST", f"{base}/login", form,
                         {"Content-Type": "application/x-www-form-urlencoded",
                          "Referer": f"{base}/login"})[0]


def test_two_instances_share_sessions_and_serve_the_api_alternately(two_instances, setup):
    a, b = two_instances
    browser = Browser()
    assert browser.login(a, setup.world.email("staff_a")) == 302  # logged in on A …
    home = browser.call("GET", f"{b}/home")  # … and B knows the session
    assert home[0] == 200
    csrf = factories.csrf_from(home[2])
    write = {"X-CSRFToken": csrf, "Referer": f"{b}/home"}
    feature = place_data.feature(setup.session_a.id)
    status, head, created = browser.call("POST", f"{b}/api/v1/places", feature, write)
    assert status == 201, created
    status, _head, again = browser.call("POST", f"{a}/api/v1/places", feature,
                                        {**write, "Referer": f"{a}/home"})
    assert status == 200 and again["id"] == created["id"]  # a retry on the other instance
    place = f"/api/v1/places/{created['id']}"
    patch = {"properties": {"children_count": 5, "version": created["properties"]["version"]}}
    status, head, patched = browser.call("PATCH", f"{a}{place}", patch,
                                         {**write, "Referer": f"{a}/home",
                                          "If-Match": head["ETag"]})
    assert status == 200, patched
    status, _head, read = browser.call("GET", f"{b}{place}")
    assert status == 200 and read["properties"]["children_count"] == 5
    token = {"Authorization": f"Bearer {setup.tokens['planner']}"}
    assert http("GET", f"{a}/api/v1/places", headers=token)[0] == 200
    assert http("GET", f"{b}/api/v1/places", headers=token)[0] == 200


def test_two_instances_share_the_login_rate_limit(two_instances, setup):
    a, b = two_instances
    statuses = [Browser().login(url, setup.world.email("planner"), "wrong password")
                for url in (a, b, a, b)]
    assert statuses == [401, 401, 401, 401]
    # The fifth attempt within the minute is refused, whichever instance gets it.
    assert Browser().login(a, setup.world.email("planner")) == 429
    assert Browser().login(b, setup.world.email("planner")) == 429


# -- schemathesis against /api/v1/openapi.json ------------------------------------------

# What the document cannot say, for schemathesis's positive_data_acceptance check (a request
# that matches the schema must be accepted). Each is a documented answer to data that is
# well-formed but refused for what it means:
#   GET /places         400: the cursor is opaque (only the next link's value is one)
#   POST/PATCH a place  422: the session must exist and be the caller's, the place inside
#                            the municipality, children_count at most those present
#   PATCH/DELETE        412: If-Match is not the place's ETag (RFC 9110: a tag that does not
#                            match, malformed or stale, fails the precondition)
#                       428: the version is sent as If-Match or in the body (one of the two)
#   PUT a photo         413/415/422: the body must decode as an image of at most 50 MP
FUZZ_CONFIG = """
[dictionaries.sessions]
values = ["{session}"]

[[operations]]
include-name = "GET /places"
checks.positive_data_acceptance.expected-statuses = [{accepted}, "400"]

[[operations]]
include-name = "POST /places"
checks.positive_data_acceptance.expected-statuses = [{accepted}, "422"]
parameters = {{ "body.properties.session" = {{ dictionary = "sessions", probability = 0.9 }} }}

[[operations]]
include-name = "PATCH /places/{{place_id}}"
checks.positive_data_acceptance.expected-statuses = [{accepted}, "412", "422", "428"]

[[operations]]
include-name = "DELETE /places/{{place_id}}"
checks.positive_data_acceptance.expected-statuses = [{accepted}, "412", "428"]

[[operations]]
include-name = "PUT /places/{{place_id}}/photos/{{photo_id}}"
checks.positive_data_acceptance.expected-statuses = [{accepted}, "400", "413", "415", "422"]

[[operations]]
include-name = "GET /sessions/{{session_id}}"
parameters = {{ "path.session_id" = "{session}" }}
"""
DEFAULT_ACCEPTED = '"2xx", "3xx", "401", "403", "404", "409", "429"'


def test_schemathesis_with_every_check_and_phase_finds_nothing(live_server, setup, db,
                                                               tmp_path):
    """`st run --checks all` (examples, coverage, fuzzing and stateful phases) against the
    running app, as a staff member's API client: the document and the code agree."""
    for index in range(3):
        factories.place(db, setup.session_a, comment=f"Plats {index}")
    db.commit()
    config = tmp_path / "schemathesis.toml"
    config.write_text(FUZZ_CONFIG.format(session=setup.session_a.id,
                                         accepted=DEFAULT_ACCEPTED))
    done = subprocess.run(
        [str(Path(sys.executable).with_name("st")), "--config-file", str(config), "run",
         f"{live_server}/api/v1/openapi.json", "--checks", "all", "--max-examples", "25",
         "--seed", os.environ.get("SMULTRON_FUZZ_SEED", "20261201"), "--workers", "1",
         "--no-color", "--output-truncate", "false",
         "-H", f"Authorization: Bearer {setup.tokens['staff_a']}",
         "--report", "junit", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=1800, check=False)
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-3000:]
    for phase in ("Coverage", "Fuzzing", "Stateful"):  # each ran and found nothing
        assert f"✅  {phase}" in done.stdout, done.stdout


def test_a_server_opens_its_connections_at_start_or_later_when_the_database_is_down(
        database_url):
    from smultron.core import db as dbmodule

    engine = dbmodule.make_engine(database_url)
    try:
        assert dbmodule.warm(engine, 3) == 3
        assert engine.pool.checkedin() == 3  # kept in the pool, PostGIS loaded
    finally:
        engine.dispose()
    down = dbmodule.make_engine("postgresql+psycopg://postgres@/none?host=/nonexistent&port=1")
    try:
        assert dbmodule.warm(down, 3) == 0  # logged, not raised: the pool fills on demand
    finally:
        down.dispose()


PRELOAD_SCRIPT = """
import os, sys, time
from smultron.core import db
from smultron.web import database

engine = db.make_engine(sys.argv[1])
database._warm_in_every_process(engine)
assert engine.pool.checkedin() == db.POOL_SIZE, engine.pool.status()  # made before the fork
pid = os.fork()
if pid == 0:  # a worker: its own connections, opened in the background
    deadline = time.monotonic() + 20
    while engine.pool.checkedin() < db.POOL_SIZE and time.monotonic() < deadline:
        time.sleep(0.05)
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    os._exit(0 if engine.pool.checkedin() == db.POOL_SIZE else 3)
_pid, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 0, status
assert engine.pool.checkedin() == 0, engine.pool.status()  # the parent serves nothing
print("ok")
"""


def test_under_preload_each_worker_opens_its_own_connections_and_the_parent_closes_its(
        database_url):
    """gunicorn --preload (deploy/systemd) makes the app, and opens the pool, before it
    forks the workers: each worker opens its own in the background (the parent's are not
    its to use) and the parent closes its."""
    done = subprocess.run([sys.executable, "-c", PRELOAD_SCRIPT, database_url],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stdout + done.stderr
