"""Category labels per language: the seeded categories carry the drafted Finnish,
Meänkieli and North Sámi labels; the admin edits them; a missing one shows the Swedish
label everywhere (map, API, summary, exports, reports) and is listed on the admin's page."""

from __future__ import annotations

from sqlalchemy import select

from smultron import categories, reference
from smultron.core import csvfile
from smultron.export.gpkg import category_styles
from smultron.models import Category
from smultron.reports.labels import Labeller
from tests import factories
from tests.admin_helpers import AdminClient, last_audit


def _category(db, code: str) -> Category:
    db.expire_all()
    return db.scalar(select(Category).where(Category.code == code))


def test_the_seeded_categories_have_the_drafted_labels_and_keep_the_admins(db):
    play = _category(db, "play")
    assert play.labels == {"fi": "Leikki", "fit": "Leikki", "se": "Stoahkan"}
    assert [play.label(lang) for lang in ("sv", "en", "fi", "se", "xx")] == [
        "Lek", "Play", "Leikki", "Stoahkan", "Lek"]
    play.labels = {"fi": "Leikit", "fit": ""}  # edited and emptied: kept as they are
    db.commit()
    reference.ensure_categories(db)
    db.commit()
    assert _category(db, "play").labels == {"fi": "Leikit", "fit": "", "se": "Stoahkan"}
    assert _category(db, "play").label("fit") == "Lek"  # empty shows Swedish


def test_the_label_in_sql_matches_the_label_in_python(db):
    water = _category(db, "water")
    water.labels = {"fi": "Vesi", "se": ""}
    db.commit()
    for lang in ("sv", "en", "fi", "fit", "se"):
        sql = db.scalar(select(Category.label_sql(lang)).where(Category.code == "water"))
        assert sql == water.label(lang), lang


def test_the_admin_edits_the_labels_and_sees_the_missing_ones(client, auth, world, db):
    admin = AdminClient(client, auth, world.email("admin"))
    water = _category(db, "water")
    page = admin.get("/admin/categories").get_data(as_text=True)
    assert "Labels missing" not in admin.get("/admin/categories?lang=en").get_data(as_text=True)
    assert '<span lang="se">Čáhci</span>' in page
    response = admin.post(f"/admin/categories/{water.id}", {
        "label_sv": "Vatten", "label_en": "Water", "label_fi": "  Vesi ja ranta ",
        "label_fit": "", "label_se": "Čáhci", "pictogram": water.pictogram,
        "colour": water.colour, "sort_order": str(water.sort_order)})
    assert response.status_code == 303
    assert _category(db, "water").labels == {"fi": "Vesi ja ranta", "fit": "", "se": "Čáhci"}
    assert last_audit(db).detail == {"label_fi": ["Vesi", "Vesi ja ranta"],
                                     "label_fit": ["Vesi", ""]}
    page = admin.get("/admin/categories?lang=en").get_data(as_text=True)
    assert "Labels missing: shown in Swedish" in page
    assert f'Meänkieli: <a href="/admin/categories/{water.id}" lang="sv">Vatten</a>' in page
    form = admin.get(f"/admin/categories/{water.id}").get_data(as_text=True)
    assert 'value="Vesi ja ranta"' in form and 'lang="fit"' in form


def test_an_over_long_label_is_refused_and_nothing_saved(client, auth, world, db):
    admin = AdminClient(client, auth, world.email("admin"))
    water = _category(db, "water")
    response = admin.post(f"/admin/categories/{water.id}?lang=fi", {
        "label_sv": "Vatten", "label_en": "Water", "label_se": "č" * 101,
        "pictogram": water.pictogram, "colour": water.colour, "sort_order": "1"})
    assert response.status_code == 422
    assert "pohjoissaamenkielinen nimi" in response.get_data(as_text=True).lower()
    assert _category(db, "water").labels["se"] == "Čáhci"


def test_staff_see_the_labels_in_their_language(client, auth, world, db):
    session_row = factories.mapping_session(db, world.campaign, world.school_a)
    factories.place(db, session_row, category_code="snow")
    db.commit()
    auth.login(world.email("staff_a"))
    api = {c["code"]: c for c in client.get("/api/v1/categories?lang=se").get_json()}
    assert api["snow"]["label"] == "Muohta ja čierastallan"
    assert api["snow"]["labels"]["fi"] == "Lumi ja mäenlasku"
    summary = client.get(f"/api/v1/sessions/{session_row.id}?lang=fi").get_json()
    assert summary["by_category"][0]["label"] == "Lumi ja mäenlasku"
    page = client.get(f"/map/sessions/{session_row.id}/summary?lang=fit").get_data(as_text=True)
    assert "Lumi ja mäenlasku" in page


def test_exports_and_reports_use_the_language_with_swedish_where_missing(db):
    _category(db, "calm").labels = {"fi": "Rauhallinen paikka"}
    db.commit()
    styles = {style.code: style.label for style in category_styles(db, "se")}
    assert styles["play"] == "Stoahkan" and styles["calm"] == "Lugn och mysig plats"
    report = {"categories": [{"id": 1, "label_sv": "Lek", "label_en": "Play",
                              "labels": {"fi": "Leikki"}}]}
    assert Labeller(report, str, "fi").category(1) == "Leikki"
    assert Labeller(report, str, "se").category(1) == "Lek"
    assert Labeller(report, str, "en").category(1) == "Play"


def test_csv_and_numbers_follow_the_nordic_languages():
    for lang in ("sv", "fi", "fit", "se"):
        assert csvfile.dialect_for(None, lang) is csvfile.SEMICOLON
    assert csvfile.dialect_for(None, "en") is csvfile.COMMA


def test_missing_labels_are_listed_per_language():
    rows = [Category(code="a", label_sv="A", labels={"fi": "Ä", "se": ""}),
            Category(code="b", label_sv="B", labels={"fi": "Bé", "fit": "Bi", "se": "Bá"})]
    missing = categories.missing_labels(rows)
    assert {lang: [c.code for c in found] for lang, found in missing.items()} == {
        "fit": ["a"], "se": ["a"]}
