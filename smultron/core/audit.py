"""The audit log: who did what, when. Rows are only ever added."""

from __future__ import annotations

from sqlalchemy.orm import Session

from smultron.models import AuditEvent, User


def record(session: Session, action: str, user: User | None = None, *, target: str | None = None,
           detail: dict | None = None, ip: str | None = None, actor: str | None = None) -> None:
    """Add one audit row to the session (committed with the caller's change)."""
    session.add(AuditEvent(
        action=action,
        user_id=user.id if user is not None else None,
        actor=actor or (user.email if user is not None else None),
        target=target,
        detail=detail or {},
        ip=ip,
    ))
