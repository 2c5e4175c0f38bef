"""The GeoPackage export, read back like QGIS and GDAL read it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date

import pandas as pd
import pyogrio
import pytest

from smultron.core.access import Viewer
from smultron.core.errors import AppError
from smultron.export.gpkg import ExportOptions, export_geopackage, libpq_uri
from smultron.places.query import Filters, parse_srid
from tests import export_data
from tests.test_qgis_project import stored

PLANNER = Viewer(user_id=0, role="planner", preschool_ids=frozenset())
LAYERS = ["density_hex", "neighbourhoods", "place_photos", "places_areas", "places_points",
          "places_routes", "preschools"]


@pytest.fixture
def export(app, db, places, tmp_path):
    def run(filters=None, **options):
        path = tmp_path / "places.gpkg"
        options.setdefault("threshold", 5)
        result = export_geopackage(db, app.extensions["smultron.engine"].url, PLANNER,
                                   filters or Filters(),
                                   path, ExportOptions(**options))
        return path, result
    return run


def sql(path, query, *args):
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(query, args).fetchall()


def test_layers_counts_and_version(export):
    path, result = export()
    assert sorted(name for name, _ in pyogrio.list_layers(path) if name != "layer_styles") == \
        LAYERS
    assert {k: result.counts[k] for k in export_data.COUNTS} == export_data.COUNTS
    assert result.counts["preschools"] == 2 and result.counts["neighbourhoods"] == 2
    assert sql(path, "PRAGMA application_id")[0][0] == 0x47504B47  # 'GPKG'
    assert sql(path, "PRAGMA user_version")[0][0] == 10200  # GeoPackage 1.2
    geometry_types = dict(sql(path, "SELECT table_name, geometry_type_name "
                                    "FROM gpkg_geometry_columns"))
    assert geometry_types == {"places_points": "POINT", "places_areas": "POLYGON",
                              "places_routes": "LINESTRING", "preschools": "POINT",
                              "neighbourhoods": "POLYGON", "density_hex": "POLYGON"}
    assert not list(path.parent.glob(".*partial*"))


def test_gdal_validator_passes(export):
    path, _ = export()
    done = export_data.validate_gpkg(path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_default_crs_is_sweref99tm_and_kiruna_lands_right(export, places):
    path, _ = export()
    assert {row[0] for row in sql(path, "SELECT srs_id FROM gpkg_geometry_columns")} == {3006}
    frame = pyogrio.read_dataframe(path, layer="places_points")
    assert frame.crs.to_epsg() == 3006
    point = frame.set_index("place_id").geometry[str(places.kiruna_point.id)]
    assert point.x == pytest.approx(719583.12, abs=0.5)
    assert point.y == pytest.approx(7536069.97, abs=0.5)


@pytest.mark.parametrize("srid", [4326, 3007, 3018])
def test_other_crs(export, srid):
    path, _ = export(srid=srid)
    assert {row[0] for row in sql(path, "SELECT srs_id FROM gpkg_geometry_columns")} == {srid}
    assert pyogrio.read_info(path, layer="places_points")["crs"] == f"EPSG:{srid}"


def test_unknown_crs_is_refused():
    for bad in ("EPSG:3857", "EPSG:2400", "nonsense", "EPSG:"):
        with pytest.raises(AppError, match="not offered"):
            parse_srid(bad)
    assert parse_srid("http://www.opengis.net/def/crs/EPSG/0/3010") == 3010


def test_column_types_are_flat_and_typed(export):
    path, _ = export()
    columns = {row[1]: row[2] for row in sql(path, "PRAGMA table_info(places_points)")}
    assert columns == {
        "fid": "INTEGER", "geom": "POINT", "place_id": "TEXT", "category": "TEXT",
        "category_sv": "TEXT", "feeling": "TEXT", "children_count": "MEDIUMINT",
        "age_group": "TEXT", "season": "TEXT", "comment": "TEXT", "preschool": "TEXT",
        "department": "TEXT", "session_language": "TEXT", "campaign": "TEXT", "created": "DATE",
        "response_status": "TEXT", "response_text": "TEXT", "response_plan": "TEXT",
        "answered_at": "DATETIME"}
    info = pyogrio.read_info(path, layer="places_points")
    assert dict(zip(info["fields"], info["dtypes"], strict=True))["children_count"] == "int32"
    hexes = {row[1]: row[2] for row in sql(path, "PRAGMA table_info(density_hex)")}
    assert hexes["children"] == "MEDIUMINT" and hexes["places"] == "MEDIUMINT"
    schools = {row[1]: row[2] for row in sql(path, "PRAGMA table_info(preschools)")}
    assert schools["participation_pct"] == "REAL" and schools["enrolled_children"] == "MEDIUMINT"


def test_no_user_identity_and_only_approved_comments(export, places):
    path, _ = export()
    frame = pyogrio.read_dataframe(path, layer="places_points").set_index("place_id")
    for column in frame.columns:
        assert "author" not in column and "user" not in column and "email" not in column
    assert frame.loc[str(places.kiruna_point.id), "comment"] == "Vi gungar högt"
    assert pd.isna(frame.loc[str(places.scary_point.id), "comment"])  # pending
    assert pd.isna(frame.loc[str(places.hidden_comment.id), "comment"])  # hidden
    assert str(places.deleted.id) not in frame.index
    row = frame.loc[str(places.kiruna_point.id)]
    assert (row.category, row.category_sv, row.feeling, row.children_count) == (
        "play", "Lek", "favourite", 6)
    assert (row.preschool, row.department, row.campaign) == (
        "Förskolan A", "Blåbär", "Hösten 2026")
    other = frame.loc[str(places.other_school.id)]
    assert (other.preschool, other.category_sv) == ("Förskolan B", "Sport och boll")
    assert pd.isna(other.department)


def test_filters(export, places):
    path, result = export(Filters(campaigns=("Våren 2026",)))
    assert result.counts["places_points"] == 1
    path, result = export(Filters(preschools=("Förskolan B",), feelings=("favourite",)))
    assert result.counts["places_points"] == 3 and result.counts["places_areas"] == 1
    assert result.counts["preschools"] == 1
    path, result = export(Filters(categories=("water",), seasons=("winter",)))
    assert (result.counts["places_points"], result.counts["places_routes"]) == (1, 0)
    path, result = export(Filters(date_from=date(2000, 1, 1), date_to=date(2000, 1, 2)))
    assert result.counts["places_points"] == 0
    assert pyogrio.read_info(path, layer="places_points")["geometry_type"] == "Point"


def test_unknown_filter_values_are_refused(export):
    with pytest.raises(AppError, match="no campaign called 'Nope'"):
        export(Filters(campaigns=("Nope",)))


def test_styles_are_qgis_defaults(export):
    path, _ = export()
    rows = sql(path, "SELECT f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                     "useAsDefault, styleQML FROM layer_styles ORDER BY f_table_name")
    assert [row[2] for row in rows] == LAYERS
    for catalog, schema, name, column, default, qml in rows:
        # the photos' table has no geometry: QGIS looks its style up by an empty column
        assert (catalog, schema, column, default) == (
            "", "", "" if name == "place_photos" else "geom", 1)
        assert qml.startswith("<!DOCTYPE qgis")
    assert sql(path, "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'") \
        == [("attributes",)]
    qml = dict((row[2], row[5]) for row in rows)
    assert 'type="categorizedSymbol" attr="category"' in qml["places_points"]
    assert 'value="play" label="Lek"' in qml["places_points"]
    assert 'value="216,27,96,255"' in qml["places_points"]  # play's colour, #d81b60
    assert 'type="graduatedSymbol" attr="children"' in qml["density_hex"]
    assert '<alias field="children_count" name="Antal barn"/>' in qml["places_points"]
    assert "<mapTip>" in qml["places_points"]


def test_metadata_says_what_was_exported(export):
    path, _ = export(Filters(campaigns=("Hösten 2026",)), srid=3010)
    description = sql(path, "SELECT description FROM gpkg_contents "
                            "WHERE table_name = 'places_points'")[0][0]
    assert "campaigns=Hösten 2026" in description and "EPSG:3010" in description
    dataset = pyogrio.read_info(path, layer="places_points")["dataset_metadata"]
    assert dataset["FILTERS"] == "campaigns=Hösten 2026" and dataset["CRS"] == "EPSG:3010"
    qgis = sql(path, "SELECT r.table_name FROM gpkg_metadata m JOIN gpkg_metadata_reference r "
                     "ON r.md_file_id = m.id WHERE m.md_standard_uri = 'http://mrcc.com/qgis.dtd'")
    assert {row[0] for row in qgis} == set(LAYERS)


def test_density_hex_suppresses_small_cells(export):
    path, _ = export(threshold=5)
    hexes = pyogrio.read_dataframe(path, layer="density_hex")
    assert len(hexes) >= 1 and (hexes.children >= 5).all()
    every, _ = export(threshold=2, hex_size=100)
    assert pyogrio.read_dataframe(every, layer="density_hex").children.min() >= 2
    big, _ = export(threshold=1000)
    assert pyogrio.read_info(big, layer="density_hex")["features"] == 0


def test_density_hex_counts_each_place_once(export, db):
    path, _ = export(threshold=2, hex_size=5000)
    hexes = pyogrio.read_dataframe(path, layer="density_hex")
    assert int(hexes.places.sum()) == sum(export_data.COUNTS.values())
    assert int(hexes.children.sum()) == 6 + 2 + 3 + 4 + 5 + 7 + 2 + 3 + 3 + 1 + 1
    assert hexes.geometry.is_valid.all()
    assert hexes.geometry.area.iloc[0] == pytest.approx(3 * 3 ** 0.5 / 2 * 5000 ** 2, rel=1e-6)


def test_preschools_participation(export):
    path, _ = export()
    schools = pyogrio.read_dataframe(path, layer="preschools").set_index("name")
    school_a = schools.loc["Förskolan A"]
    assert (school_a.sessions, school_a.children_reached, school_a.enrolled_children) == (
        2, 17, 40)
    assert school_a.participation_pct == pytest.approx(42.5)
    assert school_a.places == 6  # live places of A, both campaigns


def test_failed_export_leaves_no_file(app, db, places, tmp_path):
    path = tmp_path / "broken.gpkg"
    with pytest.raises(AppError, match="not reachable") as gone:
        export_geopackage(db, "postgresql://postgres@/nope?host=/nonexistent", PLANNER,
                          Filters(), path)
    assert gone.value.status == 503
    assert list(tmp_path.iterdir()) == []


def test_libpq_uri_from_sqlalchemy_url():
    assert libpq_uri("postgresql+psycopg://u:p%40ss@db.example.org:5433/smultron") == \
        "postgresql://u:p%40ss@db.example.org:5433/smultron"
    assert libpq_uri("postgresql+psycopg://postgres@/smultron?host=/tmp/x&port=5432") == \
        "postgresql://postgres@/smultron?host=%2Ftmp%2Fx&port=5432"


def test_cli_export(database_url, places, tmp_path, db):
    from click.testing import CliRunner

    from smultron.cli import main
    from smultron.models import AuditEvent

    path = tmp_path / "cli.gpkg"
    runner = CliRunner()
    env = {"DATABASE_URL": database_url}
    done = runner.invoke(main, ["export", str(path), "--crs", "EPSG:3010",
                                "--campaign", "Hösten 2026", "--feeling", "favourite"], env=env)
    assert done.exit_code == 0, done.output
    assert "places_points" in done.output and "EPSG:3010" in done.output
    assert pyogrio.read_info(path, layer="places_points")["features"] == 5
    assert pyogrio.read_info(path, layer="places_points")["crs"] == "EPSG:3010"
    event = db.query(AuditEvent).filter_by(action="export").one()
    assert event.actor == "cli" and event.detail["filters"]["feelings"] == ["favourite"]
    bad = runner.invoke(main, ["export", str(tmp_path / "x.gpkg"), "--crs", "EPSG:3857"],
                        env=env)
    assert bad.exit_code == 1 and "not offered" in bad.output
    assert not (tmp_path / "x.gpkg").exists()
    only = runner.invoke(main, ["export", str(tmp_path / "p.gpkg"), "--layer", "places_points"],
                         env=env)
    assert only.exit_code == 0
    assert [n for n, _ in pyogrio.list_layers(tmp_path / "p.gpkg")] == [
        "places_points", "place_photos", "layer_styles"]


def test_schema_extension_describes_columns_and_coded_values(export):
    path, _ = export()
    described = dict((row[0], row[1:]) for row in sql(
        path, "SELECT column_name, title, description, constraint_name FROM gpkg_data_columns "
              "WHERE table_name = 'places_points'"))
    assert described["children_count"][:2] == ("Antal barn",
                                                "Hur många barn som valde platsen.")
    assert described["feeling"][2] == "smultron_feeling"
    assert described["category"][2] == "smultron_category"
    feelings = sql(path, "SELECT value, description FROM gpkg_data_column_constraints "
                         "WHERE constraint_name = 'smultron_feeling' ORDER BY value")
    assert feelings == [("favourite", "Smultronställe"), ("scary", "Läskig plats")]
    assert ("play", "Lek") in sql(path, "SELECT value, description FROM "
                                        "gpkg_data_column_constraints WHERE constraint_name "
                                        "= 'smultron_category'")
    assert sql(path, "SELECT count(*) FROM gpkg_extensions "
                     "WHERE extension_name = 'gpkg_schema'") == [(2,)]


def contents(path) -> dict:
    """table -> (identifier, description) of gpkg_contents, and the layer_styles rows."""
    found = {name: (ident, text) for name, ident, text in sql(
        path, "SELECT table_name, identifier, description FROM gpkg_contents")}
    found["styles"] = dict(sql(path, "SELECT f_table_name, description FROM layer_styles"))
    return found


@pytest.mark.parametrize("lang, title, description, style, note", [
    ("sv", "Barnens platser (punkter)", "Platser som barnen valde, markerade som punkter.",
     "Smultrons standardstil för places_points", "Inget barn lagras som person"),
    ("en", "Children's places (points)", "Places the children chose, marked as points.",
     "Smultron default style for places_points", "No child is stored as a person"),
])
def test_titles_and_descriptions_follow_the_exports_language(export, lang, title, description,
                                                             style, note):
    path, _ = export(lang=lang)
    found = contents(path)
    assert found["places_points"][0] == title
    assert found["places_points"][1].startswith(description)
    assert found["styles"]["places_points"] == style
    assert found["density_hex"][0] == {"sv": "Täthet av platser (hexagoner)",
                                       "en": "Density of places (hexagons)"}[lang]
    dataset = pyogrio.read_info(path, layer="places_points")["dataset_metadata"]
    assert dataset["NOTE"].startswith(note) and dataset["LANGUAGE"] == lang
    assert dataset["FILTERS"] == {"sv": "inga (alla platser)", "en": "none (all places)"}[lang]
    qgis = sql(path, "SELECT m.metadata FROM gpkg_metadata m JOIN gpkg_metadata_reference r "
                     "ON r.md_file_id = m.id WHERE r.table_name = 'places_points' "
                     "AND m.md_standard_uri = 'http://mrcc.com/qgis.dtd'")[0][0]
    assert f"<language>{lang}</language>" in qgis and f"<title>{title}</title>" in qgis
    described = dict(sql(path, "SELECT column_name, description FROM gpkg_data_columns "
                               "WHERE table_name = 'places_points'"))
    assert described["children_count"] == {"sv": "Hur många barn som valde platsen.",
                                           "en": "How many children chose this place."}[lang]
    _name, _metadata, project = stored(path)  # the QGIS project inside follows it too
    groups = [g.get("name") for g in project.iter("layer-tree-group") if g.get("name")]
    assert {"sv": "Barnens platser", "en": "Children's places"}[lang] in groups
    assert title in [layer.get("name") for layer in project.iter("layer-tree-layer")]


def test_cli_export_language(database_url, places, tmp_path):
    from click.testing import CliRunner

    from smultron.cli import main

    env = {"DATABASE_URL": database_url}
    for lang, title in (("sv", "Barnens vägar"), ("en", "Children's routes")):
        path = tmp_path / f"{lang}.gpkg"
        args = ["export", str(path), "--layer", "places_routes"]
        done = CliRunner().invoke(main, args + (["--lang", lang] if lang == "en" else []),
                                  env=env)
        assert done.exit_code == 0, done.output
        assert contents(path)["places_routes"][0] == title  # sv without --lang: the default
