"""Importing preschools from CSV, GeoJSON and GeoPackage: all rows, or none."""

import io
import json

import pyogrio
import pytest
from shapely.geometry import Point
from sqlalchemy import func, select

from smultron import preschools
from smultron.errors import AppError
from smultron.models import Department, Preschool
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
    with pytest.raises(AppError) as caught:
        preschools.import_file(db, io.BytesIO(bad.encode()), "list.csv")
    detail = caught.value.detail
    assert caught.value.status == 422
    assert any(line.startswith("row 4:") and "not lon/lat" in line for line in detail)
    assert any(line.startswith("row 5:") and "name is missing" in line for line in detail)
    assert any(line.startswith("row 5:") and "enrolled_children" in line for line in detail)
    assert any(line.startswith("row 6:") and "no point location" in line for line in detail)
    db.rollback()
    assert _count(db) == 0


def test_geojson_import(db, muni, tmp_path):
    path = tmp_path / "schools.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [20.22, 67.85]},
         "properties": {"name": "Förskolan Geo", "enrolled_children": 22}}]}))
    assert preschools.import_file(db, path, path.name).created == 1


def test_geopackage_in_sweref_is_reprojected(db, muni, tmp_path):
    import geopandas

    frame = geopandas.GeoDataFrame({"name": ["Förskolan Sweref"]},
                                   geometry=[Point(719583.12, 7536069.97)], crs=3006)
    path = tmp_path / "schools.gpkg"
    pyogrio.write_dataframe(frame, path, layer="preschools")
    preschools.import_file(db, path, path.name)
    db.commit()
    lon, lat = db.execute(select(func.ST_X(Preschool.location),
                                 func.ST_Y(Preschool.location))).one()
    assert lon == pytest.approx(20.2253, abs=1e-5) and lat == pytest.approx(67.8558, abs=1e-5)


@pytest.mark.parametrize("name,content,message", [
    ("list.txt", b"x", "not a GeoPackage"),
    ("list.csv", b"foo,bar\n1,2\n", "needs the columns"),
    ("list.geojson", b"{not json", "could not be read"),
    ("list.csv", b"name,lon,lat\n", "no rows"),
])
def test_unusable_files_get_a_clear_message(db, muni, name, content, message):
    with pytest.raises(AppError, match=message):
        preschools.import_file(db, io.BytesIO(content), name)
