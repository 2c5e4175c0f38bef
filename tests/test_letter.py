"""The guardians' letter (issue 16): /map/preschools/<id>/letter.pdf in each of the five
languages holds the retention periods actually configured and the admin's contact and
data-protection addresses, on one page of a tagged PDF (pdftotext and pdfinfo read it);
who may download it; an unknown language is refused in the page's language."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from smultron import retention, sitepages
from smultron.core.messages import gettext_for

LANGUAGES = ("sv", "en", "fi", "fit", "se")
PERIODS = {"comment_months": 17, "deleted_place_days": 43, "photo_months": 29,
           "audit_months": 61}
CONTACT, DPO = "forskola@kiruna.example", "dataskydd@kiruna.example"


@pytest.fixture
def configured(db, world):
    retention.save(db, PERIODS)
    sitepages.save_site(db, {"organisation": "Kiruna kommun", "contact_email": CONTACT,
                             "dpo_email": DPO, "feedback_email": ""})
    db.commit()


def url(school) -> str:
    return f"/map/preschools/{school.id}/letter.pdf"


def poppler(tool: str, body: bytes, tmp_path) -> str:
    assert shutil.which(tool), f"{tool} (poppler-utils) is needed"
    path = tmp_path / "letter.pdf"
    path.write_bytes(body)
    return subprocess.run([tool, str(path)] + (["-"] if tool == "pdftotext" else []),
                          capture_output=True, text=True, check=True).stdout


def flat(text: str) -> str:
    return " ".join(text.replace("\u00ad", "").split())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_letter_in_each_language(client, auth, world, configured, tmp_path, lang):
    auth.login(world.email("staff_a"))
    response = client.get(url(world.school_a), query_string={"lang": lang})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f"-{lang}.pdf" in response.headers["Content-Disposition"]
    info = poppler("pdfinfo", response.data, tmp_path)
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info
    root = PdfReader(io.BytesIO(response.data)).trailer["/Root"]
    assert root["/Lang"] == lang  # a screen reader reads it in the letter's language
    text = flat(poppler("pdftotext", response.data, tmp_path))
    for number in PERIODS.values():
        assert re.search(rf"(?<!\d){number}(?!\d)", text), (number, text)
    for expected in (CONTACT, DPO, "Förskolan A", "Kiruna kommun", "IMY"):
        assert expected in text, expected
    gettext = gettext_for(lang)
    for msgid in ("What the children will do", "Who sees what", "Yes, my child may take "
                  "part in marking places on the map."):
        assert flat(gettext(msgid)) in text, msgid
        if lang != "en":
            assert gettext(msgid) != msgid  # translated (or drafted), not left in English


def test_the_page_language_by_default_and_an_unknown_one_refused(client, auth, world,
                                                                 configured, tmp_path):
    auth.login(world.email("staff_a"))
    swedish = flat(poppler("pdftotext", client.get(url(world.school_a)).data, tmp_path))
    assert "Vad barnen kommer att göra" in swedish
    refused = client.get(url(world.school_a), query_string={"lang": "de"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Det finns inget brev på det språket" in page and "Davvisámegiella" in page
    finnish = client.get(url(world.school_a), query_string={"lang": "FI"})
    assert "-fi.pdf" in finnish.headers["Content-Disposition"]


def test_no_addresses_set_yet(client, auth, world, tmp_path):
    auth.login(world.email("staff_a"))
    text = flat(poppler("pdftotext", client.get(url(world.school_a)).data, tmp_path))
    assert "(ingen adress är angiven ännu)" in text
    assert f"{world.municipality.name} kommun" in text
    for number in retention.DEFAULTS.values():
        assert str(number) in text


@pytest.mark.parametrize("who", ["planner", "admin"])
def test_planners_and_admins_may_download_it(client, auth, world, who):
    auth.login(world.email(who))
    assert client.get(url(world.school_a)).status_code == 200


def test_others_get_404_or_403(client, auth, world):
    auth.login(world.email("staff_b"))
    assert client.get(url(world.school_a)).status_code == 404
    assert client.get("/map/preschools/999999/letter.pdf").status_code == 404
    auth.logout()
    auth.login(world.email("official"))
    assert client.get(url(world.school_a)).status_code == 403
    auth.logout()
    assert client.get(url(world.school_a)).status_code in (302, 401)


def test_the_start_page_links_the_letter(client, auth, world):
    auth.login(world.email("staff_a"))
    html = client.get(f"/map/preschools/{world.school_a.id}").get_data(as_text=True)
    assert f'href="/map/preschools/{world.school_a.id}/letter.pdf?lang=sv"' in html
    for lang in LANGUAGES:
        assert f"letter.pdf?lang={lang}" in html
    assert 'aria-describedby="consent-letter"' in html


def test_the_admin_pages_that_set_what_the_letter_says_mention_it(client, auth, world):
    auth.login(world.email("admin"))
    for page in ("/admin/pages", "/admin/retention"):
        assert "Brevet till vårdnadshavare" in client.get(page).get_data(as_text=True), page


def test_the_admins_preschool_page_links_the_letter(client, auth, world):
    auth.login(world.email("admin"))
    html = client.get(f"/admin/preschools/{world.school_a.id}").get_data(as_text=True)
    assert f'href="/map/preschools/{world.school_a.id}/letter.pdf?lang=sv"' in html
