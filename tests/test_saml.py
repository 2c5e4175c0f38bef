"""Single sign-on through SAML 2.0, against a real identity provider process on loopback
(tests/saml_idp.py, pysaml2's IdP): the SP metadata, the first login, refusals, and
responses that are replayed, for another audience, unsigned or wrongly signed."""

import base64
from datetime import timedelta

import pytest
import requests
from defusedxml import ElementTree
from saml2.xml import schema
from sqlalchemy import func, select, update

from smultron import create_app
from smultron.core.config import ConfigError
from smultron.models import SamlRequest, SsoAccount, User
from smultron.web.sso import saml as saml_web
from tests.conftest import HttpsClient, app_config
from tests.saml_helpers import (
    SP_ENTITY_ID,
    attributes,
    idp_response,
    next_response,
    saml_config,
    saml_login,
    set_user,
)
from tests.sso_helpers import (
    UNIT_A,
    UNIT_B,
    audit_events,
    free_port,
    user_count,
)
from tests.test_roles import ROLES, TABLE

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"


@pytest.fixture
def app(saml_app):
    return saml_app






def test_the_sp_metadata_is_xml_with_the_acs_and_the_certificate(client):
    response = client.get("/saml/metadata")
    assert response.status_code == 200
    assert response.mimetype == "application/samlmetadata+xml"
    schema.validate(response.get_data(as_text=True))  # SAML 2.0's metadata schema
    root = ElementTree.fromstring(response.get_data())
    assert root.tag == f"{MD}EntityDescriptor" and root.get("entityID") == SP_ENTITY_ID
    sp = root.find(f"{MD}SPSSODescriptor")
    assert sp.get("AuthnRequestsSigned") == "true" and sp.get("WantAssertionsSigned") == "true"
    acs = sp.findall(f"{MD}AssertionConsumerService")
    assert [(a.get("Binding"), a.get("Location")) for a in acs] == [
        ("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", "https://localhost/saml/acs")]
    assert {k.get("use") for k in sp.findall(f"{MD}KeyDescriptor")} == {"signing",
                                                                        "encryption"}
    assert [n.text for n in sp.findall(f"{MD}NameIDFormat")] == [
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"]


def test_the_login_page_offers_the_idp(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Logga in med Skolfederation Kiruna" in page and 'href="/login/saml' in page


def test_first_login_creates_staff_of_the_preschool_the_attribute_names(client, db, units,
                                                                        saml_idp):
    response = saml_login(client, saml_idp, "anna",
                          attributes("Anna.Berg@kiruna.se", "staff", UNIT_A))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/map"
    user = db.scalar(select(User).where(User.email == "anna.berg@kiruna.se"))
    assert user.role == "staff" and [p.name for p in user.preschools] == ["Förskolan A"]
    link = db.scalar(select(SsoAccount).where(SsoAccount.user_id == user.id))
    assert (link.protocol, link.issuer, link.subject) == (
        "saml", f"{saml_idp}/idp", "persistent-anna")
    created = audit_events(db, "sso_user_created")
    assert len(created) == 1 and created[0].detail["preschools"] == ["Förskolan A"]
    assert created[0].detail["issuer"] == f"{saml_idp}/idp"
    assert audit_events(db, "login")[0].detail == {"via": "Skolfederation Kiruna"}
    assert client.get("/home").status_code == 200
    assert db.scalar(select(func.count()).select_from(SamlRequest)) == 0


def test_an_encrypted_assertion_is_decrypted_with_the_sps_key(client, db, units, saml_idp):
    set_user(saml_idp, "anna", attributes("anna@kiruna.se", "staff", UNIT_A))
    next_response(saml_idp, encrypt=True)
    posted = idp_response(client, saml_idp, "anna")
    assert b"EncryptedAssertion" in base64.b64decode(posted["SAMLResponse"])
    response = client.post("/saml/acs", data=posted)
    assert response.status_code == 302, response.get_data(as_text=True)
    user = db.scalar(select(User).where(User.email == "anna@kiruna.se"))
    assert [p.name for p in user.preschools] == ["Förskolan A"]


def test_the_next_address_survives_the_idp_and_the_account_is_found_again(
        client, auth, db, units, saml_idp):
    set_user(saml_idp, "anna", attributes("anna@kiruna.se", "staff", UNIT_A, UNIT_B))
    response = saml_login(client, saml_idp, "anna", next_url="/reports")
    assert response.headers["Location"] == "/reports"
    auth.logout()
    evil = saml_login(client, saml_idp, "anna", next_url="//evil.example/")
    assert evil.headers["Location"] == "/map"
    assert db.scalar(select(func.count(SsoAccount.id))) == 1
    user = db.scalar(select(User).where(User.email == "anna@kiruna.se"))
    assert [p.name for p in user.preschools] == ["Förskolan A", "Förskolan B"]


def test_no_role_is_refused_with_whom_to_ask_and_nothing_is_created(client, db, units,
                                                                   saml_idp):
    before = user_count(db)
    response = saml_login(client, saml_idp, "nils", attributes("nils@kiruna.se", None))
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Ditt konto hos Skolfederation Kiruna ger dig ingen roll i Smultron." in page
    assert user_count(db) == before
    refused = audit_events(db, "sso_refused")
    assert refused[0].detail["reason"] == "no_role"
    assert refused[0].detail["role_values"] == ["urn:other:group"]
    assert client.get("/home").status_code == 302


def _refused_reason(db) -> str:
    return audit_events(db, "sso_refused")[-1].detail["reason"]


def test_a_replayed_response_is_refused(client, db, units, saml_idp):
    set_user(saml_idp, "anna", attributes("anna@kiruna.se", "staff", UNIT_A))
    posted = idp_response(client, saml_idp, "anna")
    cookie = client.get_cookie("smultron_saml", path="/saml/acs")
    assert client.post("/saml/acs", data=posted).status_code == 302
    client.delete_cookie("session")  # logged out
    # The same browser again: its login was taken, its cookie is gone.
    again = client.post("/saml/acs", data=posted)
    assert again.status_code == 400 and _refused_reason(db) == "state"
    # The cookie put back as an attacker who copied it would: the request is answered.
    client.set_cookie(cookie.key, cookie.value, path="/saml/acs", domain="localhost")
    replay = client.post("/saml/acs", data=posted)
    assert replay.status_code == 400 and _refused_reason(db) == "state"
    assert "Inloggningen har gått ut eller har redan använts." in replay.get_data(
        as_text=True)
    assert len(audit_events(db, "login")) == 1


@pytest.mark.parametrize(("wrong", "error"), [
    ({"audience": "https://other.example/sp"}, "AudienceRestrictions"),
    ({"sign": "none"}, "SignatureError"), ({"sign": "other_key"}, "SignatureError"),
    ({"expired": True}, "ResponseLifetimeExceed")],
                         ids=["other audience", "unsigned", "wrongly signed", "expired"])
def test_a_response_that_fails_the_checks_is_refused_and_audited(client, db, units, saml_idp,
                                                                 wrong, error):
    set_user(saml_idp, "anna", attributes("anna@kiruna.se", "staff", UNIT_A))
    next_response(saml_idp, **wrong)
    before = user_count(db)
    response = saml_login(client, saml_idp, "anna")
    assert response.status_code == 400
    assert "kunde inte kontrolleras" in response.get_data(as_text=True)
    assert user_count(db) == before and client.get("/home").status_code == 302
    refused = audit_events(db, "sso_refused")[-1]
    assert refused.detail["reason"] == "response" and refused.detail["via"] == \
        "Skolfederation Kiruna"
    assert error in refused.detail["error"], refused.detail
    assert audit_events(db, "login") == []


def test_a_transient_name_id_links_no_account(client, db, units, saml_idp):
    set_user(saml_idp, "anna", attributes("anna@kiruna.se", "staff", UNIT_A))
    next_response(saml_idp,
                  name_id_format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient")
    before = user_count(db)
    response = saml_login(client, saml_idp, "anna")
    assert response.status_code == 400 and _refused_reason(db) == "provider"
    assert audit_events(db, "sso_refused")[-1].detail["error"] == "no persistent NameID"
    assert "Skolfederation Kiruna loggade inte in dig." in response.get_data(as_text=True)
    assert user_count(db) == before


def test_a_response_without_a_login_under_way_is_refused(client, db):
    response = client.post("/saml/acs", data={"SAMLResponse": "PHNhbWw+"})
    assert response.status_code == 400 and _refused_reason(db) == "state"
    assert client.post("/saml/acs", data={}).status_code == 400


def test_without_saml_settings_nothing_is_there(database_url):
    app = create_app(app_config(database_url))
    try:
        client = app.test_client()
        assert client.get("/saml/metadata").status_code == 404
        assert client.get("/login/saml").status_code == 404
        assert client.post("/saml/acs").status_code == 404
        assert "/login/saml" not in client.get("/login").get_data(as_text=True)
    finally:
        app.extensions["smultron.engine"].dispose()


@pytest.fixture
def other_app(database_url, saml_idp, saml_sp_keys):
    """Another app on the same database with other SAML settings: other_app(**settings)."""
    made = []

    def make(**overrides):
        app = create_app(app_config(database_url, **saml_config(saml_idp, saml_sp_keys,
                                                                **overrides)))
        app.test_client_class = HttpsClient
        made.append(app)
        return app.test_client()

    yield make
    for app in made:
        app.extensions["smultron.engine"].dispose()


def test_the_idps_metadata_from_a_file_with_a_federations_aggregate(
        other_app, db, units, saml_idp, tmp_path):
    ours = requests.get(f"{saml_idp}/metadata", timeout=10).text
    another = ours.replace(f'entityID="{saml_idp}/idp"', 'entityID="https://idp.other.example"')
    aggregate = tmp_path / "federation.xml"
    aggregate.write_text('<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:'
                         f'metadata">{ours}{another}</md:EntitiesDescriptor>')
    client = other_app(SAML_IDP_METADATA=str(aggregate))
    refused = client.get("/login/saml")
    assert refused.status_code == 400 and _refused_reason(db) == "provider"
    assert "SMULTRON_SAML_IDP_ENTITY_ID" in audit_events(db, "sso_refused")[-1].detail["error"]
    client = other_app(SAML_IDP_METADATA=str(aggregate), SAML_IDP_ENTITY_ID=f"{saml_idp}/idp")
    set_user(saml_idp, "anna", attributes("anna@kiruna.se", "admin"))
    # Another IdP of the federation (its signature is good) answers the request: refused.
    next_response(saml_idp, issuer="https://idp.other.example")
    response = saml_login(client, saml_idp, "anna")
    assert response.status_code == 400 and _refused_reason(db) == "response"
    assert "https://idp.other.example" in audit_events(db, "sso_refused")[-1].detail["error"]
    assert audit_events(db, "login") == []
    response = saml_login(client, saml_idp, "anna", attributes("anna@kiruna.se", "staff",
                                                               UNIT_A))
    assert response.status_code == 302 and response.headers["Location"] == "/map"


def test_metadata_that_cannot_be_read_is_explained(other_app, db, tmp_path):
    client = other_app(SAML_IDP_METADATA=f"http://127.0.0.1:{free_port()}/metadata")
    response = client.get("/login/saml")
    assert response.status_code == 502 and _refused_reason(db) == "unreachable"
    assert "Skolfederation Kiruna går inte att nå just nu." in response.get_data(as_text=True)
    broken = tmp_path / "broken.xml"
    broken.write_text("<not-metadata")
    response = other_app(SAML_IDP_METADATA=str(broken)).get("/login/saml")
    assert response.status_code == 400 and _refused_reason(db) == "provider"


def test_signed_metadata_is_checked_against_the_federations_certificate(
        other_app, db, saml_idp, saml_sp_keys, tmp_path):
    cert = tmp_path / "federation.crt"
    cert.write_bytes(requests.get(f"{saml_idp}/metadata-cert", timeout=10).content)
    signed = other_app(SAML_IDP_METADATA=f"{saml_idp}/metadata?signed=1",
                       SAML_IDP_METADATA_CERT=str(cert))
    assert signed.get("/login/saml").status_code == 302
    unsigned = other_app(SAML_IDP_METADATA=f"{saml_idp}/metadata",
                         SAML_IDP_METADATA_CERT=str(cert))
    assert unsigned.get("/login/saml").status_code == 400
    assert "not signed" in audit_events(db, "sso_refused")[-1].detail["error"]
    other_key = other_app(SAML_IDP_METADATA=f"{saml_idp}/metadata?signed=1",
                          SAML_IDP_METADATA_CERT=saml_sp_keys[1])
    assert other_key.get("/login/saml").status_code == 400
    assert "signature is not good" in audit_events(db, "sso_refused")[-1].detail["error"]
    # The signed document changed after signing: its digest no longer matches.
    tampered = tmp_path / "tampered.xml"
    tampered.write_text(requests.get(f"{saml_idp}/metadata?signed=1", timeout=10).text
                        .replace("/sso/redirect", "/sso/elsewhere"))
    changed = other_app(SAML_IDP_METADATA=str(tampered), SAML_IDP_METADATA_CERT=str(cert))
    assert changed.get("/login/saml").status_code == 400
    assert "signature is not good" in audit_events(db, "sso_refused")[-1].detail["error"]


def test_settings_are_checked(database_url, saml_idp, saml_sp_keys):
    with pytest.raises(ConfigError, match="SMULTRON_SAML_IDP_METADATA is not set"):
        create_app(app_config(database_url, SAML_NAME="Kiruna"))
    with pytest.raises(ConfigError, match="https"):
        create_app(app_config(database_url, **saml_config(
            "http://idp.example", saml_sp_keys)))
    with pytest.raises(ConfigError, match="SMULTRON_SAML_ROLE_MAP"):
        create_app(app_config(database_url, **saml_config(saml_idp, saml_sp_keys,
                                                          SAML_ROLE_MAP={"x": "boss"})))
    with pytest.raises(ConfigError, match="no file"):
        create_app(app_config(database_url, **saml_config(saml_idp, ("/nope.key", "/nope"))))


@pytest.mark.parametrize("who", ROLES)
def test_the_role_endpoint_table_holds_for_accounts_saml_created(client, db, units, saml_idp,
                                                                  who):
    role = units.users[who].role
    response = saml_login(client, saml_idp, who, attributes(
        f"saml.{who}@kiruna.example", role, *((UNIT_A,) if role == "staff" else ())))
    assert response.status_code == 302, response.get_data(as_text=True)
    column = ("anonymous", *ROLES).index(who)
    for path, statuses in TABLE.items():
        json_client = path.startswith(("/api/", "/ogc", "/export/"))
        answer = client.get(path, headers={"Accept": "application/json"} if json_client else {},
                            follow_redirects=True)
        assert answer.status_code == statuses[column], f"{who} GET {path}"


def test_the_admin_finds_the_metadata_address_to_give_it(client, auth, world):
    auth.login(world.email("admin"))
    page = client.get("/admin/sso").get_data(as_text=True)
    assert "IT registrerar Smultron hos Skolfederation Kiruna med den här metadatan" in page
    assert '<a href="https://localhost/saml/metadata">https://localhost/saml/metadata</a>' in page


def test_a_flood_of_login_starts_does_not_fill_the_database(client, db, monkeypatch):
    monkeypatch.setattr(saml_web, "MAX_PENDING", 2)
    assert client.get("/login/saml").status_code == 302
    assert client.get("/login/saml").status_code == 302
    response = client.get("/login/saml")
    assert response.status_code == 503 and _refused_reason(db) == "busy"
    assert "Det pågår för många inloggningar just nu." in response.get_data(as_text=True)
    db.execute(update(SamlRequest).values(created_at=func.now() - timedelta(minutes=11)))
    db.commit()  # they took too long: forgotten at the next start
    assert client.get("/login/saml").status_code == 302
    assert db.scalar(select(func.count()).select_from(SamlRequest)) == 1
