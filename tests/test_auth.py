"""Login security: CSRF, cookie flags, session rotation, rate limit, tokens, audit."""

import base64

import pytest
from sqlalchemy import select

from smultron import accounts, create_app
from smultron.core.config import ConfigError
from smultron.models import AuditEvent, User
from tests import factories
from tests.conftest import HttpsClient, app_config


def _session_cookie(client):
    cookie = client.get_cookie("smultron_session")
    return cookie.value if cookie else None


def test_session_cookie_is_secure_httponly_samesite(client, auth, world):
    response = auth.login(world.email("staff_a"))
    header = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("smultron_session="))
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header


def test_login_without_csrf_token_is_refused(client, world):
    response = client.post("/login", data={"email": world.email("staff_a"),
                                           "password": factories.PASSWORD})
    assert response.status_code == 400
    assert client.get("/home").status_code == 302


def test_login_starts_a_new_session(client, auth, world):
    client.get("/login")
    before = _session_cookie(client)
    auth.login(world.email("staff_a"))
    after = _session_cookie(client)
    assert before and after and before != after


def test_logout_invalidates_every_copy_of_the_session_cookie(app, client, auth, world):
    auth.login(world.email("staff_a"))
    stolen = _session_cookie(client)
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("smultron_session", stolen, domain="localhost")
    assert thief.get("/home", base_url="https://localhost").status_code == 302


def test_wrong_password_is_audited_and_refused(client, auth, world, db):
    response = auth.login(world.email("staff_a"), "not the password")
    assert response.status_code == 401
    actions = db.scalars(select(AuditEvent.action)).all()
    assert actions == ["login_failed"]
    auth.login(world.email("staff_a"))
    assert db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all() == [
        "login_failed", "login"]


def test_deactivated_user_cannot_log_in(client, auth, world, db):
    user = db.get(User, world.users["staff_a"].id)
    user.active = False
    db.commit()
    assert auth.login(world.email("staff_a")).status_code == 401


OFF_SITE = ["//evil.example/", "/\t/evil.example/x", "/\n/evil.example", "/\r\n/evil.example",
            "/\\evil.example", "/\\/evil.example", "\\\\evil.example", "https://evil.example/",
            "http:/evil.example", "javascript:alert(1)", " //evil.example", "/\x00/evil.example",
            "/\u2028/evil.example", "/\u200b/evil.example", "evil.example", "/" + "a" * 3000]


def _short(target: str) -> str:
    return repr(target)[:30]


@pytest.mark.parametrize("target", OFF_SITE, ids=_short)
def test_login_never_redirects_off_the_site(client, world, target):
    form = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    assert 'name="next"' not in form  # not carried into the form either
    response = client.post("/login", data={
        "email": world.email("staff_a"), "password": factories.PASSWORD,
        "csrf_token": factories.csrf_from(form), "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/map"  # the role's home, not the target


@pytest.mark.parametrize("target", OFF_SITE, ids=_short)
def test_the_language_switch_never_redirects_off_the_site(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/planner/?campaign=1&preschool=2", "/map",
                                    "/reports/view?campaign=1#anonymity", "/ogc/%2F"])
def test_a_path_on_the_site_is_where_login_and_the_language_switch_go_back_to(
        client, world, target):
    assert client.get("/lang/en", query_string={"next": target}).headers["Location"] == target
    form = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    response = client.post("/login", data={
        "email": world.email("staff_a"), "password": factories.PASSWORD,
        "csrf_token": factories.csrf_from(form), "next": target})
    assert response.headers["Location"] == target


def test_login_is_rate_limited(database_url, world):
    app = create_app(app_config(database_url, RATELIMIT_ENABLED=True,
                                LOGIN_RATE_LIMIT="3 per minute"))
    app.test_client_class = HttpsClient
    client = app.test_client()
    token = factories.csrf_from(client.get("/login").get_data(as_text=True))
    statuses = [client.post("/login", data={"email": "nobody@example.org", "password": "x",
                                            "csrf_token": token}).status_code
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    app.extensions["smultron.engine"].dispose()


def _failed_logins(app, forwarded_for: str, count: int) -> list[int]:
    """``count`` wrong-password attempts by a new client that sends X-Forwarded-For."""
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    client.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"  # the proxy terminates TLS
    client.environ_base["HTTP_REFERER"] = "https://localhost/login"
    token = factories.csrf_from(client.get("/login").get_data(as_text=True))
    return [client.post("/login", data={"email": "nobody@example.org", "password": "x",
                                        "csrf_token": token}).status_code
            for _ in range(count)]


def _rate_limited_app(database_url, hops: int):
    return create_app(app_config(database_url, RATELIMIT_ENABLED=True, PROXY_HOPS=hops,
                                 LOGIN_RATE_LIMIT="2 per minute",
                                 SESSION_COOKIE_SECURE=False))


def test_behind_a_proxy_each_client_has_its_own_login_limit(database_url, world, db):
    app = _rate_limited_app(database_url, hops=1)
    try:
        assert _failed_logins(app, "203.0.113.7", 3) == [401, 401, 429]
        assert _failed_logins(app, "198.51.100.9", 2) == [401, 401]  # someone else
        # The proxy appends the address it saw: only the last hop is trusted.
        assert _failed_logins(app, "198.51.100.1, 203.0.113.7", 1) == [429]
    finally:
        app.extensions["smultron.engine"].dispose()
    ips = db.scalars(select(AuditEvent.ip).where(AuditEvent.action == "login_failed"))
    assert sorted(str(ip) for ip in ips) == ["198.51.100.9", "198.51.100.9",
                                             "203.0.113.7", "203.0.113.7"]


def test_without_proxy_hops_a_forged_forwarded_header_changes_nothing(database_url, world, db):
    app = _rate_limited_app(database_url, hops=0)
    try:
        assert _failed_logins(app, "203.0.113.7", 2) == [401, 401]
        assert _failed_logins(app, "198.51.100.9", 1) == [429]  # the same client after all
    finally:
        app.extensions["smultron.engine"].dispose()
    ips = db.scalars(select(AuditEvent.ip).where(AuditEvent.action == "login_failed"))
    assert [str(ip) for ip in ips] == ["127.0.0.1", "127.0.0.1"]


@pytest.fixture
def planner_token(db, world):
    token = accounts.create_token(db, db.get(User, world.users["planner"].id), "QGIS")
    db.commit()
    return token


def test_bearer_token_authenticates_without_csrf(app, planner_token):
    client = app.test_client()
    response = client.get("/home", headers={"Authorization": f"Bearer {planner_token}"})
    assert response.status_code == 200


def test_basic_auth_takes_email_and_token(app, world, planner_token):
    client = app.test_client()
    good = base64.b64encode(f"{world.email('planner')}:{planner_token}".encode()).decode()
    wrong = base64.b64encode(f"{world.email('admin')}:{planner_token}".encode()).decode()
    assert client.get("/home", headers={"Authorization": f"Basic {good}"}).status_code == 200
    assert client.get("/home", headers={"Authorization": f"Basic {wrong}"}).status_code == 302


def test_a_token_client_is_the_token_user_whatever_cookie_it_carries(client, auth, world,
                                                                      planner_token):
    """QGIS keeps the cookie of an HTML page it fetched; a browser may hold a staff login.
    Neither decides who a request with an Authorization header is."""
    headers = {"Authorization": f"Bearer {planner_token}"}
    assert client.get("/login").status_code == 200  # an anonymous session, CSRF token in it
    assert _session_cookie(client)
    for _ in range(2):
        assert client.get("/ogc/collections", headers=headers).status_code == 200
        assert client.get("/api/v1/categories", headers=headers).status_code == 200
    auth.login(world.email("staff_a"))
    assert client.get("/ogc/collections", headers=headers).status_code == 200
    assert client.get("/ogc/collections").status_code == 403  # the cookie: still staff
    wrong = {"Authorization": "Bearer smt_not-a-token"}
    assert client.get("/api/v1/categories", headers=wrong).status_code == 401


def test_tokens_are_stored_hashed_and_can_be_revoked(app, db, planner_token):
    from smultron.models import ApiToken

    row = db.scalar(select(ApiToken))
    assert planner_token not in (row.token_hash, row.prefix) and len(row.token_hash) == 64
    row.revoked_at = row.created_at
    db.commit()
    response = app.test_client().get(
        "/api/v1/anything", headers={"Authorization": f"Bearer {planner_token}"})
    assert response.status_code in (401, 404)
    assert app.test_client().get(
        "/home", headers={"Authorization": f"Bearer {planner_token}"}).status_code == 302


def test_credentials_in_the_query_string_are_refused(client, planner_token):
    response = client.get(f"/home?token={planner_token}")
    assert response.status_code == 400


def test_production_without_secret_names_the_variable(monkeypatch):
    monkeypatch.setenv("SMULTRON_ENV", "production")
    monkeypatch.delenv("SMULTRON_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SMULTRON_SECRET_KEY"):
        create_app()


ANONYMOUS = {"/login": 200, "/about": 200, "/healthz": 200, "/home": 302, "/": 302}


@pytest.mark.parametrize("path,status", sorted(ANONYMOUS.items()))
def test_anonymous_visitors_see_only_public_pages(client, path, status):
    assert client.get(path).status_code == status


@pytest.mark.parametrize("role", ["staff_a", "planner", "official", "admin"])
def test_every_role_reaches_home(client, auth, world, role):
    auth.login(world.email(role))
    assert client.get("/home").status_code == 200


def test_the_openapi_document_never_echoes_the_host_header(client):
    response = client.get("/api/v1/openapi.json", headers={"Host": "evil.example"})
    assert response.json["servers"] == [{"url": "/api/v1"}]
    assert "evil.example" not in response.get_data(as_text=True)


def test_the_openapi_server_is_the_configured_base_url(database_url):
    app = create_app(app_config(database_url, BASE_URL="https://smultron.kommun.se"))
    try:
        response = app.test_client().get("/api/v1/openapi.json",
                                         headers={"Host": "evil.example"})
    finally:
        app.extensions["smultron.engine"].dispose()
    assert response.json["servers"] == [{"url": "https://smultron.kommun.se/api/v1"}]


@pytest.mark.parametrize("value", ["smultron.kommun.se", "ftp://x.se", "https://x.se/?a=1"])
def test_a_base_url_that_is_not_an_address_is_refused(monkeypatch, value):
    monkeypatch.setenv("SMULTRON_BASE_URL", value)
    with pytest.raises(ConfigError, match="SMULTRON_BASE_URL"):
        create_app()
