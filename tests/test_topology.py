"""deploy/'s production topology, started for real on this machine (deploy/topology.py, as
make topology does): HAProxy in front of two gunicorn instances, pgbouncer in transaction
mode, a two-node Patroni cluster with one etcd, Redis.

One test walks through it in order, because starting it is the slow part (about a
minute): a login on one instance works on the other and through HAProxy; places are
written and reports read through pgbouncer; Patroni's leader is stopped, the replica is
promoted and, after a short window of 503s, the same app instances (not restarted) answer
again; the old leader rejoins as a replica and receives the new writes; everything stops.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import secrets
import shutil
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from smultron import ROOT

sys.path.insert(0, str(ROOT / "deploy"))
import topology as deploy  # noqa: E402

NEEDED = ("patroni", "etcd", "haproxy", "pgbouncer", "redis-server")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(any(shutil.which(n) is None for n in NEEDED),
                       reason="the topology's servers are not installed (make system-test)"),
]
PASSWORD = "topology test password 2026"  # noqa: S105 - a throwaway cluster


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((deploy.HOST, port))
        except OSError:
            return False
    return True


def _free_base() -> int:
    """A port P with P … P+31 all free on loopback, below the kernel's ephemeral range.

    A block taken from the ephemeral range (bind to port 0) can be handed, a moment
    later, to another test's server or to an outgoing connection: CI saw pg1 fail to
    bind that way. Below 32768 nothing is handed out unasked.
    """
    low = _ephemeral_low()
    for _ in range(200):
        base = secrets.randbelow((low - 20032) // 100) * 100 + 20000
        if all(_bindable(base + i) for i in range(32)):
            return base
    raise AssertionError("no free range of 32 loopback ports")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


@pytest.fixture(scope="module")
def topo():
    base = Path(tempfile.mkdtemp(prefix="smt-topo-"))
    base.chmod(0o755)
    started = None
    try:
        started = deploy.start(base / "t", _free_base(), instances=2, demo=True)
        yield started
    finally:
        if (base / "t" / "topology.json").exists():
            deploy.stop(base / "t")
        shutil.rmtree(base, ignore_errors=True)


# -- HTTP as a browser and as a tablet -------------------------------------------------

class Browser:
    """Cookies kept like a browser's; no redirect followed (a 302 to /login is an answer)."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  self._NoRedirect)

    def request(self, method, url, body=None, headers=None, timeout=15.0):
        data = body
        if isinstance(body, dict):
            data = urllib.parse.urlencode(body).encode()
        request = urllib.request.Request(url, data=data, method=method,  # noqa: S310
                                         headers=headers or {})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
        except OSError as error:
            return type(error).__name__, ""

    def login(self, base: str, email: str) -> int:
        status, page = self.request("GET", f"{base}/login")
        assert status == 200, page[:300]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        return self.request("POST", f"{base}/login", {"email": email, "password": PASSWORD,
                                                       "csrf_token": token})[0]


def post_place(base: str, token: str, session_id: str, place_id: str):
    feature = {"type": "Feature", "id": place_id,
               "geometry": {"type": "Point", "coordinates": [20.226, 67.856]},
               "properties": {"session": session_id, "category": "play",
                              "feeling": "favourite", "children_count": 2,
                              "season": "winter", "comment": "Pulkabacken"}}
    return Browser().request("POST", f"{base}/api/v1/places", json.dumps(feature).encode(),
                             {"Authorization": f"Bearer {token}",
                              "Content-Type": "application/geo+json"})[0]


def psql(topo, node: str, sql: str) -> str:
    return deploy._psql(topo, node, "smultron", sql)


def accounts(topo) -> dict:
    """A staff member (with an API token and an open session of theirs) and an official."""
    session_id, preschool = psql(topo, deploy.leader(topo), """
        SELECT s.id, p.name FROM mapping_session s JOIN preschool p ON p.id = s.preschool_id
        JOIN campaign c ON c.id = s.campaign_id AND c.status = 'open' LIMIT 1""").split("|")
    deploy.smultron_cli(topo, "user", "create", "staff.t@example.org", "--role", "staff",
                        "--preschool", preschool, stdin=PASSWORD + "\n")
    deploy.smultron_cli(topo, "user", "create", "official.t@example.org", "--role",
                        "official", stdin=PASSWORD + "\n")
    token = deploy.smultron_cli(topo, "token", "create", "staff.t@example.org").split()[-1]
    campaign = psql(topo, deploy.leader(topo), "SELECT id FROM campaign WHERE status = 'open' "
                    "ORDER BY id LIMIT 1")
    return {"session": session_id, "token": token, "campaign": campaign}


def until(condition, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def stored(topo, node: str, ids: list[str]) -> int:
    listed = ",".join(f"'{uuid.UUID(i)}'" for i in ids)
    return int(psql(topo, node, f"SELECT count(*) FROM place WHERE id IN ({listed})"))  # noqa: S608


# -- the walk ------------------------------------------------------------------------

def test_the_topology_serves_survives_a_failover_and_stops(topo):
    assert {deploy.node_role(topo, n) for n in deploy.NODES} == {"primary", "replica"}
    who = accounts(topo)
    _login_travels_between_instances(topo)
    ids = _writes_and_reports(topo, who)
    old_leader = deploy.leader(topo)
    other = next(n for n in deploy.NODES if n != old_leader)
    # synchronous replication: what was acknowledged is on the replica already
    assert stored(topo, other, ids) == len(ids)
    _failover(topo, who, old_leader, other)
    deploy.stop(Path(topo.base))
    state = deploy.Topology.load(Path(topo.base))
    assert state.pids == {}
    assert not any(deploy._port_open(p) for p in topo.ports().values())


def _login_travels_between_instances(topo) -> None:
    browser = Browser()
    assert browser.login(topo.instance_url(0), "official.t@example.org") == 302
    for base in (topo.instance_url(1), topo.app_url):
        status, page = browser.request("GET", f"{base}/reports")
        assert status == 200, page[:300]
    stranger = Browser()
    assert stranger.request("GET", f"{topo.app_url}/reports")[0] == 302


def _writes_and_reports(topo, who) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(8)]
    for place_id in ids:
        assert post_place(topo.app_url, who["token"], who["session"], place_id) == 201
    # a retry of the same place (a tablet that missed the answer) is not stored twice
    assert post_place(topo.app_url, who["token"], who["session"], ids[0]) in (200, 201)
    assert stored(topo, deploy.leader(topo), ids) == len(ids)
    official = Browser()
    assert official.login(topo.app_url, "official.t@example.org") == 302
    for _ in range(4):  # both instances, through pgbouncer's smultron_reports
        status, body = official.request(
            "GET", f"{topo.app_url}/reports/data?campaign={who['campaign']}")
        assert status == 200, body[:300]
        assert json.loads(body)["totals"]["places"] > 0
    return ids


def _failover(topo, who, old_leader: str, other: str) -> None:
    app_pids = {name: pid for name, pid in topo.pids.items() if name.startswith("app")}
    deploy.stop_process(topo, old_leader)  # Patroni's leader stops (and its PostgreSQL)
    until(lambda: deploy.node_role(topo, other) == "primary", f"{other} to be promoted")
    statuses, after = [], []

    def written():
        place_id = str(uuid.uuid4())
        status = post_place(topo.app_url, who["token"], who["session"], place_id)
        statuses.append(status)
        if status == 201:
            after.append(place_id)
        return status == 201

    until(written, "a write to succeed after the failover", timeout=60)
    assert set(statuses) <= {201, 503}, statuses  # a 503 window, never a 500
    for _ in range(6):  # and the ones after it, on both instances
        assert written(), statuses
    assert all(deploy._alive(pid) for pid in app_pids.values())
    assert {n: p for n, p in topo.pids.items() if n.startswith("app")} == app_pids
    deploy.start_node(topo, old_leader)
    until(lambda: deploy.node_role(topo, old_leader) == "replica",
          f"{old_leader} to rejoin as a replica", timeout=90)
    assert written()
    until(lambda: stored(topo, old_leader, after) == len(after),
          "the rejoined replica to receive the new places")
