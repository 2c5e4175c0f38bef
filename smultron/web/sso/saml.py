"""SAML 2.0 (Skolfederation, FedKom) with pysaml2: this service provider's metadata at
GET /saml/metadata, the login at GET /login/saml (a signed AuthnRequest by the redirect
binding) and the identity provider's answer at POST /saml/acs.

pysaml2 checks the response's signature (a key in the IdP's metadata), audience,
InResponseTo and NotOnOrAfter. The request it answers is bound to this browser by a
signed cookie (SameSite=None: the IdP's page posts from another site, so the session
cookie does not come along) and to the database by a row that taking the answer removes:
a response answering it again, a replay, is refused.
"""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta

from flask import Flask, after_this_request, current_app, redirect, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from saml2 import BINDING_HTTP_POST, SAMLError
from saml2.client import Saml2Client
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from sqlalchemy import delete, func, select

from smultron.models import SamlRequest
from smultron.sso import Refused, saml
from smultron.web.database import get_session
from smultron.web.security import csrf_exempt, limiter, safe_next
from smultron.web.sso import Backend, backend, bp, external_url, finish, refuse, register

KEY = saml.KEY
EXTENSION = "smultron.saml"
COOKIE = "smultron_saml"
LOGIN_TIME = timedelta(minutes=10)  # from the login's start to the IdP's answer
METADATA_AGE = 6 * 3600  # seconds before the IdP's metadata is read again from its address
MAX_RESPONSE = 1024 * 1024  # characters of the posted SAMLResponse
MAX_PENDING = 10_000  # SAML logins under way at once (rows of saml_request)
_lock = threading.Lock()


def init_app(app: Flask) -> None:
    settings = saml.Settings.from_config(app.config)
    if settings is None:
        return
    app.extensions[EXTENSION] = {"settings": settings, "client": None, "read_at": 0.0}
    register(app, Backend(KEY, settings.name, "sso.saml_start", settings.mapping,
                          metadata_endpoint="sso.saml_metadata"))


def _settings() -> saml.Settings:
    backend(KEY)  # 404 when SAML is not configured
    return current_app.extensions[EXTENSION]["settings"]


def _client() -> tuple[Saml2Client, str]:
    """The pysaml2 client with the IdP's metadata (read at the first login, and again
    after METADATA_AGE when it comes from an address), and the IdP's entity id."""
    state, settings = current_app.extensions[EXTENSION], _settings()
    with _lock:
        stale = "://" in settings.idp_metadata and \
            time.monotonic() - state["read_at"] > METADATA_AGE
        if state["client"] is None or stale:
            state["client"], state["idp"] = saml.client(settings, external_url("sso.saml_acs"))
            state["read_at"] = time.monotonic()
        return state["client"], state["idp"]


def _failure(exc: Exception) -> tuple[str, dict]:
    if isinstance(exc, saml.MetadataUnreachable):
        return "unreachable", {"error": str(exc)[:200]}
    if isinstance(exc, saml.MetadataError):
        return "provider", {"error": f"metadata: {exc}"[:200]}
    cause = exc.__cause__ or exc.__context__  # pysaml2 wraps e.g. an expired assertion
    because = f" ({type(cause).__name__}: {cause})" if cause is not None else ""
    return "response", {"error": f"{type(exc).__name__}: {exc}{because}"[:300]}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="smultron.saml.request")


def _keep(response, request_id: str, next_url: str | None) -> None:
    """The login under way, for this browser only (signed, read back at the ACS)."""
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    response.set_cookie(COOKIE, _serializer().dumps({"id": request_id, "next": next_url}),
                        max_age=int(LOGIN_TIME.total_seconds()), path="/saml/acs",
                        secure=secure, httponly=True, samesite="None" if secure else "Lax")


def _kept() -> dict | None:
    try:
        kept = _serializer().loads(request.cookies.get(COOKIE, ""),
                                   max_age=int(LOGIN_TIME.total_seconds()))
    except BadSignature:
        return None
    return kept if isinstance(kept, dict) and isinstance(kept.get("id"), str) else None


@bp.get("/saml/metadata")
def saml_metadata():
    xml = saml.metadata_xml(_settings(), external_url("sso.saml_acs"))
    return current_app.response_class(xml, mimetype="application/samlmetadata+xml")


@bp.get("/login/saml")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def saml_start():
    chosen = backend(KEY)
    if not _room_for_a_login():
        return refuse(chosen, "busy", {"error": f"{MAX_PENDING} SAML logins under way"})
    try:
        client, idp = _client()
        request_id, info = client.prepare_for_authenticate(
            entityid=idp, binding=saml.login_binding(), nameid_format=NAMEID_FORMAT_PERSISTENT)
    except (SAMLError, saml.MetadataError, ValueError) as exc:
        return refuse(chosen, *_failure(exc))
    db = get_session()
    db.add(SamlRequest(id=request_id))
    db.commit()
    response = redirect(dict(info["headers"])["Location"])
    _keep(response, request_id, safe_next(request.args.get("next")))
    return response


def _room_for_a_login() -> bool:
    """Forget the logins that took too long; True while fewer than MAX_PENDING remain (a
    flood of login starts does not fill the database)."""
    db = get_session()
    db.execute(delete(SamlRequest).where(
        SamlRequest.created_at < datetime.now(UTC) - LOGIN_TIME))
    db.commit()
    return db.scalar(select(func.count()).select_from(SamlRequest)) < MAX_PENDING


def _taken(request_id: str) -> bool:
    """Remove the login's row; False when there was none (answered already, or too old)."""
    db = get_session()
    taken = db.execute(delete(SamlRequest).where(
        SamlRequest.id == request_id,
        SamlRequest.created_at >= datetime.now(UTC) - LOGIN_TIME)
        .returning(SamlRequest.id)).first()
    db.commit()
    return taken is not None


def _checked_response(client: Saml2Client, idp: str, encoded: str, kept: dict):
    """pysaml2's checks of the answer to the request ``kept`` names; raises when the
    answer fails any (pysaml2 raises plain Exceptions for some, e.g. the audience). It
    must come from the IdP the request went to: pysaml2 takes a signature of any IdP in
    the metadata, and a federation's aggregate holds hundreds. The assertion (what is
    signed) and the Response around it must both name that IdP."""
    response = client.parse_authn_request_response(
        encoded, BINDING_HTTP_POST, outstanding={kept["id"]: kept.get("next") or "/"})
    if response is None or response.assertion is None:
        raise SAMLError("no assertion in the response")
    issuers = {saml.assertion_issuer(response)}
    if response.response.issuer is not None:  # the Response's own Issuer is optional
        issuers.add(response.issuer())
    if issuers != {idp}:
        raise SAMLError(f"issued by {sorted(issuers)!r}, not by {idp!r}")
    if response.name_id is not None:  # pysaml2 keeps nothing per person (it kept this one
        with suppress(KeyError):      # unless the assertion came encrypted)
            client.users.remove_person(response.name_id)
    return response


@bp.post("/saml/acs")
@csrf_exempt
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def saml_acs():
    chosen, kept = backend(KEY), _kept()

    @after_this_request
    def _forget(response):  # the cookie serves one answer, whatever becomes of it
        response.delete_cookie(COOKIE, path="/saml/acs")
        return response

    encoded = request.form.get("SAMLResponse", "")
    if not encoded or len(encoded) > MAX_RESPONSE:
        return refuse(chosen, "response", {"error": "no SAMLResponse, or a too large one"})
    if kept is None:  # no login under way in this browser (or it took too long)
        return refuse(chosen, "state", {"error": "no SAML request in this browser"})
    try:
        client, idp = _client()
        response = _checked_response(client, idp, encoded, kept)
    except Exception as exc:  # whatever pysaml2 refuses (some as plain Exceptions) is refused
        return refuse(chosen, *_failure(exc))
    if not _taken(kept["id"]):
        return refuse(chosen, "state", {"error": "the request was answered already"})
    try:
        identity = saml.identity(response)
    except Refused as exc:
        return refuse(chosen, exc.reason, exc.detail)
    return finish(chosen, identity, next_url=safe_next(kept.get("next")))
