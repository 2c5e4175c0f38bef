"""Reports: figures against an independent computation on a known dataset, the
anonymity rule everywhere (data, page, PDF), access by role, the cache."""

from __future__ import annotations

import io
import json
import re

import pytest
import shapely
from pypdf import PdfReader
from shapely.geometry import Point, shape
from sqlalchemy import text

from smultron.core.geo import from_db
from smultron.reports import ReportCache, ReportFilters, build_report
from smultron.reports.anonymity import suppress_group
from tests import helpers, report_data
from tests.helpers import inline_scripts, page_config
from tests.report_data import SECRET_COMMENT, metric

K = 5


def report_for(db, known, **args):
    query = {"campaign": [str(known.world.campaign.id)]}
    query.update({key: [str(value)] for key, value in args.items()})
    return build_report(db, ReportFilters.parse(db, query), K, ReportCache())


def rows(report, table):
    return {r["key"]: r for r in report["tables"][table]}


def category_rows(db, report, table):
    codes = dict(db.execute(text("SELECT id, code FROM category")).all())
    return {codes[key]: row for key, row in rows(report, table).items()}


# -- figures against hand-worked and independent numbers --------------------------------

def test_totals_and_groups_match_the_known_dataset(db, known):
    report = report_for(db, known)
    assert report["totals"] == {"places": 10, "children": 54, "withheld": False,
                                "sessions": 3, "preschools_taking_part": 2}
    feeling = rows(report, "feeling")
    assert (feeling["favourite"]["places"], feeling["favourite"]["children"]) == (7, 45)
    assert (feeling["scary"]["places"], feeling["scary"]["children"]) == (3, 9)
    favourite = category_rows(db, report, "category_favourite")
    assert (favourite["play"]["places"], favourite["play"]["children"]) == (4, 28)
    assert favourite["nature"]["children"] == 7
    # animals: 4 children (k-1) -> withheld; climbing (6) withheld too, or 45-28-7-6 = 4
    assert favourite["animals"] == {"key": favourite["animals"]["key"], "withheld": True,
                                    "places": None, "children": None}
    assert favourite["climbing"]["withheld"] is True
    scary = category_rows(db, report, "category_scary")
    # other: 3 -> withheld, and then water (6) too
    assert scary["other"]["withheld"] and scary["water"]["withheld"]
    # withheld rows come after the shown ones (their place in the order hints at their size)
    for table in report["tables"].values():
        flags = [row["withheld"] for row in table]
        assert flags == sorted(flags)
    shown = [row["children"] for row in report["tables"]["category_favourite"]
             if not row["withheld"]]
    assert shown == sorted(shown, reverse=True) == [28, 7]
    season = rows(report, "season")
    assert {k: r["children"] for k, r in season.items()} == {
        "summer": 20, "winter": 20, "all_year": 14}
    age = rows(report, "age_group")
    assert {k: r["children"] for k, r in age.items()} == {"3-4": 20, "5-6": 18, "mixed": 16}


def base_square_centre(geometry) -> Point:
    """The centre (EPSG:3006) of the 250 m base square a place lies in."""
    point = geometry if geometry.geom_type == "Point" else geometry.point_on_surface()
    x, y = metric(point.x, point.y)
    return Point((x // 250 + 0.5) * 250, (y // 250 + 0.5) * 250)


def test_distance_bands_match_an_independent_computation(db, known):
    """Distances are measured from the centre of the place's base square."""
    report = report_for(db, known)
    expected = {}
    for name in ("P1", "P2", "P3", "P5", "P6", "P7", "P8"):
        row = known.places[name]
        school = from_db(row.preschool.location)
        sx, sy = metric(school.x, school.y)
        dist = base_square_centre(from_db(row.geom)).distance(Point(sx, sy))
        band = next((b for b in (250, 500, 1000) if dist <= b), 0)
        expected[band] = expected.get(band, 0) + row.children_count
    assert expected == {250: 28, 1000: 13, 0: 4}
    bands = rows(report, "distance_favourite")
    assert bands[250]["children"] == 28
    assert bands[0]["withheld"] and bands[1000]["withheld"]  # 4 (k-1), then its complement
    assert 500 not in bands


def hexagon_groups(db, known, cell_size: int) -> dict:
    """(feeling, i, j) -> places, children and children per session, with each place in
    the ST_HexagonGrid hexagon that holds the centre of its base square."""
    raw = db.execute(text("""
        SELECT feeling, session_id, children_count, ST_AsText(geom) FROM place
        WHERE deleted_at IS NULL AND campaign_id = :camp"""),
        {"camp": known.world.campaign.id}).all()
    groups: dict = {}
    for feeling, session_id, n, wkt in raw:
        centre = base_square_centre(shapely.from_wkt(wkt))
        i, j = db.execute(text(
            "SELECT h.i, h.j FROM ST_HexagonGrid(:cell, ST_SetSRID(ST_MakePoint(:x, :y), 3006)) h "
            "WHERE ST_Intersects(h.geom, ST_SetSRID(ST_MakePoint(:x, :y), 3006))"),
            {"cell": cell_size, "x": centre.x, "y": centre.y}).one()
        group = groups.setdefault((feeling, i, j), {"places": 0, "children": 0, "by_session": {}})
        group["places"] += 1
        group["children"] += n
        group["by_session"][session_id] = max(group["by_session"].get(session_id, 0), n)
    return groups


@pytest.mark.parametrize("cell_size", [250, 500, 1000])
def test_hexagons_are_unions_of_base_squares_and_rest_on_k_children(db, known, cell_size):
    report = report_for(db, known, cell=cell_size)
    groups = hexagon_groups(db, known, cell_size)
    expected = {key: (g["places"], g["children"]) for key, g in groups.items()
                if sum(g["by_session"].values()) >= K}
    published = {(layer, c["i"], c["j"]): (c["places"], c["children"])
                 for layer in ("favourite", "scary") for c in report["layers"][layer]["cells"]}
    assert published == expected and published
    withheld = [key for key, g in groups.items() if sum(g["by_session"].values()) < K]
    assert report["layers"]["favourite"]["withheld"] + report["layers"]["scary"]["withheld"] \
        == len(withheld)
    for cell in report["layers"]["favourite"]["cells"]:  # ST_HexagonGrid's own polygon
        grid = db.execute(text(
            "SELECT ST_AsGeoJSON(ST_Transform(h.geom, 4326)) FROM ST_HexagonGrid(:cell, "
            "ST_SetSRID(ST_MakePoint(:x, :y), 3006)) h WHERE h.i = :i AND h.j = :j"),
            {"cell": cell_size, "x": cell["x"], "y": cell["y"], "i": cell["i"],
             "j": cell["j"]}).scalar_one()
        ours, theirs = shape(cell["geojson"]), shape(json.loads(grid))
        assert ours.symmetric_difference(theirs).area < 1e-3 * theirs.area  # 6 decimals
    # the scary hexagon of P9 + P12 holds 7 choices but may rest on only 4 children
    assert any(key[0] == "scary" and groups[key]["children"] == 7 for key in withheld)


def test_participation_plans_and_change(db, known):
    report = report_for(db, known, compare=known.compare.id)
    part = {r["name"]: r for r in report["participation"]}
    assert (part["Förskolan A"]["sessions"], part["Förskolan A"]["children"]) == (2, 20)
    assert part["Förskolan A"]["enrolled"] == 40
    assert (part["Förskolan B"]["sessions"], part["Förskolan B"]["children"]) == (1, 9)
    assert part["Förskolan C"]["withheld"] and part["Förskolan C"]["children"] is None
    assert part["Förskolan C"]["sessions"] is None  # its session too
    assert [r["name"] for r in report["participation"]][-1] == "Förskolan C"  # withheld last
    plans = {p["name"]: p for p in report["plans"]}
    assert plans["Skolgården"]["favourite"] == {"withheld": False, "places": 3, "children": 19}
    assert plans["Skolgården"]["scary"] == {"withheld": False, "places": 0, "children": 0}
    assert plans["Skogen"]["favourite"]["withheld"] is True
    change = report["change"]
    assert change["totals"]["places"] == {"now": 10, "before": 1, "difference": 9}
    assert change["totals"]["children"] == {"now": 54, "before": 10, "difference": 44}
    play = next(r for r in change["categories"]
                if r["key"] == db.scalar(text("SELECT id FROM category WHERE code='play'")))
    assert play == {"key": play["key"], "now": 28, "before": 10, "difference": 18}


def test_clusters_are_built_from_published_cells(db, known):
    report = report_for(db, known)
    shown = {c["id"] for c in report["layers"]["favourite"]["cells"]}
    assert report["clusters"], "the yard around preschool A is a most-loved area"
    for cluster in report["clusters"]:
        assert set(cluster["cells"]) <= shown
        assert cluster["children"] >= K
    assert report["clusters"][0]["near"]["preschool"] == "Förskolan A"


def test_scopes_preschool_and_drawn_area(db, known):
    a = report_for(db, known, scope="preschool", preschool=known.world.school_a.id)
    assert a["totals"] == {"places": 7, "children": 38, "withheld": False, "sessions": 2,
                           "preschools_taking_part": 1}
    assert [p["name"] for p in a["participation"]] == ["Förskolan A"]
    b = from_db(known.world.school_b.location)
    area = json.dumps(shape({"type": "Polygon", "coordinates": [[
        [b.x - 0.02, b.y - 0.01], [b.x + 0.03, b.y - 0.01], [b.x + 0.03, b.y + 0.01],
        [b.x - 0.02, b.y + 0.01], [b.x - 0.02, b.y - 0.01]]]}).__geo_interface__)
    district = report_for(db, known, scope="area", area=area)
    assert district["totals"] == {"places": 3, "children": 16, "withheld": False,
                                  "sessions": 1, "preschools_taking_part": 1}
    plan = report_for(db, known, scope="plan_area", plan_area=known.plans["yard"].id)
    assert plan["totals"] == {"places": 3, "children": 19, "withheld": False,
                              "sessions": 2, "preschools_taking_part": 1}


def test_a_selection_resting_on_fewer_than_k_children_shows_nothing(db, known):
    # Preschool C has a session but no places; a district around P6 alone has 4 children
    p6 = from_db(known.places["P6"].geom)
    area = json.dumps({"type": "Polygon", "coordinates": [[
        [p6.x - 0.001, p6.y - 0.001], [p6.x + 0.001, p6.y - 0.001], [p6.x + 0.001, p6.y + 0.001],
        [p6.x - 0.001, p6.y + 0.001], [p6.x - 0.001, p6.y - 0.001]]]})
    report = report_for(db, known, scope="area", area=area)
    assert report["too_few"] is True
    assert report["totals"] == {"places": None, "children": None, "withheld": True,
                                "sessions": 0, "preschools_taking_part": 0}
    assert all(not layer["cells"] for layer in report["layers"].values())
    assert all(row["withheld"] for table in report["tables"].values() for row in table)


def test_suppression_withholds_a_complement():
    rows_ = [{"children_min": 40}, {"children_min": 7}, {"children_min": 3}]
    assert suppress_group(rows_, 5) == {1, 2}
    assert suppress_group([{"children_min": 9}, {"children_min": 6}], 5) == set()
    assert suppress_group([{"children_min": 2}, {"children_min": 0}], 5) == {0}


def test_the_threshold_is_configurable(db, known):
    query = {"campaign": [str(known.world.campaign.id)]}
    report = build_report(db, ReportFilters.parse(db, query), 3, ReportCache())
    favourite = category_rows(db, report, "category_favourite")
    assert favourite["animals"]["children"] == 4


def test_a_repeated_report_comes_from_the_cache_until_the_data_changes(db, known):
    cache = ReportCache()
    filters = ReportFilters.parse(db, {"campaign": [str(known.world.campaign.id)]})
    first = build_report(db, filters, K, cache)
    assert build_report(db, filters, K, cache) is first
    assert (cache.hits, cache.misses) == (1, 1)
    db.execute(text("UPDATE place SET children_count = 9, updated_at = now() "
                    "WHERE id = :id"), {"id": known.places["P6"].id})
    db.commit()
    changed = build_report(db, filters, K, cache)
    assert changed is not first and changed["totals"]["children"] == 59


# -- over HTTP: the rule everywhere, and who may see what --------------------------------

def view_args(known, **extra):
    args = {"campaign": known.world.campaign.id}
    args.update(extra)
    return args


def p6_traces(db, known, report) -> list[str]:
    """Strings that would betray the lone P6 place (4 children): its heat square's and
    hexagon's centres and ids."""
    p6 = from_db(known.places["P6"].geom)
    x, y = metric(p6.x, p6.y)
    q = report["heat_cell"]
    centre = report_data.TO_4326.transform((x // q + 0.5) * q, (y // q + 0.5) * q)
    hexagon = db.execute(text(
        "SELECT h.i, h.j FROM ST_HexagonGrid(:cell, ST_SetSRID(ST_MakePoint(:x, :y), 3006)) h "
        "WHERE ST_Intersects(h.geom, ST_SetSRID(ST_MakePoint(:x, :y), 3006))"),
        {"cell": report["cell"], "x": x, "y": y}).first()
    return [f"{centre[1]:.4f}", f"{p6.y:.4f}", f"{p6.x:.4f}", f'"{hexagon.i}:{hexagon.j}"']


def test_the_lone_k_minus_1_place_appears_nowhere(client, auth, db, known):
    auth.login(known.world.email("official"))
    data = client.get("/reports/data", query_string=view_args(known)).get_json()
    page = client.get("/reports/view", query_string=view_args(known)).get_data(as_text=True)
    client.get("/lang/en")
    pdf = client.get("/reports/report.pdf", query_string=view_args(known))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    pdf_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    p6 = from_db(known.places["P6"].geom)
    for cell in data["layers"]["favourite"]["cells"] + data["layers"]["scary"]["cells"]:
        assert not shape(cell["geojson"]).contains(p6)
    # the plan areas are the planners' public drawings (Skogen is drawn round P6): left out
    body = json.dumps({**data, "plans": [p["favourite"] for p in data["plans"]]})
    config = page_config(page)
    html = helpers.PAGE_CONFIG.sub("", page) + json.dumps(
        {**config, "map": {**config["map"], "plans": []}})
    for trace in p6_traces(db, known, data):
        assert trace not in body
        assert trace not in html
    assert "Animals" in pdf_text and "withheld (fewer than 5 children)" in pdf_text
    assert SECRET_COMMENT not in body + page + pdf_text
    assert '"comment' not in body


def test_the_pdf_carries_the_right_figures(client, auth, known):
    auth.login(known.world.email("official"))
    client.get("/lang/en")
    response = client.get("/reports/report.pdf", query_string=view_args(
        known, compare=known.compare.id))
    reader = PdfReader(io.BytesIO(response.data))
    first = reader.pages[0].extract_text()
    assert "Kiruna" in first and "Hösten 2026" in first and "Våren 2026" in first
    assert "Nothing in this report rests on fewer than 5 children" in first
    text_ = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "10 places marked" in text_ and "54 children's choices" in text_
    assert "Play 4 28 62%" in text_  # 28 of 45 favourite choices
    assert "Förskolan A 2 20 40 50% 7 38" in text_
    assert "Skolgården 3 19 0 0" in text_
    assert "Within 250 m 28 62% 62%" in text_
    assert "Play 28 10 +18" in text_
    assert len(reader.pages) >= 3


def test_the_page_has_a_map_as_data_tables_and_no_inline_code(client, auth, known):
    auth.login(known.world.email("official"))
    response = client.get("/reports/view", query_string=view_args(known))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    # no inline script at all: the map is JSON that a module from /static draws
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert inline_scripts(html) == [' type="application/json" id="page-config"']
    assert all("src=" in attrs for attrs, body in scripts if not body.strip())
    assert "js/reports/report-map.js" in html and "leaflet-heat.js" in html
    assert "style=" not in html and "<style" not in html
    assert "cdn" not in html.lower() and "https://" not in html.replace(
        "https://tiles.test/{z}/{x}/{y}.png", "")
    data = page_config(html)["map"]
    assert data["names"]["favourite"] == "Hexagoner: smultronställen"
    assert {s["name"] for s in data["preschools"]["named"]} >= {"Förskolan A", "Förskolan B"}
    assert data["heat"] and data["favourite"] and data["clusters"]
    assert 'id="table-favourite"' in html and 'id="participation"' in html



@pytest.mark.parametrize("who, args, status", [
    ("staff_a", {"scope": "preschool", "preschool": "A"}, 200),
    ("staff_a", {"scope": "preschool", "preschool": "B"}, 404),
    ("staff_a", {}, 403),
    ("planner", {}, 200),
    ("admin", {}, 200),
    ("official", {"scope": "preschool", "preschool": "B"}, 200),
])
def test_who_may_read_which_report(client, auth, known, who, args, status):
    auth.login(known.world.email(who))
    schools = {"A": known.world.school_a.id, "B": known.world.school_b.id}
    args = {k: schools.get(v, v) for k, v in args.items()}
    for path in ("/reports/view", "/reports/data"):
        assert client.get(path, query_string=view_args(known, **args)).status_code == status


def test_anonymous_visitors_are_sent_to_the_login(client, known):
    assert client.get("/reports/data", query_string=view_args(known)).status_code == 401
    assert client.get("/reports").status_code == 302


def test_officials_get_no_raw_places_from_any_endpoint(client, auth, known, app):
    auth.login(known.world.email("official"))
    raw_endpoints = [rule.rule for rule in app.url_map.iter_rules()
                     if rule.rule.startswith(("/api/v1/places", "/export"))
                     and "<" not in rule.rule]
    for path in raw_endpoints:
        assert client.get(path).status_code in (403, 404, 405), path
    data = client.get("/reports/data", query_string=view_args(known)).get_json()
    assert set(data) >= {"layers", "tables", "participation"}
    assert "places" not in {k for k in data if isinstance(data[k], list)}


@pytest.mark.parametrize("args, status, words", [
    ({"campaign": ""}, 400, "campaign"),
    ({"campaign": "99999"}, 404, "campaign"),
    ({"scope": "galaxy"}, 400, "scope"),
    ({"scope": "area", "area": "{not json"}, 400, "GeoJSON"),
    ({"scope": "area", "area": '{"type": "Point", "coordinates": [20, 67]}'}, 400, "polygon"),
    ({"cell": "7"}, 400, "hexagon size"),
    ({"compare": "CAMPAIGN"}, 400, "Compare"),
    # a preschool, plan area or district with another scope: pointed out, never ignored
    ({"scope": "municipality", "preschool": "1"}, 400, "One preschool"),
    ({"scope": "area", "plan_area": "1", "area": "{}"}, 400, "A plan area"),
    ({"scope": "preschool", "preschool": "1", "area": "{}"}, 400, "district"),
])
def test_bad_choices_get_a_message(client, auth, known, args, status, words):
    auth.login(known.world.email("official"))
    client.get("/lang/en")
    query = view_args(known)
    query.update({k: (known.world.campaign.id if v == "CAMPAIGN" else v)
                  for k, v in args.items()})
    response = client.get("/reports/data", query_string=query)
    assert response.status_code == status
    assert words.lower() in response.get_json()["error"].lower()


def test_messages_are_in_swedish_by_default(client, auth, known):
    auth.login(known.world.email("official"))
    response = client.get("/reports/data", query_string={"campaign": ""})
    assert response.get_json()["error"] == "Välj minst en kampanj"


def test_the_form_lists_campaigns_and_scopes(client, auth, known):
    auth.login(known.world.email("official"))
    html = client.get("/reports").get_data(as_text=True)
    assert "Hösten 2026" in html and "Skolgården" in html and "Förskolan C" in html
    auth.logout()
    auth.login(known.world.email("staff_a"))
    html = client.get("/reports").get_data(as_text=True)
    assert "Förskolan A" in html and "Förskolan B" not in html and "Skolgården" not in html


def test_a_data_version_is_trusted_for_version_ttl_seconds():
    cache, asked = ReportCache(version_ttl=60), []
    for _ in range(3):
        cache.version("m", lambda: asked.append(1) or "v1")
    assert asked == [1]
    fresh = ReportCache(version_ttl=0)
    for _ in range(2):
        fresh.version("m", lambda: asked.append(1) or "v1")
    assert asked == [1, 1, 1]


def test_participation_as_a_spreadsheet(client, auth, db, known):
    db.execute(text("UPDATE preschool SET name = '=HYPERLINK(\"x\")' WHERE id = :id"),
               {"id": known.school_c.id})
    db.commit()
    auth.login(known.world.email("official"))
    client.get("/lang/en")
    response = client.get("/reports/participation.csv", query_string=view_args(known))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == ("Preschool,Sessions,Children in sessions,Enrolled,Places marked,"
                        "Children's choices")
    assert "Förskolan A,2,20,40,7,38" in lines
    assert "Förskolan B,1,9,40,3,16" in lines
    assert "\"'=HYPERLINK(\"\"x\"\")\",withheld,withheld,25,withheld,withheld" in lines


def test_a_withheld_feeling_total_cannot_be_worked_out_from_another_table(db, known):
    # Preschool B: 16 choices in all; its scary places (7 choices) may rest on 4 children.
    report = report_for(db, known, scope="preschool", preschool=known.world.school_b.id)
    assert report["totals"]["children"] == 16
    assert all(row["withheld"] for row in report["tables"]["feeling"])
    # play (9) would be every favourite choice: 16 - 9 = the scary total. Withheld.
    assert all(row["withheld"] for row in report["tables"]["category_favourite"])
    assert all(row["withheld"] for row in report["tables"]["distance_favourite"])
    assert suppress_group([{"children_min": 9}, {"children_min": 6}], 5,
                          margin_withheld=True) == {1}


def test_names_with_markup_reach_the_pdf_as_text(client, auth, db, known):
    """WeasyPrint renders the autoescaped template: a name with markup is printed as the
    characters it has, never turned into an element."""
    name = 'Förskolan <img src=x onerror=alert(1)> "&" <b>fet</b>'
    db.execute(text("UPDATE preschool SET name = :name WHERE id = :id"),
               {"name": name, "id": known.world.school_a.id})
    db.commit()
    auth.login(known.world.email("official"))
    pdf = client.get("/reports/report.pdf", query_string=view_args(known))
    words = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(
        io.BytesIO(pdf.data)).pages)
    assert 'Förskolan <img src=x onerror=alert(1)> "&" <b>fet</b>' in words


def pdf_pages(response) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in
            PdfReader(io.BytesIO(response.data)).pages]


def test_the_pdf_is_tagged_named_for_what_it_is_and_has_a_legend(client, auth, known):
    auth.login(known.world.email("official"))
    client.get("/lang/en")
    response = client.get("/reports/report.pdf", query_string=view_args(
        known, scope="preschool", preschool=known.world.school_a.id))
    root = PdfReader(io.BytesIO(response.data)).trailer["/Root"]
    assert "/StructTreeRoot" in root and bool(root["/MarkInfo"]["/Marked"])  # PDF/UA-1
    assert root["/Lang"] == "en"
    today = local_now().strftime("%Y-%m-%d")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="smultron-report-kiruna-forskolan-a-hosten-2026-{today}.pdf"')
    text_ = " ".join(pdf_pages(response))
    assert "Children's choices per hexagon: 5–19" in text_
    assert "UTC" not in text_ and f"Data as of {today}" in text_
    csv_ = client.get("/reports/participation.csv", query_string=view_args(known))
    assert csv_.headers["Content-Disposition"] == (
        "attachment; filename="
        f'"smultron-participation-per-preschool-kiruna-the-whole-municipality-hosten-2026-{today}.csv"')


def local_now():
    from datetime import datetime

    from smultron.reports.labels import LOCAL_TIME

    return datetime.now(LOCAL_TIME)


def test_no_page_of_the_pdf_ends_with_a_heading_or_a_caption(client, auth, known):
    """Headings and table captions are kept with what follows them."""
    auth.login(known.world.email("official"))
    client.get("/lang/en")
    query = view_args(known, compare=known.compare.id)
    html = client.get("/reports/view", query_string=query).get_data(as_text=True)
    titles = {" ".join(re.sub(r"<[^>]+>", "", t).split()) for t in
              re.findall(r"<(?:h2|caption)[^>]*>(.*?)</(?:h2|caption)>", html, re.S)}
    titles = {t.replace("&#39;", "'") for t in titles}
    pages = pdf_pages(client.get("/reports/report.pdf", query_string=query))
    assert len(pages) >= 4
    for number_, page in enumerate(pages[:-1], start=1):
        body = page.rsplit(f"{number_} / {len(pages)}", 1)[0].strip()
        assert not any(body.endswith(title) for title in titles), (number_, body[-80:])


def test_data_as_of_is_local_time(client, auth, known):
    auth.login(known.world.email("official"))
    html = client.get("/reports/view", query_string=view_args(known)).get_data(as_text=True)
    stamp, shown = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', html).groups()
    from datetime import datetime

    from smultron.reports.labels import LOCAL_TIME

    assert shown == datetime.fromisoformat(stamp).astimezone(LOCAL_TIME).strftime(
        "%Y-%m-%d %H:%M")
    assert "UTC" not in html
