"""Accounts: invitations and resets through one-time links (once, then expired),
roles and preschool scoping, deactivation, API tokens, the public pages."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from smultron.models import ApiToken, OneTimeLink, User
from tests import factories
from tests.admin_helpers import PASSWORD, AdminClient, audit_count, last_audit, one_time_link

NEW_PASSWORD = "a long new password"


@pytest.fixture
def admin(client, auth, world):
    return AdminClient(client, auth, world.email("admin"))


def invite(admin, world, email="new.staff@example.org", school=None):
    response = admin.post("/admin/users/new", {
        "email": email, "role": "staff", "preschools": [str((school or world.school_a).id)]})
    assert response.status_code == 201
    return one_time_link(response.get_data(as_text=True)).split("localhost", 1)[1]


def set_password(client, path, password=NEW_PASSWORD, repeat=None):
    page = client.get(path)
    if page.status_code != 200:
        return page
    return client.post(path, data={"password": password, "password_repeat": repeat or password,
                                   "csrf_token": factories.csrf_from(page.get_data(as_text=True))})


def test_an_invitation_link_works_once_and_then_expires(app, admin, db, world):
    path = invite(admin, world)
    assert path.startswith("/set-password/smt_")
    anonymous = app.test_client()
    assert set_password(anonymous, path).status_code == 303
    assert anonymous.get(path).status_code == 410
    page = anonymous.get("/login")
    again = anonymous.post(path, data={"password": "another password!", "password_repeat":
                                       "another password!",
                                       "csrf_token": factories.csrf_from(page.get_data(
                                           as_text=True))})
    assert again.status_code == 410
    user = db.scalar(select(User).where(User.email == "new.staff@example.org"))
    assert [p.name for p in user.preschools] == ["Förskolan A"]
    link = db.scalar(select(OneTimeLink).where(OneTimeLink.user_id == user.id))
    assert link.used_at is not None and len(link.token_hash) == 64
    assert path.rsplit("/", 1)[1] not in link.token_hash  # only the hash is stored


def test_the_invited_user_logs_in_with_the_new_password(client, auth, admin, world):
    path = invite(admin, world)
    auth.logout()
    assert set_password(client, path).status_code == 303
    response = auth.login("new.staff@example.org", NEW_PASSWORD)
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert "Förskolan A" in page and "Förskolan B" not in page


def test_an_expired_link_does_not_work(admin, app, db, world):
    path = invite(admin, world)
    db.execute(update(OneTimeLink).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    db.commit()
    assert app.test_client().get(path).status_code == 410


def test_a_new_link_replaces_the_unused_older_one(admin, app, db, world):
    first = invite(admin, world)
    user = db.scalar(select(User).where(User.email == "new.staff@example.org"))
    response = admin.post(f"/admin/users/{user.id}/link", {"purpose": "invite"})
    second = one_time_link(response.get_data(as_text=True)).split("localhost", 1)[1]
    fresh = app.test_client()
    assert fresh.get(first).status_code == 410
    assert fresh.get(second).status_code == 200


def test_passwords_must_match_and_be_long_enough(admin, app, world):
    path = invite(admin, world)
    anonymous = app.test_client()
    assert set_password(anonymous, path, "short", "short").status_code == 422
    assert set_password(anonymous, path, NEW_PASSWORD, "something else").status_code == 422
    assert set_password(anonymous, path).status_code == 303  # still usable after mistakes


def test_a_reset_link_changes_the_password_and_ends_sessions(admin, app, auth, client, db,
                                                             world):
    staff = world.users["staff_b"]
    other = app.test_client()
    other_auth = type(auth)(other)
    other_auth.login(staff.email)
    assert other.get("/home").status_code == 200
    response = admin.post(f"/admin/users/{staff.id}/link", {"purpose": "reset"})
    path = one_time_link(response.get_data(as_text=True)).split("localhost", 1)[1]
    assert set_password(app.test_client(), path).status_code == 303
    assert other.get("/home").status_code == 302  # the old session is over
    assert other_auth.login(staff.email, PASSWORD).status_code == 401
    assert other_auth.login(staff.email, NEW_PASSWORD).status_code == 302


def test_staff_need_a_preschool_and_emails_are_unique(admin, world):
    response = admin.post("/admin/users/new", {"email": "x@example.org", "role": "staff"})
    assert response.status_code == 422
    response = admin.post("/admin/users/new", {"email": world.email("planner"),
                                               "role": "planner"})
    assert response.status_code == 409
    response = admin.post("/admin/users/new", {"email": "not an address", "role": "planner"})
    assert response.status_code == 422


def test_a_role_change_is_saved_logged_and_ends_the_users_sessions(admin, app, auth, db,
                                                                   world):
    staff = world.users["staff_a"]
    other = app.test_client()
    type(auth)(other).login(staff.email)
    response = admin.post(f"/admin/users/{staff.id}", {
        "role": "staff", "preschools": [str(world.school_a.id), str(world.school_b.id)]})
    assert response.status_code == 303
    db.expire_all()
    assert sorted(p.name for p in db.get(User, staff.id).preschools) == [
        "Förskolan A", "Förskolan B"]
    event = last_audit(db)
    assert event.action == "user_updated" and event.target == staff.email
    assert event.detail == {"preschools": [["Förskolan A"], ["Förskolan A", "Förskolan B"]]}
    assert other.get("/home").status_code == 302


def test_a_deactivated_user_cannot_log_in_or_use_tokens(admin, app, auth, db, world):
    from smultron import accounts

    planner = world.users["planner"]
    token = accounts.create_token(db, planner, "QGIS")
    db.commit()
    assert admin.post(f"/admin/users/{planner.id}/deactivate").status_code == 303
    assert type(auth)(app.test_client()).login(planner.email).status_code == 401
    response = app.test_client().get("/account/tokens",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (302, 401)
    assert admin.post(f"/admin/users/{planner.id}/reactivate").status_code == 303
    assert type(auth)(app.test_client()).login(planner.email).status_code == 302


def test_an_admin_cannot_lock_themselves_out(admin, db, world):
    me = world.users["admin"]
    assert admin.post(f"/admin/users/{me.id}/deactivate").status_code == 409
    assert admin.post(f"/admin/users/{me.id}", {"role": "planner"}).status_code == 409
    db.expire_all()
    assert db.get(User, me.id).role == "admin" and db.get(User, me.id).active


def test_the_user_list_shows_invited_and_deactivated_accounts(admin, db, world):
    invite(admin, world)
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "new.staff@example.org" in page and "staff.a@example.org" in page


# -- API tokens ---------------------------------------------------------------------------

def test_a_planner_creates_uses_and_revokes_a_token(client, auth, db, world):
    auth.login(world.email("planner"))
    csrf = auth.csrf_token()
    response = client.post("/account/tokens", data={"name": "QGIS laptop", "csrf_token": csrf})
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    plain = factories.re.search(r'id="new-token"[^>]*value="([^"]+)"', page).group(1)
    assert plain.startswith("smt_")
    assert plain not in client.get("/account/tokens").get_data(as_text=True)  # shown once
    anonymous = client.application.test_client()
    assert anonymous.get("/account/tokens", headers={
        "Authorization": f"Bearer {plain}"}).status_code == 200
    row = db.scalar(select(ApiToken).where(ApiToken.name == "QGIS laptop"))
    assert row.last_used_at is not None
    assert client.post(f"/account/tokens/{row.id}/revoke",
                       data={"csrf_token": csrf}).status_code == 303
    assert anonymous.get("/account/tokens", headers={
        "Authorization": f"Bearer {plain}"}).status_code in (302, 401)
    assert audit_count(db, "token_created") == 1 and audit_count(db, "token_revoked") == 1


def test_nobody_revokes_someone_elses_token(client, auth, db, world):
    from smultron import accounts

    accounts.create_token(db, world.users["planner"], "theirs")
    db.commit()
    row = db.scalar(select(ApiToken).where(ApiToken.name == "theirs"))
    auth.login(world.email("staff_a"))
    response = client.post(f"/account/tokens/{row.id}/revoke",
                           data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 404
    db.expire_all()
    assert db.get(ApiToken, row.id).revoked_at is None


def test_a_token_needs_a_name(client, auth, world):
    auth.login(world.email("planner"))
    response = client.post("/account/tokens", data={"name": " ", "csrf_token": auth.csrf_token()})
    assert response.status_code == 422


# -- public pages -------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/about", "/accessibility", "/privacy"])
def test_the_public_pages_need_no_login_in_both_languages(client, world, path):
    swedish = client.get(path)
    assert swedish.status_code == 200
    english = client.get(f"{path}?lang=en")
    assert english.status_code == 200
    assert swedish.get_data(as_text=True) != english.get_data(as_text=True)
    footer = swedish.get_data(as_text=True)
    assert 'href="/accessibility"' in footer and 'href="/privacy"' in footer


def test_the_privacy_notice_shows_the_configured_periods(admin, client, world):
    admin.post("/admin/retention", {"comment_months": "7", "deleted_place_days": "11",
                                    "photo_months": "9", "audit_months": "13"})
    page = client.get("/privacy?lang=en").get_data(as_text=True)
    assert "older than 7 months" in page
    assert "after 11 days" in page and "after 13 months" in page
    assert "Kiruna municipality" in page


def test_the_accessibility_statement_has_a_feedback_link(admin, client, world):
    admin.post("/admin/pages/site", {"organisation": "Kiruna kommun",
                                     "feedback_email": "tillganglighet@kiruna.se"})
    page = client.get("/accessibility").get_data(as_text=True)
    assert 'href="mailto:tillganglighet@kiruna.se?subject=' in page
    assert "Kiruna kommun står bakom Smultron" in page
    assert "digg.se" in page


def test_an_edited_page_text_is_shown_escaped_and_can_be_reset(admin, client, db, world):
    response = admin.post("/admin/pages/about/en", {
        "text": "## Hello\n<script>alert(1)</script> see [us](https://kiruna.se)\n\n- one\n- two"})
    assert response.status_code == 303
    page = client.get("/about?lang=en").get_data(as_text=True)
    assert "<h2>Hello</h2>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert '<a href="https://kiruna.se">us</a>' in page and "<li>two</li>" in page
    assert last_audit(db).action == "page_text_changed"
    assert admin.post("/admin/pages/about/en/reset").status_code == 303
    assert "Hello" not in client.get("/about?lang=en").get_data(as_text=True)


def test_javascript_links_are_not_rendered_as_links(admin, client, world):
    admin.post("/admin/pages/about/en", {"text": "[click](javascript:alert(1))"})
    page = client.get("/about?lang=en").get_data(as_text=True)
    assert 'href="javascript' not in page


def test_an_unknown_page_is_not_found(admin):
    assert admin.get("/admin/pages/nothing/sv").status_code == 404
    assert admin.get("/admin/pages/about/de").status_code == 404


def test_without_smtp_there_is_no_e_mail_choice(admin):
    assert 'name="send_email"' not in admin.get("/admin/users/new").get_data(as_text=True)


def test_a_deactivated_account_can_be_erased_and_its_places_stay(admin, app, auth, db, world):
    from smultron import accounts
    from smultron.feedback import notices
    from smultron.models import AnswersSeen, Place

    staff = world.users["staff_b"]
    session = factories.mapping_session(db, world.campaign, world.school_b, user=staff)
    place = factories.place(db, session, author_id=staff.id)
    accounts.create_token(db, staff, "tablet")
    notices.mark_seen(db, staff.id, world.school_b.id)  # opened the answers page once
    db.commit()
    assert admin.post(f"/admin/users/{staff.id}/erase").status_code == 409  # still active
    admin.post(f"/admin/users/{staff.id}/deactivate")
    assert admin.post(f"/admin/users/{staff.id}/erase").status_code == 303
    db.expire_all()
    erased = db.get(User, staff.id)
    assert erased.email == f"erased-{staff.id}@invalid" and erased.password_hash is None
    assert erased.preschools == []
    assert db.scalar(select(ApiToken).where(ApiToken.user_id == staff.id)) is None
    assert db.scalar(select(AnswersSeen).where(AnswersSeen.user_id == staff.id)) is None
    assert db.get(Place, place.id).author_id == staff.id
    event = last_audit(db)
    assert event.action == "user_erased" and "staff.b" not in str(event.target)
    assert type(auth)(app.test_client()).login("staff.b@example.org").status_code == 401
    me = world.users["admin"]
    assert admin.post(f"/admin/users/{me.id}/erase").status_code == 409


def test_a_user_changes_their_own_password(app, client, auth, db, world):
    other = app.test_client()
    type(auth)(other).login(world.email("official"))
    auth.login(world.email("official"))
    csrf = auth.csrf_token()
    wrong = client.post("/account/password", data={
        "current_password": "not it", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD,
        "csrf_token": csrf})
    assert wrong.status_code == 403
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD,
        "csrf_token": csrf})
    assert response.status_code == 303
    assert client.get("/account").status_code == 200  # this browser stays logged in
    assert other.get("/account").status_code == 302  # the other session is over
    assert type(auth)(app.test_client()).login(world.email("official"),
                                               NEW_PASSWORD).status_code == 302
    assert last_audit(db).action in ("password_changed", "login")
    assert audit_count(db, "password_changed") == 1


def test_stray_braces_and_unknown_names_in_a_page_text_stay_as_typed(admin, client, world):
    admin.post("/admin/pages/about/en", {"text": "a { b } {nothing} {audit_months} {0} }{"})
    page = client.get("/about?lang=en")
    assert page.status_code == 200
    assert "a { b } {nothing} 24 {0} }{" in page.get_data(as_text=True)


def test_the_cli_invites_and_prints_a_working_link(app, database_url, monkeypatch, db, world):
    from click.testing import CliRunner

    from smultron.cli import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    runner = CliRunner()
    result = runner.invoke(main, ["user", "invite", "cli.staff@example.org", "--role", "staff",
                                  "--preschool", "Förskolan A",
                                  "--base-url", "https://smultron.kommun.se/"])
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("https://smultron.kommun.se/set-password/smt_")
    path = link.split("kommun.se", 1)[1]
    assert set_password(app.test_client(), path).status_code == 303
    bad = runner.invoke(main, ["user", "invite", "x@example.org", "--role", "staff"])
    assert bad.exit_code == 1 and "at least one preschool" in bad.output
    reset = runner.invoke(main, ["user", "reset-link", "cli.staff@example.org"])
    assert reset.exit_code == 0 and "/set-password/smt_" in reset.output
    assert audit_count(db, "user_created") == 1 and audit_count(db, "link_issued") == 1
