"""A municipality report over N places, against the naive folium map.

    .venv/bin/python bench/report.py [--rows 100000] [--requests 40] [--workers 1]
    .venv/bin/python bench/report.py --rows 100000 --writers 20 [--duration 20] [--changes 20]
                                     [--full-changes N] [--write-rate 10]

Generates N places (bench/generate.py) in one municipality (every preschool, still spread
over the country's regions, with both campaigns), so that its report covers all N: the
country's.
Then, with gunicorn serving Smultron:
- the report data endpoint (/reports/data, both campaigns, the whole municipality):
  the first request (nothing cached: every aggregation in PostGIS) and p50/p95 over
  ``--requests`` more (the cache, keyed by filters and data version);
- the PDF: first (rendered) and again (cached);
- the report page in Debian's Chromium: page weight (the document and everything it
  loads) and render time (navigation until the map's canvas is painted), beside the
  naive approach: folium's HeatMap fed every raw point, in one HTML file with the same
  vendored Leaflet. Ends with ``ratio report: <smultron render time / naive render time>``.

With ``--writers N`` it measures instead the first view after a change while N clients
write, kept figures against the full recomputation (bench/report_fresh.py), ending with
``ratio report-fresh: <kept p95 / full p95>``.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import generate
import psycopg
import report_fresh
from common import PASSWORD, ROOT, app_env, free_port, gunicorn, server
from sqlalchemy.orm import sessionmaker

from smultron import accounts
from smultron.core.db import make_engine

OFFICIAL = "official@bench.example"
# The map has drawn: a canvas of its overlays (our hexagons, the naive page's heatmap)
# holds a painted pixel.
PAINTED = """() => [...document.querySelectorAll('.leaflet-overlay-pane canvas')].some((canvas) => {
  if (!canvas.width) return false;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let n = 3; n < pixels.length; n += 4) if (pixels[n] > 0) return true;
  return false;
})"""
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def the_country(data: generate.Generated) -> tuple[int, list[int]]:
    """The one municipality every place was generated into (``one_municipality``) and its
    campaigns; an official's account."""
    with psycopg.connect(data.libpq_url) as conn:
        muni = conn.execute("SELECT min(id) FROM municipality").fetchone()[0]
        campaigns = [r[0] for r in conn.execute(
            "SELECT id FROM campaign WHERE municipality_id = %s ORDER BY id", (muni,))]
    engine = make_engine(data.url)
    with sessionmaker(engine)() as session:
        accounts.create_user(session, OFFICIAL, "official", PASSWORD)
        session.commit()
    engine.dispose()
    return muni, campaigns


def login(base: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
    form = urllib.parse.urlencode({"email": OFFICIAL, "password": PASSWORD,
                                   "csrf_token": token}).encode()
    opener.open(f"{base}/login", data=form).read()
    return opener


def timed(opener, url: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    with opener.open(url, timeout=600) as response:
        body = response.read()
        assert response.status == 200, f"{url}: {response.status}"
    return (time.perf_counter() - started) * 1000, body


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure_server(base: str, query: str, requests: int) -> dict:
    opener = login(base)
    cold, body = timed(opener, f"{base}/reports/data?{query}")
    warm = [timed(opener, f"{base}/reports/data?{query}")[0] for _ in range(requests)]
    pdf_first, pdf = timed(opener, f"{base}/reports/report.pdf?{query}")
    pdf_again, _ = timed(opener, f"{base}/reports/report.pdf?{query}")
    return {"cold": cold, "p50": percentile(warm, 50), "p95": percentile(warm, 95),
            "json_bytes": len(body), "pdf_first": pdf_first, "pdf_again": pdf_again,
            "pdf_bytes": len(pdf)}


def naive_page(data: generate.Generated, folder: Path) -> tuple[Path, int, float]:
    """folium's HeatMap fed every raw point, vendored Leaflet as file:// URLs."""
    import folium
    from folium.plugins import HeatMap

    started = time.perf_counter()
    with psycopg.connect(data.libpq_url) as conn:
        points = conn.execute(
            "SELECT ST_Y(ST_PointOnSurface(geom)), ST_X(ST_PointOnSurface(geom)), "
            "children_count FROM place WHERE deleted_at IS NULL").fetchall()
    vendor = ROOT / "static" / "vendor"
    fmap = folium.Map(location=[62, 16], zoom_start=5, tiles=None)
    fmap.default_js = [("leaflet", (vendor / "leaflet-1.9.4" / "leaflet.js").as_uri())]
    fmap.default_css = [("leaflet_css", (vendor / "leaflet-1.9.4" / "leaflet.css").as_uri())]
    heat = HeatMap([list(p) for p in points])
    heat.default_js = [("leaflet-heat.js",
                        (vendor / "leaflet.heat-0.2.0" / "leaflet-heat.js").as_uri())]
    heat.add_to(fmap)
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    path = folder / "naive.html"
    fmap.save(str(path))
    assets = sum((vendor / f).stat().st_size for f in (
        "leaflet-1.9.4/leaflet.js", "leaflet-1.9.4/leaflet.css",
        "leaflet.heat-0.2.0/leaflet-heat.js"))
    return path, path.stat().st_size + assets, time.perf_counter() - started


def render_times(base: str, query: str, naive: Path, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium")
                                     or "/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
            (base, "file:", "data:")) else r.abort())
        page.goto(f"{base}/login")
        page.fill("#email", OFFICIAL)
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        sizes: list[int] = []
        page.on("requestfinished", lambda req: sizes.append(
            req.sizes()["responseBodySize"]))
        ours = [_render(page, f"{base}/reports/view?{query}")]
        weight = sum(sizes)  # the first load: nothing in the browser's cache yet
        ours += [_render(page, f"{base}/reports/view?{query}") for _ in range(runs - 1)]
        naive_times = [_render(page, naive.as_uri(), timeout=600_000) for _ in range(runs)]
        browser.close()
    return {"ours": statistics.median(ours), "naive": statistics.median(naive_times),
            "weight": weight}


def _render(page, url: str, timeout: int = 120_000) -> float:
    started = time.perf_counter()
    page.goto(url, timeout=timeout, wait_until="load")
    page.wait_for_function(PAINTED, timeout=timeout)
    return (time.perf_counter() - started) * 1000


def measure(args) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="smt-bench-report-"))
    data = generate.generate(args.rows, folder / "db", verbose=True, one_municipality=True)
    try:
        _muni, campaigns = the_country(data)
        if args.writers:
            return report_fresh.measure(data, campaigns, args)
        query = urllib.parse.urlencode([("campaign", c) for c in campaigns])
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with server(gunicorn("smultron:create_app()", port, args.workers,
                             worker_class="gthread", threads=4),
                    app_env(data, SMULTRON_TILE_URL=""), f"{base}/healthz", timeout=120):
            results = measure_server(base, query, args.requests)
            print(f"data endpoint: first {results['cold']:.0f} ms, then p50 "
                  f"{results['p50']:.1f} ms / p95 {results['p95']:.1f} ms", flush=True)
            naive, naive_weight, naive_build = naive_page(data, folder)
            print(f"naive page built in {naive_build:.1f} s", flush=True)
            results.update(render_times(base, query, naive, args.runs))
        results["naive_weight"] = naive_weight
        return results
    finally:
        data.remove()
        shutil.rmtree(folder, ignore_errors=True)


def report(r: dict, args) -> str:
    mb = 1024 * 1024
    return "\n".join([
        f"municipality report over {args.rows:,} places (both campaigns), gunicorn "
        f"{args.workers} worker(s) x 4 threads",
        f"data endpoint: first (uncached) {r['cold']:.0f} ms; then p50 {r['p50']:.1f} ms, "
        f"p95 {r['p95']:.1f} ms over {args.requests} requests ({r['json_bytes'] / mb:.2f} MB)",
        f"PDF: {r['pdf_first'] / 1000:.2f} s first, {r['pdf_again']:.0f} ms cached "
        f"({r['pdf_bytes'] / 1024:.0f} kB)",
        f"{'':10} {'page MB':>8} {'render ms':>10}",
        f"{'smultron':10} {r['weight'] / mb:8.2f} {r['ours']:10.0f}",
        f"{'naive':10} {r['naive_weight'] / mb:8.2f} {r['naive']:10.0f}",
        f"ratio report: {r['ours'] / r['naive']:.2f}",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--workers", type=int, default=1,
                        help="gunicorn workers (each keeps its own report cache)")
    parser.add_argument("--runs", type=int, default=3, help="page loads per approach")
    parser.add_argument("--writers", type=int, default=0,
                        help="measure the first view after a change under this many writers")
    parser.add_argument("--duration", type=float, default=20,
                        help="seconds of writing alone, with and without the triggers")
    parser.add_argument("--changes", type=int, default=20,
                        help="first views of each kind (kept, full) under the writers")
    parser.add_argument("--full-changes", type=int, default=0,
                        help="first views of the full recomputation (default: --changes; "
                             "fewer at 10,000,000 places, where each takes minutes)")
    parser.add_argument("--write-rate", type=float, default=10,
                        help="places/s each writer adds or moves during the views")
    args = parser.parse_args(argv)
    results = measure(args)
    print(report_fresh.report(results, args) if args.writers else report(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
