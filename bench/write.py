"""Sustained place submissions from 200 clients that post and retry.

    .venv/bin/python bench/write.py [--rows 1000000] [--clients 200] [--duration 30]

Generates N places (bench/generate.py), serves Smultron with gunicorn, and lets
``--clients`` threads each act as a tablet: POST a new place (a fresh client UUID) to
/api/v1/places with a staff member's API token, and on a connection error, a timeout or
a 5xx send the *same* feature again (back-off, up to 30 tries), as the offline queue
does. Halfway through, PostgreSQL is restarted (``--no-restart`` to skip it), so the
retries are exercised. Afterwards the database is checked: every acknowledged place is
stored exactly once (0 lost), and no submission is stored twice (0 duplicated).
Prints throughput (acknowledged places per second), latency percentiles and retries.

``--without-report-triggers`` disables the reports' triggers on place (migration 0011/0013)
before serving: the same run without them, for issue 20's "within 20 %" (README, "Reports
while tablets write").
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

import generate
import psycopg
import report_fresh
from common import app_env, free_port, gunicorn, server
from sqlalchemy.orm import sessionmaker

from smultron import accounts
from smultron.core.db import make_engine

STAFF_ACCOUNTS = 40  # the clients share these (several tablets per preschool)
MAX_TRIES = 30


@dataclass
class Tablet:
    token: str
    session_id: str
    lon: float
    lat: float


@dataclass
class Tally:
    acked: dict = field(default_factory=dict)  # place id -> status of the acknowledgement
    abandoned: list = field(default_factory=list)
    latencies: list = field(default_factory=list)
    retries: int = 0
    statuses: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, status) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1


def tablets(data: generate.Generated) -> list[Tablet]:
    """Staff accounts (with tokens) at preschools whose open-campaign session they use."""
    with psycopg.connect(data.libpq_url) as conn:
        rows = conn.execute(
            """SELECT p.name, s.id::text, ST_X(p.location), ST_Y(p.location)
               FROM preschool p JOIN mapping_session s ON s.preschool_id = p.id
               JOIN campaign c ON c.id = s.campaign_id AND c.status = 'open'
               ORDER BY md5(p.id::text) LIMIT %s""", (STAFF_ACCOUNTS,)).fetchall()
    engine = make_engine(data.url)
    result = []
    with sessionmaker(engine)() as session:
        for index, (name, session_id, lon, lat) in enumerate(rows):
            user = accounts.create_user(session, f"staff{index}@bench.example", "staff",
                                        None, [name])
            result.append(Tablet(accounts.create_token(session, user, "bench"), session_id,
                                 lon, lat))
        session.commit()
    engine.dispose()
    return result


def new_feature(tablet: Tablet, rng: random.Random) -> dict:
    return {"type": "Feature", "id": str(uuid.uuid4()),
            "geometry": {"type": "Point",
                         "coordinates": [tablet.lon + rng.uniform(-0.004, 0.004),
                                         tablet.lat + rng.uniform(-0.002, 0.002)]},
            "properties": {"session": tablet.session_id, "category": "play",
                           "feeling": rng.choice(["favourite", "scary"]), "children_count": 1,
                           "season": "summer", "comment": "Vi bygger kojor här"}}


def post(port: int, tablet: Tablet, body: bytes) -> int | str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/api/v1/places", body,
                           {"Authorization": f"Bearer {tablet.token}",
                            "Content-Type": "application/geo+json"})
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__
    finally:
        connection.close()


def client(port: int, tablet: Tablet, until: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    while time.monotonic() < until:
        feature = new_feature(tablet, rng)
        body = json.dumps(feature).encode()
        for attempt in range(MAX_TRIES):
            started = time.perf_counter()
            status = post(port, tablet, body)
            tally.note(status)
            if status in (200, 201):
                with tally.lock:
                    tally.acked[feature["id"]] = status
                    tally.latencies.append(time.perf_counter() - started)
                break
            if isinstance(status, int) and status < 500:
                raise SystemExit(f"the server refused a valid place: {status}")
            with tally.lock:
                tally.retries += 1
            time.sleep(min(2.0, 0.05 * 2**attempt) * rng.uniform(0.5, 1.5))
        else:
            with tally.lock:
                tally.abandoned.append(feature["id"])


def run(args) -> dict:
    data = generate.generate(args.rows, verbose=True)
    try:
        if not args.report_triggers:
            report_fresh.set_triggers(data.libpq_url, False)
        pads = tablets(data)
        port = free_port()
        tally = Tally()
        cmd = gunicorn("smultron:create_app()", port, args.workers, worker_class="gthread",
                       threads=args.threads)
        with server(cmd, app_env(data), f"http://127.0.0.1:{port}/healthz"):
            started = time.monotonic()
            until = started + args.duration
            threads = [threading.Thread(target=client, args=(port, pads[i % len(pads)], until,
                                                             tally, i), daemon=True)
                       for i in range(args.clients)]
            for thread in threads:
                thread.start()
            if args.restart:
                time.sleep(args.duration / 2)
                data.cluster.restart()
                print("PostgreSQL restarted halfway", flush=True)
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        return {"tally": tally, "elapsed": elapsed, "check": verify(data, tally)}
    finally:
        data.remove()


def verify(data: generate.Generated, tally: Tally) -> dict:
    """Count, in the database, what the clients were told was stored."""
    acked = list(tally.acked)
    with psycopg.connect(data.libpq_url) as conn:
        stored = conn.execute("SELECT count(*) FROM place WHERE id = ANY(%s::uuid[])",
                              (acked,)).fetchone()[0]
        by_bench = conn.execute(
            """SELECT count(*), count(DISTINCT (session_id, ST_AsBinary(geom), comment))
               FROM place p JOIN "user" u ON u.id = p.author_id
               WHERE u.email LIKE '%%@bench.example'""").fetchone()
        abandoned_stored = conn.execute(
            "SELECT count(*) FROM place WHERE id = ANY(%s::uuid[])",
            (tally.abandoned,)).fetchone()[0]
    return {"lost": len(acked) - stored, "rows": by_bench[0],
            "duplicated": by_bench[0] - len(acked) - abandoned_stored,
            "same_content_twice": by_bench[0] - by_bench[1],
            "abandoned_stored": abandoned_stored}


def report(result: dict, args) -> str:
    tally, check, elapsed = result["tally"], result["check"], result["elapsed"]
    latencies = sorted(tally.latencies) or [0.0]

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(tally.statuses.items(), key=str))
    return "\n".join([
        f"POST /api/v1/places from {args.clients} clients for {args.duration} s over "
        f"{args.rows:,} places (gunicorn {args.workers} x {args.threads} threads)"
        + (", PostgreSQL restarted halfway" if args.restart else "")
        + ("" if args.report_triggers else ", without the reports' triggers"),
        f"acknowledged: {len(tally.acked):,} places, {len(tally.acked) / elapsed:.1f} places/s;"
        f" latency p50 {pct(50):.0f} ms, p95 {pct(95):.0f} ms",
        f"retries: {tally.retries:,}; responses: {statuses}",
        f"abandoned after {MAX_TRIES} tries: {len(tally.abandoned)} "
        f"({check['abandoned_stored']} of them stored; a tablet keeps those queued)",
        f"lost: {check['lost']}, duplicated: {check['duplicated']} "
        f"(rows by the clients: {check['rows']:,})",
        f"throughput write: {len(tally.acked) / elapsed:.1f} places/s",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-restart", dest="restart", action="store_false")
    parser.add_argument("--without-report-triggers", dest="report_triggers",
                        action="store_false")
    args = parser.parse_args(argv)
    result = run(args)
    print(report(result, args))
    ok = result["check"]["lost"] == 0 and result["check"]["duplicated"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
