"""What became of our places (issue 15, step 1), without a browser: who may open the
answers page, what it shows (approved words only, the shown answer), the campaign chooser."""

from __future__ import annotations

from html import unescape

import pytest

from tests import factories, feedback_data
from tests.helpers import page_config


@pytest.fixture
def answered(db, world):
    return feedback_data.build(db, world)


def url(world, school=None) -> str:
    return f"/map/preschools/{(school or world.school_a).id}/answers"


@pytest.mark.parametrize("who", ["staff_a", "planner", "admin"])
def test_staff_of_the_preschool_planners_and_admins_see_the_answers(client, auth, world,
                                                                   answered, who):
    auth.login(world.email(who))
    response = client.get(url(world))
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    for text in ("Vad blev det av våra platser", "Bevaras", "Klätterträdet får stå kvar.",
                 "“Vi klättrar här!”", "Inte besvarad än", "Utreds"):
        assert text in html, text
    assert "Lisa" not in html  # words not approved yet are not shown
    cards = page_config(response.get_data(as_text=True))["cards"]
    assert [c["status"] for c in cards] == ["kept", "considering", None]  # answered first
    assert cards[0]["answer"] == "Klätterträdet får stå kvar."
    assert cards[1]["words"] == ""
    assert cards[0]["pictogram"].endswith("/img/pictograms/play.svg")


def test_staff_of_another_preschool_get_404_and_officials_403(client, auth, world, answered):
    auth.login(world.email("staff_b"))
    assert client.get(url(world)).status_code == 404
    assert client.get(url(world, world.school_b)).status_code == 200
    auth.logout()
    auth.login(world.email("official"))
    assert client.get(url(world)).status_code == 403
    auth.logout()
    assert client.get(url(world)).status_code in (302, 401)


def test_the_campaign_chooser(client, auth, world, answered, db):
    older = factories.campaign(db, world.municipality, "Våren 2025", status="closed")
    older.starts_on = older.starts_on.replace(year=2025)
    factories.place(db, factories.mapping_session(db, older, world.school_a),
                    category_code="snow")
    db.commit()
    auth.login(world.email("staff_a"))
    html = unescape(client.get(url(world)).get_data(as_text=True))
    assert 'name="campaign"' in html and "Våren 2025" in html and "Hösten 2026" in html
    assert len(page_config(html)["cards"]) == 3  # the newest campaign's
    chosen = client.get(url(world), query_string={"campaign": older.id})
    assert [c["category"] for c in page_config(chosen.get_data(as_text=True))["cards"]] == [
        "snow"]
    assert client.get(url(world), query_string={"campaign": "999999"}).status_code == 404
    assert client.get(url(world), query_string={"campaign": "x"}).status_code == 404


def test_no_places_yet(client, auth, world):
    auth.login(world.email("staff_a"))
    html = unescape(client.get(url(world)).get_data(as_text=True))
    assert "har inte markerat några platser än" in html


def test_the_page_in_english(client, auth, world, answered):
    auth.login(world.email("staff_a"))
    html = unescape(client.get(url(world), query_string={"lang": "en"}).get_data(as_text=True))
    assert "What became of our places" in html and "Kept" in html
    config = page_config(html)
    assert config["statuses"]["considering"]["label"] == "Being considered"
    assert config["statuses"]["kept"]["pictogram"].endswith("/pictograms/status/kept.svg")


def test_the_start_page_and_the_session_summary_link_the_answers(client, auth, world,
                                                                  answered):
    auth.login(world.email("staff_a"))
    start = client.get(f"/map/preschools/{world.school_a.id}").get_data(as_text=True)
    assert f'href="{url(world)}"' in start
    session_id = answered[0].session_id
    summary = client.get(f"/map/sessions/{session_id}/summary").get_data(as_text=True)
    assert f'href="{url(world)}?campaign={world.campaign.id}"' in summary
