"""The audit log: every admin change leaves exactly one row; the viewer filters
and pages; nothing in the app edits or deletes a row, and the database refuses it."""

import json

import pytest
from sqlalchemy import select, text

from smultron.models import AuditEvent
from tests import factories
from tests.admin_helpers import AdminClient, audit_count, last_audit


@pytest.fixture
def admin(client, auth, world):
    return AdminClient(client, auth, world.email("admin"))


def test_every_admin_change_leaves_exactly_one_row(admin, db, world):
    school, campaign = world.school_a, world.campaign
    water = factories.category(db, "water")
    staff = world.users["staff_b"]
    point = {"lon": "20.2253", "lat": "67.8558"}
    changes = [
        ("/admin/preschools/new", {"name": "Ny", "lon": "20.25", "lat": "67.86"},
         "preschool_created"),
        (f"/admin/preschools/{school.id}", {"name": "Förskolan A", "enrolled_children": "41",
                                            **point}, "preschool_updated"),
        (f"/admin/preschools/{school.id}/departments", {"department": "Ny avd"},
         "department_added"),
        (f"/admin/preschools/{school.id}/archive", {}, "preschool_archived"),
        (f"/admin/preschools/{school.id}/restore", {}, "preschool_restored"),
        ("/admin/campaigns/new", {"name": "Våren", "starts_on": "2027-03-01"},
         "campaign_created"),
        (f"/admin/campaigns/{campaign.id}", {"name": "Hösten 2026", "starts_on": "2026-09-02"},
         "campaign_updated"),
        (f"/admin/campaigns/{campaign.id}/close", {}, "campaign_closed"),
        (f"/admin/campaigns/{campaign.id}/open", {}, "campaign_opened"),
        ("/admin/users/new", {"email": "ny@example.org", "role": "planner"}, "user_created"),
        (f"/admin/users/{staff.id}", {"role": "staff", "preschools": [str(school.id)]},
         "user_updated"),
        (f"/admin/users/{staff.id}/link", {"purpose": "reset"}, "link_issued"),
        (f"/admin/users/{staff.id}/deactivate", {}, "user_deactivated"),
        (f"/admin/users/{staff.id}/reactivate", {}, "user_reactivated"),
        ("/admin/categories/new", {"code": "ny", "label_sv": "Ny", "label_en": "New",
                                   "pictogram": "play", "colour": "#123456"},
         "category_created"),
        (f"/admin/categories/{water.id}", {"label_sv": "Vatten!", "label_en": "Water",
                                           "pictogram": "water", "colour": "#1565c0",
                                           "sort_order": "40"}, "category_updated"),
        (f"/admin/categories/{water.id}/move", {"direction": "up"}, "category_moved"),
        ("/admin/retention", {"comment_months": "12", "deleted_place_days": "30",
                              "photo_months": "24", "audit_months": "24"}, "retention_changed"),
        ("/admin/retention/apply", {}, "retention_applied"),
        ("/admin/pages/site", {"organisation": "Kiruna kommun"}, "site_contacts_changed"),
        ("/admin/pages/privacy/sv", {"text": "Hej"}, "page_text_changed"),
        ("/admin/pages/privacy/sv/reset", {}, "page_text_reset"),
        ("/admin/municipalities", {"code": "2583", "name": "Gällivare"},
         "municipality_created"),
    ]
    for url, form, action in changes:
        before = audit_count(db)
        response = admin.post(url, form)
        assert response.status_code in (200, 201, 303), (url, response.status_code)
        assert audit_count(db) == before + 1, url
        event = last_audit(db)
        assert (event.action, event.actor, event.user_id) == (
            action, "admin@example.org", world.users["admin"].id), url
        assert event.ip == "127.0.0.1"


def test_deletions_are_logged_with_what_was_deleted(admin, db, world):
    assert admin.post(f"/admin/preschools/{world.school_b.id}/delete").status_code == 303
    event = last_audit(db)
    assert event.action == "preschool_deleted" and event.target == "Förskolan B"
    assert event.detail["enrolled_children"] == 40


def test_a_refused_change_leaves_no_row(admin, db, world):
    before = audit_count(db)
    assert admin.post("/admin/preschools/new", {"name": ""}).status_code == 422
    assert admin.post("/admin/users/new", {"email": world.email("planner"),
                                           "role": "planner"}).status_code == 409
    assert audit_count(db) == before


def test_logins_and_failed_logins_are_in_the_viewer(app, auth, admin, db, world):
    other = type(auth)(app.test_client())
    other.login(world.email("staff_a"), "wrong password")
    page = admin.get("/admin/audit?action=login_failed").get_data(as_text=True)
    assert "staff.a@example.org" in page and "Händelser: 1" in page


def test_the_viewer_filters_by_user_action_and_date(admin, db, world):
    db.add_all([AuditEvent(action="export", actor="planner@example.org",
                           detail={"rows": 12, "filters": {"campaign": "Hösten"}}),
                AuditEvent(action="export", actor="other@example.org"),
                AuditEvent(action="user_created", actor="admin@example.org")])
    db.commit()
    page = admin.get("/admin/audit?user=planner&action=export").get_data(as_text=True)
    assert "planner@example.org" in page and "other@example.org" not in page
    assert "<dt>Rader</dt><dd>12</dd>" in page
    assert "other@example.org" not in admin.get(
        "/admin/audit?user=planner&action=export&from=2000-01-01&to=2100-01-01"
    ).get_data(as_text=True)
    assert "planner@example.org" not in admin.get(
        "/admin/audit?action=export&to=2000-01-01").get_data(as_text=True)
    # Wildcards typed by the admin are literal, and a bad date is ignored.
    assert admin.get("/admin/audit?user=%25&from=notadate").status_code == 200


def test_the_viewer_pages(admin, db, world):
    db.add_all(AuditEvent(action="bulk", actor=f"u{i}@example.org") for i in range(120))
    db.commit()
    first = admin.get("/admin/audit?action=bulk").get_data(as_text=True)
    assert "u119@example.org" in first and "u0@example.org" not in first
    third = admin.get("/admin/audit?action=bulk&page=3").get_data(as_text=True)
    assert "u0@example.org" in third and 'rel="next"' not in third


def test_the_csv_download_is_itself_logged(admin, db, world):
    db.add(AuditEvent(action="export", actor="=cmd@example.org", detail={"rows": 3}))
    db.commit()
    response = admin.get("/admin/audit.csv?action=export")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert "'=cmd@example.org" in body  # no spreadsheet formula
    event = last_audit(db)
    assert event.action == "audit_exported"
    assert event.detail == {"filters": {"action": "export"}, "rows": 1}


def test_no_route_edits_or_deletes_audit_rows(app):
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule or "audit" in rule.endpoint:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule


def test_the_database_refuses_update_and_delete(db, world):
    db.add(AuditEvent(action="login", actor="x@example.org"))
    db.commit()
    with pytest.raises(Exception, match="append-only"):
        db.execute(text("UPDATE audit_event SET actor = 'someone else'"))
    db.rollback()
    with pytest.raises(Exception, match="append-only"):
        db.execute(text("DELETE FROM audit_event"))
    db.rollback()
    assert db.scalar(select(AuditEvent.actor)) == "x@example.org"


def test_the_orm_cannot_change_a_row_either(db, world):
    db.add(AuditEvent(action="login", actor="x@example.org"))
    db.commit()
    event = db.scalar(select(AuditEvent))
    event.actor = "changed"
    with pytest.raises(Exception, match="append-only"):
        db.commit()
    db.rollback()


def test_an_audit_row_names_the_changed_fields(admin, db, world):
    admin.post(f"/admin/campaigns/{world.campaign.id}", {
        "name": "Hösten 2026", "starts_on": "2026-09-01", "ends_on": "2026-11-30"})
    event = last_audit(db)
    assert event.detail == {"ends_on": [None, "2026-11-30"]}
    assert json.dumps(event.detail)  # plain JSON



@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_every_export_leaves_exactly_one_row_that_the_viewer_shows(admin, client, auth, db,
                                                                   world, fmt):
    session = factories.mapping_session(db, world.campaign, world.school_a)
    factories.place(db, session)
    factories.place(db, session)
    db.commit()
    planner = client.application.test_client()
    type(auth)(planner).login(world.email("planner"))
    before = audit_count(db, "export")
    response = planner.get(f"/export/places.{fmt}?campaign={world.campaign.name}")
    assert response.status_code == 200
    response.get_data()  # the whole download
    assert audit_count(db, "export") == before + 1
    event = last_audit(db)
    assert event.actor == "planner@example.org" and event.detail["filters"]
    page = admin.get("/admin/audit?action=export&user=planner").get_data(as_text=True)
    assert "planner@example.org" in page and f"places.{fmt}" in page


def test_the_viewer_names_actions_in_the_users_language(admin, db, world):
    db.add(AuditEvent(action="user_created", actor="admin@example.org"))
    db.add(AuditEvent(action="something_new", actor="admin@example.org"))
    db.commit()
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "Användare inbjuden" in page and "<code class=\"breakable\">user_created</code>" in page
    assert "something_new" in page  # an unknown code is shown as it is


def test_only_the_retention_purge_deletes_audit_rows_in_the_code():
    import re

    from smultron import ROOT

    writers = set()
    for path in (ROOT / "smultron").rglob("*.py"):
        source = path.read_text()
        if re.search(r"(delete|update)\(\s*AuditEvent|audit_purge|(DELETE FROM|UPDATE) audit_event",
                     source):
            writers.add(path.relative_to(ROOT).as_posix())
    assert writers == {"smultron/retention/__init__.py"}
