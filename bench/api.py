"""The places endpoint under load, against pygeoapi serving the same table.

    .venv/bin/python bench/api.py [--rows 1000000] [--connections 32] [--duration 40]

Generates N places (bench/generate.py), then serves Smultron (gunicorn,
GET /api/v1/places?bbox=…&limit=1000 with an API token) and pygeoapi (its PostgreSQL
provider on the same `place` table, gunicorn with the same workers,
GET /collections/places/items?bbox=…&limit=1000) and loads them with wrk, the same
bounding boxes for both (each holds at least 1,000 places), one at a time in alternating
rounds so that a change in the machine's load hits both. pygeoapi is installed into its
own venv under instance/ (it is not a dependency of Smultron). Prints req/s, p50, p95 and errors of
both and ends with ``ratio api: <smultron req/s / pygeoapi req/s>``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import generate
import psycopg
from common import ROOT, app_env, free_port, gunicorn, planner_token, server

PYGEOAPI_VERSION = "0.21.0"  # the newest that runs on Python 3.11
PYGEOAPI_VENV = ROOT / "instance" / "pygeoapi-venv"
PAGE = 1000
WRK_SCRIPT = """
paths = {%(paths)s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], {%(headers)s})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95),
    summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout, latency.max))
end
"""


def bboxes(data: generate.Generated, count: int = 64) -> list[str]:
    """Boxes of ~4 x 4 km around preschools in dense areas, each with ≥ PAGE places."""
    with psycopg.connect(data.libpq_url) as conn:
        rows = conn.execute(
            """SELECT b FROM (
                 SELECT concat_ws(',', round(ST_X(location)::numeric - 0.035, 4),
                        round(ST_Y(location)::numeric - 0.018, 4),
                        round(ST_X(location)::numeric + 0.035, 4),
                        round(ST_Y(location)::numeric + 0.018, 4)) AS b,
                        ST_Expand(location, 0.035, 0.018) AS box
                 FROM preschool ORDER BY md5(id::text) LIMIT %s) s
               WHERE (SELECT count(*) FROM place p WHERE p.geom && s.box) >= %s""",
            (count * 4, PAGE)).fetchall()
    if not rows:
        raise SystemExit("no bounding box holds 1,000 places: generate more rows")
    return [r[0] for r in rows[:count]]


def pygeoapi_bin() -> Path:
    """pygeoapi in its own venv (created on first use)."""
    bin_dir = PYGEOAPI_VENV / "bin"
    if not (bin_dir / "pygeoapi").exists():
        print(f"installing pygeoapi {PYGEOAPI_VERSION} into {PYGEOAPI_VENV} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PYGEOAPI_VENV)], check=True)
        subprocess.run([str(bin_dir / "pip"), "install", "-q", f"pygeoapi=={PYGEOAPI_VERSION}",
                        "psycopg2-binary==2.9.13", "geoalchemy2==0.20.0",
                        "gunicorn==27.0.1"], check=True)
    return bin_dir


def pygeoapi_config(data: generate.Generated, port: int, folder: Path) -> tuple[Path, Path]:
    cluster = data.cluster
    config = {
        "server": {"bind": {"host": "127.0.0.1", "port": port}, "url": f"http://127.0.0.1:{port}",
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8",
                   "language": "en-US", "cors": False, "pretty_print": False,
                   "limits": {"default_items": 10, "max_items": PAGE}, "map": {
                       "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                       "attribution": "OSM"}},
        "logging": {"level": "ERROR"},
        "metadata": {"identification": {"title": "bench", "description": "bench",
                                        "keywords": ["bench"], "keywords_type": "theme",
                                        "terms_of_service": "", "url": "http://example.org"},
                     "license": {"name": "CC-BY 4.0", "url": "http://example.org"},
                     "provider": {"name": "bench", "url": "http://example.org"},
                     "contact": {"name": "bench"}},
        "resources": {"places": {
            "type": "collection", "title": "places", "description": "Smultron places",
            "keywords": ["places"],
            "extents": {"spatial": {"bbox": [10, 55, 25, 69.1],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [{
                "type": "feature", "name": "PostgreSQL",
                "data": {"host": "127.0.0.1", "port": cluster.port, "dbname": data.dbname,
                         "user": "postgres", "password": "", "search_path": ["public"]},
                "id_field": "id", "table": "place", "geom_field": "geom"}]}},
    }
    config_path, openapi_path = folder / "pygeoapi.yml", folder / "openapi.yml"
    config_path.write_text(json.dumps(config))  # JSON is YAML
    return config_path, openapi_path


def run_wrk(base: str, paths: list[str], headers: dict, connections: int, duration: int,
            folder: Path) -> dict:
    script = folder / f"wrk-{abs(hash(base))}.lua"
    script.write_text(WRK_SCRIPT % {
        "paths": ", ".join(json.dumps(p) for p in paths),
        "headers": ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()),
    })
    done = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s",
                           "--timeout", "10s", "-s", str(script), base],
                          capture_output=True, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    requests, micros, p50, p95, errors, worst = (int(v) for v in line.split()[1:])
    return {"rps": requests / (micros / 1e6), "p50": p50 / 1000, "p95": p95 / 1000,
            "errors": errors, "requests": requests, "max": worst / 1000}


def features_in(url: str, headers: dict) -> int:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - 127.0.0.1
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return len(json.load(response)["features"])


def measure(args) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk "
                         "(or scripts/install-system-deps.sh bench)")
    data = generate.generate(args.rows, verbose=True)
    folder = Path(tempfile.mkdtemp(prefix="bench-api-"))
    try:
        token = planner_token(data)
        boxes = bboxes(data)
        print(f"{len(boxes)} bounding boxes of ~4 x 4 km, each with ≥ {PAGE} places", flush=True)
        with _smultron(data, token, boxes, args) as ours, _pygeoapi(data, boxes, args,
                                                                     folder) as theirs:
            targets = {"smultron": ours, "pygeoapi": theirs}
            for base, paths, headers in targets.values():
                run_wrk(base, paths, headers, args.connections, 3, folder)  # warm-up
            rounds = {name: [] for name in targets}
            # Alternate short rounds, so that a change in the machine's load hits both.
            for _ in range(args.rounds):
                for name, (base, paths, headers) in targets.items():
                    rounds[name].append(run_wrk(base, paths, headers, args.connections,
                                                args.duration // args.rounds, folder))
        return {name: combine(runs) for name, runs in rounds.items()}
    finally:
        data.remove()
        shutil.rmtree(folder, ignore_errors=True)


def combine(runs: list[dict]) -> dict:
    """Requests over time summed; p50 and p95 the median of the rounds' values."""
    seconds = sum(r["requests"] / r["rps"] for r in runs if r["rps"])
    requests = sum(r["requests"] for r in runs)
    return {"rps": requests / seconds if seconds else 0.0, "requests": requests,
            "p50": statistics.median(r["p50"] for r in runs),
            "p95": statistics.median(r["p95"] for r in runs),
            "max": max(r["max"] for r in runs), "errors": sum(r["errors"] for r in runs)}


@contextmanager
def _smultron(data, token, boxes, args):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    paths = [f"/api/v1/places?bbox={b}&limit={PAGE}" for b in boxes]
    with server(gunicorn("smultron:create_app()", port, args.workers), app_env(data),
                f"{base}/healthz"):
        assert features_in(base + paths[0], headers) == PAGE, "Smultron: not a full page"
        yield base, paths, headers


@contextmanager
def _pygeoapi(data, boxes, args, folder):
    bin_dir = pygeoapi_bin()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config, openapi = pygeoapi_config(data, port, folder)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "PYGEOAPI_CONFIG": str(config),
           "PYGEOAPI_OPENAPI": str(openapi), "HOME": str(folder)}
    done = subprocess.run([str(bin_dir / "pygeoapi"), "openapi", "generate", str(config),
                           "--output-file", str(openapi)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"pygeoapi openapi generate failed:\n{done.stderr[-3000:]}")
    paths = [f"/collections/places/items?bbox={b}&limit={PAGE}&f=json" for b in boxes]
    with server(gunicorn("pygeoapi.flask_app:APP", port, args.workers, bin_dir), env,
                f"{base}/conformance?f=json", cwd=folder):
        assert features_in(base + paths[0], {}) == PAGE, "pygeoapi: not a full page"
        yield base, paths, {}


def report(results: dict, args) -> str:
    lines = [f"GET {PAGE} features by bbox, {args.rows:,} places, {args.connections} "
             f"connections, {args.rounds} alternating rounds, {args.duration} s in all each, "
             f"gunicorn {args.workers} workers each (p50, p95: median of the rounds)",
             f"{'':10} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>7}"]
    for name, r in results.items():
        lines.append(f"{name:10} {r['rps']:8.1f} {r['p50']:8.1f} {r['p95']:8.1f} "
                     f"{r['max']:8.1f} {r['errors']:7d}")
    ratio = results["smultron"]["rps"] / results["pygeoapi"]["rps"]
    lines.append(f"ratio api: {ratio:.1f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=40)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    print(report(measure(args), args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
