"""The map over millions of places in Chromium, against a naive GeoJSON-markers page.

    .venv/bin/python bench/map.py [--rows 1000000] [--zoom 13] [--naive-limit 180]

Generates N places (bench/generate.py), serves Smultron with gunicorn and opens, in
Debian's Chromium through Playwright, as a planner:

* Smultron's overview map (/tiles/map: vector tiles, clusters by zoom) over the whole
  country, then at ``--zoom`` over the densest city, then pans by half a screen;
* a naive page at the same city view that loads every place in view from
  /api/v1/places (1,000 a page, following the next links) and adds each as a Leaflet
  GeoJSON marker, the way small mapping tools do, then pans the same way.

Times are taken in the page (performance.now(): navigation start → every visible place
drawn; pan → drawn again), each view a new document. Smultron is timed twice: each view
as the very first of a freshly started server (gunicorn --preload, as deployed; nothing
computed or kept yet, Redis emptied), then in a new browser (empty cache) on a server
that has served both views once, as a server in use has; the ratio uses the second, and
the naive page runs on that same server. The app gets ``--redis`` as REDIS_URL (its 4
workers share the cluster tiles there, as app instances do in production). The naive page is given
``--naive-limit`` seconds; if it is not done by then, the limit is used (so the ratio is a
lower bound, marked with ≥).
Ends with ``ratio map: <naive first render / Smultron first render>``.
"""

from __future__ import annotations

import argparse
import sys
import time

import generate
import psycopg
import redis
from common import PASSWORD, app_env, free_port, gunicorn, server
from sqlalchemy.orm import sessionmaker

from smultron import accounts
from smultron.core.db import make_engine

VIEWPORT = {"width": 1280, "height": 800}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
EMAIL = "planner.map@bench.example"

NAIVE_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>naive map</title><link rel="stylesheet" href="%(css)s">
<style>html, body, #map { height: 100%%; margin: 0; }</style></head>
<body data-state="loading"><div id="map"></div>
<script src="%(js)s"></script>
<script>
const map = L.map("map");
let layer = L.geoJSON(null).addTo(map);
let generation = 0;
async function loadView() {
  const mine = ++generation;
  document.body.dataset.state = "loading";
  map.removeLayer(layer);
  layer = L.geoJSON(null).addTo(map);
  const b = map.getBounds();
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].join(",");
  let url = `/api/v1/places?bbox=${bbox}&limit=1000`;
  let count = 0;
  while (url && mine === generation) {
    const page = await (await fetch(url, {credentials: "same-origin"})).json();
    layer.addData(page);
    count += page.features.length;
    url = page.next;
  }
  if (mine !== generation) return;
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  document.body.dataset.count = String(count);
  document.body.dataset.idleAt = String(performance.now());
  document.body.dataset.state = "idle";
}
map.on("moveend", loadView);
const [z, lat, lon] = location.hash.slice(1).split("/").map(Number);
map.setView([lat, lon], z);
window.benchMap = map;
</script></body></html>"""


def planner(data: generate.Generated) -> None:
    engine = make_engine(data.url)
    with sessionmaker(engine)() as session:
        accounts.create_user(session, EMAIL, "planner", PASSWORD)
        session.commit()
    engine.dispose()


def densest_city(data: generate.Generated) -> tuple[float, float]:
    """The centre of the preschools of the municipality with the most places."""
    with psycopg.connect(data.libpq_url) as conn:
        return conn.execute(
            """SELECT avg(ST_Y(s.location)), avg(ST_X(s.location)) FROM preschool s
               WHERE s.municipality_id = (SELECT municipality_id FROM place
                                          GROUP BY 1 ORDER BY count(*) DESC LIMIT 1)"""
        ).fetchone()


def places_in_view(data, lat: float, lon: float, zoom: int) -> int:
    import math

    metres_per_px = 156543.03 * math.cos(math.radians(lat)) / 2**zoom
    half_w = VIEWPORT["width"] / 2 * metres_per_px / (111_320 * math.cos(math.radians(lat)))
    half_h = VIEWPORT["height"] / 2 * metres_per_px / 111_320
    with psycopg.connect(data.libpq_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM place WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
            (lon - half_w, lat - half_h, lon + half_w, lat + half_h)).fetchone()[0]


def login(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def smultron_run(page, base: str, hash_view: str = "") -> tuple[float, float]:
    """(first render, idle after a pan) in seconds, measured in the page. A new document
    each time (about:blank first): going from /tiles/map to /tiles/map#13/… in the same
    document only changes its hash, and the map, still idle, would be timed from the
    previous view's start."""
    page.goto("about:blank")
    page.goto(f"{base}/tiles/map{hash_view}", wait_until="commit")
    page.wait_for_selector("#places-map[data-state=idle]", timeout=120_000)
    first = float(page.get_attribute("#places-map", "data-idle-at")) / 1000
    started = page.evaluate(
        """() => { const t = performance.now();
                   window.smultronOverview.map.panBy([640, 0], {animate: false}); return t; }""")
    page.wait_for_function(
        f"""() => {{ const e = document.getElementById('places-map');
                    return e.dataset.state === 'idle'
                           && Number(e.dataset.idleAt) > {started}; }}""",
        timeout=120_000)
    pan = (float(page.get_attribute("#places-map", "data-idle-at")) - started) / 1000
    return first, pan


def naive_run(page, base: str, hash_view: str, limit: float) -> tuple[float, float, int]:
    """(first render, idle after a pan, places drawn); ``limit`` where it did not finish."""
    page.goto(f"{base}/bench-naive{hash_view}", wait_until="commit")
    try:
        page.wait_for_selector("body[data-state=idle]", timeout=limit * 1000)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError: not done within the limit
        return limit, limit, -1
    first = float(page.get_attribute("body", "data-idle-at")) / 1000
    count = int(page.get_attribute("body", "data-count"))
    started = page.evaluate(
        "() => { const t = performance.now(); window.benchMap.panBy([640, 0], "
        "{animate: false}); return t; }")
    try:
        page.wait_for_function(
            f"() => document.body.dataset.state === 'idle' && "
            f"Number(document.body.dataset.idleAt) > {started}", timeout=limit * 1000)
    except Exception:  # noqa: BLE001
        return first, limit, count
    pan = (float(page.get_attribute("body", "data-idle-at")) - started) / 1000
    return first, pan, count


def measure(args) -> dict:
    from playwright.sync_api import sync_playwright

    data = generate.generate(args.rows, verbose=True)
    try:
        planner(data)
        lat, lon = densest_city(data)
        in_view = places_in_view(data, lat, lon, args.zoom)
        hash_view = f"#{args.zoom}/{lat:.5f}/{lon:.5f}"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        cmd = gunicorn("smultron:create_app()", port, args.workers, worker_class="gthread",
                       threads=4, preload=True)  # as deploy/systemd/smultron@.service
        env = app_env(data, **({"REDIS_URL": args.redis} if args.redis else {}))
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=CHROMIUM_ARGS)
            started = time.perf_counter()
            # First each view as a freshly started server's very first (nothing computed
            # or kept yet, nothing shared in Redis) …
            cold = tuple(cold_view(browser, cmd, env, base, view, args.redis)
                         for view in ("", hash_view))
            with server(cmd, env, f"{base}/healthz"):
                # … then, on a server that has served both views once, as a server in use
                # has, a new browser (empty cache); the naive page gets the same server.
                page = fresh_page(browser, base)
                smultron_run(page, base)
                smultron_run(page, base, hash_view)
                page.context.close()
                page = fresh_page(browser, base)
                country = smultron_run(page, base)
                city = smultron_run(page, base, hash_view)
                naive = naive_run(page, base, hash_view, args.naive_limit)
            wall = time.perf_counter() - started
            browser.close()
        return {"cold": cold, "country": country, "city": city, "naive": naive,
                "in_view": in_view, "wall": wall}
    finally:
        data.remove()


def cold_view(browser, cmd: list[str], env: dict, base: str, hash_view: str,
              redis_url: str) -> tuple[float, float]:
    """A view as the very first of a freshly started server (and an emptied Redis)."""
    if redis_url:
        redis.Redis.from_url(redis_url).flushdb()
    with server(cmd, env, f"{base}/healthz"):
        page = fresh_page(browser, base)
        try:
            return smultron_run(page, base, hash_view)
        finally:
            page.context.close()


def fresh_page(browser, base: str):
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.route(f"{base}/bench-naive", lambda route: route.fulfill(
        status=200, content_type="text/html", body=naive_html(base)))
    login(page, base)
    return page


def naive_html(base: str) -> str:
    import json
    from pathlib import Path

    from common import ROOT

    manifest = json.loads((Path(ROOT) / "static" / "vendor" / "manifest.json").read_text())
    folder = f"/static/vendor/{manifest['leaflet']}"
    return NAIVE_PAGE % {"css": f"{folder}/leaflet.css", "js": f"{folder}/leaflet.js"}


def report(result: dict, args) -> str:
    country, city, naive = result["country"], result["city"], result["naive"]
    cold = result["cold"]
    capped = naive[2] < 0 or naive[0] >= args.naive_limit
    mark = "≥ " if capped else ""
    drawn = "not finished" if naive[2] < 0 else f"{naive[2]:,} markers"
    lines = [
        f"Chromium {VIEWPORT['width']}x{VIEWPORT['height']}, {args.rows:,} places; "
        f"city view: zoom {args.zoom}, {result['in_view']:,} places in view",
        f"{'':34} {'first render s':>15} {'pan → idle s':>13}",
        f"{'Smultron, country, server cold':34} {cold[0][0]:15.2f} {cold[0][1]:13.2f}",
        f"{'Smultron, city view, server cold':34} {cold[1][0]:15.2f} {cold[1][1]:13.2f}",
        f"{'Smultron, whole country (tiles)':34} {country[0]:15.2f} {country[1]:13.2f}",
        f"{'Smultron, city view (tiles)':34} {city[0]:15.2f} {city[1]:13.2f}",
        f"{'naive GeoJSON markers, city view':34} {mark + format(naive[0], '.2f'):>15} "
        f"{format(naive[1], '.2f'):>13}   ({drawn})",
        f"ratio map: {mark}{naive[0] / city[0]:.1f}",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--zoom", type=int, default=13)
    parser.add_argument("--naive-limit", type=float, default=180.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12",
                        help="REDIS_URL for the app (tiles shared by its workers); '' for none")
    args = parser.parse_args(argv)
    print(report(measure(args), args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
