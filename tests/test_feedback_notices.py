"""New answers pointed out on the landing page (issue 15): "3 new answers from the
planners" per preschool of a staff member, linking to its answers page, until that user
opens the page; a later answer is new again; plural-aware; other users keep their own."""

from __future__ import annotations

from html import unescape

import pytest
from shapely.geometry import Point

from smultron import accounts, responses
from smultron.core.access import Viewer
from smultron.models import AnswersSeen
from tests import factories, feedback_data

LON, LAT = factories.KIRUNA


@pytest.fixture
def answered(db, world):
    return feedback_data.build(db, world)


def home(client) -> str:
    response = client.get("/home")
    assert response.status_code == 200
    return " ".join(unescape(response.get_data(as_text=True)).split())


def answer(db, world, rows, status="improved", text="Vi bygger en ny gunga."):
    planner = world.users["planner"]
    responses.answer_places(db, Viewer.of(planner), planner, [r.id for r in rows],
                            responses.Answer(status, text, None))
    db.commit()


def test_new_answers_until_the_answers_page_is_opened(client, auth, world, answered, db):
    auth.login(world.email("staff_a"))
    page = home(client)
    assert "Planerarna har svarat" in page
    assert "2 nya svar från planerarna · Förskolan A" in page
    link = f'href="/map/preschools/{world.school_a.id}/answers?campaign={world.campaign.id}"'
    assert link in page
    assert client.get(f"/map/preschools/{world.school_a.id}/answers").status_code == 200
    assert "nya svar" not in home(client) and "Planerarna har svarat" not in home(client)
    answer(db, world, [answered[2]])  # the unanswered snow place gets its answer
    assert "1 nytt svar från planerarna · Förskolan A" in home(client)
    answer(db, world, [answered[0]], "changed", "Klätterträdet flyttas.")  # a new answer
    assert "2 nya svar från planerarna" in home(client)


def test_each_user_has_their_own_marker_and_sees_only_their_preschools(client, auth, world,
                                                                       answered, db):
    other = accounts.create_user(db, "staff2@example.org", "staff", factories.PASSWORD,
                                 ["Förskolan A"])
    db.commit()
    auth.login(world.email("staff_a"))
    client.get(f"/map/preschools/{world.school_a.id}/answers")
    auth.logout()
    auth.login(other.email)
    assert "2 nya svar från planerarna" in home(client)  # not opened by this user
    auth.logout()
    auth.login(world.email("staff_b"))
    assert "nya svar" not in home(client)  # preschool B has no answers
    assert db.query(AnswersSeen).filter_by(preschool_id=world.school_a.id).count() == 1


def test_replaced_and_deleted_places_are_not_counted(client, auth, world, answered, db):
    answer(db, world, [answered[0]], "changed", "Klätterträdet flyttas.")  # replaces one
    answered[1].deleted_at = answered[1].created_at
    db.commit()
    auth.login(world.email("staff_a"))
    assert "1 nytt svar från planerarna" in home(client)


def test_planners_and_admins_get_no_notice(client, auth, world, answered):
    for who in ("planner", "admin", "official"):
        auth.login(world.email(who))
        assert "nya svar" not in home(client)
        auth.logout()


def test_the_notice_in_finnish_and_several_preschools(client, auth, world, answered, db):
    rows = [factories.place(db, factories.mapping_session(db, world.campaign, world.school_b),
                            Point(LON, LAT + 0.01))]
    answer(db, world, rows)
    both = accounts.create_user(db, "both@example.org", "staff", factories.PASSWORD,
                                ["Förskolan A", "Förskolan B"])
    db.commit()
    auth.login(both.email)
    page = home(client)
    assert "2 nya svar från planerarna · Förskolan A" in page
    assert "1 nytt svar från planerarna · Förskolan B" in page
    chooser = " ".join(unescape(client.get("/map").get_data(as_text=True)).split())
    assert "2 nya svar från planerarna · Förskolan A" in chooser
    assert "1 nytt svar från planerarna · Förskolan B" in chooser
    start_b = " ".join(unescape(client.get(f"/map/preschools/{world.school_b.id}")
                                .get_data(as_text=True)).split())
    assert "1 nytt svar från planerarna · Förskolan B" in start_b
    assert "Förskolan A" not in start_b  # the start page tells its own preschool's only
    finnish = " ".join(unescape(client.get("/home?lang=fi").get_data(as_text=True)).split())
    assert "2 uutta vastausta suunnittelijoilta · Förskolan A" in finnish
    assert "1 uusi vastaus suunnittelijoilta · Förskolan B" in finnish
