"""The GeoPackage export against GDAL's ogr2ogr on the same table.

    .venv/bin/python bench/export.py [--rows 1000000] [--keep]

Loads N places by binary COPY into a fresh embedded PostGIS (bench/generate.py), then
times, one after the other, ``smultron export OUT.gpkg --layer places_points`` (ADBC ->
Arrow record batches -> pyogrio.write_arrow, EPSG:3006, spatial index) and Debian's
``ogr2ogr -f GPKG out.gpkg PG:… place -t_srs EPSG:3006`` (GDAL 3.6) on the same table.
Prints both times, peak memory (max RSS of each process) and feature counts, and ends
with ``ratio export: <smultron seconds / ogr2ogr seconds>`` (target: 0.4 or less).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import generate
import pyogrio

ROOT = Path(__file__).resolve().parent.parent
SMULTRON = Path(sys.executable).parent / "smultron"


def timed(argv: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Run ``argv``; wall seconds, its peak RSS in MB, its output. The peak is the
    process's own VmHWM, read from /proc until it exits (a child's ru_maxrss on Linux
    inherits the parent's high-water mark, which would report this script's memory)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        peak_kb = 0
        while proc.poll() is None:
            peak_kb = max(peak_kb, _hwm_kb(proc.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}):\n{output}")
    return seconds, peak_kb / 1024, output


def _hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run(rows: int, keep: bool) -> float:
    data = generate.generate(rows, verbose=True)
    out = Path(tempfile.mkdtemp(prefix="smt-bench-export-"))
    try:
        env = {**os.environ, "DATABASE_URL": data.url, "SMULTRON_ENV": "development"}
        ours = out / "smultron.gpkg"
        s_time, s_mem, s_out = timed([str(SMULTRON), "export", str(ours), "--crs", "EPSG:3006",
                                      "--layer", "places_points"], env)
        print(s_out.rstrip())
        theirs = out / "ogr2ogr.gpkg"
        pg = (f"PG:dbname={data.dbname} host=127.0.0.1 port={data.cluster.port} "
              "user=postgres")
        o_time, o_mem, _ = timed(["ogr2ogr", "-f", "GPKG", str(theirs), pg, "place",
                                  "-t_srs", "EPSG:3006", "-nln", "places"])
        s_count = pyogrio.read_info(ours, layer="places_points")["features"]
        o_count = pyogrio.read_info(theirs, layer="places")["features"]
        print(f"\nrows loaded: {rows:,}")
        print(f"smultron export (places_points, EPSG:3006): {s_time:6.2f} s  "
              f"peak {s_mem:6.0f} MB  {s_count:,} features  "
              f"{ours.stat().st_size / 1e6:.0f} MB file")
        print(f"ogr2ogr {_gdal_version()} (place, EPSG:3006):      {o_time:6.2f} s  "
              f"peak {o_mem:6.0f} MB  {o_count:,} features  "
              f"{theirs.stat().st_size / 1e6:.0f} MB file")
        ratio = s_time / o_time
        print(f"ratio export: {ratio:.2f}")
        return ratio
    finally:
        shutil.rmtree(out, ignore_errors=True)
        if not keep:
            data.remove()


def _gdal_version() -> str:
    done = subprocess.run(["ogr2ogr", "--version"], capture_output=True, text=True, check=False)
    return done.stdout.split(",")[0].replace("GDAL ", "") or "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database cluster")
    args = parser.parse_args(argv)
    run(args.rows, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
