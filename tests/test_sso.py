"""Single sign-on through OpenID Connect, against a real provider process on loopback
(oidc-provider-mock) and a hostile provider of our own whose ID tokens the tests sign."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from smultron import accounts, create_app
from smultron.models import SsoAccount, User
from smultron.sso import settings as sso_settings
from tests import factories
from tests.conftest import HttpsClient, app_config
from tests.sso_helpers import (
    CLIENT_ID,
    UNIT_A,
    UNIT_B,
    HostileProvider,
    audit_events,
    authorize,
    claims,
    oidc_config,
    provider_login,
    set_user,
    user_count,
)


@pytest.fixture
def app(oidc_app):
    return oidc_app






def _logged_in_as(client) -> str | None:
    response = client.get("/home")
    if response.status_code != 200:
        return None
    return response.get_data(as_text=True)


def _choose(db, **values) -> None:
    sso_settings.save(db, {**sso_settings.DEFAULTS, **values})
    db.commit()


# -- the first login, and later ones --------------------------------------------------------

def test_first_login_creates_staff_of_the_preschool_in_the_claim(client, db, units,
                                                                 oidc_provider):
    response = provider_login(client, oidc_provider, "anna-sub",
                              claims("Anna.Berg@kiruna.se", "staff", UNIT_A))
    assert response.status_code == 302 and response.headers["Location"] == "/map"
    user = db.scalar(select(User).where(User.email == "anna.berg@kiruna.se"))
    assert user.role == "staff" and [p.name for p in user.preschools] == ["Förskolan A"]
    assert user.password_hash is None
    link = db.scalar(select(SsoAccount).where(SsoAccount.user_id == user.id))
    assert (link.protocol, link.issuer, link.subject) == ("oidc", oidc_provider, "anna-sub")
    created = audit_events(db, "sso_user_created")
    assert len(created) == 1 and created[0].detail["role"] == "staff"
    assert created[0].detail["preschools"] == ["Förskolan A"]
    assert audit_events(db, "login")[0].detail == {"via": "Kiruna kommun"}
    assert "anna.berg@kiruna.se" in _logged_in_as(client)
    assert client.get("/map", follow_redirects=True).status_code == 200


def test_the_next_address_survives_the_provider(client, units, oidc_provider):
    response = provider_login(client, oidc_provider, "anna-sub",
                              claims("anna@kiruna.se", "staff", UNIT_A), next_url="/reports")
    assert response.headers["Location"] == "/reports"
    evil = provider_login(client, oidc_provider, "anna-sub", next_url="//evil.example/")
    assert evil.headers["Location"] == "/map"


def test_a_later_login_updates_role_and_preschools_when_the_admin_chose_so(
        client, auth, db, units, oidc_provider):
    provider_login(client, oidc_provider, "anna-sub", claims("anna@kiruna.se", "staff", UNIT_A))
    auth.logout()
    # Roles kept by the admin (the default): the claims' new preschool changes nothing.
    provider_login(client, oidc_provider, "anna-sub", claims("anna@kiruna.se", "staff", UNIT_B))
    user = db.scalar(select(User).where(User.email == "anna@kiruna.se"))
    assert [p.name for p in user.preschools] == ["Förskolan A"]
    assert audit_events(db, "sso_user_updated") == []
    auth.logout()
    _choose(db, roles_from_provider=True)
    provider_login(client, oidc_provider, "anna-sub",
                   claims("anna@kiruna.se", "staff", UNIT_A, UNIT_B))
    db.expire_all()
    assert [p.name for p in user.preschools] == ["Förskolan A", "Förskolan B"]
    updated = audit_events(db, "sso_user_updated")
    assert updated[0].detail == {"preschools": [["Förskolan A"],
                                                ["Förskolan A", "Förskolan B"]]}
    auth.logout()
    provider_login(client, oidc_provider, "anna-sub", claims("anna@kiruna.se", "planner"))
    db.expire_all()
    assert user.role == "planner" and user.preschools == []
    assert db.scalar(select(func.count(SsoAccount.id))) == 1


def test_accounts_are_linked_by_subject_not_by_email(client, auth, db, units, oidc_provider):
    provider_login(client, oidc_provider, "anna-sub", claims("anna@kiruna.se", "staff", UNIT_A))
    auth.logout()
    # The same person with a new address: the same account, the address follows.
    provider_login(client, oidc_provider, "anna-sub",
                   claims("anna.lind@kiruna.se", "staff", UNIT_A))
    assert db.scalar(select(func.count(SsoAccount.id))) == 1
    assert db.scalar(select(User.email).join(SsoAccount)) == "anna.lind@kiruna.se"
    auth.logout()
    # Another subject claiming that address (or a local account's) gets nothing.
    users = user_count(db)
    taken = provider_login(client, oidc_provider, "mallory-sub",
                           claims("staff.a@example.org", "admin"))
    assert taken.status_code == 409
    assert "staff.a@example.org" in taken.get_data(as_text=True)
    assert user_count(db) == users and _logged_in_as(client) is None
    assert audit_events(db, "sso_refused")[0].detail["reason"] == "email_taken"


# -- refusals ------------------------------------------------------------------------------

def test_no_role_is_refused_with_whom_to_ask_and_nothing_is_created(client, db, units,
                                                                    oidc_provider):
    users = user_count(db)
    response = provider_login(client, oidc_provider, "nils-sub",
                              claims("nils@kiruna.se", None, UNIT_A))
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Ditt konto hos Kiruna kommun ger dig ingen roll i Smultron." in page
    assert "Fråga den som ansvarar för Smultron i din kommun" in page
    assert user_count(db) == users and db.scalar(select(func.count(SsoAccount.id))) == 0
    refused = audit_events(db, "sso_refused")
    assert refused[0].actor == "nils@kiruna.se"
    assert refused[0].detail["reason"] == "no_role"
    assert refused[0].detail["role_values"] == ["some-other-group"]
    assert _logged_in_as(client) is None


def test_the_refusal_is_in_the_users_language(client, units, oidc_provider):
    client.get("/lang/en")
    response = provider_login(client, oidc_provider, "nils-sub",
                              claims("nils@kiruna.se", None))
    assert "Your account at Kiruna kommun gives you no role in Smultron." in \
        response.get_data(as_text=True)


def test_staff_whose_unit_code_is_unknown_are_refused(client, db, units, oidc_provider):
    response = provider_login(client, oidc_provider, "nils-sub",
                              claims("nils@kiruna.se", "staff", "99999999"))
    assert response.status_code == 403
    assert audit_events(db, "sso_refused")[0].detail["unit_codes"] == ["99999999"]
    assert db.scalar(select(func.count(SsoAccount.id))) == 0


def test_a_deactivated_sso_account_cannot_log_in_through_the_provider(
        client, auth, db, units, oidc_provider):
    provider_login(client, oidc_provider, "anna-sub", claims("anna@kiruna.se", "staff", UNIT_A))
    auth.logout()
    db.scalar(select(User).where(User.email == "anna@kiruna.se")).active = False
    db.commit()
    response = provider_login(client, oidc_provider, "anna-sub")
    assert response.status_code == 403
    assert "avaktiverat" in response.get_data(as_text=True)
    assert audit_events(db, "sso_refused")[0].detail["reason"] == "deactivated"
    assert _logged_in_as(client) is None


def test_a_replayed_state_is_refused_and_audited(app, client, auth, db, units, oidc_provider):
    set_user(oidc_provider, "anna-sub", claims("anna@kiruna.se", "staff", UNIT_A))
    callback = authorize(client, "anna-sub")
    assert client.get(callback).status_code == 302
    auth.logout()
    replay = client.get(callback)
    assert replay.status_code == 400
    assert "Inloggningen har gått ut eller har redan använts." in replay.get_data(as_text=True)
    assert _logged_in_as(client) is None
    # A state this browser never got (another person's callback, or a made-up one).
    other = app.test_client()
    assert other.get(authorize(client, "anna-sub"), base_url="https://localhost") \
        .status_code == 400
    assert [e.detail["reason"] for e in audit_events(db, "sso_refused")] == ["state", "state"]


def test_the_provider_saying_no_is_refused(client, db, units, oidc_provider):
    start = client.get("/login/oidc")
    denied = requests.post(start.headers["Location"], data={"action": "deny"},
                           allow_redirects=False, timeout=10)
    path = denied.headers["Location"].split("localhost", 1)[1]
    assert client.get(path).status_code == 400
    assert audit_events(db, "sso_refused")[0].detail == {
        "via": "Kiruna kommun", "reason": "provider", "error": "access_denied"}


# -- the ID token, from a provider that signs what the test asks for ------------------------

@pytest.fixture
def hostile(database_url):
    provider = HostileProvider()
    with provider.serving():
        yield provider


@pytest.fixture
def hostile_client(database_url, hostile):
    app = create_app(app_config(database_url, **oidc_config(hostile.issuer)))
    app.test_client_class = HttpsClient
    yield app.test_client(), app.extensions["smultron.core.db"]()
    app.extensions["smultron.engine"].dispose()


BAD_TOKENS = {
    "wrong nonce": lambda provider: {"claims": {"nonce": "not-the-nonce-we-sent"}},
    "no nonce": lambda provider: {"claims": {"nonce": None}},
    "another audience": lambda provider: {"claims": {"aud": "someone-else",
                                                     "azp": CLIENT_ID}},
    "another key": lambda provider: {"key": provider.other_key()},
    "expired": lambda provider: {"claims": {"exp": 1_700_000_000, "iat": 1_699_999_000}},
    "another issuer": lambda provider: {"claims": {"iss": "https://login.example.org"}},
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_an_id_token_that_fails_a_check_is_refused_and_audited(hostile, hostile_client, units,
                                                               case):
    client, db = hostile_client
    hostile.claims = claims("anna@kiruna.se", "admin")
    hostile.token = BAD_TOKENS[case](hostile)
    response = client.get(hostile.callback_path(client))
    assert response.status_code == 400, case
    assert "kunde inte kontrolleras" in response.get_data(as_text=True)
    assert _logged_in_as(client) is None
    assert db.scalar(select(func.count(SsoAccount.id))) == 0
    refused = audit_events(db, "sso_refused")
    assert [e.detail["reason"] for e in refused] == ["id_token"], case
    db.close()


def test_the_same_provider_with_a_good_token_logs_in(hostile, hostile_client, units):
    """The control for the cases above: only the one thing they change is wrong."""
    client, db = hostile_client
    hostile.claims = claims("anna@kiruna.se", "admin")
    start = client.get("/login/oidc")
    asked = parse_qs(urlsplit(start.headers["Location"]).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["nonce"] and asked["state"]
    assert asked["scope"] == ["openid email profile"]
    response = client.get(hostile.callback_path(client))  # PKCE checked by the provider
    assert response.status_code == 302 and response.headers["Location"] == "/admin"
    assert db.scalar(select(SsoAccount.issuer)) == hostile.issuer
    db.close()


def test_a_provider_that_cannot_be_reached_gives_a_page_not_a_500(database_url, units):
    from tests.sso_helpers import free_port

    app = create_app(app_config(database_url,
                                **oidc_config(f"http://127.0.0.1:{free_port()}")))
    app.test_client_class = HttpsClient
    response = app.test_client().get("/login/oidc")
    assert response.status_code == 502
    assert "Kiruna kommun går inte att nå just nu." in response.get_data(as_text=True)
    app.extensions["smultron.engine"].dispose()


# -- logout, passwords, tokens --------------------------------------------------------------

def test_logout_ends_the_session_and_sends_the_browser_to_the_providers_logout(
        client, auth, units, oidc_provider):
    provider_login(client, oidc_provider, "anna-sub", claims("anna@kiruna.se", "staff", UNIT_A))
    response = auth.logout()
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    link = page.split('class="button primary" href="', 1)[1].split('"', 1)[0]
    url = urlsplit(link.replace("&amp;", "&"))
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{oidc_provider}/oauth2/end_session"
    asked = parse_qs(url.query)
    assert asked["post_logout_redirect_uri"] == ["https://localhost/login"]
    assert asked["client_id"] == [CLIENT_ID] and asked["id_token_hint"][0].count(".") == 2
    assert f'http-equiv="refresh" content="0;url={link}"' in page
    assert _logged_in_as(client) is None


def test_a_local_accounts_logout_stays_on_the_site(client, auth, world):
    auth.login(world.email("staff_a"))
    response = auth.logout()
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_password_login_is_refused_for_sso_accounts_when_the_admin_requires_sso(
        client, auth, db, units, oidc_provider):
    provider_login(client, oidc_provider, "anna-sub", claims("anna@kiruna.se", "staff", UNIT_A))
    auth.logout()
    user = db.scalar(select(User).where(User.email == "anna@kiruna.se"))
    accounts.set_password(user, factories.PASSWORD)  # e.g. through a reset link
    db.commit()
    assert auth.login("anna@kiruna.se").status_code == 302  # allowed by default
    auth.logout()
    _choose(db, require_sso=True)
    refused = auth.login("anna@kiruna.se")
    assert refused.status_code == 403
    assert "Ditt konto loggar in via Kiruna kommun" in refused.get_data(as_text=True)
    assert _logged_in_as(client) is None
    assert audit_events(db, "login_failed")[0].detail == {"reason": "single sign-on only"}
    # Local accounts still log in with their password.
    assert auth.login(units.email("admin")).status_code == 302


def test_without_any_oidc_setting_nothing_changes(database_url, world):
    app = create_app(app_config(database_url))
    app.test_client_class = HttpsClient
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "Logga in med" not in page and "sso-buttons" not in page
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404
    app.extensions["smultron.engine"].dispose()


def test_the_login_page_offers_the_provider_above_the_password_form(client):
    page = client.get("/login").get_data(as_text=True)
    assert page.index("Logga in med Kiruna kommun") < page.index('name="password"')
    assert 'href="/login/oidc"' in page


# -- administration ----------------------------------------------------------------------

def test_the_admin_sees_which_accounts_use_single_sign_on_and_chooses_the_rules(
        client, auth, db, units, oidc_provider):
    provider_login(client, oidc_provider, "anna-sub", claims("anna@kiruna.se", "staff", UNIT_A))
    auth.logout()
    auth.login(units.email("admin"))
    rows = client.get("/admin/users").get_data(as_text=True).split("<tr>")
    anna = next(row for row in rows if "anna@kiruna.se" in row)
    local = next(row for row in rows if "staff.a@example.org" in row)
    assert "<td>enkel inloggning</td>" in anna and "<td>lösenord</td>" in local
    user = db.scalar(select(User).where(User.email == "anna@kiruna.se"))
    assert "id där anna-sub" in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    page = client.get("/admin/sso").get_data(as_text=True)
    assert "Personalen loggar in med sina konton hos Kiruna kommun." in page
    saved = client.post("/admin/sso", data={"csrf_token": auth.csrf_token(),
                                            "require_sso": "on"})
    assert saved.status_code == 303
    assert sso_settings.read(db) == {"roles_from_provider": False, "require_sso": True}
    assert audit_events(db, "sso_settings_changed")[0].detail == {"require_sso": [False, True]}


def test_erasing_an_sso_account_removes_its_link_to_the_provider(
        client, auth, db, units, oidc_provider):
    from smultron.accounts import users as admin_users

    provider_login(client, oidc_provider, "anna-sub", claims("anna@kiruna.se", "staff", UNIT_A))
    auth.logout()
    user = db.scalar(select(User).where(User.email == "anna@kiruna.se"))
    admin = db.get(User, units.users["admin"].id)
    admin_users.set_active(db, user, False, admin)
    admin_users.erase(db, user, admin)
    db.commit()
    assert db.scalar(select(func.count(SsoAccount.id))) == 0
    # Back again later: a new account, nothing of the erased one.
    provider_login(client, oidc_provider, "anna-sub")
    db.expire_all()
    again = db.scalar(select(User).join(SsoAccount))
    assert again.id != user.id and again.email == "anna@kiruna.se"
