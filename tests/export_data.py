"""Places for the export, OGC and plan tests: every geometry kind, comments in every
moderation state, a deleted place, two preschools, two campaigns."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path

from shapely.geometry import LineString, Point, Polygon

from tests import factories

KIRUNA = factories.KIRUNA


def square(lon: float, lat: float, d: float = 0.001) -> Polygon:
    return Polygon([(lon, lat), (lon + d, lat), (lon + d, lat + d / 2), (lon, lat + d / 2),
                    (lon, lat)])


@dataclass
class Places:
    kiruna_point: object
    scary_point: object
    hidden_comment: object
    area: object
    route: object
    other_school: object
    old_campaign: object
    deleted: object


def build(db, world) -> Places:
    """10 live places: 6 points, 2 areas, 2 routes (one more deleted)."""
    sa = factories.mapping_session(db, world.campaign, world.school_a, children=12)
    sa.department_id = world.school_a.departments[0].id  # "Blåbär"
    sb = factories.mapping_session(db, world.campaign, world.school_b, children=8)
    old = factories.campaign(db, world.municipality, name="Våren 2026", status="closed")
    so = factories.mapping_session(db, old, world.school_a, children=5)
    lon, lat = KIRUNA
    places = Places(
        kiruna_point=factories.place(db, sa, Point(lon, lat), "play", children=6,
                                     comment="Vi gungar högt", comment_state="approved"),
        scary_point=factories.place(db, sa, Point(lon + 0.002, lat), "water", children=2,
                                    feeling="scary", season="winter",
                                    comment="Det är djupt", comment_state="pending"),
        hidden_comment=factories.place(db, sa, Point(lon + 0.001, lat + 0.001), "nature",
                                       children=3, comment="Olle bor här",
                                       comment_state="hidden"),
        area=factories.place(db, sa, square(lon - 0.003, lat - 0.002), "nature", children=4),
        route=factories.place(db, sa, LineString([(lon, lat), (lon + 0.004, lat + 0.002)]),
                              "snow", children=5, season="winter"),
        other_school=factories.place(db, sb, Point(20.3010, 67.8470), "sport", children=7),
        old_campaign=factories.place(db, so, Point(lon - 0.001, lat), "play", children=2),
        deleted=factories.place(db, sa, Point(lon, lat + 0.002), "play", children=9,
                                deleted_at=datetime.now(UTC)),
    )
    factories.place(db, sb, square(20.3020, 67.8480), "calm", children=3)
    factories.place(db, sb, LineString([(20.30, 67.847), (20.305, 67.849)]), "other")
    factories.place(db, sb, Point(20.3015, 67.8472), "animals", children=1)
    factories.place(db, sb, Point(20.3016, 67.8473), "climbing", children=1)
    db.commit()
    return places


# live places by layer, all campaigns
COUNTS = {"places_points": 7, "places_areas": 2, "places_routes": 2}


def validate_gpkg(path: Path) -> subprocess.CompletedProcess:
    """GDAL's GeoPackage validator (gdal-utils), run by an interpreter with GDAL's
    Python bindings: the venv's when it has them, else Debian's python3-gdal."""
    script = ["-m", "osgeo_utils.samples.validate_gpkg"]
    try:
        spec = find_spec("osgeo_utils.samples.validate_gpkg")
    except ModuleNotFoundError:  # the venv has no gdal-utils: Debian's validator
        spec = None
    if find_spec("osgeo") is not None:
        python = sys.executable
    else:
        python = "/usr/bin/python3"
        if spec is not None and spec.origin:
            script = [spec.origin]  # the venv's newer validator, Debian's bindings
    return subprocess.run([python, *script, "--extra", "--warning-as-error", str(path)],
                          capture_output=True, text=True, check=False)
