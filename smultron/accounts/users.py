"""Accounts: create, change role and preschools, deactivate; one-time links for
invitations and password resets (only their hash is stored); API tokens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from smultron.core import passwords
from smultron.core.problems import N_, Collector, fail
from smultron.models import (
    ROLES,
    AnswersSeen,
    ApiToken,
    OneTimeLink,
    Preschool,
    SsoAccount,
    User,
)

LINK_LIFETIME = {"invite": timedelta(days=7), "reset": timedelta(hours=24)}


@dataclass(frozen=True)
class UserInput:
    email: str
    role: str
    preschool_ids: tuple[int, ...]


def list_users(session: Session, text: str = "", role: str = "", limit: int = 200,
               offset: int = 0) -> list[User]:
    """Active ones first; ``text`` matches the e-mail, ``role`` is exact."""
    from smultron.preschools.editing import like_escape

    query = (select(User).options(selectinload(User.preschools),  # shown on every row
                                  selectinload(User.sso))
             .order_by(User.active.desc(), User.role, User.email))
    if text.strip():
        query = query.where(User.email.ilike(f"%{like_escape(text.strip()[:254].lower())}%",
                                             escape="\\"))
    if role in ROLES:
        query = query.where(User.role == role)
    return list(session.scalars(query.limit(limit).offset(offset)))


def get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise fail(N_("There is no such user"), status=404)
    return user


def parse(session: Session, form: Mapping, preschool_ids: list[str], *,
          with_email: bool = True) -> UserInput:
    problems = Collector()
    email = ""
    if with_email:
        email = problems.email(form, "email")
    role = form.get("role") or ""
    if role not in ROLES:
        problems.add(N_("Choose a role"), "role")
    ids = problems.ids(preschool_ids, "preschools")
    known = set(session.scalars(select(Preschool.id).where(Preschool.id.in_(ids)))) if ids \
        else set()
    if known != set(ids):
        problems.add(N_("Choose preschools from the list"), "preschools")
    if role == "staff" and not ids:
        problems.add(N_("Staff work with at least one preschool: choose it"), "preschools")
    problems.raise_if_any()
    return UserInput(email, role, ids)


def create(session: Session, data: UserInput) -> User:
    """A new active user without a password (they set it through an invitation link)."""
    if session.scalar(select(User.id).where(User.email == data.email)) is not None:
        raise fail(N_("A user with the e-mail %(email)s exists already"), "email", status=409,
                   email=data.email)
    user = User(email=data.email, role=data.role, session_nonce=passwords.new_nonce(),
                active=True)
    session.add(user)
    set_preschools(session, user, data.preschool_ids)
    session.flush()
    return user


def set_preschools(session: Session, user: User, ids: tuple[int, ...]) -> None:
    user.preschools = list(session.scalars(select(Preschool).where(Preschool.id.in_(ids)))) \
        if ids else []
    if user.preschools:
        user.municipality_id = user.preschools[0].municipality_id


def update_access(session: Session, user: User, data: UserInput, acting: User) -> dict:
    """Change role and preschools; returns what changed. Ends the user's sessions when
    their access shrank."""
    if user.id == acting.id and data.role != "admin":
        raise fail(N_("You cannot take away your own admin role: ask another admin"),
                   "role", status=409)
    before = summary(user)
    user.role = data.role
    set_preschools(session, user, data.preschool_ids if data.role == "staff" or
                    data.preschool_ids else ())
    session.flush()
    after = summary(user)
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changed:
        user.session_nonce = passwords.new_nonce()  # signs them out: access is re-read
    return changed


def summary(user: User) -> dict:
    return {"role": user.role, "active": user.active,
            "preschools": sorted(p.name for p in user.preschools)}


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count(User.id)).where(User.role == "admin",
                                                            User.active.is_(True)))


def set_active(session: Session, user: User, active: bool, acting: User) -> bool:
    """Deactivate (signs out, tokens and links stop working) or reactivate."""
    if user.active == active:
        return False
    if not active and user.id == acting.id:
        raise fail(N_("You cannot deactivate yourself"), status=409)
    if not active and user.role == "admin" and _active_admins(session) <= 1:
        raise fail(N_("This is the last active admin"), status=409)
    user.active = active
    user.session_nonce = passwords.new_nonce()
    if not active:
        expire_links(session, user)
    session.flush()
    return True


def expire_links(session: Session, user: User) -> None:
    session.execute(update(OneTimeLink)
                    .where(OneTimeLink.user_id == user.id, OneTimeLink.used_at.is_(None),
                           OneTimeLink.expires_at > func.now())
                    .values(expires_at=func.now()))


def issue_link(session: Session, user: User, purpose: str) -> tuple[str, datetime]:
    """A new one-time link token (returned once) for an invitation or a reset; earlier
    unused links of the user stop working."""
    if purpose not in LINK_LIFETIME:
        raise fail(N_("Unknown kind of link"))
    if not user.active:
        raise fail(N_("Reactivate the account first"), status=409)
    expire_links(session, user)
    token = passwords.new_token()
    expires_at = datetime.now(UTC) + LINK_LIFETIME[purpose]
    session.add(OneTimeLink(user_id=user.id, purpose=purpose,
                            token_hash=passwords.hash_token(token), expires_at=expires_at))
    session.flush()
    return token, expires_at


def find_link(session: Session, token: str) -> OneTimeLink | None:
    """The usable link for ``token`` (unused, unexpired, active user), or None."""
    if not token or not token.startswith(passwords.TOKEN_PREFIX) or len(token) > 100:
        return None
    link = session.scalar(select(OneTimeLink).where(
        OneTimeLink.token_hash == passwords.hash_token(token),
        OneTimeLink.used_at.is_(None), OneTimeLink.expires_at > func.now()))
    if link is None:
        return None
    user = session.get(User, link.user_id)
    return link if user is not None and user.active else None


def use_link(session: Session, token: str, password: str, repeated: str) -> User:
    """Set the password through a one-time link; the link is then spent."""
    locked = session.scalar(select(OneTimeLink.id).where(
        OneTimeLink.token_hash == passwords.hash_token(token or "")).with_for_update())
    link = find_link(session, token) if locked is not None else None
    if link is None:
        raise fail(N_("This link has been used or has expired. Ask your administrator for a "
                      "new one."), status=410)
    if password != repeated:
        raise fail(N_("The two passwords are not the same"), "password")
    if len(password) < passwords.MIN_PASSWORD_LENGTH:
        raise fail(N_("The password needs at least %(min)s characters"), "password",
                   min=passwords.MIN_PASSWORD_LENGTH)
    user = session.get(User, link.user_id)
    user.password_hash = passwords.hash_password(password)
    user.session_nonce = passwords.new_nonce()
    link.used_at = datetime.now(UTC)
    session.flush()
    return user


def link_state(session: Session, user: User) -> OneTimeLink | None:
    """The user's newest link (to show whether an invitation is pending)."""
    return session.scalar(select(OneTimeLink).where(OneTimeLink.user_id == user.id)
                          .order_by(OneTimeLink.created_at.desc(), OneTimeLink.id.desc())
                          .limit(1))


# -- API tokens (a user's own; an admin sees and revokes anyone's) -------------------------

def tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.revoked_at.is_not(None),
                                          ApiToken.created_at.desc(), ApiToken.id.desc())))


def token_name(form: Mapping) -> str:
    problems = Collector()
    name = problems.text(form, "name", 100, label=N_("The token's name"))
    problems.raise_if_any()
    return name


def revoke_token(session: Session, user: User, token_id: int) -> tuple[ApiToken, bool]:
    """Revoke one of ``user``'s tokens; returns it and whether it was live until now."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise fail(N_("There is no such token"), status=404)
    if token.revoked_at is not None:
        return token, False
    token.revoked_at = datetime.now(UTC)
    session.flush()
    return token, True


def erase(session: Session, user: User, acting: User) -> str:
    """Remove a deactivated account's personal data (e-mail, password, tokens, links, the
    single sign-on link, preschools, when it last opened answers pages) but keep the row:
    places, sessions and the append-only audit log point to it (the audit rows keep the
    old e-mail until their retention period ends).
    Returns the pseudonymous address the account now has."""
    if user.id == acting.id:
        raise fail(N_("You cannot erase yourself"), status=409)
    if user.active:
        raise fail(N_("Deactivate the account before erasing it"), status=409)
    session.execute(sql_delete(ApiToken).where(ApiToken.user_id == user.id))
    session.execute(sql_delete(OneTimeLink).where(OneTimeLink.user_id == user.id))
    session.execute(sql_delete(SsoAccount).where(SsoAccount.user_id == user.id))
    session.execute(sql_delete(AnswersSeen).where(AnswersSeen.user_id == user.id))
    user.email = f"erased-{user.id}@invalid"
    user.password_hash = None
    user.last_login_at = None
    user.preschools = []
    user.session_nonce = passwords.new_nonce()
    session.flush()
    return user.email


def change_password(user: User, current: str, new: str, repeated: str) -> None:
    """A logged-in user's own change: the current password first (signs out elsewhere)."""
    if not passwords.verify_password(user.password_hash, current or ""):
        raise fail(N_("The current password is wrong"), "current_password", status=403)
    if new != repeated:
        raise fail(N_("The two passwords are not the same"), "password")
    if len(new) < passwords.MIN_PASSWORD_LENGTH:
        raise fail(N_("The password needs at least %(min)s characters"), "password",
                   min=passwords.MIN_PASSWORD_LENGTH)
    user.password_hash = passwords.hash_password(new)
    user.session_nonce = passwords.new_nonce()
