"""Single sign-on in tests: a real OpenID provider process (oidc-provider-mock) on a
loopback port, logins through it with the Flask test client, and a hostile provider of
our own that signs the ID tokens a test asks for (with joserfc, keys made here)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from smultron.models import AuditEvent, User

PROVIDER_NAME = "Kiruna kommun"
CLIENT_ID = "smultron-test"
ROLE_MAP = {"smultron-staff": "staff", "smultron-planners": "planner",
            "smultron-officials": "official", "smultron-admins": "admin"}
GROUP_OF = {role: group for group, role in ROLE_MAP.items()}
UNIT_A, UNIT_B = "40012345", "40067890"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process, log, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the provider stopped: {log.read()}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


@contextmanager
def provider_process():
    """oidc-provider-mock on a free loopback port; yields its issuer URL. Its log goes to
    a file (a pipe nobody reads fills up and stops the provider)."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(port),
             "--require-nonce"], stdout=log, stderr=log, text=True)
        try:
            wait_until_up(f"{issuer}/.well-known/openid-configuration", process, log)
            yield issuer
        finally:
            process.terminate()
            process.wait(10)


def oidc_config(issuer: str, client_id: str = CLIENT_ID, **overrides) -> dict:
    """The app's OIDC_* settings (as SMULTRON_OIDC_* would give them) for ``issuer``."""
    return {"OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": client_id,
            "OIDC_CLIENT_SECRET": "not-a-real-secret", "OIDC_NAME": PROVIDER_NAME,
            "OIDC_SCOPES": "openid email profile", "OIDC_ROLE_CLAIM": "groups",
            "OIDC_ROLE_MAP": ROLE_MAP, "OIDC_PRESCHOOL_CLAIM": "school_units", **overrides}


def claims(email: str, role: str | None, *unit_codes: str, **more) -> dict:
    return {"email": email, "groups": [GROUP_OF[role]] if role else ["some-other-group"],
            "school_units": list(unit_codes), **more}


def set_user(issuer: str, sub: str, user_claims: dict) -> None:
    """What the provider says about ``sub`` from now on."""
    requests.put(f"{issuer}/users/{sub}", json=user_claims, timeout=10).raise_for_status()


def _local_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def authorize(client, sub: str, next_url: str | None = None) -> str:
    """Start the login and let the provider authenticate ``sub`` (its form, as a person
    would post it); returns the callback path (with code and state) to send to the app."""
    start = client.get("/login/oidc" + (f"?{urlencode({'next': next_url})}" if next_url else ""))
    assert start.status_code == 302, start.get_data(as_text=True)
    answer = requests.post(start.headers["Location"], data={"sub": sub},
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return _local_path(answer.headers["Location"])


def provider_login(client, issuer: str, sub: str, user_claims: dict | None = None,
                   next_url: str | None = None):
    """The whole login through the provider; returns the app's answer to the callback."""
    if user_claims is not None:
        set_user(issuer, sub, user_claims)
    return client.get(authorize(client, sub, next_url))


# -- a hostile provider: discovery, JWKS, authorize and token endpoints of our own -------

def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class HostileProvider:
    """Serves a real discovery document and JWKS, answers the authorization request like a
    provider (checking nothing but recording it) and, at the token endpoint, checks the PKCE
    verifier and returns an ID token built as ``self.token`` says: claims to change and
    the key to sign with (by default the published one)."""

    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.requests: dict[str, dict] = {}  # code -> the authorization request
        self.token: dict = {}
        self.sub = "hostile-sub"
        self.claims = {}

    def other_key(self) -> RSAKey:
        """A key of the same kid that the JWKS does not publish."""
        return RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})

    def __call__(self, environ, start_response):
        request = Request(environ)
        route = {"/.well-known/openid-configuration": self._discovery, "/jwks": self._jwks,
                 "/authorize": self._authorize, "/token": self._token}.get(request.path)
        response = route(request) if route else Response("not found", 404)
        return response(environ, start_response)

    def _json(self, body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status, mimetype="application/json")

    def _discovery(self, _request) -> Response:
        return self._json({
            "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"]})

    def _jwks(self, _request) -> Response:
        return self._json(KeySet([self.key]).as_dict(private=False))

    def _authorize(self, request) -> Response:
        code = secrets.token_urlsafe(16)
        self.requests[code] = request.args.to_dict()
        target = request.args["redirect_uri"] + "?" + urlencode(
            {"code": code, "state": request.args["state"]})
        return Response(status=302, headers={"Location": target})

    def _token(self, request) -> Response:
        asked = self.requests.pop(request.form.get("code", ""), None)
        if asked is None or asked.get("code_challenge_method") != "S256" or \
                _s256(request.form.get("code_verifier", "")) != asked.get("code_challenge"):
            return self._json({"error": "invalid_grant"}, 400)
        now = int(time.time())
        body = {"iss": self.issuer, "sub": self.sub, "aud": asked["client_id"], "iat": now,
                "exp": now + 300, "nonce": asked.get("nonce"), **self.claims,
                **self.token.get("claims", {})}
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, body,
                              self.token.get("key", self.key))
        return self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                           "expires_in": 300, "id_token": id_token})

    @contextmanager
    def serving(self):
        server = make_server("127.0.0.1", self.port, self, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            thread.join(5)

    def callback_path(self, client) -> str:
        """Start the login and have this provider answer it; the callback path."""
        start = client.get("/login/oidc")
        assert start.status_code == 302, start.get_data(as_text=True)
        answer = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
        return _local_path(answer.headers["Location"])

    def authorization_request(self, start_location: str) -> dict:
        return {key: values[0] for key, values in parse_qs(urlsplit(start_location).query)
                .items()}


# -- the same people as local accounts or as accounts the provider created ---------------

class LocalPeople:
    """The world's users (local accounts with a password)."""

    def __init__(self, auth, world):
        self.auth, self.world = auth, world

    def login(self, who: str):
        return self.auth.login(self.world.email(who))

    def user(self, who: str):
        return self.world.users[who]


class SsoPeople:
    """The same roles (and staff's preschools) as accounts created by a first login through
    the provider: the claims carry the role's group and the preschool's unit code."""

    UNITS = {"staff_a": (UNIT_A,), "staff_b": (UNIT_B,)}

    def __init__(self, app, client, issuer: str, world, db):
        self.app, self.client, self.issuer, self.world, self.db = app, client, issuer, world, db
        world.school_a.unit_code, world.school_b.unit_code = UNIT_A, UNIT_B
        db.commit()

    def _claims(self, who: str) -> dict:
        return claims(f"sso.{who}@kiruna.example", self.world.users[who].role,
                      *self.UNITS.get(who, ()))

    def login(self, who: str, client=None):
        response = provider_login(client or self.client, self.issuer, f"sub-{who}",
                                  self._claims(who))
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def user(self, who: str):
        """The account, created by a login in a browser of its own if it has none yet."""
        from sqlalchemy import select

        from smultron.models import SsoAccount

        link = self.db.scalar(select(SsoAccount).where(SsoAccount.subject == f"sub-{who}"))
        if link is None:
            self.login(who, self.app.test_client())  # an HttpsClient, like ``client``
            self.db.expire_all()
            link = self.db.scalar(select(SsoAccount).where(SsoAccount.subject == f"sub-{who}"))
        return link.user


# -- shared by the OpenID Connect and SAML tests -------------------------------------------

def audit_events(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(AuditEvent.id)))


def user_count(db) -> int:
    return db.scalar(select(func.count(User.id)))
