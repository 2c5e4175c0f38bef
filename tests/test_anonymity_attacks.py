"""Differencing attacks on the reports (issue 12, item 2): an official subtracts reports
that differ in one small part — a drawn area and the same area with a notch, campaign
sets, hexagon sizes, preschool scopes, plan areas, comparisons — to get a group of
fewer than k children.

Each test builds data on which the attack gave the small group's exact size before
(the figures were exact sums), then builds a second world in which that group has
another size, and asks every report of the attack in both worlds through
/reports/data. The published figures are the same in both: whatever an official
computes from them, they cannot tell the group's true size.

Where the small group sits inside a unit that rests on k children, its place's record
key is chosen (tests/report_data.key_with) so that the perturbation happens to hide the
difference; every other key is the database's random one. Where the group is a whole
(campaign, preschool) that rests on fewer than k children, nothing needs choosing: it
adds to no figure at all.
"""

from __future__ import annotations

import json

import pytest
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from sqlalchemy import text

from smultron.core.geo import from_db, to_db
from smultron.models import PlanArea
from tests import factories
from tests.report_data import TO_3006, TO_4326, key_with, quiet

K = 5


# -- a small world laid out on the 250 m base grid ----------------------------------------

class Grid:
    """Positions in EPSG:3006 metres from a base-square corner 500 m east and north of
    preschool A, so that tests can say which base square a place is in."""

    def __init__(self, school):
        point = from_db(school.location)
        x, y = TO_3006.transform(point.x, point.y)
        self.x0 = (x // 250 + 2) * 250
        self.y0 = (y // 250 + 2) * 250

    def point(self, dx: float, dy: float) -> Point:
        return Point(*TO_4326.transform(self.x0 + dx, self.y0 + dy))

    def polygon(self, corners: list[tuple[float, float]]) -> str:
        ring = [TO_4326.transform(self.x0 + dx, self.y0 + dy) for dx, dy in corners]
        return json.dumps(Polygon(ring).__geo_interface__)

    def square(self, x0: float, y0: float, x1: float, y1: float) -> str:
        return self.polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])


@pytest.fixture
def grid(world):
    return Grid(world.school_a)


def big_session(db, campaign, school, grid, cells, category="play", children=6):
    """A session of 10 children with a place of ``children`` in each base square of
    ``cells`` ((column, row) from the grid's corner): every group holding one of them
    rests on k children."""
    session = factories.mapping_session(db, campaign, school, children=10)
    for column, row in cells:
        factories.place(db, session, grid.point(column * 250 + 125, row * 250 + 125),
                        category, children)
    return session


def small_place(db, session, grid, dx, dy, children, category="animals"):
    return factories.place(db, session, grid.point(dx, dy), category, children)


def set_children(db, place, children: int, noises: dict | None = None) -> None:
    """The place's children_count, and a record key giving its atom ``noises``."""
    key = key_with(noises) if noises else None
    db.execute(text("UPDATE place SET children_count = :n, updated_at = now(), "
                    "stat_key = coalesce(:key, stat_key) WHERE id = :id"),
               {"n": children, "key": key, "id": place.id})


# -- asking every report of an attack, in two worlds ----------------------------------------

def published(client, app, query: dict) -> dict:
    response = client.get("/reports/data", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    report = response.get_json()
    for volatile in ("generated_at", "data_version"):
        report["about"].pop(volatile)
    return report


def views(client, app, db, queries: list[dict], worlds: list) -> list[list[dict]]:
    """For each world (a function changing the data), every query's published report."""
    seen = []
    for make in worlds:
        make()
        db.commit()
        if "smultron.reports.cache" in app.extensions:  # made on the first report
            app.extensions["smultron.reports.cache"].clear()
        seen.append([published(client, app, q) for q in queries])
    return seen


def true_children(db, place) -> int:
    return db.scalar(text("SELECT children_count FROM place WHERE id = :id"), {"id": place.id})


def login_official(auth, world):
    auth.login(world.email("official"))


def assert_indistinguishable(seen: list[list[dict]]) -> None:
    first, second = seen
    for n, (a, b) in enumerate(zip(first, second, strict=True)):
        assert a == b, f"query {n} tells the worlds apart"


# -- the attacks ------------------------------------------------------------------------

def test_an_area_and_the_same_area_with_a_notch(client, auth, app, db, world, grid):
    """A 1 km square A and A with a corner cut out (100 m, then 300 m: a whole base
    square), through /reports/data. The notch holds a place of 3 children."""
    session = big_session(db, world.campaign, world.school_a, grid,
                          [(0, 0), (1, 1), (2, 2), (1, 3)])
    group = small_place(db, session, grid, 950, 950, 3)
    db.commit()
    area = grid.square(0, 0, 1000, 1000)
    notch = grid.polygon([(0, 0), (1000, 0), (1000, 900), (900, 900), (900, 1000), (0, 1000)])
    cut = grid.polygon([(0, 0), (1000, 0), (1000, 700), (700, 700), (700, 1000), (0, 1000)])
    queries = [{"campaign": world.campaign.id, "scope": "area", "area": shape_}
               for shape_ in (area, notch, cut, grid.square(900, 900, 1000, 1000))]
    login_official(auth, world)
    seen = views(client, app, db, queries, [
        lambda: set_children(db, group, 3, {"places": 0, "children": 0}),
        lambda: set_children(db, group, 4, {"places": 0, "children": -1}),
    ])
    assert true_children(db, group) == 4
    assert_indistinguishable(seen)
    whole, notched, cut_off, alone = seen[0]
    # the 100 m notch takes no whole base square away: the same report
    assert whole["totals"] == notched["totals"]
    assert alone["totals"]["withheld"] is True


def test_campaigns_one_and_two_minus_campaign_one(client, auth, app, db, world, grid):
    """Campaign 2 is one session of 3 children at preschool A: withheld alone, and before
    {1, 2} minus {1} gave its 3 children and its session."""
    big_session(db, world.campaign, world.school_a, grid, [(0, 0), (1, 1), (2, 2)])
    second = factories.campaign(db, world.municipality, name="Våren 2027")
    small = factories.mapping_session(db, second, world.school_a, children=3)
    group = small_place(db, small, grid, 400, 400, 3)
    db.commit()
    queries = [{"campaign": ids} for ids in
               ([world.campaign.id], [second.id], [world.campaign.id, second.id])]
    login_official(auth, world)
    seen = views(client, app, db, queries, [
        lambda: set_children(db, group, 3),
        lambda: (set_children(db, group, 2),
                 factories.mapping_session(db, second, world.school_a, children=2)),
    ])
    assert_indistinguishable(seen)
    one, two, both = seen[0]
    assert one["totals"] == both["totals"]
    row = next(r for r in both["participation"] if r["name"] == "Förskolan A")
    assert row["partial"] is True
    assert next(r for r in two["participation"] if r["name"] == "Förskolan A") == {
        "preschool": row["preschool"], "name": "Förskolan A", "enrolled": 40,
        "withheld": True, "partial": False, "sessions": None, "children": None}
    assert two["too_few"] is True


def hexagon_of(db, grid, cell: tuple[int, int], size: int) -> tuple[int, int]:
    """The ST_HexagonGrid hexagon (edge ``size``) holding a base square's centre."""
    x, y = grid.x0 + cell[0] * 250 + 125, grid.y0 + cell[1] * 250 + 125
    return tuple(db.execute(text(
        "SELECT h.i, h.j FROM ST_HexagonGrid(:size, ST_SetSRID(ST_MakePoint(:x, :y), 3006)) h "
        "WHERE ST_Intersects(h.geom, ST_SetSRID(ST_MakePoint(:x, :y), 3006))"),
        {"size": size, "x": x, "y": y}).one())


@pytest.mark.parametrize("cell", [500, 1000])
def test_hexagons_of_different_sizes(client, auth, app, db, world, grid, cell):
    """The small group's 250 m hexagon is withheld; the other base squares of its larger
    hexagon hold shown ones. Before, the larger hexagon minus those gave the group."""
    small = (3, 3)
    around = [(c, r) for c in range(-1, 8) for r in range(-1, 8)
              if hexagon_of(db, grid, (c, r), cell) == hexagon_of(db, grid, small, cell)
              and hexagon_of(db, grid, (c, r), 250) != hexagon_of(db, grid, small, 250)]
    session = big_session(db, world.campaign, world.school_a, grid, around[:3])
    group = small_place(db, session, grid, small[0] * 250 + 125, small[1] * 250 + 125, 3)
    db.commit()
    queries = [{"campaign": world.campaign.id, "cell": size} for size in (250, cell)]
    login_official(auth, world)
    seen = views(client, app, db, queries, [
        lambda: set_children(db, group, 3, {"places": 0, "children": 1}),
        lambda: set_children(db, group, 4, {"places": 0, "children": 0}),
    ])
    assert_indistinguishable(seen)
    fine, coarse = seen[0]
    assert fine["layers"]["favourite"]["withheld"] == 1 and \
        len(fine["layers"]["favourite"]["cells"]) == len(set(
            hexagon_of(db, grid, c, 250) for c in around[:3]))
    assert len(coarse["layers"]["favourite"]["cells"]) == 1  # all four squares in one


def test_the_municipality_minus_every_other_preschool(client, auth, app, db, world, grid):
    """Preschool C's only session has 3 children: before, the municipality's figures
    minus those of A and B gave C's."""
    big_session(db, world.campaign, world.school_a, grid, [(0, 0), (1, 1)])
    big_session(db, world.campaign, world.school_b, Grid(world.school_b), [(0, 0), (2, 1)])
    school_c = factories.preschool(db, world.municipality, "Förskolan C", 20.2600, 67.8300)
    small = factories.mapping_session(db, world.campaign, school_c, children=3)
    group = small_place(db, small, Grid(school_c), 100, 100, 3, category="play")
    quiet(db)  # no noise: the sums below are exact, so C's share would show
    db.commit()
    queries = [{"campaign": world.campaign.id}] + [
        {"campaign": world.campaign.id, "scope": "preschool", "preschool": school.id}
        for school in (world.school_a, world.school_b, school_c)]
    login_official(auth, world)
    seen = views(client, app, db, queries, [
        lambda: set_children(db, group, 3),
        lambda: set_children(db, group, 1),
    ])
    assert_indistinguishable(seen)
    municipality, a, b, c = seen[0]
    assert c["too_few"] is True
    for field in ("places", "children"):  # the municipality is A and B: C adds nothing
        assert municipality["totals"][field] == a["totals"][field] + b["totals"][field]


def _plan(db, world, name: str, polygon: str) -> PlanArea:
    row = PlanArea(municipality_id=world.municipality.id, name=name,
                   geom=to_db(MultiPolygon([shape(json.loads(polygon))])), source="test")
    db.add(row)
    db.flush()
    return row


def test_two_plan_areas_that_differ_by_a_corner(client, auth, app, db, world, grid):
    """Plan areas P and P plus a corner holding a place of 3 children: before, the
    plans table (and the plan areas' own reports) differed by exactly that place."""
    session = big_session(db, world.campaign, world.school_a, grid, [(0, 0), (1, 1), (2, 2)])
    group = small_place(db, session, grid, 900, 900, 3)
    plan = _plan(db, world, "Detaljplan 1", grid.square(0, 0, 700, 700))
    wider = _plan(db, world, "Detaljplan 1 med hörnet", grid.polygon(
        [(0, 0), (700, 0), (700, 690), (1000, 690), (1000, 1000), (0, 1000)]))
    db.commit()
    queries = [{"campaign": world.campaign.id}] + [
        {"campaign": world.campaign.id, "scope": "plan_area", "plan_area": p.id}
        for p in (plan, wider)]
    login_official(auth, world)
    seen = views(client, app, db, queries, [
        lambda: set_children(db, group, 3, {"places": 0, "children": 0}),
        lambda: set_children(db, group, 2, {"places": 0, "children": 1}),
    ])
    assert_indistinguishable(seen)
    plans = {p["name"]: p for p in seen[0][0]["plans"]}
    assert not plans["Detaljplan 1"]["favourite"]["withheld"]
    assert not plans["Detaljplan 1 med hörnet"]["favourite"]["withheld"]


def test_comparisons_and_campaign_sets(client, auth, app, db, world, grid):
    """Campaign 2 at preschool A rests on k children, but its only 'animals' place has 3:
    before, {1, 2} minus {1} (or the change table against campaign 1) gave them exactly.
    Campaign 2 at preschool B is one session of 2 children."""
    big_session(db, world.campaign, world.school_a, grid, [(0, 0), (1, 1)], category="animals")
    second = factories.campaign(db, world.municipality, name="Våren 2027")
    later = big_session(db, second, world.school_a, grid, [(2, 2), (3, 3)])
    group = small_place(db, later, grid, 125, 875, 3, category="animals")
    tiny = factories.mapping_session(db, second, world.school_b, children=2)
    tiny_place = small_place(db, tiny, Grid(world.school_b), 100, 100, 2, category="play")
    db.commit()
    one, two = world.campaign.id, second.id
    queries = [{"campaign": [one]}, {"campaign": [two]}, {"campaign": [one, two]},
               {"campaign": [one], "compare": two}, {"campaign": [two], "compare": one}]
    login_official(auth, world)
    seen = views(client, app, db, queries, [
        lambda: (set_children(db, group, 3, {"places": 0, "children": 0}),
                 set_children(db, tiny_place, 2)),
        lambda: (set_children(db, group, 4, {"places": 0, "children": -1}),
                 set_children(db, tiny_place, 1)),
    ])
    assert_indistinguishable(seen)
    assert seen[0][4]["change"]["totals"]["sessions"]["now"] is not None


def test_record_keys_never_leave_the_database(client, auth, db, world, grid):
    """The keys are the perturbation's secret: no API, export, OGC page or report has
    them."""
    session = big_session(db, world.campaign, world.school_a, grid, [(0, 0), (1, 1)])
    db.execute(text("UPDATE place SET stat_key = 1987654321"))
    db.execute(text("UPDATE mapping_session SET stat_key = 1876543219"))
    db.commit()
    auth.login(world.email("planner"))
    bodies = [client.get(path).get_data(as_text=True) for path in (
        "/api/v1/places", f"/api/v1/sessions/{session.id}", "/export/places.geojson",
        "/export/places.csv", "/ogc/collections/places_points/items?f=json",
        f"/reports/data?campaign={world.campaign.id}")]
    assert all(bodies)
    for body in bodies:
        assert "1987654321" not in body and "1876543219" not in body
        assert "stat_key" not in body


def test_every_figure_adds_up_perturbed_atoms(db):
    """With the database's random keys, every published count is the sum over its atoms
    (a session's places in one base square with one feeling, category, season and age
    group) of the true count plus the atom's noise, computed here independently."""
    from smultron.reports import ReportCache, ReportFilters, build_report
    from tests import report_data

    known = report_data.build(db)
    db.execute(text("UPDATE place SET stat_key = floor(random() * 2147483648)"))
    db.execute(text("UPDATE mapping_session SET stat_key = floor(random() * 2147483648)"))
    db.commit()
    campaign = known.world.campaign.id
    report = build_report(db, ReportFilters.parse(db, {"campaign": [str(campaign)]}), K,
                          ReportCache())
    places = db.execute(text("""
        SELECT p.session_id, p.feeling, p.category_id, p.season, p.age_group,
               floor(ST_X(g) / 250)::int, floor(ST_Y(g) / 250)::int, p.children_count, p.stat_key
        FROM place p CROSS JOIN LATERAL (SELECT ST_Transform(CASE WHEN GeometryType(p.geom)
             = 'POINT' THEN p.geom ELSE ST_PointOnSurface(p.geom) END, 3006) AS g) t
        WHERE p.deleted_at IS NULL AND p.campaign_id = :c"""), {"c": campaign}).all()
    atoms: dict = {}
    for *key, n, stat_key in places:
        atom = atoms.setdefault(tuple(key), [0, 0, 0])
        atom[0], atom[1], atom[2] = atom[0] + 1, atom[1] + n, atom[2] + stat_key

    def published_sum(pick) -> tuple[int, int]:
        chosen = [a for key, a in atoms.items() if pick(key)]
        return (sum(a[0] + report_data.noise(a[2], "places") for a in chosen),
                sum(a[1] + report_data.noise(a[2], "children") for a in chosen))

    totals = report["totals"]
    assert (totals["places"], totals["children"]) == tuple(
        max(v, floor) for v, floor in zip(published_sum(lambda key: True), (1, K), strict=True))
    for row in report["tables"]["season"]:
        if not row["withheld"]:
            places_, children = published_sum(lambda key, s=row["key"]: key[3] == s)
            assert (row["places"], row["children"]) == (max(places_, 1), max(children, K))
    assert any(not row["withheld"] for row in report["tables"]["season"])
    sessions = db.execute(text("""
        SELECT preschool_id, count(*), sum(children_present), sum(stat_key)
        FROM mapping_session WHERE campaign_id = :c GROUP BY preschool_id"""),
        {"c": campaign}).all()
    for preschool, count, present, key_sum in sessions:
        row = next(r for r in report["participation"] if r["preschool"] == preschool)
        if not row["withheld"]:
            assert row["sessions"] == max(count + report_data.noise(key_sum, "sessions"), 1)
            assert row["children"] == max(present + report_data.noise(key_sum, "present"), K)
