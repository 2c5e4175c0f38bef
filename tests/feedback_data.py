"""Places of preschool A with planners' answers, for the children's pages (issue 15)."""

from __future__ import annotations

from shapely.geometry import Point

from smultron import responses
from smultron.core.access import Viewer
from tests import factories

LON, LAT = factories.KIRUNA


def build(db, world) -> list:
    """Three places of Förskolan A: play (approved words, answered "kept"), water (words
    not approved, answered "considering"), snow (unanswered)."""
    session_a = factories.mapping_session(db, world.campaign, world.school_a)
    rows = [factories.place(db, session_a, Point(LON, LAT), comment="Vi klättrar här!",
                            comment_state="approved"),
            factories.place(db, session_a, Point(LON + 0.012, LAT), category_code="water",
                            comment="Lisa 5 år vill bada", comment_state="pending"),
            factories.place(db, session_a, Point(LON - 0.012, LAT + 0.003),
                            category_code="snow", season="winter", feeling="scary")]
    planner = world.users["planner"]
    viewer = Viewer.of(planner)
    responses.answer_places(db, viewer, planner, [rows[0].id], responses.Answer(
        "kept", "Klätterträdet får stå kvar.", None))
    responses.answer_places(db, viewer, planner, [rows[1].id], responses.Answer(
        "considering", "Vi tittar på en badplats.", None))
    db.commit()
    return rows
