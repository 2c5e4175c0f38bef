"""``bench/report.py --writers N``: the first view of a report after a change, while N
clients keep adding and moving places; kept figures (reports/kept.py) against the full
recomputation from every place (aggregate.collect), in the same run on the same data.

The writers are threads with a connection each (autocommit), each statement one
transaction, as the API's; each is a tablet, as in bench/write.py: it maps in one mapping
session (a random one) until it has added ``SESSION_PLACES`` places there, then goes on
to another (the next group's outing). Half of its writes add a place (a random category,
feeling, children_count), the other half move one of the places it added by a few
metres. Alone, the writers write as fast as they can; during the views each writes at
``--write-rate`` places/s (Poisson arrivals; default 10, some 200 times a group's pace
with a tablet), so that the views are measured beside writers rather than starved of the
two cores by them. The reports are built in this process (build_report, a new cache each time: the
data version changes with every write anyway, so every view is a first view, and it
applies the changes pending since the previous one) for the country gathered into one
municipality (both campaigns). The write throughput is measured first, writers alone,
with the reports' triggers and without them (ALTER TABLE ... DISABLE TRIGGER; the places
written without them are deleted afterwards, so no rebuild is needed).
"""

from __future__ import annotations

import multiprocessing
import random
import resource
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from smultron.core.db import make_engine
from smultron.reports import ReportCache, ReportFilters, build_report

K = 5
FORK = multiprocessing.get_context("fork")
SESSION_PLACES = 50  # a tablet's places in one mapping session (one group's outing)
REPORT_TRIGGERS = ("report_place_insert", "report_place_update", "report_place_delete",
                   "report_place_answer")
INSERT = """INSERT INTO place (id, municipality_id, session_id, preschool_id, campaign_id, geom,
  category_id, feeling, children_count, age_group, season, comment_state, version)
VALUES (gen_random_uuid(), %s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s,
        '3-4', 'summer', 'none', 1) RETURNING id"""
MOVE = ("UPDATE place SET geom = ST_Translate(geom, %s, %s), updated_at = now(), "
        "version = version + 1 WHERE id = %s")


@dataclass
class Writers:
    """The writer threads, in a process of their own (as tablets are other clients than
    the official's app: the views do not share a GIL with them)."""

    url: str
    count: int
    sessions: list
    categories: list
    per_second: float | None = None  # each writer's pace; None: as fast as it can
    stop: Any = field(default_factory=lambda: FORK.Event())
    counter: Any = field(default_factory=lambda: FORK.Value("q", 0))

    @property
    def done(self) -> int:
        return self.counter.value

    def run(self, seconds: float | None = None):
        self.stop.clear()
        self.counter.value = 0
        process = FORK.Process(target=self._threads, daemon=True)
        process.start()
        if seconds is not None:
            time.sleep(seconds)
            self.halt(process)
        return process

    def halt(self, process) -> None:
        self.stop.set()
        process.join()

    def _threads(self) -> None:
        threads = [threading.Thread(target=self._write, args=(n,)) for n in range(self.count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _write(self, seed: int) -> None:
        rng = random.Random(seed)
        mine: list = []  # the places it added in this session
        due = time.monotonic()
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                if self.per_second:
                    due += rng.expovariate(self.per_second)  # Poisson arrivals
                    time.sleep(max(0.0, due - time.monotonic()))
                if not mine or len(mine) >= SESSION_PLACES:  # out with another group
                    muni, sid, pid, cid, lon, lat = rng.choice(self.sessions)
                    mine = []
                if mine and rng.random() < 0.5:
                    conn.execute(MOVE, (rng.uniform(-0.002, 0.002), rng.uniform(-0.001, 0.001),
                                        rng.choice(mine)))
                else:
                    row = conn.execute(INSERT, (
                        muni, sid, pid, cid, lon + rng.gauss(0, 0.004), lat + rng.gauss(0, 0.002),
                        rng.choice(self.categories), rng.choice(("favourite", "scary")),
                        rng.randint(1, 6))).fetchone()
                    mine.append(row[0])
                with self.counter.get_lock():
                    self.counter.value += 1


def writers_for(libpq_url: str, count: int) -> Writers:
    with psycopg.connect(libpq_url) as conn:
        sessions = conn.execute(
            "SELECT s.municipality_id, s.id, s.preschool_id, s.campaign_id, ST_X(p.location), "
            "ST_Y(p.location) FROM mapping_session s JOIN preschool p ON p.id = s.preschool_id"
        ).fetchall()
        categories = [r[0] for r in conn.execute("SELECT id FROM category")]
    return Writers(libpq_url, count, sessions, categories)


def set_triggers(libpq_url: str, enabled: bool, rebuild: bool = True) -> None:
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        for name in REPORT_TRIGGERS:
            conn.execute(f"ALTER TABLE place {'ENABLE' if enabled else 'DISABLE'} "
                         f"TRIGGER {name}")
        if enabled and rebuild:
            conn.execute("SELECT report_kept_rebuild()")


def without_triggers(writers: Writers, seconds: float) -> float:
    """The writers' throughput with the reports' triggers disabled; then the places they
    added are deleted, still without the triggers (they only moved their own), so the
    kept figures stay equal to the places with no rebuild (minutes at 10,000,000)."""
    set_triggers(writers.url, False)
    with psycopg.connect(writers.url, autocommit=True) as conn:
        since = conn.execute("SELECT clock_timestamp()").fetchone()[0]
        rate = throughput(writers, seconds)
        conn.execute("DELETE FROM place WHERE created_at >= %s", (since,))
    set_triggers(writers.url, True, rebuild=False)
    return rate


def throughput(writers: Writers, seconds: float) -> float:
    writers.run(seconds)
    return writers.done / seconds


def first_views(url: str, campaigns: list[int], rounds: dict[str, int],
                writers: Writers) -> dict:
    """The kept report ``rounds["kept"]`` times, then the full one ``rounds["full"]``
    times, each a first view, under the writers (one after the other: each kept view
    applies the changes written while the one before it was built)."""
    engine = make_engine(url)
    times: dict[str, list[float]] = {"kept": [], "full": [], "pending": []}
    process = writers.run()
    try:
        with sessionmaker(engine)() as session:
            filters = ReportFilters.parse(session, {"campaign": [str(c) for c in campaigns]})
            session.rollback()
            for name, kept in (("kept", True), ("full", False)):
                for _ in range(rounds[name]):
                    if kept:
                        times["pending"].append(session.execute(text(
                            "SELECT count(*) FROM report_pending")).scalar_one())
                    started = time.perf_counter()
                    build_report(session, filters, K, ReportCache(), kept=kept)
                    session.commit()  # as the web layer: the applied changes stay applied
                    times[name].append((time.perf_counter() - started) * 1000)
    finally:
        writers.halt(process)
        engine.dispose()
    return times


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(data, campaigns: list[int], args) -> dict:
    writers = writers_for(data.libpq_url, args.writers)
    with_triggers = throughput(writers, args.duration)
    with psycopg.connect(data.libpq_url, autocommit=True) as conn:  # what they left pending
        started = time.perf_counter()
        applied = conn.execute("SELECT report_kept_refresh()").fetchone()[0]
        catch_up = (applied, time.perf_counter() - started)
    without = without_triggers(writers, args.duration)
    with psycopg.connect(data.libpq_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        places = conn.execute("SELECT count(*) FROM place WHERE deleted_at IS NULL").fetchone()[0]
        figures = conn.execute("SELECT count(*) FROM report_figure").fetchone()[0]
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))"
                            ).fetchone()[0]
    writers.per_second = args.write_rate
    rounds = {"kept": args.changes, "full": args.full_changes or args.changes}
    times = first_views(data.url, campaigns, rounds, writers)
    return {"with": with_triggers, "without": without, "times": times, "places": places,
            "figures": figures, "writes_during": writers.done, "size": size,
            "catch_up": catch_up}


def report(r: dict, args) -> str:
    kept, full = r["times"]["kept"], r["times"]["full"]
    ratio = percentile(kept, 95) / percentile(full, 95)
    return "\n".join([
        f"first view after a change, {args.rows:,} places generated ({r['places']:,} before "
        f"the views) in one municipality, both campaigns, k = {K}, {args.writers} writers; "
        f"database {r['size']}",
        f"writes (writers alone, {args.duration:.0f} s each): {r['with']:.0f} places/s with "
        f"the report triggers, {r['without']:.0f} places/s without "
        f"({r['with'] / r['without']:.2f} of it); the {r['catch_up'][0]:,} changes they left "
        f"pending applied in {r['catch_up'][1]:.1f} s",
        f"kept figures ({r['figures']:,} rows of report_figure): p50 {percentile(kept, 50):.0f}"
        f" ms, p95 {percentile(kept, 95):.0f} ms over {len(kept)} views",
        f"changes pending before a kept view: p50 {percentile(r['times']['pending'], 50):,.0f},"
        f" max {max(r['times']['pending']):,}",
        f"full recomputation: p50 {percentile(full, 50):.0f} ms, p95 "
        f"{percentile(full, 95):.0f} ms over {len(full)} views",
        f"{r['writes_during']:,} writes during the views ({args.writers} writers at "
        f"{args.write_rate:g} places/s each); peak memory of the process that built the "
        f"reports: {peak_rss_mb():,.0f} MB",
        f"ratio report-fresh: {ratio:.3f}",
    ])
