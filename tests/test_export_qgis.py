"""The GeoPackage opened by QGIS itself (Debian's python3-qgis, QGIS 3.22): every layer
loads with its default style from layer_styles. Skipped where QGIS is not installed
(`apt-get install python3-qgis qgis-providers`, about 1 GB)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from smultron.core.access import Viewer
from smultron.export.gpkg import ExportOptions, export_geopackage
from smultron.places.query import Filters
from tests import export_data

QGIS_PYTHON = "/usr/bin/python3"
CHECK = r"""
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import Qgis, QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
out = {"version": Qgis.QGIS_VERSION}
for name in sys.argv[2:]:
    layer = QgsVectorLayer(f"{sys.argv[1]}|layername={name}", name, "ogr",
                           QgsVectorLayer.LayerOptions(True, False))
    renderer = layer.renderer()
    info = {"valid": layer.isValid(), "count": layer.featureCount(),
            "crs": layer.crs().authid(), "renderer": renderer.type(),
            "labels": layer.labelsEnabled(), "title": layer.metadata().title(),
            "aliases": {f.name(): layer.attributeAlias(i) for i, f in enumerate(layer.fields())},
            "display": layer.displayExpression(),
            "widgets": {f.name(): layer.editorWidgetSetup(i).type()
                        for i, f in enumerate(layer.fields())}}
    if renderer.type() == "categorizedSymbol":
        categories = renderer.categories()
        info["field"] = renderer.classAttribute()
        info["classes"] = [[c.value(), c.symbol().color().name()] for c in categories]
    if renderer.type() == "graduatedSymbol":
        info["field"] = renderer.classAttribute()
        info["classes"] = len(renderer.ranges())
    out[name] = info
print(json.dumps(out), flush=True)
os._exit(0)  # QGIS 3.22 can crash while tearing down offscreen; the answer is out
"""


def _has_qgis() -> bool:
    if not os.path.exists(QGIS_PYTHON):
        return False
    done = subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True,
                          check=False)
    return done.returncode == 0


pytestmark = pytest.mark.skipif(not _has_qgis(), reason="QGIS (python3-qgis) not installed")


def test_qgis_opens_every_layer_styled(app, db, world, tmp_path):
    export_data.build(db, world)
    path = tmp_path / "places.gpkg"
    export_geopackage(db, app.extensions["smultron.engine"].url,
                      Viewer(0, "planner", frozenset()), Filters(), path,
                      ExportOptions(threshold=2))
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    layers = ["places_points", "places_areas", "places_routes", "preschools",
              "neighbourhoods", "density_hex"]
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    done = subprocess.run([QGIS_PYTHON, "-c", CHECK, str(path), *layers], capture_output=True,
                          text=True, check=False, env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for name in layers:
        assert result[name]["valid"] and result[name]["crs"] == "EPSG:3006", name
    points = result["places_points"]
    assert points["renderer"] == "categorizedSymbol" and points["field"] == "category"
    assert ["play", "#d81b60"] in points["classes"] and len(points["classes"]) == 10
    assert points["count"] == export_data.COUNTS["places_points"]
    assert points["title"] == "Barnens platser (punkter)"  # the export's language: sv
    assert points["aliases"]["children_count"] == "Antal barn"
    assert points["display"] == '"category_sv"'
    # the coded values (gpkg_data_column_constraints) become QGIS value maps
    assert points["widgets"]["feeling"] == "ValueMap"
    assert points["widgets"]["category"] == "ValueMap"
    assert result["places_areas"]["renderer"] == "categorizedSymbol"
    assert result["places_routes"]["renderer"] == "categorizedSymbol"
    assert result["preschools"]["labels"] is True
    assert result["density_hex"]["renderer"] == "graduatedSymbol"
    assert result["density_hex"]["field"] == "children"
