"""The QGIS project stored in every GeoPackage export (``qgis_projects``, ``Smultron``):
read back as QGIS stores it, then opened by QGIS itself (Debian's python3-qgis, in a
subprocess: tests/qgis_open_project.py)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from contextlib import closing
from pathlib import Path

import pyogrio
import pytest

from smultron import plans
from smultron.core.access import Viewer
from smultron.export import qgis_project
from smultron.export.gpkg import ExportOptions, export_geopackage
from smultron.places.query import Filters
from tests import export_data
from tests.test_export_qgis import QGIS_PYTHON, _has_qgis
from tests.test_plans import save as save_plan_area

PLANNER = Viewer(user_id=0, role="planner", preschool_ids=frozenset())
OPEN_PROJECT = Path(__file__).with_name("qgis_open_project.py")
THEMES = ["Density", "Favourite places", "Scary places", "Summer", "Winter"]
needs_qgis = pytest.mark.skipif(not _has_qgis(), reason="QGIS (python3-qgis) not installed")


@pytest.fixture
def export(app, db, places, tmp_path):
    def run(name="places.gpkg", filters=None, **options):
        path = tmp_path / name
        options.setdefault("threshold", 2)
        options.setdefault("lang", "en")  # the names below; Swedish: test_export_gpkg.py
        export_geopackage(db, app.extensions["smultron.engine"].url, PLANNER,
                          filters or Filters(), path, ExportOptions(**options))
        return path
    return run


def stored(path: Path) -> tuple[str, dict, ET.Element]:
    """The project row as QGIS reads it: name, metadata JSON, and the .qgs in the zip."""
    with closing(sqlite3.connect(path)) as db:
        name, metadata, content = db.execute(
            "SELECT name, metadata, content FROM qgis_projects").fetchone()
    with zipfile.ZipFile(io.BytesIO(bytes.fromhex(content))) as qgz:
        [entry] = [n for n in qgz.namelist() if n.endswith(".qgs")]
        document = ET.fromstring(qgz.read(entry))  # noqa: S314 - the export under test
    return name, json.loads(metadata), document


def same(one: ET.Element, other: ET.Element) -> bool:
    def canonical(element):
        return ET.canonicalize(ET.tostring(element), strip_text=True)
    return canonical(one) == canonical(other)


def open_in_qgis(path: Path, tmp_path: Path) -> dict:
    out = tmp_path / "qgis-out"
    out.mkdir(exist_ok=True)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    done = subprocess.run([QGIS_PYTHON, str(OPEN_PROJECT), str(path), str(out)],
                          capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_project_is_stored_the_way_qgis_stores_it(export):
    path = export("Kiruna hösten.gpkg")
    name, metadata, document = stored(path)
    assert name == "Smultron"
    assert metadata["last_modified_user"] == "Smultron" and metadata["last_modified_time"]
    sources = {e.text for e in document.iter("datasource")}
    assert sources == {f"./Kiruna hösten.gpkg|layername={layer}" for layer in (
        "places_points", "places_areas", "places_routes", "preschools", "neighbourhoods",
        "density_hex", "place_photos")}
    assert document.find("properties/Paths/Absolute").text == "false"
    # the table is not a layer: GDAL lists the same layers and still validates the file
    assert "qgis_projects" not in {n for n, _ in pyogrio.list_layers(path)}
    done = export_data.validate_gpkg(path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_layer_has_the_default_style_of_layer_styles(export):
    path = export()
    _name, _metadata, document = stored(path)
    with closing(sqlite3.connect(path)) as db:
        qml = dict(db.execute("SELECT f_table_name, styleQML FROM layer_styles"))
    for layer in document.iter("maplayer"):
        table = layer.find("datasource").text.rsplit("layername=", 1)[1]
        style = ET.fromstring(qml[table])  # noqa: S314 - the export under test
        if table == "place_photos":  # no geometry, no renderer: its form is the style
            assert same(layer.find("attributeEditorForm"), style.find("attributeEditorForm"))
            continue
        assert same(layer.find("renderer-v2"), style.find("renderer-v2")), table


def test_typed_text_reaches_the_layout_as_variables_not_label_text(export, db, world):
    world.campaign.name = "Hösten [% @project_path %] <b>\"x\"</b>"
    db.commit()
    path = export(filters=Filters(campaigns=(world.campaign.name,)))
    _name, _metadata, document = stored(path)
    labels = [item.get("labelText") for item in document.iter("LayoutItem")
              if item.get("type") == "65641"]
    assert all("Hösten" not in text for text in labels)
    values = [v.text for v in document.findall("properties/Variables/variableValues/value")]
    assert any(world.campaign.name in value for value in values)


def test_map_extent_falls_back_to_the_crs_area_when_there_is_nothing():
    xmin, ymin, xmax, ymax = qgis_project.map_extent(None, 3006)
    assert xmin < 300_000 and xmax > 900_000 and ymin < 6_200_000 and ymax > 7_600_000
    width, height = xmax - xmin, ymax - ymin
    assert width / height == pytest.approx(qgis_project.MAP_BOX[2] / qgis_project.MAP_BOX[3])


@needs_qgis
def test_qgis_opens_the_project_ready_to_print(export, db, world, places, tmp_path):
    area = save_plan_area(db, world)
    plan_layer = plans.conflicts_layer(db, PLANNER, Filters(), area.id, 500, 3006)
    path = export("Kiruna hösten 2026.gpkg", plan_layer=plan_layer)
    result = open_in_qgis(path, tmp_path)
    assert result["read"] and result["crs"] == "EPSG:3006"
    assert result["browser"] == ["Smultron"]  # in the browser panel, under the file
    layers = result["layers"]
    assert len(layers) == 8 and all(layer["valid"] for layer in layers.values()), layers
    assert all(layer["crs"] == "EPSG:3006" for key, layer in layers.items()
               if key != "smultron_place_photos")  # the photos' table has no geometry
    assert layers["smultron_places_points"]["features"] == export_data.COUNTS["places_points"]
    assert layers["smultron_places_points"]["renderer"] == "categorizedSymbol"
    assert layers["smultron_density_hex"]["renderer"] == "graduatedSymbol"
    assert "Scary places" in layers["smultron_plan_conflicts"]["styles"]
    assert [group for group, _ids in result["tree"]] == [
        "Plan conflicts", "Children's places", "Preschools and neighbourhoods", "Density"]
    assert sorted(result["themes"]) == THEMES
    [layout] = result["layouts"].values()
    assert layout["page_mm"] == [420.0, 297.0]
    assert layout["items"]["map"] == 1 and layout["items"]["legend"] == 1
    assert layout["items"]["scale_bar"] == 1 and layout["items"]["picture"] == 1
    assert "Exported" in " ".join(layout["labels"]) and "no small group" in " ".join(
        layout["labels"])
    assert layout["pdf_result"] == 0  # QgsLayoutExporter.Success
    pdf = Path(layout["pdf"]).read_bytes()
    assert pdf.startswith(b"%PDF") and re.findall(rb"/Count (\d+)", pdf) == [b"1"]


@needs_qgis
def test_the_themes_filter_the_places(export, tmp_path):
    path = export()
    with closing(sqlite3.connect(path)) as db:
        def count(where):
            return db.execute(f"SELECT count(*) FROM places_points WHERE {where}").fetchone()[0]
        expected = {"Favourite places": count("feeling = 'favourite'"),
                    "Scary places": count("feeling = 'scary'"),
                    "Winter": count("season IN ('winter', 'all_year')"),
                    "Summer": count("season IN ('summer', 'all_year')")}
    assert 0 < expected["Scary places"] < export_data.COUNTS["places_points"]
    themes = open_in_qgis(path, tmp_path)["themes"]
    for theme, drawn in expected.items():
        points = themes[theme]["smultron_places_points"]
        assert points == {"style": theme, "drawn": drawn}, theme
        assert "smultron_density_hex" not in themes[theme]
    assert set(themes["Density"]) == {"smultron_density_hex", "smultron_preschools",
                                      "smultron_neighbourhoods"}


@needs_qgis
def test_a_moved_copy_opens_with_its_layers(export, tmp_path):
    path = export("smultron-places-2026-12-01.gpkg", srid=4326)
    moved = tmp_path / "elsewhere" / "deeper" / path.name
    moved.parent.mkdir(parents=True)
    shutil.copy(path, moved)
    path.unlink()
    result = open_in_qgis(moved, tmp_path)
    assert result["crs"] == "EPSG:4326"
    assert all(layer["valid"] for layer in result["layers"].values())
    assert all(layer["source"].startswith(str(moved)) for layer in result["layers"].values())


def test_a_download_names_the_file_it_is_saved_as(client, auth, world, places, tmp_path):
    auth.login(world.email("planner"))
    response = client.get("/export/places.gpkg?crs=EPSG:3007")
    assert response.status_code == 200
    name = re.search(r'filename="([^"]+)"', response.headers["Content-Disposition"])[1]
    path = tmp_path / name
    path.write_bytes(response.get_data())
    _name, _metadata, document = stored(path)
    assert {e.text.split("|")[0] for e in document.iter("datasource")} == {f"./{name}"}
    assert document.find("projectCrs/spatialrefsys/authid").text == "EPSG:3007"


def test_the_project_speaks_swedish_by_default(export):
    path = export(lang="sv")
    _name, _metadata, document = stored(path)
    themes = {p.get("name") for p in document.iter("visibility-preset")}
    assert themes == {"Smultronställen", "Läskiga platser", "Vinter", "Sommar", "Täthet"}
    assert [layout.get("name") for layout in document.iter("Layout")] == ["A3 liggande"]
    legend = next(i for i in document.iter("LayoutItem") if i.get("type") == "65642")
    assert legend.get("title") == "Teckenförklaring"
    values = [v.text for v in document.findall("properties/Variables/variableValues/value")]
    assert values[0] == "Barnens smultronställen"
    assert re.fullmatch(r"Urval: inga \(alla platser\)\. Exporterad \d{4}-\d\d-\d\d\.", values[1])
    assert "Inget barn lagras som person" in values[3]
    assert document.find("projectMetadata/language").text == "sv"
