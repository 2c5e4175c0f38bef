"""Users, API tokens and logins (no Flask here)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from smultron.core import passwords
from smultron.core.errors import CommandError
from smultron.models import ROLES, ApiToken, Preschool, User

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_USE_PRECISION = timedelta(minutes=1)  # how exactly last_used_at is kept


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise CommandError(f"'{email}' is not an e-mail address")
    return email


def create_user(session: Session, email: str, role: str, password: str | None,
                preschool_names: list[str] | tuple[str, ...] = ()) -> User:
    """A new user; staff are scoped to the named preschools (at least one)."""
    email = normalise_email(email)
    if role not in ROLES:
        raise CommandError(f"Unknown role '{role}': use one of {', '.join(ROLES)}")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise CommandError(f"A user with the e-mail {email} exists already")
    if password is not None and (problem := passwords.password_problem(password)):
        raise CommandError(f"The password is too short: {problem}")
    preschools = [find_preschool(session, name) for name in preschool_names]
    if role == "staff" and not preschools:
        raise CommandError("Staff need at least one preschool (--preschool NAME)")
    user = User(email=email, role=role, session_nonce=passwords.new_nonce(),
                password_hash=passwords.hash_password(password) if password else None,
                preschools=preschools)
    if preschools:
        user.municipality_id = preschools[0].municipality_id
    session.add(user)
    session.flush()
    return user


def find_preschool(session: Session, name: str) -> Preschool:
    preschool = session.scalar(select(Preschool).where(Preschool.name == name))
    if preschool is None:
        raise CommandError(f"There is no preschool called '{name}'")
    return preschool


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same time either way)."""
    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    ok = passwords.verify_password(user.password_hash if user else None, password or "")
    if user is None or not ok or not user.active:
        return None
    user.last_login_at = datetime.now(UTC)
    return user


def set_password(user: User, password: str) -> None:
    if problem := passwords.password_problem(password):
        raise CommandError(f"The password is too short: {problem}")
    user.password_hash = passwords.hash_password(password)
    user.session_nonce = passwords.new_nonce()


def create_token(session: Session, user: User, name: str = "API") -> str:
    """A new API token for ``user``; the plain token is returned once, only its hash kept."""
    token = passwords.new_token()
    session.add(ApiToken(user_id=user.id, name=name[:100], token_hash=passwords.hash_token(token),
                         prefix=token[:12]))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user an API token belongs to (and note its use), or None."""
    if not token or not token.startswith(passwords.TOKEN_PREFIX):
        return None
    row = session.scalars(select(ApiToken).where(
        ApiToken.token_hash == passwords.hash_token(token), ApiToken.revoked_at.is_(None))
        .options(joinedload(ApiToken.user).joinedload(User.preschools))  # one query
    ).unique().one_or_none()
    if row is None or not row.user.active:
        return None
    now = datetime.now(UTC)
    # At most one write a minute per token: every request rewriting the same row made
    # concurrent clients of one token queue on its row lock (and cost a commit each).
    if row.last_used_at is None or now - row.last_used_at > TOKEN_USE_PRECISION:
        row.last_used_at = now
    return row.user


def find_user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise CommandError(f"There is no user with the e-mail {email}")
    return user
