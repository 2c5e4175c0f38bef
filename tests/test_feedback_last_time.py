"""A look back before a new round (issue 15), without a browser: the session start page's
"Last time" lists the previous campaign's places of this preschool (approved words only),
and nothing when the preschool has marked places only in the campaigns open now."""

from __future__ import annotations

from html import unescape

import pytest
from shapely.geometry import Point

from tests import factories, feedback_data

LON, LAT = factories.KIRUNA


def earlier(db, world):
    """Våren 2026 (closed) with two places of Förskolan A and one of Förskolan B."""
    spring = factories.campaign(db, world.municipality, "Våren 2026", status="closed")
    spring.starts_on = spring.starts_on.replace(year=2026, month=3)
    session_a = factories.mapping_session(db, spring, world.school_a)
    factories.place(db, session_a, Point(LON, LAT), category_code="animals",
                    comment="Här bor ekorren", comment_state="approved")
    factories.place(db, session_a, Point(LON + 0.01, LAT), category_code="hiding",
                    comment="Kalle gömmer sig", comment_state="pending")
    factories.place(db, factories.mapping_session(db, spring, world.school_b),
                    Point(LON, LAT), category_code="sport")
    db.commit()
    return spring


def start_page(client, world) -> str:
    response = client.get(f"/map/preschools/{world.school_a.id}")
    assert response.status_code == 200
    return " ".join(unescape(response.get_data(as_text=True)).split())


@pytest.mark.parametrize("with_current", [False, True])
def test_last_time_shows_the_previous_campaigns_places(client, auth, world, db, with_current):
    earlier(db, world)
    if with_current:  # places in the open campaign are not "last time"
        feedback_data.build(db, world)
    auth.login(world.email("staff_a"))
    page = start_page(client, world)
    assert "Förra gången" in page and "markerade under Våren 2026" in page
    assert page.count('class="last-time-slide"') == 2
    assert "Djur" in page and "Gömställe och koja" in page and "Sport och boll" not in page
    assert "“Här bor ekorren”" in page and "Kalle" not in page
    assert "1 av 2" in page and "2 av 2" in page
    assert "js/feedback/last-time.js" in page and "css/last-time.css" in page


def test_nothing_to_look_back_at(client, auth, world, db):
    feedback_data.build(db, world)  # places only in the campaign open now
    auth.login(world.email("staff_a"))
    page = start_page(client, world)
    assert "Förra gången" not in page and "last-time.js" not in page


def test_last_time_in_finnish(client, auth, world, db):
    earlier(db, world)
    auth.login(world.email("staff_a"))
    html = unescape(client.get(f"/map/preschools/{world.school_a.id}?lang=fi")
                    .get_data(as_text=True))
    assert "Viime kerralla" in html and "Eläimet" in html
