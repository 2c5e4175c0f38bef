"""Small key/value settings (the Setting table) with defaults in code."""

from __future__ import annotations

from sqlalchemy.orm import Session

from smultron.models import Setting


def read(session: Session, key: str, defaults: dict) -> dict:
    """The stored value merged over ``defaults`` (unknown stored keys are dropped)."""
    row = session.get(Setting, key)
    stored = row.value if row is not None and isinstance(row.value, dict) else {}
    return {name: stored.get(name, default) for name, default in defaults.items()}


def write(session: Session, key: str, value: dict) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = dict(value)
    session.flush()


def remove(session: Session, key: str) -> bool:
    row = session.get(Setting, key)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
