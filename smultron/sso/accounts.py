"""Accounts that log in through the provider: created on the first login, linked by
(issuer, subject), their role and preschools kept from the claims when the admin chose
"roles from the provider"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from smultron.accounts import users as admin_users
from smultron.core import passwords
from smultron.models import Preschool, SsoAccount, User
from smultron.sso import Identity, Refused
from smultron.sso import settings as sso_settings
from smultron.sso.claims import ClaimMapping


@dataclass(frozen=True)
class SignIn:
    user: User
    created: bool
    changes: dict  # {field: [before, after]} when a later login changed the account


def sign_in(session: Session, identity: Identity, mapping: ClaimMapping) -> SignIn:
    """The active account ``identity`` logs in to (flushed, not committed). Raises Refused
    (nothing changed) when the claims give no access or the account is deactivated."""
    link = session.scalar(select(SsoAccount).where(SsoAccount.issuer == identity.issuer,
                                                   SsoAccount.subject == identity.subject))
    if link is None:
        link = _create(session, identity, mapping)
        created, changes = True, {}
    else:
        if not link.user.active:
            raise Refused("deactivated")
        created, changes = False, _update(session, link.user, identity, mapping)
    now = datetime.now(UTC)
    link.last_login_at = link.user.last_login_at = now
    session.flush()
    return SignIn(link.user, created, changes)


def _access(session: Session, mapping: ClaimMapping, claims) -> tuple[str, list[Preschool]]:
    role = mapping.role(claims)
    if role is None:
        raise Refused("no_role", mapping.audit_values(claims))
    codes = mapping.unit_codes(claims)
    preschools = list(session.scalars(
        select(Preschool).where(Preschool.unit_code.in_(codes), Preschool.archived_at.is_(None))
        .order_by(Preschool.name))) if codes else []
    if role == "staff" and not preschools:
        raise Refused("no_preschool", mapping.audit_values(claims))
    return role, preschools


def _email(session: Session, mapping: ClaimMapping, claims, user: User | None) -> str:
    email = mapping.email(claims)
    if email is None:
        raise Refused("no_email")
    holder = session.scalar(select(User).where(User.email == email))
    if holder is not None and holder is not user:
        raise Refused("email_taken", {"email": email})
    return email


def _create(session: Session, identity: Identity, mapping: ClaimMapping) -> SsoAccount:
    role, preschools = _access(session, mapping, identity.claims)
    email = _email(session, mapping, identity.claims, None)
    user = User(email=email, role=role, session_nonce=passwords.new_nonce(), active=True)
    session.add(user)
    admin_users.set_preschools(session, user, tuple(p.id for p in preschools))
    link = SsoAccount(user=user, protocol=identity.protocol, issuer=identity.issuer,
                      subject=identity.subject)
    session.add(link)
    session.flush()
    return link


def _update(session: Session, user: User, identity: Identity, mapping: ClaimMapping) -> dict:
    """A later login: a new e-mail address is taken over when it is free; role and
    preschools follow the claims only when the admin chose so."""
    before = admin_users.summary(user) | {"email": user.email}
    if sso_settings.read(session)["roles_from_provider"]:
        role, preschools = _access(session, mapping, identity.claims)
        user.role = role
        admin_users.set_preschools(session, user, tuple(p.id for p in preschools))
    email = mapping.email(identity.claims)
    if email and email != user.email and session.scalar(
            select(User.id).where(User.email == email)) is None:
        user.email = email
    session.flush()
    after = admin_users.summary(user) | {"email": user.email}
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changes.keys() - {"email"}:
        user.session_nonce = passwords.new_nonce()  # other sessions re-read the access
    return changes


def password_refused(session: Session, user: User) -> bool:
    """Password login is off for accounts that log in through the provider, when the
    admin chose "staff must use single sign-on"."""
    return user.sso is not None and sso_settings.read(session)["require_sso"]
