"""The reports' kept figures (migration 0011, reports/kept.py): the triggers keep exactly
what report_kept_rebuild() computes from the places after every kind of change, and every
report read from them equals today's, computed from every place (aggregate.collect), on
generated data at several thresholds, scopes and hexagon sizes."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime

import pytest
from shapely.geometry import mapping
from sqlalchemy import text

from smultron.core.geo import to_db
from smultron.models import Place, PlaceResponse
from smultron.reports import ReportCache, ReportFilters, build_report, kept
from tests import factories
from tests.report_data import at, square_at

TABLES = {
    "report_atom": "SELECT * FROM report_atom ORDER BY "
                   "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14",
    "report_figure": "SELECT * FROM report_figure ORDER BY "
                     "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15",
    "report_unit": "SELECT municipality_id, campaign_id, preschool_id, children_min "
                   "FROM report_unit ORDER BY 1, 2, 3",
    "report_answer_gone": "SELECT * FROM report_answer_gone ORDER BY 1",
}


def kept_and_rebuilt(db) -> tuple[dict, dict]:
    """The kept tables as the triggers' pending changes make them, and as
    report_kept_rebuild() makes them."""
    kept.refresh(db)
    kept_rows = {name: db.execute(text(sql)).all() for name, sql in TABLES.items()}
    nested = db.begin_nested()
    db.execute(text("SELECT report_kept_rebuild()"))
    rebuilt = {name: db.execute(text(sql)).all() for name, sql in TABLES.items()}
    nested.rollback()
    return kept_rows, rebuilt


def generate(db, world, places: int = 240, seed: int = 7) -> dict:
    """Places around three preschools in two campaigns, several sessions per unit (each
    with its own languages and children), some routes and areas, answers, soft deletes,
    and two plan areas; record keys stay random (the perturbation is on)."""
    rng = random.Random(seed)
    c = factories.preschool(db, world.municipality, "Förskolan C", 20.2600, 67.8300)
    earlier = factories.campaign(db, world.municipality, name="Våren 2026", status="closed")
    schools = (world.school_a, world.school_b, c)
    sessions = [factories.mapping_session(db, camp, school, children=rng.randint(3, 15),
                                          age_group=rng.choice(("1-2", "3-4", "mixed")),
                                          language=rng.choice((None, "sv", "fi", "se")))
                for camp in (world.campaign, earlier) for school in schools
                for _n in range(rng.randint(1, 3))]
    codes = ("play", "nature", "water", "animals", "climbing", "other")
    made = []
    for _n in range(places):
        session = rng.choice(sessions)
        school = next(s for s in schools if s.id == session.preschool_id)
        dx, dy = rng.gauss(0, 500), rng.gauss(0, 500)
        shape = (square_at(school, dx, dy, 15) if rng.random() < 0.1
                 else at(school, dx, dy))
        made.append(factories.place(
            db, session, shape, rng.choice(codes), rng.choice((1, 1, 2, 3, 4, 6, 9)),
            feeling=rng.choice(("favourite", "favourite", "scary")),
            season=rng.choice(("summer", "winter", "all_year")),
            deleted_at=datetime(2026, 10, 2, tzinfo=UTC) if rng.random() < 0.05 else None))
    for place in rng.sample(made, 40):
        db.add(PlaceResponse(place_id=place.id, municipality_id=place.municipality_id,
                             status=rng.choice(("kept", "improved", "considering"))))
    for name, school in (("Gården", world.school_a), ("Skogen", world.school_b)):
        db.execute(text("INSERT INTO plan_area (municipality_id, name, geom, source) VALUES "
                        "(:m, :n, ST_Multi(ST_GeomFromText(:g, 4326)), 'test')"),
                   {"m": world.municipality.id, "n": name,
                    "g": square_at(school, 200, 100, 400).wkt})
    db.commit()
    return {"earlier": earlier, "school_c": c, "places": made}


@pytest.fixture
def generated(db, world):
    return generate(db, world)


def _every_change(db, world, generated) -> list:
    """Every kind of change a report sees, in an order that ends with no place left."""
    a, b = generated["places"][0], generated["places"][1]
    answered = db.query(PlaceResponse).filter(PlaceResponse.replaced_at.is_(None)).first()
    return [
        lambda: factories.place(db, factories.mapping_session(db, world.campaign,
                                                              world.school_a), at(
            world.school_a, 30, 40), "play", 25),  # created: a unit's children_min grows
        lambda: setattr(a, "geom", to_db(at(world.school_b, 900, -300))),  # moved
        lambda: setattr(a, "children_count", 7),
        lambda: setattr(b, "feeling", "scary" if b.feeling == "favourite" else "favourite"),
        lambda: setattr(b, "category_id", factories.category(db, "animals").id),
        lambda: setattr(a, "comment", "no figure changes"),
        lambda: setattr(b, "deleted_at", datetime.now(UTC)),  # soft delete
        lambda: setattr(b, "deleted_at", None),  # restored
        lambda: _answer_again(db, answered),  # a new answer replaces the shown one
        lambda: db.execute(text("UPDATE mapping_session SET language = 'fit' "
                                "WHERE id = (SELECT min(session_id::text)::uuid FROM place)")),
        lambda: db.execute(text("UPDATE preschool SET location = ST_Translate(location, 0.004, "
                                "0.001) WHERE id = :id"), {"id": world.school_b.id}),
        lambda: db.execute(text("UPDATE place SET children_count = children_count + 1 "
                                "WHERE campaign_id = :c"), {"c": world.campaign.id}),  # bulk
        lambda: db.delete(db.get(Place, answered.place_id)),  # deleted with its answers
        lambda: db.execute(text("DELETE FROM place WHERE id IN (SELECT place_id FROM "
                                "place_response) AND feeling = 'scary'")),
        lambda: _purge(db),  # retention: soft-deleted places removed for good
        lambda: db.execute(text("DELETE FROM place")),
    ]


def test_kept_figures_follow_every_change(db, world, generated):
    kept_rows, rebuilt = kept_and_rebuilt(db)
    assert kept_rows == rebuilt and len(kept_rows["report_figure"]) > 100
    changes = _every_change(db, world, generated)
    for step, change in enumerate(changes):
        change()
        db.commit()
        kept_rows, rebuilt = kept_and_rebuilt(db)
        assert kept_rows == rebuilt, (step, _difference(kept_rows, rebuilt))
    assert all(rows == [] for rows in kept_rows.values())  # nothing left behind


def _figures(db) -> list:
    return db.execute(text(TABLES["report_figure"])).all()


def test_writers_only_append_and_one_refresh_applies_them_all(db, world, generated):
    """A write leaves the figures as they are (its changes wait in report_pending); many
    kinds of change, committed one by one, then applied in one batch, give exactly what
    report_kept_rebuild() computes."""
    kept.refresh(db)
    db.commit()
    before = _figures(db)
    changes = _every_change(db, world, generated)[:-2]  # places are left
    for change in changes:
        change()
        db.commit()
    assert _figures(db) == before
    assert db.execute(text("SELECT count(*) FROM report_pending")).scalar_one() > len(changes)
    assert kept.refresh(db) > len(changes)
    assert db.execute(text("SELECT count(*) FROM report_pending")).scalar_one() == 0
    kept_rows, rebuilt = kept_and_rebuilt(db)
    assert kept_rows == rebuilt and kept_rows["report_figure"] != before
    assert kept.refresh(db) == 0  # nothing pending: nothing to do


def _difference(kept_rows: dict, rebuilt: dict) -> dict:
    return {name: (sorted(set(rows) - set(rebuilt[name]))[:5],
                   sorted(set(rebuilt[name]) - set(rows))[:5])
            for name, rows in kept_rows.items() if rows != rebuilt[name]}


def _answer_again(db, shown: PlaceResponse) -> None:
    db.execute(text("UPDATE place_response SET replaced_at = now() WHERE id = :id"),
               {"id": shown.id})
    db.add(PlaceResponse(place_id=shown.place_id, municipality_id=shown.municipality_id,
                         status="not_possible"))
    db.flush()


def _purge(db) -> None:
    from smultron import retention

    db.execute(text("UPDATE place SET deleted_at = now() - interval '10 years' "
                    "WHERE deleted_at IS NOT NULL"))
    retention.apply(db)


def _both(db, args: dict, k: int) -> tuple[dict, dict]:
    filters = ReportFilters.parse(db, args)
    ours = build_report(db, filters, k, ReportCache(), kept=True)
    today = build_report(db, filters, k, ReportCache(), kept=False)
    for report in (ours, today):
        for side in (report, report.get("change") or {}):
            side.get("about", {}).pop("generated_at", None)
    return ours, today


@pytest.mark.parametrize("k", [1, 3, 5, 8, 12, kept.MAX_K + 1])
def test_reports_from_kept_figures_equal_todays(db, world, generated, k):
    camp, earlier = str(world.campaign.id), str(generated["earlier"].id)
    plan = db.execute(text("SELECT min(id) FROM plan_area")).scalar_one()
    area = json.dumps(mapping(square_at(world.school_a, 0, 0, 700)))
    variants = [
        {"campaign": [camp], "cell": ["250"]},
        {"campaign": [camp, earlier], "cell": ["500"]},
        {"campaign": [camp, earlier], "cell": ["1000"]},
        {"campaign": [camp], "compare": [earlier], "cell": ["500"]},
        {"campaign": [camp], "scope": ["preschool"], "preschool": [str(world.school_a.id)]},
        {"campaign": [camp, earlier], "scope": ["plan_area"], "plan_area": [str(plan)]},
        {"campaign": [camp], "scope": ["area"], "area": [area], "cell": ["250"]},
    ]
    shown = 0
    for args in variants:
        ours, today = _both(db, args, k)
        assert ours == today, args
        shown += len(ours["layers"]["favourite"]["cells"])
    assert shown > 0 or k > kept.MAX_K  # published cells compared, not only empty reports


def test_a_report_after_a_change_equals_todays(db, world, generated):
    """The first view after a change reads the figures the triggers just changed."""
    args = {"campaign": [str(world.campaign.id)], "cell": ["250"]}
    first, _ = _both(db, args, 5)
    session = factories.mapping_session(db, world.campaign, generated["school_c"])
    for n in range(6):
        factories.place(db, session, at(generated["school_c"], 20 * n, 0), "water", 5)
    db.commit()
    ours, today = _both(db, args, 5)
    assert ours == today and ours != first
    assert ours["totals"]["places"] > first["totals"]["places"] - 2


def test_place_ids_are_not_in_the_kept_tables(db, world, generated):
    """Nothing finer than an atom is kept: no place id, comment or record key."""
    kept.refresh(db)
    columns = {r[0] for r in db.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_name IN "
        "('report_atom', 'report_figure', 'report_unit', 'report_pending')"))}
    assert not columns & {"id", "place_id", "comment", "stat_key", "geom"}
    assert uuid.UUID(str(db.execute(text("SELECT session_id FROM report_atom LIMIT 1"))
                         .scalar_one()))
