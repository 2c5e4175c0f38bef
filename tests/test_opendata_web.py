"""Open data on the web, no login: every public address answers while a dataset is
published and is 404 after unpublishing; no address takes an area or a threshold; the
downloads read back (GeoPackage with pyogrio and its styles, GeoJSON, CSV); DCAT-AP-SE
parsed as JSON-LD by rdflib; ISO 19139 well-formed and naming the licence."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pyogrio
import pytest
from defusedxml import ElementTree
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from smultron import opendata
from tests import opendata_data

K = 10
ACTOR = opendata.Actor(name="test")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
GMD = "{http://www.isotc211.org/2005/gmd}"


@pytest.fixture
def published(db, client):
    data = opendata_data.build(db)
    version = opendata.publish(db, [data.world.campaign.id], opendata.Options(),
                               open_threshold=K, actor=ACTOR)
    db.commit()
    return version.dataset_id


def public_urls(dataset_id: int) -> list[str]:
    collection = f"/ogc/open/collections/dataset-{dataset_id}"
    return [f"/open/{dataset_id}", f"/open/{dataset_id}/data.gpkg",
            f"/open/{dataset_id}/data.geojson", f"/open/{dataset_id}/cells.csv",
            f"/open/{dataset_id}/figures.csv", f"/open/{dataset_id}/dcat.jsonld",
            f"/open/{dataset_id}/metadata.xml", collection, f"{collection}/items"]


def test_every_public_address_answers_anonymously_then_404_after_unpublishing(
        client, db, published):
    assert client.get("/open").status_code == 200
    assert client.get("/open/specification").status_code == 200
    for url in public_urls(published):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers or url == f"/open/{published}", url
    item = client.get(f"/ogc/open/collections/dataset-{published}/items").get_json()
    first = item["features"][0]["id"]
    assert client.get(f"/ogc/open/collections/dataset-{published}/items/{first}"
                      ).status_code == 200
    collections = client.get("/ogc/open/collections").get_json()["collections"]
    assert [c["id"] for c in collections] == [f"dataset-{published}"]
    opendata.unpublish(db, published, actor=ACTOR)
    db.commit()
    for url in [*public_urls(published),
                f"/ogc/open/collections/dataset-{published}/items/{first}"]:
        assert client.get(url).status_code == 404, url
    assert client.get("/ogc/open/collections").get_json()["collections"] == []
    assert f"/open/{published}" not in client.get("/open").get_data(as_text=True)


def test_the_data_is_public_cacheable_and_revalidated(client, published):
    url = f"/ogc/open/collections/dataset-{published}/items"
    response = client.get(url)
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert response.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    for path in (f"/open/{published}/data.geojson", f"/open/{published}/dcat.jsonld"):
        assert client.get(path).headers["Cache-Control"] == "public, no-cache"


@pytest.mark.parametrize("query", [
    "area=%7B%22type%22%3A%22Polygon%22%7D", "threshold=2", "k=2", "cell=250",
    "hex_size=250", "scope=preschool", "preschool=1", "campaign=1", "plan_area=1"])
def test_no_address_accepts_an_area_or_a_threshold(client, published, query):
    for url in [*public_urls(published), "/open", "/ogc/open/collections"]:
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, (url, query)


def test_bbox_selects_published_hexagons_and_never_changes_them(client, published):
    url = f"/ogc/open/collections/dataset-{published}/items"
    everything = {f["id"]: f for f in client.get(url).get_json()["features"]}
    first = next(iter(everything.values()))
    lon, lat = first["properties"]["centre_lon"], first["properties"]["centre_lat"]
    near = client.get(f"{url}?bbox={lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}")
    chosen = near.get_json()["features"]
    assert chosen and len(chosen) < len(everything)
    for feature in chosen:
        assert feature == everything[feature["id"]]
    assert client.get(f"{url}?bbox=1,2,3").status_code == 400
    paged = client.get(f"{url}?limit=1").get_json()
    assert paged["numberReturned"] == 1 and any(link["rel"] == "next"
                                                for link in paged["links"])


def test_no_public_response_holds_a_small_hexagon(client, db, published):
    geojson = client.get(f"/open/{published}/data.geojson").get_json()
    items = client.get(f"/ogc/open/collections/dataset-{published}/items").get_json()
    rows = list(csv.DictReader(io.StringIO(client.get(f"/open/{published}/cells.csv")
                                           .get_data(as_text=True))))
    assert geojson["features"] and len(rows) == len(geojson["features"])
    for feature in [*geojson["features"], *items["features"]]:
        assert feature["properties"]["children"] >= K
    assert all(int(row["children"]) >= K for row in rows)
    page = client.get(f"/open/{published}").get_data(as_text=True)
    assert "Lisas" not in page and "Förskolan C" not in page and "Förskolan B" not in page


def test_geopackage_reads_back_styled(client, published, tmp_path: Path):
    path = tmp_path / "open.gpkg"
    path.write_bytes(client.get(f"/open/{published}/data.gpkg").data)
    layers = {name for name, _kind in pyogrio.list_layers(path)}
    assert {"favourite_hex", "scary_hex", "figures", "layer_styles"} <= layers
    info = pyogrio.read_info(path, layer="favourite_hex")
    assert info["crs"] == "EPSG:3006" and info["features"] >= 1
    frame = pyogrio.read_dataframe(path, layer="favourite_hex")
    assert (frame["children"] >= K).all()
    assert frame.geometry.area.round(-2).unique().tolist() == [round(2.598076 * 500**2, -2)]
    with sqlite3.connect(path) as gpkg:
        styles = dict(gpkg.execute("SELECT f_table_name, useAsDefault FROM layer_styles"))
        schema = gpkg.execute("SELECT f_table_schema FROM layer_styles").fetchall()
    assert styles == {"favourite_hex": 1, "scary_hex": 1} and schema == [("",), ("",)]


# rdflib 7.6's own JSON-LD parser still builds a ConjunctiveGraph inside
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_dcat_parses_as_json_ld_with_the_required_properties(client, published):
    body = client.get(f"/open/{published}/dcat.jsonld")
    assert body.mimetype == "application/ld+json"
    graph = Graph().parse(data=body.get_data(as_text=True), format="json-ld")
    dataset = URIRef(f"https://localhost/open/{published}")
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher, DCTERMS.license,
                 DCTERMS.temporal, DCTERMS.spatial, DCAT.distribution, DCAT.contactPoint):
        assert graph.value(dataset, prop) is not None, prop
    titles = {t.language for t in graph.objects(dataset, DCTERMS.title)}
    assert titles == {"sv", "en"}
    assert graph.value(graph.value(dataset, DCTERMS.publisher), FOAF.name).value == "Kiruna"
    assert graph.value(dataset, DCTERMS.license) == URIRef(
        "https://creativecommons.org/publicdomain/zero/1.0/")
    temporal = graph.value(dataset, DCTERMS.temporal)
    assert str(graph.value(temporal, DCAT.startDate)) == "2026-09-01"
    assert graph.value(graph.value(dataset, DCTERMS.spatial), DCAT.bbox) is not None
    distributions = list(graph.objects(dataset, DCAT.distribution))
    assert len(distributions) == 5
    for distribution in distributions:
        assert graph.value(distribution, DCAT.accessURL) is not None
        assert graph.value(distribution, DCTERMS.license) is not None
        assert graph.value(distribution, DCTERMS["format"]) is not None
    catalogues = list(graph.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogues) == 1 and (catalogues[0], DCAT.dataset, dataset) in graph
    assert VCARD.Organization in set(graph.objects(graph.value(dataset, DCAT.contactPoint),
                                                   RDF.type))


def test_iso_metadata_is_well_formed_and_names_the_licence(client, published):
    body = client.get(f"/open/{published}/metadata.xml")
    root = ElementTree.fromstring(body.data)
    assert root.tag == f"{GMD}MD_Metadata"
    text = body.get_data(as_text=True)
    assert "https://creativecommons.org/publicdomain/zero/1.0/" in text
    assert "Creative Commons CC0 1.0" in text and "EPSG:3006" in text
    box = root.find(f".//{GMD}EX_GeographicBoundingBox")
    assert box is not None and len(list(box)) == 4


def test_the_pages_are_in_swedish_and_english(client, published):
    swedish = client.get(f"/open/{published}").get_data(as_text=True)
    english = client.get(f"/open/{published}?lang=en").get_data(as_text=True)
    assert "Smultronställen" in swedish or "smultronställen" in swedish
    assert "Favourite places" in english and "Barns smultronställen" in swedish
    config = json.loads(swedish.split('id="page-config">')[1].split("</script>")[0])
    assert config["data"].endswith(f"/open/{published}/data.geojson")
    assert config["tiles"]["url"].startswith("/basemap/")


def test_anonymous_visitors_get_background_tiles_only_while_data_is_published(
        client, db, published):
    from tests.conftest import app_config  # noqa: F401 - the tile server is the test's own

    assert client.get("/basemap/map/1/0/0").status_code in (200, 204)
    opendata.unpublish(db, published, actor=ACTOR)
    db.commit()
    assert client.get("/basemap/map/1/0/0").status_code in (302, 401)
