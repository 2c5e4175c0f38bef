"""Importing preschools from CSV, GeoJSON and GeoPackage: all rows, or none; every file
bounded (size, rows, plain tables only) and every bad row a clear problem line."""

import io
import json
import sqlite3
from pathlib import Path

import pyogrio
import pytest
from shapely.geometry import Point
from sqlalchemy import func, select

from smultron.core.errors import AppError
from smultron.core.problems import Invalid
from smultron.models import Department, Preschool
from smultron.preschools import importing as preschools
from tests import factories

GOOD_CSV = (
    "name;lon;lat;unit_code;address;enrolled_children;departments\n"
    "Förskolan Ny;20,2300;67,8500;NY-1;Storgatan 1;30;\"Ekorren;Haren\"\n"
    "Förskolan Två;20.31;67.85;NY-2;;12;\n"
)


@pytest.fixture
def muni(db):
    row = factories.municipality(db)
    db.commit()
    return row


def _count(db):
    return db.scalar(select(func.count(Preschool.id)))


def _refusal(db, content, name: str = "list.csv") -> list[str]:
    """Import ``content`` (text, bytes or a file): it must be refused (422, nothing
    stored); its problem lines."""
    if isinstance(content, Path):
        source, name = content, content.name
    else:
        source = io.BytesIO(content.encode() if isinstance(content, str) else content)
    with pytest.raises(Invalid) as caught:
        preschools.import_file(db, source, name)
    db.rollback()
    assert caught.value.status == 422
    assert _count(db) == 0
    return [str(problem) for problem in caught.value.problems]


def test_csv_import_creates_preschools_with_neighbourhoods(db, muni):
    result = preschools.import_file(db, io.BytesIO(GOOD_CSV.encode()), "list.csv")
    db.commit()
    assert (result.created, result.updated) == (2, 0)
    school = db.scalar(select(Preschool).where(Preschool.unit_code == "NY-1"))
    assert school.enrolled_children == 30
    area = db.scalar(select(func.ST_Area(func.ST_Transform(Preschool.neighbourhood, 3006)))
                     .where(Preschool.id == school.id))
    assert area == pytest.approx(3.1416e6, rel=0.01)  # a 1 km buffer
    names = db.scalars(select(Department.name).where(Department.preschool_id == school.id))
    assert sorted(names) == ["Ekorren", "Haren"]


def test_importing_again_updates_instead_of_duplicating(db, muni):
    preschools.import_file(db, io.BytesIO(GOOD_CSV.encode()), "list.csv")
    again = preschools.import_file(
        db, io.BytesIO(GOOD_CSV.replace(";30;", ";31;").encode()), "list.csv")
    assert (again.created, again.updated) == (0, 2)
    assert _count(db) == 2


def test_bad_rows_are_listed_and_nothing_is_imported(db, muni):
    bad = GOOD_CSV + "Förskolan Fel;200;67.8;;;;\n;20.2;67.8;;;-3;\nUtan läge;;;;;;\n"
    detail = _refusal(db, bad)
    assert detail[0] == "Nothing was imported. Problems in list.csv: 4"
    assert "Row 4: The longitude must be between -180 and 180" in detail
    assert "Row 5: The name is missing" in detail
    assert "Row 5: Enrolled children must be between 0 and 100000" in detail
    assert "Row 6: No point location (lon/lat) was found" in detail


ODD_CSV = [
    ("name\nFörskolan Ensam\n", "The CSV needs the columns name, lon and lat"),
    ("\n", "The CSV needs the columns name, lon and lat"),
    ("name,lon,lat\nA," + "x" * 200_000 + ",67.8\n",
     "Row 2 cannot be read as CSV: a value is too long"),
    ("name,lon,lat,enrolled_children\nA,20.2,67.8,inf\n",
     "Row 2: Enrolled children must be a whole number"),
    ("name,lon,lat,enrolled_children\nA,20.2,67.8,1e12\n",
     "Row 2: Enrolled children must be a whole number"),
    ("name,lon,lat,enrolled_children\nA,20.2,67.8,1000000000000\n",
     "Row 2: Enrolled children must be between 0 and 100000"),
    ("name,lon,lat,unit_code\nA,20.2,67.8," + "K" * 41 + "\n",
     "Row 2: The unit code is longer than 40 characters"),
    ("name,lon,lat,address\nA,20.2,67.8," + "g" * 301 + "\n",
     "Row 2: The address is longer than 300 characters"),
    ("name,lon,lat,departments\nA,20.2,67.8,Ekorren;" + "d" * 201 + "\n",
     "Row 2: The department's name is longer than 200 characters"),
    ("name,lon,lat\nFör\x00skolan,20.2,67.8\n",
     "Row 2: The name contains a control character (such as NUL)"),
    ('name,lon,lat\n"Två\nrader",20.2,67.8\n', "Row 3: The name must be on one line"),
    ("name,lon,lat\nA,nan,67.8\n", "Row 2: The longitude must be between -180 and 180"),
]


@pytest.mark.parametrize("content,problem", ODD_CSV, ids=[p for _c, p in ODD_CSV])
def test_each_odd_csv_is_a_clear_problem_line(db, muni, content, problem):
    detail = _refusal(db, content)
    assert any(line.startswith(problem) for line in detail), detail


def test_a_place_outside_the_municipality_is_refused_as_the_form_refuses_it(db, muni):
    stockholm = "name,lon,lat\nFörskolan Söder,18.07,59.31\nFörskolan Ny,20.23,67.85\n"
    assert "Row 2: The location lies outside Kiruna" in _refusal(db, stockholm)


def test_the_list_of_problems_is_bounded(db, muni):
    rows = "".join(f"Förskolan {i},200,67.8\n" for i in range(300))
    detail = _refusal(db, "name,lon,lat\n" + rows)
    assert len(detail) == 1 + preschools.MAX_PROBLEMS + 1
    assert detail[0].endswith(": 300") and detail[-1] == "… and 250 more"


def test_a_file_with_too_many_rows_is_refused(db, muni):
    rows = "".join(f"Förskolan {i},20.2,67.8\n" for i in range(preschools.MAX_ROWS + 1))
    assert _refusal(db, "name,lon,lat\n" + rows) == [
        "The file has more than 20000 preschools: split it into smaller files"]


def test_a_file_larger_than_the_limit_is_refused_unread(db, muni):
    size = preschools.MAX_FILE_MB * 1024 * 1024
    assert _refusal(db, b"name,lon,lat\n" + b" " * size) == [
        "The file is larger than 20 MB: split it into smaller files"]


def test_geojson_import(db, muni, tmp_path):
    path = tmp_path / "schools.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [20.22, 67.85]},
         "properties": {"name": "Förskolan Geo", "enrolled_children": 22}}]}))
    assert preschools.import_file(db, path, path.name).created == 1


def _geopackage(path, rows: int = 1):
    import geopandas

    frame = geopandas.GeoDataFrame(
        {"name": [f"Förskolan {i}" for i in range(rows)], "enrolled_children": [20] * rows},
        geometry=[Point(20.22, 67.85)] * rows, crs=4326)
    pyogrio.write_dataframe(frame, path, layer="preschools")
    return path


def test_geopackage_in_sweref_is_reprojected(db, muni, tmp_path):
    import geopandas

    frame = geopandas.GeoDataFrame({"name": ["Förskolan Sweref"], "enrolled_children": [31.0]},
                                   geometry=[Point(719583.12, 7536069.97)], crs=3006)
    path = tmp_path / "schools.gpkg"
    pyogrio.write_dataframe(frame, path, layer="preschools")
    preschools.import_file(db, path, path.name)
    db.commit()
    lon, lat, enrolled = db.execute(select(func.ST_X(Preschool.location),
                                           func.ST_Y(Preschool.location),
                                           Preschool.enrolled_children)).one()
    assert lon == pytest.approx(20.2253, abs=1e-5) and lat == pytest.approx(67.8558, abs=1e-5)
    assert enrolled == 31


BOMB = """
CREATE VIEW bomb AS
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 200000)
SELECT i AS fid, X'{point}' AS geom, 'Förskolan ' || i AS name FROM n;
DROP TABLE preschools;
DROP TABLE rtree_preschools_geom;
DELETE FROM gpkg_extensions;
DELETE FROM gpkg_ogr_contents;
DELETE FROM gpkg_geometry_columns;
DELETE FROM gpkg_contents;
INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
  VALUES ('bomb', 'features', 'bomb', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('bomb', 'geom', 'POINT', 4326, 0, 0);
"""


def test_a_geopackage_whose_layer_is_a_view_is_refused_unread(db, muni, tmp_path):
    path = _geopackage(tmp_path / "bomb.gpkg")
    with sqlite3.connect(path) as connection:
        point = connection.execute("SELECT hex(geom) FROM preschools").fetchone()[0]
        connection.executescript(BOMB.format(point=point))
        connection.execute("VACUUM")
    assert path.stat().st_size < 200_000
    assert pyogrio.list_layers(path).tolist() == [["bomb", "Point"]]
    assert pyogrio.read_info(path)["features"] == 200_000  # what GDAL would read
    assert _refusal(db, path) == ["The GeoPackage holds a view or a virtual table (bomb): "
                                  "save the preschools as a plain layer"]


def test_a_geopackage_with_computed_columns_is_refused(db, muni, tmp_path):
    path = _geopackage(tmp_path / "computed.gpkg")
    with sqlite3.connect(path) as connection:
        connection.execute("ALTER TABLE preschools ADD COLUMN address TEXT "
                           "GENERATED ALWAYS AS (hex(zeroblob(1000000))) VIRTUAL")
    detail = _refusal(db, path)
    assert detail == ["The GeoPackage's layer preschools has computed columns: save the "
                      "preschools as a plain layer"]


def test_a_geopackage_with_too_many_features_is_refused(db, muni, tmp_path):
    path = _geopackage(tmp_path / "many.gpkg", rows=preschools.MAX_ROWS + 1)
    assert _refusal(db, path) == [
        "The file has more than 20000 preschools: split it into smaller files"]


@pytest.mark.parametrize("name,content,message", [
    ("list.txt", b"x", "list.txt is not a GeoPackage"),
    ("list.csv", b"foo,bar\n1,2\n", "The CSV needs the columns"),
    ("list.geojson", b"{not json", "The file could not be read"),
    ("list.geojson", b"SQLite format 3\x00", "list.geojson is not a GeoJSON file"),
    ("list.gpkg", b"{}", "The file is not a GeoPackage"),
    ("list.gpkg", b"SQLite format 3\x00" + b"\x00" * 100, "The file is not a GeoPackage"),
    ("list.csv", b"name,lon,lat\n", "Nothing was imported: list.csv has no rows"),
])
def test_unusable_files_get_a_clear_message(db, muni, name, content, message):
    with pytest.raises(AppError, match=message):
        preschools.import_file(db, io.BytesIO(content), name)
