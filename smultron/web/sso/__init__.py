"""Single sign-on in the browser: one login flow, with the protocols as backends.

A backend (``oidc``, ``saml``) starts the login at its provider, checks the answer and
hands an ``Identity`` to ``finish``; ``finish`` turns it into an account (smultron/sso),
logs the person in and writes the audit log, or shows why not (``refuse``). With no
backend configured nothing here is visible: no button, and the routes answer 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_user

from smultron import sitepages
from smultron.core import audit
from smultron.sso import Identity, Refused
from smultron.sso import accounts as sso_accounts
from smultron.sso.claims import ClaimMapping
from smultron.web import auth
from smultron.web.database import get_session
from smultron.web.security import safe_next

bp = Blueprint("sso", __name__)
EXTENSION = "smultron.sso"
MAX_KEPT_ID_TOKEN = 2500  # characters; a larger one is not kept in the session cookie


@dataclass(frozen=True)
class Backend:
    key: str  # "oidc" or "saml"
    name: str  # the provider's name on the button, e.g. "Kiruna kommun"
    start_endpoint: str
    mapping: ClaimMapping
    # What the session kept at the login -> the provider's logout address, or None.
    logout_url: Callable[[dict], str | None] = lambda _kept: None
    # Where this site's metadata for the provider is (SAML's SP metadata), if it has any.
    metadata_endpoint: str | None = None

    def metadata_url(self) -> str | None:
        return external_url(self.metadata_endpoint) if self.metadata_endpoint else None

    def button(self, next_url: str | None) -> dict:
        return {"url": url_for(self.start_endpoint, next=next_url),
                "label": _("Log in with %(name)s", name=self.name)}


@bp.record_once
def _setup(state) -> None:
    app: Flask = state.app
    app.extensions[EXTENSION] = {}
    for adapter in ADAPTERS:
        adapter.init_app(app)
    app.jinja_env.globals["sso_buttons"] = lambda next_url=None: [
        backend.button(next_url) for backend in backends()]


def register(app: Flask, backend: Backend) -> None:
    app.extensions[EXTENSION][backend.key] = backend


def backends() -> list[Backend]:
    return list(current_app.extensions.get(EXTENSION, {}).values())


def backend(key: str) -> Backend:
    """The configured backend, or 404 (single sign-on is off)."""
    found = current_app.extensions.get(EXTENSION, {}).get(key)
    if found is None:
        abort(404)
    return found


def remember_next() -> None:
    """Where to go after the login (a path on this site), kept across the provider's page."""
    session["sso_next"] = safe_next(request.args.get("next"))


def external_url(endpoint: str) -> str:
    """This site's address of ``endpoint`` as the provider must know it (SMULTRON_BASE_URL
    when set: behind a proxy the request's own host may be an internal one)."""
    base = current_app.config.get("BASE_URL")
    return f"{base}{url_for(endpoint)}" if base else url_for(endpoint, _external=True)


def finish(chosen: Backend, identity: Identity, logout: dict | None = None,
           next_url: str | None = None):
    """Log in the account ``identity`` belongs to (creating it on the first login), or
    show why not. ``logout`` is what the backend needs to end the provider's session;
    ``next_url`` where to go when the backend kept it itself (else remember_next's)."""
    db = get_session()
    try:
        result = sso_accounts.sign_in(db, identity, chosen.mapping)
    except Refused as exc:
        db.rollback()
        return refuse(chosen, exc.reason, {**exc.detail, "subject": identity.subject},
                      actor=chosen.mapping.email(identity.claims) or identity.subject)
    user, next_url = result.user, next_url or session.get("sso_next")
    if result.created:
        audit.record(db, "sso_user_created", user, target=user.email, ip=request.remote_addr,
                     detail={**_account_detail(chosen, identity), "role": user.role,
                             "preschools": sorted(p.name for p in user.preschools)})
    elif result.changes:
        audit.record(db, "sso_user_updated", user, target=user.email, ip=request.remote_addr,
                     detail=result.changes)
    audit.record(db, "login", user, ip=request.remote_addr, detail={"via": chosen.name})
    db.commit()
    session.clear()  # a new session: nothing from before the login survives
    login_user(auth.LoginUser(user))
    session["sso"] = {"backend": chosen.key, **(logout or {})}
    return redirect(next_url or auth.home_url(user.role))


def _account_detail(chosen: Backend, identity: Identity) -> dict:
    return {"via": chosen.name, "issuer": identity.issuer, "subject": identity.subject}


# reason -> the status of the page that explains it
REASONS = {
    "no_role": 403, "no_preschool": 403, "no_email": 403, "email_taken": 409,
    "deactivated": 403, "state": 400, "id_token": 400, "response": 400, "provider": 400,
    "unreachable": 502, "busy": 503,
}


def _messages(reason: str, provider: str, detail: dict) -> tuple[str, str | None]:
    """The page's heading and what to do, in the user's language."""
    unverified = (_("The answer from %(provider)s could not be verified, so you were not "
                    "logged in.", provider=provider),
                  _("Try again. If it happens again, tell IT."))
    ask = _("Ask the person who manages Smultron in your municipality: they ask IT to give "
            "your account at %(provider)s one of Smultron's roles (a group or app role).",
            provider=provider)
    return {
        "no_role": (_("Your account at %(provider)s gives you no role in Smultron.",
                      provider=provider), ask),
        "no_preschool": (_("Your account at %(provider)s names no preschool Smultron "
                           "knows.", provider=provider),
                         _("Staff work with their own preschools. Ask the person who "
                           "manages Smultron to check the preschools' unit codes, or IT "
                           "to send your preschool's unit code.")),
        "no_email": (_("%(provider)s did not send your e-mail address.", provider=provider),
                     _("Ask IT to let Smultron read your e-mail address.")),
        "email_taken": (_("Smultron already has an account with the e-mail address "
                          "%(email)s.", email=detail.get("email", "")),
                        _("Ask the person who manages Smultron to remove or rename that "
                          "account; then log in with %(provider)s again.", provider=provider)),
        "deactivated": (_("Your Smultron account is deactivated."),
                        _("Ask the person who manages Smultron in your municipality.")),
        "state": (_("This login has expired or was already used."),
                  _("Start again from the login page.")),
        "id_token": unverified,
        "response": unverified,
        "provider": (_("%(provider)s did not log you in.", provider=provider),
                     _("Try again. If it happens again, tell IT.")),
        "unreachable": (_("%(provider)s cannot be reached right now.", provider=provider),
                        _("Try again in a moment.")),
        "busy": (_("Too many logins are under way right now."), _("Try again in a moment.")),
    }[reason]


def refuse(chosen: Backend, reason: str, detail: dict | None = None, actor: str | None = None):
    """Audit a refused login and show the person why, and whom to ask."""
    detail = {"via": chosen.name, "reason": reason, **(detail or {})}
    db = get_session()
    audit.record(db, "sso_refused", actor=(actor or "")[:254] or None, ip=request.remote_addr,
                 detail=detail)
    db.commit()
    heading, advice = _messages(reason, chosen.name, detail)
    return render_template("sso/refused.html", heading=heading, advice=advice,
                           site=sitepages.site(db)), REASONS[reason]


def provider_logout_url() -> str | None:
    """Where to end the provider's session too (read before the session is cleared)."""
    kept = session.get("sso") or {}
    found = current_app.extensions.get(EXTENSION, {}).get(kept.get("backend"))
    return found.logout_url(kept) if found is not None else None


def leave_for_provider(url: str):
    """After the logout, the provider's logout page. Not a redirect: the logout form's
    page allows forms to go to this site only (CSP form-action, which covers a form's
    redirects too), so a page sends the browser on (and links there)."""
    return render_template("sso/logout.html", url=url, names=", ".join(
        backend.name for backend in backends()))


def kept_id_token(id_token: str | None) -> dict:
    if id_token and len(id_token) <= MAX_KEPT_ID_TOKEN:
        return {"id_token": id_token}
    return {}


from smultron.web.sso import oidc, saml  # noqa: E402 - their routes attach themselves to bp

ADAPTERS = (oidc, saml)
