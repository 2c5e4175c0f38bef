"""Administration through the HTTP interface: preschools, departments, import,
campaigns, categories (real database, real forms with CSRF)."""

import json

import pytest
from shapely.geometry import Point, shape
from sqlalchemy import func, select

from smultron.core.geo import from_db
from smultron.models import METRIC_SRID, Campaign, Category, Department, Preschool
from tests import factories
from tests.admin_helpers import AdminClient, last_audit

LON, LAT = 20.25, 67.86
SQUARE = {"type": "Polygon", "coordinates": [[
    [20.24, 67.855], [20.26, 67.855], [20.26, 67.865], [20.24, 67.865], [20.24, 67.855]]]}


@pytest.fixture
def admin(client, auth, world):
    return AdminClient(client, auth, world.email("admin"))


def gone(db, model, ident) -> bool:
    db.expire_all()
    return db.scalar(select(model.id).where(model.id == ident)) is None


def preschool_named(db, name):
    db.expire_all()
    return db.scalar(select(Preschool).where(Preschool.name == name))


def area_km2(db, preschool):
    return db.scalar(select(func.ST_Area(func.ST_Transform(Preschool.neighbourhood, METRIC_SRID)))
                     .where(Preschool.id == preschool.id)) / 1e6


def test_a_new_preschool_gets_a_1_km_neighbourhood_by_default(admin, db):
    response = admin.post("/admin/preschools/new", {
        "name": "Förskolan Norrsken", "lon": str(LON), "lat": str(LAT), "radius": "",
        "enrolled_children": "42", "unit_code": "12345678", "departments": "Lingon; Hjortron"})
    assert response.status_code == 303
    preschool = preschool_named(db, "Förskolan Norrsken")
    assert preschool.enrolled_children == 42
    assert 3.10 < area_km2(db, preschool) < 3.15  # π km², measured in SWEREF 99 TM
    assert from_db(preschool.neighbourhood).contains(from_db(preschool.location))
    assert sorted(d.name for d in preschool.departments) == ["Hjortron", "Lingon"]
    event = last_audit(db)
    assert (event.action, event.target, event.actor) == (
        "preschool_created", "Förskolan Norrsken", "admin@example.org")


def test_a_drawn_neighbourhood_is_stored_as_drawn(admin, db):
    response = admin.post("/admin/preschools/new", {
        "name": "Ritad", "lon": str(LON), "lat": str(LAT), "neighbourhood": json.dumps(SQUARE)})
    assert response.status_code == 303
    stored = from_db(preschool_named(db, "Ritad").neighbourhood)
    assert stored.equals(shape(SQUARE))


def test_every_problem_is_listed_and_nothing_is_saved(admin, db):
    bow_tie = {"type": "Polygon", "coordinates": [[
        [20.24, 67.85], [20.26, 67.87], [20.26, 67.85], [20.24, 67.87], [20.24, 67.85]]]}
    response = admin.post("/admin/preschools/new", {
        "name": "", "lon": "200", "lat": "abc", "enrolled_children": "-1",
        "neighbourhood": json.dumps(bow_tie)}, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#field-name"' in page and 'href="#field-lon"' in page
    assert 'href="#field-lat"' in page and 'href="#field-enrolled_children"' in page
    assert 'href="#field-neighbourhood"' in page
    assert db.scalar(select(func.count(Preschool.id))) == 2


def test_the_messages_are_in_swedish_by_default(admin):
    response = admin.post("/admin/preschools/new", {"name": "", "lon": "20", "lat": "67.8"})
    assert response.status_code == 422
    assert "Namnet saknas" in response.get_data(as_text=True)


def test_a_neighbourhood_must_contain_the_preschool(admin, db):
    response = admin.post("/admin/preschools/new", {
        "name": "Utanför", "lon": "20.30", "lat": "67.80", "neighbourhood": json.dumps(SQUARE)})
    assert response.status_code == 422
    assert preschool_named(db, "Utanför") is None


def test_a_preschool_outside_the_municipality_is_refused(admin, db):
    response = admin.post("/admin/preschools/new", {"name": "Stockholm", "lon": "18.07",
                                                    "lat": "59.33"})
    assert response.status_code == 422
    assert "Kiruna" in response.get_data(as_text=True)


def test_two_preschools_cannot_share_a_name(admin, world):
    response = admin.post("/admin/preschools/new", {"name": "Förskolan A", "lon": str(LON),
                                                    "lat": str(LAT)})
    assert response.status_code == 409


def test_editing_a_preschool_keeps_its_drawn_neighbourhood_and_logs_the_change(admin, db,
                                                                               world):
    school = world.school_a
    page = admin.get(f"/admin/preschools/{school.id}").get_data(as_text=True)
    assert "Förskolan A" in page and 'id="preschool-map"' in page
    before = from_db(school.neighbourhood)
    response = admin.post(f"/admin/preschools/{school.id}", {
        "name": "Förskolan A", "lon": "20.2253", "lat": "67.8558", "enrolled_children": "55",
        "neighbourhood": json.dumps(json.loads(json.dumps(before.__geo_interface__)))})
    assert response.status_code == 303
    db.expire_all()
    school = db.get(Preschool, school.id)
    assert school.enrolled_children == 55
    assert from_db(school.neighbourhood).equals_exact(before, 1e-9)
    event = last_audit(db)
    assert event.action == "preschool_updated"
    assert event.detail == {"enrolled_children": [40, 55]}


def test_a_preschool_with_places_is_archived_never_deleted(admin, db, world):
    session = factories.mapping_session(db, world.campaign, world.school_a)
    factories.place(db, session)
    db.commit()
    response = admin.post(f"/admin/preschools/{world.school_a.id}/delete")
    assert response.status_code == 409
    assert db.get(Preschool, world.school_a.id) is not None
    assert admin.post(f"/admin/preschools/{world.school_a.id}/archive").status_code == 303
    db.expire_all()
    assert db.get(Preschool, world.school_a.id).archived_at is not None
    admin.get("/admin/preschools")  # shows the flash message
    assert ">Förskolan A</a>" not in admin.get("/admin/preschools").get_data(as_text=True)
    assert ">Förskolan A</a>" in admin.get("/admin/preschools?archived=1").get_data(as_text=True)
    assert admin.post(f"/admin/preschools/{world.school_a.id}/restore").status_code == 303
    db.expire_all()
    assert db.get(Preschool, world.school_a.id).archived_at is None


def test_a_preschool_without_places_can_be_deleted(admin, db, world):
    assert admin.post(f"/admin/preschools/{world.school_b.id}/delete").status_code == 303
    assert gone(db, Preschool, world.school_b.id)
    assert last_audit(db).action == "preschool_deleted"


def test_departments_are_added_renamed_and_deleted(admin, db, world):
    url = f"/admin/preschools/{world.school_a.id}/departments"
    assert admin.post(url, {"department": "Smultron"}).status_code == 303
    assert admin.post(url, {"department": "Smultron"}).status_code == 409
    department = db.scalar(select(Department).where(Department.name == "Smultron"))
    assert admin.post(f"{url}/{department.id}/rename", {"department": "Jordgubbe"}
                      ).status_code == 303
    db.expire_all()
    assert db.get(Department, department.id).name == "Jordgubbe"
    assert admin.post(f"{url}/{department.id}/delete").status_code == 303
    assert gone(db, Department, department.id)


def test_a_department_with_sessions_is_not_deleted(admin, db, world):
    department = world.school_a.departments[0]
    session = factories.mapping_session(db, world.campaign, world.school_a)
    session.department_id = department.id
    db.commit()
    url = f"/admin/preschools/{world.school_a.id}/departments/{department.id}/delete"
    assert admin.post(url).status_code == 409
    db.expire_all()
    assert db.get(Department, department.id) is not None


def test_a_department_of_another_preschool_is_not_found(admin, world):
    department = world.school_b.departments[0]
    url = f"/admin/preschools/{world.school_a.id}/departments/{department.id}/delete"
    assert admin.post(url).status_code == 404


def test_the_importer_works_from_the_browser(admin, db):
    csv = "name,lon,lat,unit_code,enrolled_children,departments\n" \
          "Förskolan Tallen,20.21,67.85,T1,30,Kotten;Barret\n"
    response = admin.post("/admin/preschools/import", {
        "file": (__import__("io").BytesIO(csv.encode()), "forskolor.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    assert preschool_named(db, "Förskolan Tallen").enrolled_children == 30
    assert last_audit(db).action == "preschools_imported"


def test_a_bad_import_lists_every_row_and_imports_nothing(admin, db):
    csv = "name,lon,lat,enrolled_children\nGod,20.21,67.85,10\n,20.2,67.8,3\nFel,abc,67.8,-2\n"
    response = admin.post("/admin/preschools/import", {
        "file": (__import__("io").BytesIO(csv.encode()), "forskolor.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ingenting importerades. Problem i forskolor.csv: 3" in page
    assert "Rad 3: Namnet saknas" in page
    assert "Rad 4: Longituden måste vara ett tal" in page
    assert "Rad 4: Inskrivna barn måste vara mellan 0 och 100000" in page
    assert preschool_named(db, "God") is None


def test_a_campaign_is_created_closed_and_opened(admin, db, world):
    response = admin.post("/admin/campaigns/new", {
        "name": "Våren 2027", "starts_on": "2027-03-01", "ends_on": "2027-05-31",
        "preschools": [str(world.school_a.id)]})
    assert response.status_code == 303
    campaign = db.scalar(select(Campaign).where(Campaign.name == "Våren 2027"))
    assert campaign.status == "open"
    assert [p.name for p in campaign.preschools] == ["Förskolan A"]
    assert admin.post(f"/admin/campaigns/{campaign.id}/close").status_code == 303
    db.expire_all()
    assert db.get(Campaign, campaign.id).status == "closed"
    assert last_audit(db).action == "campaign_closed"
    assert admin.post(f"/admin/campaigns/{campaign.id}/open").status_code == 303
    db.expire_all()
    assert db.get(Campaign, campaign.id).status == "open"


def test_closing_a_campaign_keeps_its_places(admin, db, world):
    session = factories.mapping_session(db, world.campaign, world.school_a)
    place = factories.place(db, session)
    db.commit()
    admin.post(f"/admin/campaigns/{world.campaign.id}/close")
    db.expire_all()
    assert db.get(type(place), place.id) is not None


def test_a_campaign_must_end_after_it_starts(admin, db):
    response = admin.post("/admin/campaigns/new", {
        "name": "Baklänges", "starts_on": "2027-03-01", "ends_on": "2027-01-01"})
    assert response.status_code == 422
    assert db.scalar(select(Campaign).where(Campaign.name == "Baklänges")) is None


def test_campaign_edit_page_lists_all_preschools_when_none_is_chosen(admin, world):
    page = admin.get(f"/admin/campaigns/{world.campaign.id}").get_data(as_text=True)
    assert "Förskolan A" in page and "Förskolan B" in page


def test_categories_are_edited_hidden_and_deleted_only_when_unused(admin, db, world):
    response = admin.post("/admin/categories/new", {
        "code": "playground", "label_sv": "Lekplats", "label_en": "Playground",
        "pictogram": "play", "colour": "#AA3300", "sort_order": "5"})
    assert response.status_code == 303
    category = db.scalar(select(Category).where(Category.code == "playground"))
    assert category.colour == "#aa3300"
    response = admin.post(f"/admin/categories/{category.id}", {
        "label_sv": "Lekplatsen", "label_en": "Playground", "pictogram": "play",
        "colour": "#aa3300", "sort_order": "5", "hidden": "on"})
    assert response.status_code == 303
    db.expire_all()
    assert db.get(Category, category.id).hidden is True
    assert db.get(Category, category.id).label_sv == "Lekplatsen"
    assert admin.post(f"/admin/categories/{category.id}/delete").status_code == 303
    assert gone(db, Category, category.id)


def test_a_category_in_use_is_never_deleted(admin, db, world):
    session = factories.mapping_session(db, world.campaign, world.school_a)
    place = factories.place(db, session, category_code="water")
    place.deleted_at = func.now()  # even a deleted place keeps its category
    db.commit()
    water = factories.category(db, "water")
    response = admin.post(f"/admin/categories/{water.id}/delete")
    assert response.status_code == 409
    db.expire_all()
    assert db.get(Category, water.id) is not None


def test_a_bad_colour_is_refused(admin, db):
    response = admin.post("/admin/categories/new", {
        "code": "x", "label_sv": "X", "label_en": "X", "pictogram": "play",
        "colour": "red", "sort_order": "1"})
    assert response.status_code == 422


def test_categories_move_up_and_down(admin, db):
    rows = db.scalars(select(Category).order_by(Category.sort_order)).all()
    second = rows[1]
    assert admin.post(f"/admin/categories/{second.id}/move", {"direction": "up"}
                      ).status_code == 303
    db.expire_all()
    assert db.scalars(select(Category).order_by(Category.sort_order)).first().id == second.id


def test_a_municipality_can_be_added(admin, db):
    assert admin.post("/admin/municipalities", {"code": "2583", "name": "Gällivare"}
                      ).status_code == 303
    assert admin.post("/admin/municipalities", {"code": "2583", "name": "Gällivare"}
                      ).status_code == 409


def test_admin_pages_do_not_reveal_point_coordinates_of_other_tables(admin, world):
    # A sanity check that the edit page holds the point the map starts from.
    page = admin.get(f"/admin/preschools/{world.school_a.id}").get_data(as_text=True)
    assert "20.225300" in page and "67.855800" in page
    assert Point(20.2253, 67.8558)


def test_what_the_admin_closes_or_hides_the_places_api_refuses(admin, client, db, world):
    from smultron import accounts
    from tests.place_data import feature

    session = factories.mapping_session(db, world.campaign, world.school_a,
                                        user=world.users["staff_a"])
    token = accounts.create_token(db, world.users["staff_a"], "tablet")
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    tablet = client.application.test_client()
    assert tablet.post("/api/v1/places", json=feature(session.id),
                       headers=headers).status_code == 201
    snow = factories.category(db, "snow")
    admin.post(f"/admin/categories/{snow.id}", {
        "label_sv": snow.label_sv, "label_en": snow.label_en, "pictogram": snow.pictogram,
        "colour": snow.colour, "sort_order": str(snow.sort_order), "hidden": "on"})
    hidden = tablet.post("/api/v1/places", json=feature(session.id, category="snow"),
                         headers=headers)
    assert hidden.status_code == 422
    assert admin.post(f"/admin/campaigns/{world.campaign.id}/close").status_code == 303
    closed = tablet.post("/api/v1/places", json=feature(session.id), headers=headers)
    assert closed.status_code in (409, 422)


def test_the_preschool_and_user_lists_can_be_searched(admin, world):
    page = admin.get("/admin/preschools?q=skolan b").get_data(as_text=True)
    assert ">Förskolan B</a>" in page and ">Förskolan A</a>" not in page
    assert ">Förskolan" not in admin.get("/admin/preschools?q=%25").get_data(as_text=True)
    users = admin.get("/admin/users?role=staff").get_data(as_text=True)
    assert "staff.a@example.org" in users and "planner@example.org" not in users
    users = admin.get("/admin/users?q=PLANNER").get_data(as_text=True)
    assert "planner@example.org" in users and "staff.a@example.org" not in users


def test_a_geojson_file_imports_from_the_browser(admin, db):
    import io

    data = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [20.23, 67.85]},
        "properties": {"name": "Förskolan Geo", "unit_code": "G1", "enrolled_children": 12,
                       "departments": "Ugglan"}}]}
    response = admin.post("/admin/preschools/import", {
        "file": (io.BytesIO(json.dumps(data).encode()), "forskolor.geojson")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    school = preschool_named(db, "Förskolan Geo")
    assert school.enrolled_children == 12 and [d.name for d in school.departments] == ["Ugglan"]


def test_a_fresh_installation_is_told_to_add_a_municipality_first(client, auth, db):
    from smultron import accounts

    accounts.create_user(db, "first@example.org", "admin", factories.PASSWORD)
    db.commit()
    admin = AdminClient(client, auth, "first@example.org")
    page = admin.get("/admin/preschools/new").get_data(as_text=True)
    assert 'class="notice"' in page
    assert admin.post("/admin/preschools/new", {"name": "X", "lon": "20", "lat": "67"}
                      ).status_code == 422
    assert admin.post("/admin/municipalities", {"code": "2584", "name": "Kiruna"}
                      ).status_code == 303
    assert admin.post("/admin/preschools/new", {"name": "X", "lon": "20", "lat": "67"}
                      ).status_code == 303


def test_the_preschool_page_lists_its_staff_and_the_audit_filters_by_target(admin, db, world):
    page = admin.get(f"/admin/preschools/{world.school_a.id}").get_data(as_text=True)
    assert "staff.a@example.org" in page and "staff.b@example.org" not in page
    admin.post(f"/admin/preschools/{world.school_b.id}/archive")
    found = admin.get("/admin/audit?target=skolan+B").get_data(as_text=True)
    assert "Förskolan B" in found and "preschool_archived" in found


def test_a_campaign_past_its_end_that_is_still_open_is_pointed_out(admin, db, world):
    from datetime import date

    world.campaign.ends_on = date(2026, 10, 31)
    db.commit()
    page = admin.get("/admin/campaigns").get_data(as_text=True)
    assert ("har slutat, fortfarande öppen" in page) == (date.today() > date(2026, 10, 31))


def test_an_archived_preschool_is_no_longer_offered_to_its_staff(admin, app, auth, db, world):
    staff = app.test_client()
    type(auth)(staff).login(world.email("staff_a"))
    assert staff.get(f"/map/preschools/{world.school_a.id}").status_code == 200
    admin.post(f"/admin/preschools/{world.school_a.id}/archive")
    assert staff.get(f"/map/preschools/{world.school_a.id}").status_code == 404
    admin.post(f"/admin/preschools/{world.school_a.id}/restore")
    assert staff.get(f"/map/preschools/{world.school_a.id}").status_code == 200


def test_the_preschools_round_trip_through_a_spreadsheet(admin, db, world):
    import io

    exported = admin.get("/admin/preschools.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    text = exported.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel reads the file as UTF-8
    assert text.lstrip("\ufeff").splitlines()[0] == \
        "name,lon,lat,unit_code,address,enrolled_children,departments"
    edited = text.replace("Förskolan A,20.225300,67.855800,,,40,Blåbär",
                          "Förskolan A,20.225300,67.855800,,,44,Blåbär;Lingon")
    assert edited != text
    check = admin.post("/admin/preschools/import", {
        "file": (io.BytesIO(edited.encode()), "edited.csv"), "check_only": "on"},
        content_type="multipart/form-data")
    assert check.status_code == 200 and 'id="check-result"' in check.get_data(as_text=True)
    db.expire_all()
    assert db.get(Preschool, world.school_a.id).enrolled_children == 40  # only checked
    response = admin.post("/admin/preschools/import", {
        "file": (io.BytesIO(edited.encode()), "edited.csv")}, content_type="multipart/form-data")
    assert response.status_code == 303
    db.expire_all()
    school = db.get(Preschool, world.school_a.id)
    assert school.enrolled_children == 44
    assert sorted(d.name for d in school.departments) == ["Blåbär", "Lingon"]
    assert db.scalar(select(func.count(Preschool.id))) == 2


def test_the_preschool_and_user_lists_are_paged(admin, db, world, monkeypatch):
    from smultron.web import admin as web_admin

    monkeypatch.setattr(web_admin, "PAGE_SIZE", 1)
    monkeypatch.setattr(web_admin.preschools, "PAGE_SIZE", 1)
    first = admin.get("/admin/preschools").get_data(as_text=True)
    assert "Förskolan A" in first and "Förskolan B" not in first and "Nästa sida" in first
    second = admin.get("/admin/preschools?page=1").get_data(as_text=True)
    assert "Förskolan B" in second and "Förskolan A" not in second
    assert "Föregående sida" in second and "Nästa sida" not in second
    monkeypatch.setattr(web_admin.users, "PAGE_SIZE", 1)
    users = admin.get("/admin/users?page=2").get_data(as_text=True)
    assert users.count("/admin/users/") >= 1 and "Sida 3" in users
