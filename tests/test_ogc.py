"""OGC API - Features at /ogc: each declared conformance class checked against the
responses, paging, CRS (Part 2) and access."""

from __future__ import annotations

import base64
import re
from urllib.parse import urlsplit

import pytest
from shapely.geometry import Point

from smultron import accounts
from tests import export_data, factories
from tests.conftest import untranslated

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON_CLASS = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
HTML_CLASS = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html"
CRS_CLASS = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"


@pytest.fixture
def headers(db, world):
    secret = accounts.create_token(db, world.users["planner"], "qgis")
    db.commit()
    raw = base64.b64encode(f"{world.email('planner')}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@pytest.fixture
def get(client, headers):
    def fetch(url, **kwargs):
        if url.startswith("http"):
            parts = urlsplit(url)
            url = parts.path + ("?" + parts.query if parts.query else "")
        return client.get(url, headers={**headers, **kwargs.pop("extra", {})}, **kwargs)
    return fetch


def rels(document) -> dict:
    return {(link["rel"], link["type"]): link["href"] for link in document["links"]}


def test_landing_page_links(get):
    response = get("/ogc")
    assert response.status_code == 200 and response.mimetype == "application/json"
    links = rels(response.get_json())
    assert ("conformance", "application/json") in links
    assert ("data", "application/json") in links
    assert ("service-desc", "application/vnd.oai.openapi+json;version=3.0") in links
    assert ("self", "application/json") in links and ("alternate", "text/html") in links
    api = get(links[("service-desc", "application/vnd.oai.openapi+json;version=3.0")])
    assert api.status_code == 200 and api.get_json()["openapi"].startswith("3.0")


def test_conformance_declares_what_is_tested_here(get):
    conforms = get("/ogc/conformance").get_json()["conformsTo"]
    assert sorted(conforms) == sorted([CORE, GEOJSON_CLASS, HTML_CLASS, CRS_CLASS])


def test_collections(get):
    data = get("/ogc/collections").get_json()
    ids = [c["id"] for c in data["collections"]]
    assert ids == ["places_points", "places_areas", "places_routes", "preschools"]
    for collection in data["collections"]:
        assert collection["itemType"] == "feature"
        assert collection["crs"][0] == CRS84 and EPSG.format(3006) in collection["crs"]
        assert collection["storageCrs"] == EPSG.format(4326)
        assert len(collection["extent"]["spatial"]["bbox"][0]) == 4
        items = rels(collection)[("items", "application/geo+json")]
        assert get(items).status_code == 200
    one = get("/ogc/collections/places_points").get_json()
    assert one["id"] == "places_points" and rels(one)[("self", "application/json")]
    assert get("/ogc/collections/nope").status_code == 404


def test_items_are_geojson_without_full_count(get, places):
    response = get("/ogc/collections/places_points/items")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    data = response.get_json()
    assert data["type"] == "FeatureCollection"
    assert data["numberReturned"] == len(data["features"]) == export_data.COUNTS["places_points"]
    assert "numberMatched" not in data and data["timeStamp"].endswith("Z")
    assert response.headers["Content-Crs"] == f"<{CRS84}>"
    feature = next(f for f in data["features"] if f["id"] == str(places.kiruna_point.id))
    assert feature["geometry"] == {"type": "Point", "coordinates": [20.2253, 67.8558]}
    assert feature["properties"]["category"] == "play"
    assert feature["properties"]["department"] == "Blåbär"
    assert "author_id" not in feature["properties"]
    one = get(f"/ogc/collections/places_points/items/{feature['id']}")
    assert one.status_code == 200 and one.get_json()["id"] == feature["id"]
    assert get("/ogc/collections/places_points/items/00000000-0000-0000-0000-000000000000") \
        .status_code == 404
    assert get("/ogc/collections/places_points/items/not-a-uuid").status_code == 404


def test_kiruna_in_sweref99tm(get, places):
    """EPSG:3006's axis order is (northing, easting); Part 2 answers in the CRS's order."""
    url = (f"/ogc/collections/places_points/items/{places.kiruna_point.id}"
           f"?crs={EPSG.format(3006)}")
    response = get(url)
    assert response.headers["Content-Crs"] == f"<{EPSG.format(3006)}>"
    northing, easting = response.get_json()["geometry"]["coordinates"]
    assert (easting, northing) == pytest.approx((719583.12, 7536069.97), abs=0.5)
    items = get(f"/ogc/collections/places_points/items?crs={EPSG.format(3006)}").get_json()
    found = next(f for f in items["features"] if f["id"] == str(places.kiruna_point.id))
    assert found["geometry"]["coordinates"] == [northing, easting]
    lat_lon = get(f"{url.split('?')[0]}?crs={EPSG.format(4326)}").get_json()
    assert lat_lon["geometry"]["coordinates"] == [67.8558, 20.2253]


def test_crs_errors(get):
    response = get("/ogc/collections/places_points/items?crs=EPSG:3857")
    assert response.status_code == 400
    assert CRS84 in response.get_json()["error"]
    assert get("/ogc/collections/places_points/items?bbox-crs=foo&bbox=1,2,3,4") \
        .status_code == 400


def test_bbox_in_crs84_and_in_bbox_crs(get, places):
    lon, lat = factories.KIRUNA
    crs84 = get(f"/ogc/collections/places_points/items?bbox={lon - 0.0005},{lat - 0.0005},"
                f"{lon + 0.0005},{lat + 0.0005}").get_json()
    assert {f["id"] for f in crs84["features"]} == {str(places.kiruna_point.id)}
    # the same box in SWEREF 99 TM, (northing, easting) order as the CRS defines it
    n, e = 7536069.97, 719583.12
    sweref = get(f"/ogc/collections/places_points/items?bbox={n - 10},{e - 10},{n + 10},{e + 10}"
                 f"&bbox-crs={EPSG.format(3006)}").get_json()
    assert {f["id"] for f in sweref["features"]} == {str(places.kiruna_point.id)}
    assert get("/ogc/collections/places_points/items?bbox=1,2,3").status_code == 400
    assert get("/ogc/collections/places_points/items?bbox=3,2,1,4").status_code == 400


def _all_pages(get, url):
    seen, pages = [], 0
    while url:
        data = get(url).get_json()
        seen += [f["id"] for f in data["features"]]
        pages += 1
        url = next((link["href"] for link in data["links"] if link["rel"] == "next"), None)
    return seen, pages


def test_paging_is_consistent(get, places, db):
    everything = [f["id"] for f in get("/ogc/collections/places_points/items?limit=1000")
                  .get_json()["features"]]
    ids, pages = _all_pages(get, "/ogc/collections/places_points/items?limit=2")
    assert ids == everything and len(set(ids)) == len(ids) and pages == 4
    # a place added between two pages neither repeats nor shifts the others
    first = get("/ogc/collections/places_points/items?limit=3").get_json()
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    session_row = factories.mapping_session(db, places.kiruna_point.campaign,
                                            places.kiruna_point.preschool)
    factories.place(db, session_row, Point(20.22, 67.85))
    db.commit()
    rest, _ = _all_pages(get, nxt)
    firsts = [f["id"] for f in first["features"]]
    assert not set(firsts) & set(rest)
    assert set(everything) <= set(firsts + rest)
    assert get("/ogc/collections/places_points/items?limit=0").status_code == 400
    assert get("/ogc/collections/places_points/items?limit=x").status_code == 400
    big = get("/ogc/collections/places_points/items?limit=999999")
    assert big.status_code == 200


def test_next_link_keeps_the_filters(get, places):
    data = get("/ogc/collections/places_points/items?limit=1&preschool=Förskolan B"
               f"&crs={EPSG.format(3006)}").get_json()
    nxt = next(link["href"] for link in data["links"] if link["rel"] == "next")
    assert "preschool=" in nxt and "crs=" in nxt and "limit=1" in nxt
    ids, _ = _all_pages(get, nxt)
    assert len(ids) + 1 == 3


def test_datetime_and_property_filters(get, places):
    base = "/ogc/collections/places_points/items"
    assert len(get(f"{base}?datetime=2000-01-01T00:00:00Z/2000-12-31T00:00:00Z")
               .get_json()["features"]) == 0
    assert len(get(f"{base}?datetime=../..").get_json()["features"]) == 7
    assert len(get(f"{base}?datetime=2000-01-01/..").get_json()["features"]) == 7
    assert get(f"{base}?datetime=yesterday").status_code == 400
    scary = get(f"{base}?feeling=scary").get_json()["features"]
    assert [f["id"] for f in scary] == [str(places.scary_point.id)]
    assert len(get(f"{base}?category=play,sport").get_json()["features"]) == 3
    assert len(get(f"{base}?campaign=Våren 2026").get_json()["features"]) == 1
    assert get(f"{base}?feeling=angry").status_code == 400
    assert get(f"{base}?colour=red").status_code == 400  # unknown parameter
    queryables = get("/ogc/collections/places_points/queryables").get_json()
    assert "category" in queryables["properties"]


def test_comments_only_when_approved(get, places):
    data = get("/ogc/collections/places_points/items").get_json()
    comments = {f["id"]: f["properties"]["comment"] for f in data["features"]}
    assert comments[str(places.kiruna_point.id)] == "Vi gungar högt"
    assert comments[str(places.scary_point.id)] is None
    assert comments[str(places.hidden_comment.id)] is None


def test_other_collections(get, places):
    areas = get("/ogc/collections/places_areas/items").get_json()["features"]
    assert {f["geometry"]["type"] for f in areas} == {"Polygon"} and len(areas) == 2
    routes = get("/ogc/collections/places_routes/items").get_json()["features"]
    assert {f["geometry"]["type"] for f in routes} == {"LineString"}
    schools = get("/ogc/collections/preschools/items?crs=" + EPSG.format(3006)).get_json()
    assert [f["properties"]["name"] for f in schools["features"]] == [
        "Förskolan A", "Förskolan B"]
    first = schools["features"][0]
    assert get(f"/ogc/collections/preschools/items/{first['id']}").status_code == 200


def test_html(get, places):
    for url in ("/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/preschools",
                "/ogc/collections/places_points/items", "/ogc/api",
                "/ogc/collections/places_points/queryables",
                f"/ogc/collections/places_points/items/{places.kiruna_point.id}"):
        response = get(url, extra={"Accept": "text/html"})
        assert response.status_code == 200 and response.mimetype == "text/html", url
        assert "<h1>" in response.get_data(as_text=True)
    html = get("/ogc/collections/places_points/items?f=html").get_data(as_text=True)
    assert "Förskolan A" in html
    assert get("/ogc/collections/places_points/items?f=json").mimetype == \
        "application/geo+json"


@pytest.mark.parametrize("who", ["staff_a", "official"])
def test_staff_and_officials_get_403(client, db, world, who):
    secret = accounts.create_token(db, world.users[who], "x")
    db.commit()
    for url in ("/ogc", "/ogc/collections/places_points/items"):
        assert client.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 403


def test_anonymous_gets_a_basic_challenge(client, world):
    response = client.get("/ogc/collections")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.get_json()["error"]


def test_session_login_works_for_planners(client, auth, world):
    auth.login(world.email("planner"))
    assert client.get("/ogc/collections").status_code == 200


# -- the page's language (issue 11, item 19) -------------------------------------------

HTML_PAGES = ["/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/places_points",
              "/ogc/collections/places_points/items", "/ogc/collections/places_points/items/{id}",
              "/ogc/api", "/ogc/collections/places_points/queryables",
              "/ogc/collections/preschools/items"]
# What is the same in every language: names, codes, URIs, paths, numbers, link relations.
NEUTRAL = re.compile(r"OGC API|JSON|Point|Id|›.*|OpenAPI [\d.]+ ·|Smultron OGC API - Features"
                     r"( – Smultron)?|https?://\S+|/\S*|[a-z_]+(, [a-z_]+)*|[\d., -]+|\{.*\}|"
                     r"\([a-z-]+, [\w/+.;=-]+\)")


def _data_values(document) -> set[str]:
    """The data in a page (names, comments, ids): the same in every language."""
    features = document.get("features") or (
        [document] if document.get("type") == "Feature" else [])
    values = {str(f["id"]) for f in features}
    values |= {str(v) for f in features for v in f["properties"].values() if v is not None}
    return values


def test_the_html_pages_follow_the_page_language(get, places):
    for url in (u.format(id=places.kiruna_point.id) for u in HTML_PAGES):
        swedish = get(url + "?f=html").get_data(as_text=True)  # Swedish by default
        english = get(url + "?f=html&lang=en").get_data(as_text=True)
        data = _data_values(get(url + "?f=json").get_json())
        leftover = [text for text in untranslated(swedish, english)
                    if text not in data and not NEUTRAL.fullmatch(text)]
        assert leftover == [], url
    page = get("/ogc/collections?f=html").get_data(as_text=True)
    assert "Barnens platser (punkter)" in page and "Platser som förskolebarn valt" in page
    items = get("/ogc/collections/places_points/items?f=html").get_data(as_text=True)
    assert "<th scope=\"col\">Känsla <code>feeling</code></th>" in items
    assert "<td>Smultronställe</td>" in items


def test_collection_titles_and_links_follow_the_language_in_json_too(get):
    swedish = get("/ogc/collections").get_json()["collections"][0]
    english = get("/ogc/collections?lang=en").get_json()["collections"][0]
    assert (swedish["title"], english["title"]) == ("Barnens platser (punkter)",
                                                    "Children's places (points)")
    assert swedish["links"][2]["title"] == "Barnens platser (punkter): objekten (GeoJSON)"
    landing = get("/ogc").get_json()
    assert landing["title"] == "Smultron – barnens smultronställen"
    assert {link["title"] for link in landing["links"]} >= {"Det här dokumentet",
                                                            "API-beskrivningen (OpenAPI 3.0)"}
    api = get("/ogc/api").get_json()
    assert api["paths"]["/collections/preschools/items"]["get"]["summary"] == "Förskolor: objekt"


@pytest.mark.parametrize("url,message", [
    ("/ogc/collections/places_points/items?limit=x", "'limit' måste vara ett heltal"),
    ("/ogc/collections/places_points/items?limit=%C2%B2", "'limit' måste vara ett heltal"),
    ("/ogc/collections/places_points/items?bbox=1,2", "'bbox' måste vara fyra"),
    ("/ogc/collections/places_points/items?bbox=1e308,1e308,1e308,1e308&bbox-crs=EPSG:3006",
     "'bbox' ligger utanför koordinatsystemets område"),
    ("/ogc/collections/places_points/items?bbox=nan,1,2,3", "'bbox' måste vara fyra tal"),
    ("/ogc/collections/preschools/items?after=" + "9" * 25, "'next'-länken gäller inte"),
    ("/ogc/collections/preschools/items?name=A%00B", "NUL-tecken"),
    ("/ogc/collections/places_points/items?colour=red", "Okänd parameter: colour."),
    ("/ogc/collections/nope", "Samlingen 'nope' finns inte"),
    ("/ogc/collections/preschools/items/" + "9" * 25, "Objektet finns inte."),
    ("/ogc/collections/preschools/items/%C2%B2", "Objektet finns inte."),
])
def test_odd_parameters_are_a_4xx_in_the_page_language(get, url, message):
    response = get(url)
    assert response.status_code in (400, 404), url
    assert message in response.get_json()["error"]
    assert message not in get(url + ("&" if "?" in url else "?") + "lang=en").get_json()["error"]
