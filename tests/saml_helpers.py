"""SAML single sign-on in tests: the test IdP (tests/saml_idp.py, pysaml2's IdP) as a
process on a loopback port, the app's SAML_* settings for it, and a login through it with
the Flask test client, its page's forms posted as a person's browser would."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import requests

from tests.saml_idp import make_key_pair
from tests.sso_helpers import ROLE_MAP, free_port, wait_until_up

IDP_NAME = "Skolfederation Kiruna"
SP_ENTITY_ID = "https://smultron.kiruna.example/saml"
ENTITLEMENT = {role: f"urn:mace:kiruna.se:smultron:{group.removeprefix('smultron-')}"
               for group, role in ROLE_MAP.items()}
SAML_ROLE_MAP = {value: role for role, value in ENTITLEMENT.items()}
_FIELD = re.compile(r"<input type='hidden' name='([^']+)' value='([^']*)'>")
_ACTION = re.compile(r"<form method='post' action='([^']+)'>")


@contextmanager
def idp_process():
    """The test IdP on a free loopback port; yields its base URL (metadata at /metadata)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as directory, \
            tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.saml_idp", "--port", str(port), "--dir", directory],
            stdout=log, stderr=log, text=True, cwd=Path(__file__).parent.parent)
        try:
            wait_until_up(f"{base}/metadata", process, log)
            yield base
        finally:
            process.terminate()
            process.wait(10)


def sp_keys() -> tuple[str, str]:
    """The service provider's key and certificate (files made once per test run)."""
    directory = Path(tempfile.mkdtemp(prefix="smultron-saml-sp-"))
    return make_key_pair(directory, "sp")


def saml_config(idp: str, keys: tuple[str, str], **overrides) -> dict:
    """The app's SAML_* settings (as SMULTRON_SAML_* would give them) for the test IdP."""
    return {"SAML_IDP_METADATA": f"{idp}/metadata", "SAML_IDP_ENTITY_ID": None,
            "SAML_ENTITY_ID": SP_ENTITY_ID, "SAML_NAME": IDP_NAME,
            "SAML_KEY_FILE": keys[0], "SAML_CERT_FILE": keys[1],
            "SAML_ROLE_ATTRIBUTE": "eduPersonEntitlement", "SAML_ROLE_MAP": SAML_ROLE_MAP,
            "SAML_PRESCHOOL_ATTRIBUTE": "sisSchoolUnitCode", **overrides}


def attributes(email: str, role: str | None, *unit_codes: str) -> dict:
    return {"mail": [email], "eduPersonPrincipalName": [email],
            "eduPersonEntitlement": [ENTITLEMENT[role]] if role else ["urn:other:group"],
            "sisSchoolUnitCode": list(unit_codes)}


def set_user(idp: str, name: str, user_attributes: dict) -> None:
    requests.put(f"{idp}/users/{name}", json=user_attributes, timeout=10).raise_for_status()


def next_response(idp: str, **wrong) -> None:
    """How the IdP's next response is wrong: sign="none" | "other_key", audience=…"""
    requests.put(f"{idp}/next", json=wrong, timeout=10).raise_for_status()


def register_sp(idp: str, metadata: bytes | str) -> None:
    """Give the IdP the app's SP metadata (its ACS and certificates), as IT would."""
    requests.put(f"{idp}/sp", data=metadata, timeout=10).raise_for_status()


def form(page_html: str) -> tuple[str, dict]:
    """The action and hidden fields of the IdP page's form."""
    return unescape(_ACTION.search(page_html).group(1)), {
        name: unescape(value) for name, value in _FIELD.findall(page_html)}


def idp_response(client, idp: str, user: str, next_url: str | None = None) -> dict:
    """Start the login in the app, pick ``user`` on the IdP's page; the form the IdP's
    answer page would post to the app's ACS (SAMLResponse)."""
    register_sp(idp, client.get("/saml/metadata").get_data())
    start = client.get("/login/saml", query_string={"next": next_url} if next_url else None)
    assert start.status_code == 302, start.get_data(as_text=True)
    assert start.headers["Location"].startswith(f"{idp}/sso/redirect?")
    chooser = requests.get(start.headers["Location"], timeout=10)
    assert chooser.status_code == 200, chooser.text
    action, fields = form(chooser.text)
    answer = requests.post(f"{idp}{action}", data={**fields, "user": user}, timeout=10)
    assert answer.status_code == 200, answer.text
    acs, posted = form(answer.text)
    assert urlsplit(acs).path == "/saml/acs"
    return posted


def saml_login(client, idp: str, user: str, user_attributes: dict | None = None,
               next_url: str | None = None):
    """The whole login through the IdP; the app's answer to the posted response."""
    if user_attributes is not None:
        set_user(idp, user, user_attributes)
    return client.post("/saml/acs", data=idp_response(client, idp, user, next_url))
