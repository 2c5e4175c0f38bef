"""Reports: the share of places the planners have answered, by answer (issue 14), and the
sessions, children taking part and children's choices by the session's language (issue
16), both under the anonymity rule, on the known dataset (tests/report_data.py, k = 5)."""

from __future__ import annotations

from sqlalchemy import text

from smultron.models import PlaceResponse
from smultron.reports import ReportCache, ReportFilters, build_report
from tests import factories, report_data
from tests.report_data import at

K = 5


def report_for(db, known, cache=None):
    query = {"campaign": [str(known.world.campaign.id)]}
    return build_report(db, ReportFilters.parse(db, query), K, cache or ReportCache())


def answer(db, known, status: str, *names: str) -> None:
    for name in names:
        db.add(PlaceResponse(place_id=known.places[name].id, status=status, text="Svar",
                             municipality_id=known.world.municipality.id))
    db.flush()


def set_languages(db, known, by_preschool: dict[str, str]) -> None:
    for school, language in by_preschool.items():
        db.execute(text("UPDATE mapping_session SET language = :language WHERE preschool_id = "
                        "(SELECT id FROM preschool WHERE name = :name)"),
                   {"language": language, "name": school})
    report_data.quiet(db)


def by_key(rows: list[dict]) -> dict:
    return {row["key"]: row for row in rows}


def test_the_answers_table_counts_places_by_their_shown_answer(db, known):
    answer(db, known, "considering", "P1")
    db.execute(text("UPDATE place_response SET replaced_at = now()"))  # replaced by:
    answer(db, known, "kept", "P1", "P2", "P3")
    answer(db, known, "improved", "P8")
    rows = by_key(report_for(db, known)["tables"]["answer"])
    assert set(rows) == {"kept", "improved", "none"}  # the replaced answer counts no more
    assert (rows["kept"]["places"], rows["kept"]["children"]) == (3, 18)
    assert (rows["improved"]["places"], rows["improved"]["children"]) == (1, 9)
    assert (rows["none"]["places"], rows["none"]["children"]) == (6, 27)
    assert not any(row["withheld"] for row in rows.values())


def test_an_answer_resting_on_fewer_than_k_children_is_withheld_with_a_complement(db, known):
    answer(db, known, "not_possible", "P9")  # 4 children (k - 1)
    answer(db, known, "kept", "P8")  # 9 children: the smallest shown row, withheld too
    rows = by_key(report_for(db, known)["tables"]["answer"])
    assert rows["not_possible"]["withheld"] and rows["not_possible"]["children"] is None
    assert rows["kept"]["withheld"]  # or "total minus the rest" gives the 4
    assert not rows["none"]["withheld"]


def test_a_new_answer_makes_a_new_report(db, known):
    cache = ReportCache()
    before = by_key(report_for(db, known, cache)["tables"]["answer"])
    assert set(before) == {"none"}
    answer(db, known, "kept", "P1", "P2", "P3")
    db.commit()
    after = by_key(report_for(db, known, cache)["tables"]["answer"])
    assert after["kept"]["places"] == 3


def test_sessions_children_and_choices_by_language(db, known):
    set_languages(db, known, {"Förskolan A": "fi", "Förskolan B": "sv", "Förskolan C": "se"})
    rows = by_key(report_for(db, known)["languages"])
    # Förskolan C's campaign rests on 3 children: left out, so no North Sámi row at all
    assert set(rows) == {"fi", "sv"}
    assert rows["fi"] == {"key": "fi", "withheld": False, "sessions": 2, "present": 20,
                          "places": 7, "children": 38}
    assert rows["sv"] == {"key": "sv", "withheld": False, "sessions": 1, "present": 9,
                          "places": 3, "children": 16}


def test_sessions_from_before_the_language_was_recorded_are_not_recorded(db, known):
    rows = by_key(report_for(db, known)["languages"])
    assert set(rows) == {"unknown"}
    assert (rows["unknown"]["sessions"], rows["unknown"]["children"]) == (3, 54)


def test_a_language_below_k_children_is_withheld_with_a_complement(db, known):
    small = factories.mapping_session(db, known.world.campaign, known.world.school_a,
                                      children=3, age_group="3-4")
    factories.place(db, small, at(known.world.school_a, 150, 0), "play", 3)
    db.flush()
    set_languages(db, known, {"Förskolan A": "sv", "Förskolan B": "fi"})
    db.execute(text("UPDATE mapping_session SET language = 'se' WHERE id = :id"),
               {"id": small.id})
    report_data.quiet(db)
    report = report_for(db, known)
    rows = by_key(report["languages"])
    assert rows["se"]["withheld"]
    assert all(rows["se"][key] is None for key in ("sessions", "present", "places", "children"))
    assert rows["fi"]["withheld"]  # the smallest other row: "all minus Swedish" is not 3
    assert not rows["sv"]["withheld"]
    assert [row["withheld"] for row in report["languages"]] == [False, True, True]
