"""The administrator's single sign-on choices (the Setting table)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from smultron.core import settings

KEY = "sso"
DEFAULTS = {
    # Later logins set role and preschools from the provider's claims (else the admin's).
    "roles_from_provider": False,
    # Accounts that log in through the provider cannot log in with a password.
    "require_sso": False,
}


def read(session: Session) -> dict:
    return settings.read(session, KEY, DEFAULTS)


def parse(form: Mapping) -> dict:
    """Checkboxes: present and "on" is true, anything else false."""
    return {name: form.get(name) == "on" for name in DEFAULTS}


def save(session: Session, values: dict) -> dict:
    """Store the choices; returns what changed ({name: [before, after]})."""
    before = read(session)
    settings.write(session, KEY, values)
    return {name: [before[name], values[name]] for name in DEFAULTS
            if before[name] != values[name]}
