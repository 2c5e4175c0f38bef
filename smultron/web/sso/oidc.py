"""OpenID Connect (Entra ID, Keycloak, Google Workspace, …) with Authlib: discovery,
the authorization code flow with PKCE, ``state`` and ``nonce``; the ID token's signature
(the provider's JWKS), issuer, audience, expiry and nonce are checked before anyone is
logged in."""

from __future__ import annotations

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from authlib.oidc.core.claims import UserInfo
from flask import Flask, current_app
from joserfc.errors import JoseError

from smultron.sso import Identity
from smultron.sso.claims import ClaimMapping
from smultron.web.security import limiter
from smultron.web.sso import (
    Backend,
    backend,
    bp,
    external_url,
    finish,
    kept_id_token,
    refuse,
    register,
    remember_next,
)

KEY = "oidc"
CLIENT = "smultron.oidc"
TIMEOUT = 10  # seconds for each request to the provider


class IssuerMismatch(ValueError):
    """The discovery document names another issuer than the one configured."""


def init_app(app: Flask) -> None:
    config = app.config
    if not config.get("OIDC_ISSUER"):
        return
    scopes = config["OIDC_SCOPES"].split()
    scopes = scopes if "openid" in scopes else ["openid", *scopes]
    oauth = OAuth(app)
    app.extensions[CLIENT] = oauth.register(
        "oidc", client_id=config["OIDC_CLIENT_ID"], client_secret=config["OIDC_CLIENT_SECRET"],
        server_metadata_url=config["OIDC_ISSUER"].rstrip("/")
        + "/.well-known/openid-configuration",
        client_kwargs={"scope": " ".join(scopes), "code_challenge_method": "S256",
                       "default_timeout": TIMEOUT})
    register(app, Backend(
        KEY, config["OIDC_NAME"], "sso.oidc_start",
        ClaimMapping(config["OIDC_ROLE_CLAIM"], config["OIDC_ROLE_MAP"],
                     config["OIDC_PRESCHOOL_CLAIM"]),
        logout_url=logout_url))


def _client():
    backend(KEY)  # 404 when OpenID Connect is not configured
    return current_app.extensions[CLIENT]


def _metadata(client) -> dict:
    """The provider's discovery document; its issuer must be the configured one."""
    metadata = client.load_server_metadata()
    if str(metadata.get("issuer", "")).rstrip("/") != \
            current_app.config["OIDC_ISSUER"].rstrip("/"):
        client.server_metadata.clear()  # read it again next time
        raise IssuerMismatch(metadata.get("issuer"))
    return metadata


# What goes wrong at the provider -> the reason the person and the audit log see.
FAILURES = (OAuthError, JoseError, IssuerMismatch, requests.RequestException)


def _failure(exc: Exception) -> tuple[str, dict]:
    if isinstance(exc, MismatchingStateError):  # no such login pending in this session
        return "state", {}
    if isinstance(exc, OAuthError):
        return "provider", {"error": str(exc.error)[:100]}
    if isinstance(exc, JoseError):
        return "id_token", {"error": f"{type(exc).__name__}: {exc}"[:200]}
    if isinstance(exc, IssuerMismatch):
        return "provider", {"error": f"discovery names the issuer {exc}"[:200]}
    return "unreachable", {"error": type(exc).__name__}


@bp.get("/login/oidc")
def oidc_start():
    client = _client()
    remember_next()
    try:
        _metadata(client)
        return client.authorize_redirect(external_url("sso.oidc_callback"))
    except FAILURES as exc:
        return refuse(backend(KEY), *_failure(exc))


def _claims_options(metadata: dict) -> dict:
    """What the ID token must say besides its signature (checked by Authlib/joserfc):
    this provider issued it, for this client, and it has not expired."""
    return {"iss": {"essential": True, "value": metadata["issuer"]},
            "aud": {"essential": True, "value": current_app.config["OIDC_CLIENT_ID"]},
            "sub": {"essential": True}, "exp": {"essential": True}}


@bp.get("/login/oidc/callback")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def oidc_callback():
    client, chosen = _client(), backend(KEY)
    try:
        token = client.authorize_access_token(
            claims_options=_claims_options(_metadata(client)))
    except FAILURES as exc:
        return refuse(chosen, *_failure(exc))
    claims = token.get("userinfo")
    if not isinstance(claims, UserInfo):
        return refuse(chosen, "id_token", {"error": "no ID token"})
    identity = Identity(KEY, claims["iss"], claims["sub"], dict(claims))
    return finish(chosen, identity, kept_id_token(token.get("id_token")))


def logout_url(kept: dict) -> str | None:
    """The provider's end_session_endpoint with id_token_hint and the way back, if it has
    one (a provider without it keeps its own session; Smultron's ends anyway)."""
    client = current_app.extensions[CLIENT]
    try:
        if not _metadata(client).get("end_session_endpoint"):
            return None
    except (requests.RequestException, IssuerMismatch):
        return None
    return client.create_logout_url(
        post_logout_redirect_uri=external_url("auth.login"),
        id_token_hint=kept.get("id_token"),
        client_id=current_app.config["OIDC_CLIENT_ID"])["url"]
