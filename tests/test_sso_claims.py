"""Claims → e-mail, role and unit codes (smultron/sso/claims.py), and the SMULTRON_OIDC_*
settings the app refuses to start with."""

import pytest

from smultron.core import config
from smultron.core.config import ConfigError
from smultron.sso.claims import ClaimMapping

MAPPING = ClaimMapping("groups", {"g-staff": "staff", "g-plan": "planner", "g-admin": "admin"},
                       "sisSchoolUnitCode")


def test_the_role_with_the_most_access_wins():
    assert MAPPING.role({"groups": ["g-staff", "g-plan", "other"]}) == "planner"
    assert MAPPING.role({"groups": ["g-admin", "g-staff"]}) == "admin"
    assert MAPPING.role({"groups": "g-staff"}) == "staff"  # a single value
    assert MAPPING.role({"groups": ["other"]}) is None
    assert MAPPING.role({"groups": [True, {"g-admin": 1}, None]}) is None
    assert MAPPING.role({}) is None


def test_a_dotted_claim_reads_a_nested_one():
    keycloak = ClaimMapping("realm_access.roles", {"smultron-staff": "staff"})
    assert keycloak.role({"realm_access": {"roles": ["smultron-staff"]}}) == "staff"
    assert keycloak.role({"realm_access": "smultron-staff"}) is None


def test_unit_codes_from_a_list_or_one_string_with_several():
    assert MAPPING.unit_codes({"sisSchoolUnitCode": ["40067890", "40012345"]}) == \
        ["40012345", "40067890"]
    assert MAPPING.unit_codes({"sisSchoolUnitCode": "40012345, 40067890;40012345"}) == \
        ["40012345", "40067890"]
    assert MAPPING.unit_codes({"sisSchoolUnitCode": 40012345}) == ["40012345"]
    assert ClaimMapping("groups", {}).unit_codes({"sisSchoolUnitCode": "1"}) == []


def test_the_email_comes_from_the_first_claim_that_holds_one():
    assert MAPPING.email({"email": "Anna@Kiruna.se"}) == "anna@kiruna.se"
    assert MAPPING.email({"email": "not an address", "preferred_username": "a@b.se"}) == "a@b.se"
    assert MAPPING.email({"upn": "x"}) is None


ISSUER = {"SMULTRON_OIDC_ISSUER": "https://login.microsoftonline.com/t/v2.0",
          "SMULTRON_OIDC_CLIENT_ID": "id", "SMULTRON_OIDC_CLIENT_SECRET": "secret",
          "SMULTRON_OIDC_NAME": "Kiruna kommun",
          "SMULTRON_OIDC_ROLE_MAP": '{"Smultron.Staff": "staff"}'}


def _check(env: dict) -> dict:
    settings = config.from_environment(env)
    config.check(settings)
    return settings


def test_a_complete_oidc_configuration_is_accepted():
    settings = _check(ISSUER)
    assert settings["OIDC_ROLE_MAP"] == {"Smultron.Staff": "staff"}
    assert settings["OIDC_ROLE_CLAIM"] == "groups"
    assert settings["OIDC_SCOPES"] == "openid email profile"
    assert _check({})["OIDC_ISSUER"] is None  # nothing set: no single sign-on


@pytest.mark.parametrize("change,message", [
    ({"SMULTRON_OIDC_ROLE_MAP": "{staff"}, "must be JSON"),
    ({"SMULTRON_OIDC_ROLE_MAP": '{"g": "teacher"}'}, "unknown roles (teacher)"),
    ({"SMULTRON_OIDC_ROLE_MAP": '["staff"]'}, "JSON object"),
    ({"SMULTRON_OIDC_ROLE_MAP": ""}, "JSON object"),
    ({"SMULTRON_OIDC_CLIENT_SECRET": ""}, "SMULTRON_OIDC_CLIENT_SECRET is not set"),
    ({"SMULTRON_OIDC_NAME": ""}, "SMULTRON_OIDC_NAME is not set"),
    ({"SMULTRON_OIDC_ISSUER": "http://idp.kommun.se"}, "must be an https:// address"),
    ({"SMULTRON_OIDC_ISSUER": ""}, "SMULTRON_OIDC_ISSUER is not set"),
])
def test_an_incomplete_or_wrong_oidc_configuration_is_refused(change, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _check({**ISSUER, **change})


def test_http_is_allowed_to_this_machine_only():
    assert config.secure_or_loopback("http://127.0.0.1:9400")
    assert config.secure_or_loopback("http://localhost:9400")
    assert not config.secure_or_loopback("http://10.0.0.1")
    assert not config.secure_or_loopback("ftp://localhost")
