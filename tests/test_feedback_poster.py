"""The wall poster (issue 15): GET /map/preschools/<id>/poster.pdf read back with poppler
(pdftotext, pdfinfo, pdftoppm): its texts in the page's language, A3 and A4, exactly one
page at 300 places, who may download it, audited."""

from __future__ import annotations

import random
import re
import subprocess

import pytest
from shapely.geometry import Point

from smultron import responses
from smultron.core.access import Viewer
from smultron.models import RESPONSE_MAX, AuditEvent
from tests import factories, feedback_data

LON, LAT = factories.KIRUNA
CATEGORIES = ("play", "nature", "animals", "climbing", "water", "snow", "hiding", "sport",
              "calm", "other")


@pytest.fixture
def answered(db, world):
    return feedback_data.build(db, world)


def url(world, school=None) -> str:
    return f"/map/preschools/{(school or world.school_a).id}/poster.pdf"


def pdf_text(body: bytes, tmp_path) -> str:
    path = tmp_path / "poster.pdf"
    path.write_bytes(body)
    out = subprocess.run(["pdftotext", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return " ".join(out.split())


def pdf_info(body: bytes, tmp_path) -> dict[str, str]:
    path = tmp_path / "info.pdf"
    path.write_bytes(body)
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                         text=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


def download(client, world, **query):
    response = client.get(url(world), query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    return response.data


def test_the_poster_in_swedish(client, auth, world, answered, tmp_path, db):
    auth.login(world.email("staff_a"))
    text = pdf_text(download(client, world, campaign=world.campaign.id), tmp_path)
    for expected in ("Våra smultronställen", "Förskolan A", "Det här valde vi",
                     "3 Lek", "3 Vatten", "3 Läskiga platser",  # children's choices
                     "“Vi klättrar här!”", "Bevaras", "Klätterträdet får stå kvar.",
                     "Utreds", "Vi tittar på en badplats.", "1 plats"):
        assert expected in text, (expected, text)
    assert "Lisa" not in text  # words not approved are not on the poster
    assert "@" not in text  # no account, nothing that points to a person
    event = db.query(AuditEvent).filter_by(action="poster_pdf").one()
    assert event.target == f"preschool:{world.school_a.id}"
    assert event.detail == {"campaign": world.campaign.id, "size": "A3"}


def test_the_poster_in_finnish(client, auth, world, answered, tmp_path):
    auth.login(world.email("staff_a"))
    text = pdf_text(download(client, world, lang="fi"), tmp_path)
    for expected in ("Meidän mansikkapaikkamme", "Tämän me valitsimme", "3 Leikki",
                     "Säilytetään", "Klätterträdet får stå kvar.", "1 paikka"):
        assert expected in text, (expected, text)
    assert "Våra smultronställen" not in text


def test_a3_by_default_and_a4(client, auth, world, answered, tmp_path):
    auth.login(world.email("staff_a"))
    a3 = pdf_info(download(client, world), tmp_path)
    assert a3["Pages"].strip() == "1"
    assert re.match(r"\s*841\.89 x 1190\.55 pts \(A3\)", a3["Page size"]), a3["Page size"]
    a4 = pdf_info(download(client, world, size="a4"), tmp_path)
    assert a4["Pages"].strip() == "1"
    assert re.match(r"\s*595\.276 x 841\.89 pts \(A4\)", a4["Page size"]), a4["Page size"]
    assert "UA" in a4.get("PDF subtype", "") or a4.get("Tagged", "").strip() == "yes"


def _three_hundred_places(db, world) -> None:
    rng = random.Random(15)
    session = factories.mapping_session(db, world.campaign, world.school_a)
    planner = world.users["planner"]
    ids = []
    for n in range(300):
        row = factories.place(
            db, session, Point(LON + rng.uniform(-0.02, 0.02), LAT + rng.uniform(-0.008, 0.008)),
            category_code=CATEGORIES[n % len(CATEGORIES)], children=1 + n % 7,
            feeling="scary" if n % 9 == 0 else "favourite",
            comment=f"Här är det roligt att leka hela dagen {n} " * 4,
            comment_state="approved")
        ids.append(row.id)
    statuses = ("kept", "improved", "changed", "not_possible", "considering")
    for n in range(0, 300, 10):  # 30 different answers, each as long as it may be
        text = (f"Svar nummer {n}: " + "vi planerar noga här " * 30)[:RESPONSE_MAX]
        responses.answer_places(db, Viewer.of(planner), planner, ids[n:n + 10],
                                responses.Answer(statuses[n // 10 % 5], text, None))
    db.commit()


def test_exactly_one_page_at_300_places(client, auth, world, db, tmp_path):
    _three_hundred_places(db, world)
    auth.login(world.email("staff_a"))
    for size in ("A3", "A4"):
        body = download(client, world, size=size)
        assert pdf_info(body, tmp_path)["Pages"].strip() == "1"
        path = tmp_path / f"{size}.pdf"
        path.write_bytes(body)
        subprocess.run(["pdftoppm", "-r", "20", "-png", str(path), str(tmp_path / size)],
                       check=True)
        assert [p.name for p in tmp_path.glob(f"{size}*.png")] == [f"{size}-1.png"]
        text = pdf_text(body, tmp_path)
        assert "Det här svarade planerarna" in text
        assert "27 svar till finns på svarssidan" in text, text
        # the answers left off still show their status and how many places each
        rest = {label: int(n) for label, n in re.findall(
            r"(Bevaras|Förbättras|Förändras|Går inte|Utreds): (\d+)", text)}
        assert len(rest) == 5 and sum(rest.values()) == 270, rest


def test_bad_size_and_campaign_are_refused(client, auth, world, answered):
    auth.login(world.email("staff_a"))
    bad = client.get(url(world), query_string={"size": "A0"})
    assert bad.status_code == 400
    assert "A3 eller A4" in bad.get_data(as_text=True)
    assert client.get(url(world), query_string={"campaign": "999999"}).status_code == 404
    assert client.get(url(world), query_string={"campaign": "x"}).status_code == 404
    finnish = client.get(url(world), query_string={"size": "B5", "lang": "fi"})
    assert finnish.status_code == 400 and "A3 tai A4" in finnish.get_data(as_text=True)


def test_who_may_download_the_poster(client, auth, world, answered):
    for who in ("planner", "admin"):
        auth.login(world.email(who))
        assert client.get(url(world)).status_code == 200
        auth.logout()
    auth.login(world.email("staff_b"))
    assert client.get(url(world)).status_code == 404
    auth.logout()
    auth.login(world.email("official"))
    assert client.get(url(world)).status_code == 403
    auth.logout()
    assert client.get(url(world)).status_code in (302, 401)


def test_no_places_yet_is_a_message(client, auth, world):
    auth.login(world.email("staff_a"))
    response = client.get(url(world))
    assert response.status_code == 404
    assert "har inte markerat några platser än" in response.get_data(as_text=True)


def test_linked_from_the_answers_page_and_the_session_summary(client, auth, world, answered):
    auth.login(world.email("staff_a"))
    page = client.get(f"/map/preschools/{world.school_a.id}/answers").get_data(as_text=True)
    base = f"/map/preschools/{world.school_a.id}/poster.pdf?campaign={world.campaign.id}"
    assert f'{base}&amp;size=A3"' in page and f'{base}&amp;size=A4"' in page
    assert "Affisch att skriva ut (A4)" in page
    summary = client.get(f"/map/sessions/{answered[0].session_id}/summary")
    assert f'href="{base}"' in summary.get_data(as_text=True)
