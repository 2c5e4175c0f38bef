"""/open in Chromium with no login: the map draws the published hexagons over the
background map (through /basemap/), no request leaves 127.0.0.1, no console error, axe-core
finds nothing, in Swedish and English, at 360 and 1024 px; QGIS loads the public OGC API
collection with no credentials."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from smultron import opendata
from tests import opendata_data
from tests.conftest import run_axe
from tests.test_export_qgis import QGIS_PYTHON, _has_qgis

ACTOR = opendata.Actor(name="test")


@pytest.fixture
def published(db):
    data = opendata_data.build(db)
    version = opendata.publish(db, [data.world.campaign.id], opendata.Options(),
                               open_threshold=10, actor=ACTOR)
    db.commit()
    return version


@pytest.mark.browser
def test_open_pages_without_login_in_both_languages_and_widths(guarded_page, live_server,
                                                              published):
    page = guarded_page
    tiles = []
    page.on("request", lambda r: tiles.append(r.url) if "/basemap/" in r.url else None)
    cells = len(published.content["cells"])
    for lang, heading in (("sv", "Öppna data: barnens smultronställen"),
                          ("en", "Open data: children's favourite places")):
        for width in (360, 1024):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(f"{live_server}/open?lang={lang}")
            page.wait_for_selector("#open-map[data-state=ready]")
            assert page.locator("h1").first.inner_text() == heading
            assert page.locator("html").get_attribute("lang") == lang
            assert page.locator("#open-map path.leaflet-interactive").count() == cells
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert run_axe(page) == [], (lang, width)
        page.goto(f"{live_server}/open/specification?lang={lang}")
        assert run_axe(page) == [], lang
    assert tiles and all(url.startswith(f"{live_server}/basemap/") for url in tiles)
    page.goto(f"{live_server}/open/{published.dataset_id}")
    page.wait_for_selector("#open-map[data-state=ready]")
    water = [c for c in published.content["cells"] if "water" in c["categories"]]
    assert water and len(water) < cells
    page.select_option("#open-category", "water")
    page.wait_for_selector(f"#open-map[data-shown='{len(water)}']")
    assert page.locator("#open-map path.leaflet-interactive").count() == len(water)
    assert page.get_by_role("link", name="GeoPackage med QGIS-stilar (EPSG:3006)").count() == 1


LOAD = r"""
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
base, name = sys.argv[1:3]
layer = QgsVectorLayer(f"url='{base}' typename='{name}' pagingEnabled='true' pageSize='2'",
                       name, "OAPIF")
features = list(layer.getFeatures()) if layer.isValid() else []
print(json.dumps({"valid": layer.isValid(), "crs": layer.crs().authid(),
                  "children": sorted(f["children"] for f in features),
                  "types": sorted({f.geometry().type() for f in features}),
                  "fields": [f.name() for f in layer.fields()]}), flush=True)
os._exit(0)
"""


@pytest.mark.skipif(not _has_qgis(), reason="QGIS (python3-qgis) not installed")
def test_qgis_loads_the_public_collection_without_credentials(live_server, published,
                                                              tmp_path):
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    done = subprocess.run(
        [QGIS_PYTHON, "-c", LOAD, f"{live_server}/ogc/open",
         f"dataset-{published.dataset_id}"],
        capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["valid"] and result["crs"] == "EPSG:4326"
    assert result["types"] == [2]  # polygons
    assert result["children"] == sorted(c["children"] for c in published.content["cells"])
    assert {"cell_id", "feeling", "places", "children"} <= set(result["fields"])
