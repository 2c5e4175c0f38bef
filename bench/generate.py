"""Synthetic national-scale data: N places over Sweden, clustered around preschools.

    .venv/bin/python bench/generate.py --rows 1000000 [--dir DIR] [--keep] [--one-municipality]

Every benchmark calls ``generate(rows)``: a fresh embedded PostGIS cluster (no fsync),
migrated, categories seeded, then one municipality per region (a few for small N),
~9,000 preschools at national scale (fewer for small N) with two departments each,
two campaigns per municipality, mapping sessions of some 50 places each per preschool
and campaign (one each up to 1,000,000 places, 11 at 10,000,000), and
N places scattered around their preschools (most within a few hundred metres, like
real data). Places are loaded by binary COPY with EWKB built by numpy, the secondary
indexes (GiST included) dropped during the load and rebuilt after, the foreign-key
triggers skipped (the rows are built consistent; CHECK constraints still run), then
stored session by session (CLUSTER), as a live database holds them, and the map's cell
counts and the reports' kept figures computed (place_cell_rebuild(), report_kept_rebuild()).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from smultron import reference  # noqa: E402
from smultron.core.db import make_engine  # noqa: E402
from smultron.core.embedded_pg import EmbeddedPostgres  # noqa: E402
from smultron.models import AGE_GROUPS, FEELINGS, SEASONS  # noqa: E402

DB_NAME = "smultron"
NATIONAL_PRESCHOOLS = 9_000
PLACES_PER_PRESCHOOL = 110  # 1M places -> ~9,000 preschools
PLACES_PER_SESSION = 50  # one group's outing (as bench/report_fresh.py's tablets)
METRES_PER_DEGREE = 111_320.0
# One municipality per region (the regional seat) plus Kiruna: code, name, lon, lat,
# population weight (thousands, rounded): preschools are spread in proportion.
MUNICIPALITIES = (
    ("0180", "Stockholm", 18.07, 59.33, 2400), ("1480", "Göteborg", 11.97, 57.71, 1750),
    ("1280", "Malmö", 13.00, 55.60, 1400), ("0380", "Uppsala", 17.64, 59.86, 400),
    ("0580", "Linköping", 15.62, 58.41, 470), ("0680", "Jönköping", 14.16, 57.78, 370),
    ("1980", "Västerås", 16.55, 59.61, 280), ("1880", "Örebro", 15.21, 59.27, 310),
    ("0480", "Nyköping", 17.01, 58.75, 300), ("1380", "Halmstad", 12.86, 56.67, 340),
    ("1780", "Karlstad", 13.50, 59.38, 280), ("2080", "Falun", 15.63, 60.61, 290),
    ("2180", "Gävle", 17.14, 60.67, 290), ("0780", "Växjö", 14.81, 56.88, 200),
    ("0880", "Kalmar", 16.36, 56.66, 250), ("1080", "Karlskrona", 15.59, 56.16, 160),
    ("2280", "Härnösand", 17.94, 62.63, 240), ("2480", "Umeå", 20.26, 63.83, 280),
    ("2580", "Luleå", 22.15, 65.58, 230), ("2380", "Östersund", 14.64, 63.18, 130),
    ("0980", "Gotland", 18.30, 57.64, 60), ("2584", "Kiruna", 20.23, 67.86, 25),
)
CAMPAIGNS = (("Våren 2026", "2026-03-01", "2026-05-31", "closed"),
             ("Hösten 2026", "2026-09-01", None, "open"))
PLACE_COLUMNS = ("id", "municipality_id", "session_id", "preschool_id", "campaign_id", "geom",
                 "category_id", "feeling", "children_count", "age_group", "season",
                 "comment_state", "version")
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
EWKB_POINT_4326 = (1, 0x20000001, 4326)  # little endian, Point with SRID
CHUNK_ROWS = 1_000_000  # places made at a time (about 1 GB of arrays at 10,000,000)


@dataclass
class Generated:
    """What ``generate`` made: the running cluster and a few numbers."""

    cluster: EmbeddedPostgres
    dbname: str
    rows: int
    preschools: int
    municipalities: int
    seconds: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.cluster.url(self.dbname)

    @property
    def libpq_url(self) -> str:
        return self.cluster.libpq_url(self.dbname)

    def remove(self) -> None:
        self.cluster.remove()
        parent = self.cluster.base_dir.parent
        if parent.name.startswith("smt-bench-"):  # made by new_cluster
            shutil.rmtree(parent, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def new_cluster(base_dir: Path | None = None, tcp: bool = True) -> EmbeddedPostgres:
    """A fresh throwaway cluster (no fsync), on a free TCP port on 127.0.0.1 if ``tcp``."""
    base = Path(base_dir or tempfile.mkdtemp(prefix="smt-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o755)
    return EmbeddedPostgres(base / "pg", fast=True, port=free_port() if tcp else None)


def generate(rows: int, base_dir: Path | None = None, seed: int = 2026,
             cluster: EmbeddedPostgres | None = None, dbname: str = DB_NAME,
             verbose: bool = False, counts: bool = True,
             one_municipality: bool = False) -> Generated:
    """Create (or reuse) a cluster, migrate it and load ``rows`` synthetic places; with
    ``counts=False`` the map's cell counts and the reports' kept figures are left for the
    caller to rebuild. ``one_municipality``: every preschool (still spread over the
    regions) belongs to the first municipality, whose report is then the country's
    (bench/report.py)."""
    started = time.perf_counter()
    pg = cluster or new_cluster(base_dir)
    pg.ensure(dbname)
    engine = make_engine(pg.url(dbname))
    reference.migrate_and_seed(engine)
    engine.dispose()
    seconds = {"cluster": time.perf_counter() - started}
    rng = np.random.default_rng(seed)
    with psycopg.connect(pg.libpq_url(dbname), autocommit=False) as conn:
        schools = _reference_rows(conn, rng, rows, one_municipality)
        conn.commit()
        seconds["reference"] = time.perf_counter() - started - seconds["cluster"]
        loaded = time.perf_counter()
        indexes = _drop_secondary_indexes(conn, "place")
        # The rows are built consistent (every id comes from the rows inserted above):
        # skip the per-row foreign-key triggers during the load, as pg_restore does.
        conn.execute("SET session_replication_role = replica")
        _copy_places(conn, _place_records(rng, rows, schools))
        conn.execute("SET session_replication_role = DEFAULT")
        conn.commit()
        seconds["copy"] = time.perf_counter() - loaded
        rebuilt = time.perf_counter()
        _recreate_indexes(conn, indexes)
        # On disk, a live database holds a session's places together (the tablets save
        # them within minutes); the COPY wrote them in random order.
        conn.execute("CLUSTER place USING ix_place_session_id")
        conn.commit()
        seconds["index"] = time.perf_counter() - rebuilt
        counted = time.perf_counter()
        if counts:
            conn.execute("SELECT place_cell_rebuild()")  # the COPY skipped its triggers
            conn.execute("SELECT report_kept_rebuild()")  # and the reports' (migration 0011)
        conn.commit()
        seconds["cells"] = time.perf_counter() - counted
    with psycopg.connect(pg.libpq_url(dbname), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        # As README recommends for the database that serves the app: JIT compiling costs
        # 30-70 ms per bbox query and buys nothing for short queries, and parallel workers
        # only add overhead when every core is busy serving requests.
        conn.execute(f'ALTER DATABASE "{dbname}" SET jit = off')
        conn.execute(f'ALTER DATABASE "{dbname}" SET max_parallel_workers_per_gather = 0')
    seconds["total"] = time.perf_counter() - started
    result = Generated(pg, dbname, rows, len(schools["id"]), len(set(schools["muni"])), seconds)
    if verbose:
        print(summary(result))
    return result


def summary(result: Generated) -> str:
    s = result.seconds
    return (f"generated {result.rows:,} places around {result.preschools:,} preschools in "
            f"{result.municipalities} municipalities in {s['total']:.1f} s "
            f"(COPY {s['copy']:.1f} s, indexes and CLUSTER {s['index']:.1f} s, "
            f"cell counts {s['cells']:.1f} s)")


# -- municipalities, campaigns, preschools, sessions ---------------------------------

def preschool_count(rows: int) -> int:
    return int(min(NATIONAL_PRESCHOOLS, max(2, rows // PLACES_PER_PRESCHOOL)))


def _municipalities_for(preschools: int) -> tuple:
    """A few municipalities for small data, one per region at national scale."""
    count = min(len(MUNICIPALITIES), max(1, preschools // 40))
    return MUNICIPALITIES[:count]


def _reference_rows(conn, rng, rows: int, one_municipality: bool = False) -> dict:
    n_schools = preschool_count(rows)
    munis = _municipalities_for(n_schools)
    weights = np.array([m[4] for m in munis], dtype=float)
    region_of_school = rng.choice(len(munis), size=n_schools, p=weights / weights.sum())
    centre = np.array([(m[2], m[3]) for m in munis])[region_of_school]
    if one_municipality:  # the country as one municipality (no extent: it is everywhere)
        munis = munis[:1]
        muni_of_school = np.zeros(n_schools, dtype=int)
    else:
        muni_of_school = region_of_school
    muni_ids = [_insert_municipality(conn, m, extent=not one_municipality) for m in munis]
    campaigns = {(i, c): _insert_campaign(conn, muni_ids[i], spec)
                 for i in range(len(munis)) for c, spec in enumerate(CAMPAIGNS)}
    lat = centre[:, 1] + np.clip(rng.normal(0, 0.07, n_schools), -0.35, 0.35)
    lon = centre[:, 0] + np.clip(rng.normal(0, 0.12, n_schools), -0.7, 0.7)
    school_ids = _insert_preschools(conn, rng, muni_of_school, muni_ids, lon, lat)
    per_unit = sessions_per_unit(rows, n_schools)
    sessions = _insert_sessions(conn, rng, school_ids, muni_of_school, muni_ids, campaigns,
                                per_unit)
    return {"id": np.array(school_ids), "muni": np.array(muni_ids)[muni_of_school],
            "lon": lon, "lat": lat, "sessions": sessions,
            "campaigns": np.array([[campaigns[(m, c)] for c in range(len(CAMPAIGNS))]
                                   for m in muni_of_school]),
            "categories": [r[0] for r in conn.execute("SELECT id FROM category ORDER BY id")]}


def _insert_municipality(conn, spec, extent: bool = True) -> int:
    code, name, lon, lat, _weight = spec
    box = (lon - 1.2, lat - 0.6, lon + 1.2, lat + 0.6) if extent else (None,) * 4
    return conn.execute(
        "INSERT INTO municipality (code, name, extent) VALUES (%s, %s, "
        "ST_MakeEnvelope(%s, %s, %s, %s, 4326)) RETURNING id", (code, name, *box)).fetchone()[0]


def _insert_campaign(conn, muni_id: int, spec) -> int:
    name, starts, ends, status = spec
    return conn.execute(
        "INSERT INTO campaign (municipality_id, name, starts_on, ends_on, status) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING id", (muni_id, name, starts, ends, status),
    ).fetchone()[0]


def _insert_preschools(conn, rng, muni_of_school, muni_ids, lon, lat) -> list[int]:
    n = len(lon)
    names = [f"Förskolan Smultron {i + 1}" for i in range(n)]
    codes = [f"BENCH{i + 1:05d}" for i in range(n)]
    enrolled = rng.integers(15, 140, n).tolist()
    munis = [int(muni_ids[m]) for m in muni_of_school]
    ids = [r[0] for r in conn.execute(
        """INSERT INTO preschool (municipality_id, name, unit_code, location, neighbourhood,
                                  enrolled_children)
           SELECT m, nm, uc, ST_SetSRID(ST_MakePoint(x, y), 4326),
                  ST_Transform(ST_Buffer(ST_Transform(ST_SetSRID(ST_MakePoint(x, y), 4326),
                                                      3006), 1000, 'quad_segs=16'), 4326), e
           FROM unnest(%s::int[], %s::text[], %s::text[], %s::float8[], %s::float8[],
                       %s::int[]) WITH ORDINALITY AS t(m, nm, uc, x, y, e, n)
           ORDER BY n RETURNING id""",
        (munis, names, codes, lon.tolist(), lat.tolist(), enrolled))]
    conn.execute("INSERT INTO department (preschool_id, name) SELECT id, d FROM "
                 "unnest(%s::int[]) AS p(id), unnest(ARRAY['Blåbär', 'Lingon']) AS d",
                 (ids,))
    return ids


def sessions_per_unit(rows: int, n_schools: int) -> int:
    """Mapping sessions per preschool and campaign: one group's outing maps some
    ``PLACES_PER_SESSION`` places, so a preschool with more places held more sessions (one
    each up to 1,000,000 places; 11 at 10,000,000)."""
    return max(1, round(rows / (n_schools * len(CAMPAIGNS) * PLACES_PER_SESSION)))


def _insert_sessions(conn, rng, school_ids, muni_of_school, muni_ids, campaigns,
                     per_unit: int = 1) -> np.ndarray:
    """``per_unit`` sessions per preschool and campaign; returns their UUIDs as
    (n_schools, campaigns, per_unit, 16)."""
    n = len(school_ids)
    shape = (n, len(CAMPAIGNS), per_unit)
    ids = _uuid_bytes(rng, n * len(CAMPAIGNS) * per_unit).reshape(*shape, 16)
    ages = rng.choice(AGE_GROUPS, size=shape)
    children = rng.integers(4, 20, size=shape)
    with conn.cursor().copy(
        "COPY mapping_session (id, municipality_id, campaign_id, preschool_id, held_on, "
        "children_present, age_group, consent_confirmed) FROM STDIN"
    ) as copy:
        for i, school in enumerate(school_ids):
            muni = int(muni_ids[muni_of_school[i]])
            for c, spec in enumerate(CAMPAIGNS):
                for k in range(per_unit):
                    copy.write_row((ids[i, c, k].tobytes().hex(), muni,
                                    campaigns[(muni_of_school[i], c)], school, spec[1],
                                    int(children[i, c, k]), str(ages[i, c, k]), True))
    return ids


def _uuid_bytes(rng, n: int) -> np.ndarray:
    """``n`` random version-4 UUIDs as an (n, 16) uint8 array."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    return raw


# -- places: numpy records in PostgreSQL's binary COPY format ------------------------

def _place_records(rng, rows: int, schools: dict):
    """Yield binary COPY tuples, ``CHUNK_ROWS`` places at a time (memory stays bounded at
    any N), one fixed-size numpy record array per combination of the variable-length
    text columns (feeling, age group, season)."""
    for start in range(0, rows, CHUNK_ROWS):
        yield from _chunk_records(rng, min(CHUNK_ROWS, rows - start), schools)


def _chunk_records(rng, rows: int, schools: dict):
    n_schools = len(schools["id"])
    school = rng.integers(0, n_schools, rows)
    campaign = rng.integers(0, len(CAMPAIGNS), rows)
    # Most places within ~300 m of the preschool, some further away (the forest, the lake).
    spread = np.where(rng.random(rows) < 0.8, 300.0, 1200.0)
    north = np.clip(rng.normal(0, 1, rows) * spread, -3000, 3000)
    east = np.clip(rng.normal(0, 1, rows) * spread, -3000, 3000)
    lat = schools["lat"][school] + north / METRES_PER_DEGREE
    lon = schools["lon"][school] + east / (METRES_PER_DEGREE * np.cos(np.radians(lat)))
    feeling = rng.choice(len(FEELINGS), rows, p=[0.85, 0.15])
    age = rng.integers(0, len(AGE_GROUPS), rows)
    season = rng.integers(0, len(SEASONS), rows)
    columns = {
        "id": _uuid_bytes(rng, rows),
        "municipality_id": schools["muni"][school],
        "session_id": schools["sessions"][school, campaign, _session_of(rng, schools, rows)],
        "preschool_id": schools["id"][school],
        "campaign_id": schools["campaigns"][school, campaign],
        "lon": lon, "lat": lat,
        "category_id": rng.choice(schools["categories"], rows),
        "children_count": rng.integers(1, 9, rows),
    }
    combo = (feeling * len(AGE_GROUPS) + age) * len(SEASONS) + season
    for f, feel in enumerate(FEELINGS):
        for a, age_group in enumerate(AGE_GROUPS):
            for s, season_name in enumerate(SEASONS):
                mask = combo == (f * len(AGE_GROUPS) + a) * len(SEASONS) + s
                if mask.any():
                    texts = (feel.encode(), age_group.encode(), season_name.encode(), b"none")
                    yield _records({k: v[mask] for k, v in columns.items()}, texts)


def _session_of(rng, schools: dict, rows: int) -> np.ndarray:
    """Each place's session among its preschool's and campaign's (no draw when there is
    one: the data of up to 1,000,000 places stays what it was)."""
    per_unit = schools["sessions"].shape[2]
    return rng.integers(0, per_unit, rows) if per_unit > 1 else np.zeros(rows, dtype=int)


def _records(columns: dict, texts: tuple[bytes, ...]) -> np.ndarray:
    feeling, age_group, season, comment_state = texts
    fields = [("n", ">i2")]
    fields += _field("id", "V16") + _field("municipality_id", ">i4")
    fields += _field("session_id", "V16") + _field("preschool_id", ">i4")
    fields += _field("campaign_id", ">i4")
    fields += [("l_geom", ">i4"), ("g_order", "u1"), ("g_type", "<u4"), ("g_srid", "<u4"),
               ("g_x", "<f8"), ("g_y", "<f8")]
    fields += _field("category_id", ">i4") + _field("feeling", f"S{len(feeling)}")
    fields += _field("children_count", ">i4") + _field("age_group", f"S{len(age_group)}")
    fields += _field("season", f"S{len(season)}")
    fields += _field("comment_state", f"S{len(comment_state)}") + _field("version", ">i4")
    out = np.empty(len(columns["lon"]), dtype=np.dtype(fields))
    out["n"] = len(PLACE_COLUMNS)
    for name, _dtype in fields:
        if name.startswith("l_") and name != "l_geom":
            out[name] = out.dtype[name[2:]].itemsize
    out["l_geom"] = 25
    out["g_order"], out["g_type"], out["g_srid"] = EWKB_POINT_4326
    out["g_x"], out["g_y"] = columns["lon"], columns["lat"]
    out["id"] = columns["id"].view("V16").ravel()
    out["session_id"] = np.ascontiguousarray(columns["session_id"]).view("V16").ravel()
    for name in ("municipality_id", "preschool_id", "campaign_id", "category_id",
                 "children_count"):
        out[name] = columns[name]
    out["feeling"], out["age_group"], out["season"] = feeling, age_group, season
    out["comment_state"], out["version"] = comment_state, 1
    return out


def _field(name: str, dtype: str) -> list[tuple[str, str]]:
    return [(f"l_{name}", ">i4"), (name, dtype)]


def _copy_places(conn, record_arrays) -> None:
    columns = ", ".join(PLACE_COLUMNS)
    with conn.cursor().copy(f"COPY place ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(COPY_HEADER)
        for records in record_arrays:
            data = records.tobytes()
            for start in range(0, len(data), 8 << 20):
                copy.write(data[start:start + (8 << 20)])
        copy.write(COPY_TRAILER)


def _drop_secondary_indexes(conn, table: str) -> list[tuple[str, str]]:
    """Drop every index of ``table`` that backs no constraint; return (name, definition)."""
    found = conn.execute(
        """SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
           WHERE t.relname = %s AND NOT EXISTS
             (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)""",
        (table,)).fetchall()
    for name, _definition in found:
        conn.execute(f'DROP INDEX "{name}"')
    return found


def _recreate_indexes(conn, indexes: list[tuple[str, str]]) -> None:
    conn.execute("SET maintenance_work_mem = '512MB'")
    for _name, definition in indexes:
        conn.execute(definition)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None,
                        help="folder for the cluster (default: a new one under /tmp)")
    parser.add_argument("--keep", action="store_true",
                        help="leave the cluster running and print its DATABASE_URL")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--one-municipality", action="store_true",
                        help="every preschool in one municipality (bench/report.py's country)")
    args = parser.parse_args(argv)
    if args.dir and args.dir.exists() and any(args.dir.iterdir()):
        parser.error(f"{args.dir} is not empty; give a new folder")
    result = generate(args.rows, args.dir, seed=args.seed, verbose=True,
                      one_municipality=args.one_municipality)
    if args.keep:
        print(f"DATABASE_URL={result.url}")
        print(f"stop it with: {result.cluster.bindir}/pg_ctl -D {result.cluster.data_dir} stop")
    else:
        result.cluster.stop()
        if args.dir is None:
            shutil.rmtree(result.cluster.base_dir.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
