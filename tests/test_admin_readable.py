"""What a municipal admin reads (issue 11, item 18): audit details as field / before /
after, the public texts' lists as lists, the pictograms as pictures, the login form
filled in after a set-password link, and pages that explain themselves."""

import re

import pytest

from smultron import sitepages
from smultron.core import audit
from tests import factories
from tests.admin_helpers import AdminClient
from tests.test_admin_users import NEW_PASSWORD, invite, set_password


@pytest.fixture
def admin(client, auth, world):
    return AdminClient(client, auth, world.email("admin"))


def test_audit_details_read_as_field_before_and_after(admin, world):
    school = world.school_a
    response = admin.post(f"/admin/preschools/{school.id}", {
        "name": "Förskolan Örnen", "lon": "20.2253", "lat": "67.8558",
        "enrolled_children": "41", "neighbourhood": ""})
    assert response.status_code == 303
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "\\u00" not in page and "{&#34;" not in page and '{"' not in page  # no raw JSON
    changed = re.search(r'<dl class="audit-detail">(.*?)</dl>', page, re.S).group(1)
    name = re.search(r"<dt>Namn</dt><dd>(.*?)</dd>", changed, re.S).group(1)
    assert re.sub(r"<[^>]+>|\s+", " ", name).split() == [
        "före:", "Förskolan", "A", "→", "efter:", "Förskolan", "Örnen"]
    assert "<dt>Inskrivna barn</dt>" in changed


def test_audit_details_of_other_events_are_labelled_values(admin, db, world):
    audit.record(db, "export", world.users["planner"], target="places.gpkg", detail={
        "format": "gpkg", "filters": {"campaigns": ["Hösten 2026"], "seasons": ["winter"]},
        "counts": {"places_points": 12}})
    audit.record(db, "link_issued", world.users["admin"], target="ny@example.org", detail={
        "link": "reset", "emailed": False, "link_expires_at": "2026-12-01T13:05:00+00:00"})
    db.commit()
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "<dt>Urval</dt><dd>Kampanjer: Hösten 2026; Årstid: winter</dd>" in page
    assert "<dt>Rader per lager</dt><dd>places_points: 12</dd>" in page
    assert "<dt>Länk</dt><dd>nytt lösenord</dd>" in page
    assert "<dt>Skickad med e-post</dt><dd>nej</dd>" in page
    assert "<dt>Länken går ut</dt><dd>2026-12-01 14:05</dd>" in page  # Swedish time


@pytest.mark.parametrize("page", sorted(sitepages.PAGES))
@pytest.mark.parametrize("lang", sitepages.LANGUAGES)
def test_the_default_texts_have_no_list_item_left_inside_a_paragraph(page, lang):
    blocks = sitepages.blocks(sitepages.default_text(page, lang))
    paragraphs = ["".join(text for text, _href in block.spans) for block in blocks
                  if block.kind == "paragraph"]
    assert not [p for p in paragraphs if re.search(r"(^|\s)[-*] ", p)]


def test_a_list_after_a_paragraph_is_a_list(client, world):
    blocks = sitepages.blocks("## Vad lagras?\nInget barn.\n- En plats\n- Ett tillfälle\n"
                              "Sedan text.")
    assert [b.kind for b in blocks] == ["heading", "paragraph", "list", "paragraph"]
    assert [item[0][0] for item in blocks[2].items] == ["En plats", "Ett tillfälle"]
    page = client.get("/privacy").get_data(as_text=True)
    assert re.search(r"<h2>Vad lagras om barnen\?</h2>\s*<p>Inget barn[^<]*</p>\s*<ul><li>"
                     r"En plats anger", page)


def test_the_categories_page_shows_the_pictograms(admin, db):
    factories.category(db, "water")
    db.commit()
    page = admin.get("/admin/categories").get_data(as_text=True)
    assert re.search(r'<img class="pictogram" src="/static/img/pictograms/water.svg" '
                     r'alt="Piktogram för Vatten" width="40" height="40">', page)
    assert "<td>water</td>" not in page
    form = admin.get("/admin/categories/new").get_data(as_text=True)
    assert re.search(r'<input type="radio" name="pictogram" value="water" id="pictogram-water"'
                     r'[^>]*>\s*<label for="pictogram-water"><img src="/static/img/pictograms/'
                     r'water.svg" alt=""', form)


def test_the_login_form_has_the_e_mail_after_a_set_password_link(app, admin, auth, world):
    path = invite(admin, world, email="ny.personal@example.org")
    anonymous = app.test_client()
    assert set_password(anonymous, path).status_code == 303
    login = anonymous.get("/login").get_data(as_text=True)
    assert re.search(r'<input id="email" [^>]*value="ny.personal@example.org">', login)
    assert re.search(r'<input id="password" [^>]* autofocus>', login)
    csrf = factories.csrf_from(login)
    response = anonymous.post("/login", data={"email": "ny.personal@example.org",
                                              "password": NEW_PASSWORD, "csrf_token": csrf})
    assert response.status_code == 302
    assert 'value=""' in app.test_client().get("/login").get_data(as_text=True)


def test_retention_and_overview_explain_themselves(admin):
    retention = admin.get("/admin/retention").get_data(as_text=True)
    overview = admin.get("/admin").get_data(as_text=True)  # the purge has never run
    for page in (retention, overview):
        assert "README" not in page
    assert '<section class="card" id="nightly"' in retention
    assert "smultron retention apply" in retention and "crontab" in retention
    assert "Gallringen har aldrig körts." in overview
    assert 'href="/admin/retention#nightly"' in overview
