"""A version's downloads, made from its frozen content only: GeoJSON (EPSG:4326), CSV
(one row per hexagon; the figures' tables as a second CSV) and a styled GeoPackage
(EPSG:3006, QGIS default styles in ``layer_styles``)."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pyarrow as pa
import pyogrio
import shapely

from smultron.export import styles
from smultron.models import METRIC_SRID
from smultron.opendata.snapshot import FEELINGS, hexagon_3006

FAVOURITE_COLOUR = "#d94801"  # the web map's and QGIS's darkest class of each ramp
SCARY_COLOUR = "#54278f"
CELL_FIELDS = ("cell_id", "feeling", "i", "j", "places", "children", "categories", "hex_size_m",
               "centre_lon", "centre_lat", "centre_x_3006", "centre_y_3006")
FIGURE_FIELDS = ("table", "key", "withheld", "places", "children")


def _cell_row(cell: dict, content: dict) -> dict:
    return {"cell_id": cell["id"], "feeling": cell["feeling"], "i": cell["i"], "j": cell["j"],
            "places": cell["places"], "children": cell["children"],
            "categories": ",".join(cell.get("categories", [])),
            "hex_size_m": content["hex_size"], "centre_lon": cell["lon"],
            "centre_lat": cell["lat"], "centre_x_3006": cell["x"], "centre_y_3006": cell["y"]}


def feature(cell: dict, content: dict, dataset_id: int) -> dict:
    return {"type": "Feature", "id": cell["id"], "geometry": cell["geometry"],
            "properties": {"dataset": dataset_id, **_cell_row(cell, content)}}


def geojson(content: dict, dataset_id: int) -> str:
    return json.dumps({
        "type": "FeatureCollection",
        "name": f"smultron_open_{dataset_id}",
        "licence": content["licence"],
        "withheld_cells": content["withheld_cells"],
        "features": [feature(c, content, dataset_id) for c in content["cells"]],
    }, ensure_ascii=False)


def cells_csv(content: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CELL_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for cell in content["cells"]:
        writer.writerow(_cell_row(cell, content))
    return out.getvalue()


def figure_rows(content: dict) -> list[dict]:
    rows = [{"table": "total", "key": "all", "withheld": content["totals"]["withheld"],
             "places": content["totals"]["places"],
             "children": content["totals"]["children"]}]
    for feeling in FEELINGS:
        rows.append({"table": "cells_withheld", "key": feeling, "withheld": False,
                     "places": None, "children": None,
                     "count": content["withheld_cells"][feeling]})
    for name, table in content["tables"].items():
        rows.extend({"table": name, **row} for row in table)
    return rows


def figures_csv(content: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=(*FIGURE_FIELDS, "count"), lineterminator="\r\n")
    writer.writeheader()
    for row in figure_rows(content):
        writer.writerow({"count": None, **row})
    return out.getvalue()


def _hex_table(content: dict, feeling: str) -> pa.Table:
    cells = [c for c in content["cells"] if c["feeling"] == feeling]
    rings = [shapely.Polygon(hexagon_3006(content["hex_size"], c["i"], c["j"])) for c in cells]
    rows = [_cell_row(c, content) for c in cells]
    columns = {name: [r[name] for r in rows] for name in CELL_FIELDS}
    types = {"cell_id": pa.string(), "feeling": pa.string(), "categories": pa.string(),
             "i": pa.int32(),
             "j": pa.int32(), "places": pa.int32(), "children": pa.int32(),
             "hex_size_m": pa.int32()}
    arrays = {name: pa.array(values, types.get(name, pa.float64()))
              for name, values in columns.items()}
    arrays["geom"] = pa.array(shapely.to_wkb(rings).tolist() if rings else [], pa.binary())
    return pa.table(arrays)


def _figures_table(content: dict) -> pa.Table:
    rows = figure_rows(content)
    return pa.table({
        "table_name": pa.array([r["table"] for r in rows], pa.string()),
        "key": pa.array([r["key"] for r in rows], pa.string()),
        "withheld": pa.array([bool(r["withheld"]) for r in rows], pa.bool_()),
        "places": pa.array([r["places"] for r in rows], pa.int32()),
        "children": pa.array([r["children"] for r in rows], pa.int32()),
        "count": pa.array([r.get("count") for r in rows], pa.int32()),
    })


def geopackage(content: dict, title: str) -> bytes:
    """The styled GeoPackage (1.2, EPSG:3006): favourite_hex, scary_hex, figures."""
    with tempfile.TemporaryDirectory(prefix="smultron-open-") as folder:
        path = Path(folder) / "open.gpkg"
        for feeling in FEELINGS:
            first = {} if path.exists() else {"dataset_options": {"VERSION": "1.2"}}
            pyogrio.write_arrow(
                _hex_table(content, feeling), str(path), layer=f"{feeling}_hex",
                driver="GPKG", geometry_name="geom", geometry_type="Polygon",
                crs=f"EPSG:{METRIC_SRID}", append=path.exists(), **first,
                layer_options={"FID": "fid", "SPATIAL_INDEX": "YES",
                               "IDENTIFIER": f"{title} ({feeling})"})
        pyogrio.write_arrow(_figures_table(content), str(path), layer="figures",
                            driver="GPKG", append=True, layer_options={"FID": "fid"})
        pyogrio.write_arrow(_styles(content), str(path), layer="layer_styles", driver="GPKG",
                            append=True, layer_options={"FID": "id"})
        return path.read_bytes()


def _styles(content: dict) -> pa.Table:
    """QGIS default styles: the hexagons graduated by children's choices (favourite
    places in oranges, scary places in purples)."""
    rows = []
    for feeling in FEELINGS:
        values = [c["children"] for c in content["cells"] if c["feeling"] == feeling]
        ramp = styles.HEX_RAMP if feeling == "favourite" else SCARY_RAMP
        qml = styles.with_fields(styles.graduated("children", styles.hex_breaks(values), ramp),
                                 "density_hex")
        rows.append((f"{feeling}_hex", "geom", qml, f"Smultron open data: {feeling}_hex"))
    return styles.styles_table(rows)


SCARY_RAMP = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
