"""The PostgreSQL leader killed (kill -9) under 200 writing tablets, through deploy/'s topology.

    .venv/bin/python bench/failover.py [--clients 200] [--duration 60] [--instances 2]

Starts the topology of deploy/ on free loopback ports (deploy/topology.py, as make
topology: HAProxy, gunicorn instances, pgbouncer, two Patroni nodes with etcd, Redis) with
the demo data; ``--clients`` threads act as tablets as in bench/write.py (POST a new place
with a fresh client UUID through HAProxy; on a connection error, a timeout or a 5xx send
the same feature again). An official reads a report every 0.2 s meanwhile. Halfway, the
leader's Patroni and PostgreSQL are killed with SIGKILL (a machine that loses power):
Patroni promotes the replica once the leader key expires. Afterwards the new primary is
checked: every acknowledged place stored exactly once (lost 0), no retry stored twice
(duplicated 0). Prints the acknowledged places, the 503 window (from the first failed
answer after the kill to the first write acknowledged after the last failure), reports'
availability during that window, and ``ratio failover: <places/s over the whole run> /
<places/s before the kill>``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "deploy"))

import psycopg  # noqa: E402
import topology as deploy  # noqa: E402
import write  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from smultron import accounts  # noqa: E402
from smultron.core.db import make_engine  # noqa: E402

OFFICIAL = "official.bench@example.org"


@dataclass
class Timeline:
    """When each answer came (seconds since the start), for the windows."""

    writes: list = field(default_factory=list)  # (t, status)
    reports: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def free_base() -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1] // 100 * 100
        if 20000 <= base <= 60000 and not any(deploy._port_open(base + i) for i in range(32)):
            return base
    raise SystemExit("no free range of 32 loopback ports")


def tablets(topo) -> tuple[list[write.Tablet], str]:
    """Staff accounts with tokens at the demo's preschools, and an official's token."""
    with psycopg.connect(topo.primary_libpq()) as conn:
        rows = conn.execute(
            """SELECT p.name, s.id::text, ST_X(p.location), ST_Y(p.location)
               FROM preschool p JOIN mapping_session s ON s.preschool_id = p.id
               JOIN campaign c ON c.id = s.campaign_id AND c.status = 'open'
               ORDER BY s.id LIMIT %s""", (write.STAFF_ACCOUNTS,)).fetchall()
        campaign = conn.execute("SELECT id FROM campaign WHERE status = 'open' "
                                "ORDER BY id LIMIT 1").fetchone()[0]
    engine = make_engine(topo.database_url(), "transaction")
    result = []
    with sessionmaker(engine)() as session:
        for index, (name, session_id, lon, lat) in enumerate(rows):
            user = accounts.create_user(session, f"staff{index}@bench.example", "staff",
                                        None, [name])
            result.append(write.Tablet(accounts.create_token(session, user, "bench"),
                                       session_id, lon, lat))
        official = accounts.create_user(session, OFFICIAL, "official", None)
        token = accounts.create_token(session, official, "bench")
        session.commit()
    engine.dispose()
    return result, f"{token}|{campaign}"


class TimedTally(write.Tally):
    """bench/write.py's tally, with the time of every answer."""

    def __init__(self, timeline: Timeline, started: float):
        super().__init__()
        self.timeline, self.started = timeline, started

    def note(self, status) -> None:
        super().note(status)
        with self.timeline.lock:
            self.timeline.writes.append((time.monotonic() - self.started, status))


def read_reports(base: str, official: str, until: float, timeline: Timeline,
                 started: float) -> None:
    token, campaign = official.split("|")
    url = f"{base}/reports/data?campaign={campaign}"
    while time.monotonic() < until:
        request = urllib.request.Request(  # noqa: S310 - a loopback http:// address
            url, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError as error:
            status = type(error).__name__
        with timeline.lock:
            timeline.reports.append((time.monotonic() - started, status))
        time.sleep(0.2)


def run(args, topo) -> dict:
    pads, official = tablets(topo)
    port = topo.port
    timeline = Timeline()
    started = time.monotonic()
    tally = TimedTally(timeline, started)
    until = started + args.duration
    threads = [threading.Thread(target=write.client, args=(port, pads[i % len(pads)], until,
                                                           tally, i), daemon=True)
               for i in range(args.clients)]
    threads.append(threading.Thread(target=read_reports, args=(
        topo.app_url, official, until, timeline, started), daemon=True))
    for thread in threads:
        thread.start()
    time.sleep(args.duration / 2)
    killed_leader = deploy.leader(topo)
    killed_at = time.monotonic() - started
    acked_before = len(tally.acked)
    deploy.node_kill(topo, killed_leader)
    print(f"{killed_leader} (the leader) killed with SIGKILL at {killed_at:.1f} s", flush=True)
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    new_leader = deploy.leader(topo)
    return {"tally": tally, "timeline": timeline, "elapsed": elapsed, "killed_at": killed_at,
            "acked_before": acked_before, "killed": killed_leader, "leader": new_leader,
            "check": verify(topo, tally)}


def verify(topo, tally) -> dict:
    """bench/write.py's check, on the new primary (through HAProxy's primary port)."""
    acked = list(tally.acked)
    with psycopg.connect(topo.primary_libpq()) as conn:
        stored = conn.execute("SELECT count(*) FROM place WHERE id = ANY(%s::uuid[])",
                              (acked,)).fetchone()[0]
        rows = conn.execute(
            """SELECT count(*) FROM place p JOIN "user" u ON u.id = p.author_id
               WHERE u.email LIKE '%%@bench.example'""").fetchone()[0]
        abandoned_stored = conn.execute(
            "SELECT count(*) FROM place WHERE id = ANY(%s::uuid[])",
            (tally.abandoned,)).fetchone()[0]
    return {"lost": len(acked) - stored, "rows": rows,
            "duplicated": rows - len(acked) - abandoned_stored,
            "abandoned_stored": abandoned_stored}


def window(result) -> tuple[float, float, float]:
    """(first failure after the kill, first acknowledged write after the last failure,
    reports' share of 200s between them)."""
    killed = result["killed_at"]
    writes = sorted(result["timeline"].writes)
    failures = [t for t, status in writes if t >= killed and status not in (200, 201)]
    if not failures:
        return killed, killed, 1.0
    first, last = failures[0], failures[-1]
    recovered = next((t for t, status in writes if t > last and status in (200, 201)), last)
    during = [status for t, status in result["timeline"].reports if first <= t <= recovered]
    share = during.count(200) / len(during) if during else 1.0
    return first, recovered, share


def _counts(statuses: list) -> str:
    counts: dict = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=str))


def report(result, args) -> str:
    tally, check, elapsed = result["tally"], result["check"], result["elapsed"]
    first, recovered, share = window(result)
    reports = [status for _t, status in result["timeline"].reports]
    overall = reports.count(200) / len(reports) if reports else 0.0
    rate = len(tally.acked) / elapsed
    before = result["acked_before"] / result["killed_at"]
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(tally.statuses.items(), key=str))
    return "\n".join([
        f"POST /api/v1/places from {args.clients} clients for {args.duration} s through "
        f"HAProxy ({args.instances} gunicorn instances), pgbouncer, Patroni x2; "
        f"{result['killed']} killed (SIGKILL) at {result['killed_at']:.1f} s, "
        f"{result['leader']} leads now",
        f"acknowledged: {len(tally.acked):,} places, {rate:.1f} places/s "
        f"({before:.1f} places/s before the kill)",
        f"retries: {tally.retries:,}; responses: {statuses}",
        f"503 window: {recovered - first:.1f} s (first failure {first - result['killed_at']:.1f}"
        f" s after the kill, writes acknowledged again {recovered - result['killed_at']:.1f} s "
        "after it)",
        f"reports: {share:.0%} of {OFFICIAL}'s reads answered 200 during the window, "
        f"{overall:.0%} over the run ({_counts(reports)})",
        f"abandoned after {write.MAX_TRIES} tries: {len(tally.abandoned)} "
        f"({check['abandoned_stored']} of them stored)",
        f"lost: {check['lost']}, duplicated: {check['duplicated']} "
        f"(rows by the clients: {check['rows']:,})",
        f"ratio failover: {rate / before if before else 0:.2f} "
        "(places/s over the whole run / places/s before the kill)",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--instances", type=int, default=2)
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="smt-failover-"))
    base.chmod(0o755)
    try:
        topo = deploy.start(base / "t", free_base(), args.instances, demo=True)
        result = run(args, topo)
    finally:
        if (base / "t" / "topology.json").exists():
            deploy.stop(base / "t")
        shutil.rmtree(base, ignore_errors=True)
    print(report(result, args))
    print(json.dumps({"lost": result["check"]["lost"],
                      "duplicated": result["check"]["duplicated"]}))
    ok = result["check"]["lost"] == 0 and result["check"]["duplicated"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
