"""QGIS itself (Debian's python3-qgis, QGIS 3.22) loads every /ogc collection through its
"OGC API - Features" provider, with HTTP Basic (e-mail + API token), following the next
links. Skipped where QGIS is not installed."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from smultron import accounts
from tests import export_data
from tests.test_export_qgis import QGIS_PYTHON, _has_qgis

pytestmark = pytest.mark.skipif(not _has_qgis(), reason="QGIS (python3-qgis) not installed")

LOAD = r"""
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
base, user, token = sys.argv[1:4]
out = {}
for name in sys.argv[4:]:
    uri = (f"url='{base}' typename='{name}' pagingEnabled='true' pageSize='2' "
           f"username='{user}' password='{token}'")
    layer = QgsVectorLayer(uri, name, "OAPIF")
    features = list(layer.getFeatures()) if layer.isValid() else []
    out[name] = {"valid": layer.isValid(), "crs": layer.crs().authid(),
                 "ids": sorted(str(f["id"]) for f in features),
                 "types": sorted({f.geometry().type() for f in features}),
                 "fields": [f.name() for f in layer.fields()]}
print(json.dumps(out), flush=True)
os._exit(0)
"""


def test_qgis_loads_the_collections(live_server, db, world, tmp_path):
    places = export_data.build(db, world)
    token = accounts.create_token(db, world.users["planner"], "qgis")
    db.commit()
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    names = ["places_points", "places_areas", "places_routes", "preschools"]
    done = subprocess.run(
        [QGIS_PYTHON, "-c", LOAD, f"{live_server}/ogc", world.email("planner"), token, *names],
        capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for name in names:
        assert result[name]["valid"], name
        assert result[name]["crs"] == "EPSG:4326"
    points = result["places_points"]
    assert len(points["ids"]) == export_data.COUNTS["places_points"]  # 7 over pages of 2
    assert str(places.kiruna_point.id) in points["ids"]
    assert {"category", "children_count", "comment"} <= set(points["fields"])
    assert len(result["places_areas"]["ids"]) == 2 and len(result["preschools"]["ids"]) == 2
