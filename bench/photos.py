"""Photo uploads under load: does the app's memory stay flat as the clients grow?

    .venv/bin/python bench/photos.py [--rows 10000] [--clients 10,50] [--duration 30]
                                     [--megabytes 5] [--workers 2] [--threads 4]

Generates N places (bench/generate.py), then for each client count serves Smultron with
a fresh gunicorn (gthread) and lets that many threads act as tablets for ``--duration``
seconds: each PUTs a ~5 MB JPEG (camera-like noise, so it does not compress away) to
/api/v1/places/<place>/photos/<new uuid> with a staff member's API token, three photos
to a place and then a new place (POST /api/v1/places), as the staff map does. Meanwhile
the RSS of the whole server (the gunicorn master and its workers, from /proc) is sampled
every 0.1 s. Prints, per client count, the photos stored per second, MB/s received,
latency percentiles and the server's peak RSS, then the ratio of the peak RSS at the
most clients to that at the fewest: uploads are spooled to disk and decoded a few at a
time per worker, so it should stay near 1.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

import generate
import numpy as np
from common import app_env, free_port, gunicorn, server
from PIL import Image
from write import Tablet, new_feature, tablets

PAGE = 4096


def noisy_jpeg(megabytes: float, seed: int = 2026) -> bytes:
    """A JPEG of at least ``megabytes`` MB: noise over a gradient, quality 95 (a phone
    photo of foliage compresses about as badly)."""
    rng = np.random.default_rng(seed)
    side = 1800
    while True:
        width = side * 4 // 3
        base = (np.linspace(0, 160, width, dtype=np.float32)[None, :, None]
                + np.linspace(0, 90, side, dtype=np.float32)[:, None, None])
        pixels = np.clip(base + rng.normal(0, 60, (side, width, 3)), 0, 255)
        out = io.BytesIO()
        Image.fromarray(pixels.astype(np.uint8)).save(out, "JPEG", quality=95)
        if out.tell() >= megabytes * 2**20:
            return out.getvalue()
        side = int(side * 1.08)


def group_rss(pgid: int) -> int:
    """Resident bytes of every process in the process group ``pgid`` (the server)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:  # field 5 of stat: the process group
                total += int(fields[21]) * PAGE  # field 24: rss in pages
        except (OSError, IndexError, ValueError):
            continue
    return total


@dataclass
class Tally:
    latencies: list = field(default_factory=list)
    statuses: dict = field(default_factory=dict)
    places: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, status, seconds: float | None = None) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if seconds is not None:
                self.latencies.append(seconds)


def request(port: int, method: str, path: str, token: str, body: bytes, kind: str):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(method, path, body, {"Authorization": f"Bearer {token}",
                                                "Content-Type": kind})
        response = connection.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__, b""
    finally:
        connection.close()


def new_place(port: int, tablet: Tablet, rng: random.Random, tally: Tally) -> str | None:
    feature = new_feature(tablet, rng)
    status, _body = request(port, "POST", "/api/v1/places", tablet.token,
                            json.dumps(feature).encode(), "application/geo+json")
    if status not in (200, 201):
        tally.note(f"place {status}")
        return None
    with tally.lock:
        tally.places += 1
    return feature["id"]


def client(port: int, tablet: Tablet, photo: bytes, until: float, tally: Tally,
           seed: int) -> None:
    rng = random.Random(seed)
    while time.monotonic() < until:
        place = new_place(port, tablet, rng, tally)
        if place is None:
            time.sleep(0.5)
            continue
        for _ in range(3):  # a place holds at most three photos
            if time.monotonic() >= until:
                return
            started = time.perf_counter()
            status, _body = request(port, "PUT",
                                    f"/api/v1/places/{place}/photos/{uuid.uuid4()}",
                                    tablet.token, photo, "image/jpeg")
            ok = status in (200, 201)
            tally.note(status, time.perf_counter() - started if ok else None)


def sample(pgid: int, stop: threading.Event, peak: list) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], group_rss(pgid))
        stop.wait(0.1)


def phase(data, pads: list[Tablet], photo: bytes, clients: int, args) -> dict:
    port = free_port()
    tally = Tally()
    cmd = gunicorn("smultron:create_app()", port, args.workers, worker_class="gthread",
                   threads=args.threads)
    with server(cmd, app_env(data), f"http://127.0.0.1:{port}/healthz") as proc:
        idle = group_rss(proc.pid)
        peak, stop = [idle], threading.Event()
        sampler = threading.Thread(target=sample, args=(proc.pid, stop, peak), daemon=True)
        sampler.start()
        started = time.monotonic()
        until = started + args.duration
        threads = [threading.Thread(target=client, args=(port, pads[i % len(pads)], photo,
                                                         until, tally, i), daemon=True)
                   for i in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        stop.set()
        sampler.join()
    return {"clients": clients, "tally": tally, "elapsed": elapsed, "idle": idle,
            "peak": peak[0]}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def describe(result: dict, photo_mb: float) -> str:
    tally, elapsed = result["tally"], result["elapsed"]
    stored = len(tally.latencies)
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(tally.statuses.items(), key=str))
    return (f"{result['clients']:>3} clients: {stored:,} photos in {elapsed:.1f} s = "
            f"{stored / elapsed:.2f} photos/s ({stored * photo_mb / elapsed:.1f} MB/s), "
            f"latency p50 {percentile(tally.latencies, 50):.0f} ms, "
            f"p95 {percentile(tally.latencies, 95):.0f} ms; {tally.places} places; "
            f"server RSS idle {result['idle'] / 2**20:.0f} MB, "
            f"peak {result['peak'] / 2**20:.0f} MB; responses: {statuses}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--clients", default="10,50")
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--megabytes", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    counts = sorted(int(c) for c in args.clients.split(","))
    photo = noisy_jpeg(args.megabytes)
    photo_mb = len(photo) / 2**20
    with Image.open(io.BytesIO(photo)) as image:
        print(f"photo: {photo_mb:.1f} MB JPEG, {image.width} x {image.height} px", flush=True)
    data = generate.generate(args.rows, verbose=True)
    try:
        pads = tablets(data)
        results = []
        for clients in counts:
            results.append(phase(data, pads, photo, clients, args))
            print(describe(results[-1], photo_mb), flush=True)
    finally:
        data.remove()
    print(f"PUT /api/v1/places/<uuid>/photos/<uuid>, {photo_mb:.1f} MB each, for "
          f"{args.duration} s per client count (gunicorn {args.workers} x {args.threads} "
          f"threads, {args.rows:,} places)")
    for result in results:
        print(describe(result, photo_mb))
    first, last = results[0], results[-1]
    if not (first["tally"].latencies and last["tally"].latencies):
        print("no photo was stored: see the responses above")
        return 1
    print(f"ratio peak memory {last['clients']}/{first['clients']} clients: "
          f"{last['peak'] / first['peak']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
