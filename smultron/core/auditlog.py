"""Reading the audit log: filter by user, action and date, newest first, in pages.
Nothing here changes a row: the log is append-only (the database enforces it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from smultron.core import parsing
from smultron.models import AuditEvent

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class AuditFilter:
    user: str = ""
    action: str = ""
    target: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping) -> AuditFilter:
        def day(name):
            try:
                return date.fromisoformat((args.get(name) or "").strip())
            except ValueError:
                return None

        page = min(parsing.identifier(args.get("page")) or 1, 100_000)
        return cls((args.get("user") or "").strip()[:254],
                   (args.get("action") or "").strip()[:60],
                   (args.get("target") or "").strip()[:300], day("from"), day("to"), page)

    def as_args(self, **changes) -> dict:
        values = {"user": self.user, "action": self.action, "target": self.target,
                  "from": self.date_from.isoformat() if self.date_from else "",
                  "to": self.date_to.isoformat() if self.date_to else "", "page": self.page}
        values.update(changes)
        return {key: value for key, value in values.items() if value not in ("", None, 1)}


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(query: Select, wanted: AuditFilter, tz) -> Select:
    if wanted.user:
        query = query.where(AuditEvent.actor.ilike(f"%{_escape_like(wanted.user)}%",
                                                   escape="\\"))
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.target:
        query = query.where(AuditEvent.target.ilike(f"%{_escape_like(wanted.target)}%",
                                                    escape="\\"))
    if wanted.date_from:
        query = query.where(AuditEvent.at >= datetime.combine(wanted.date_from, time(), tz))
    if wanted.date_to:
        query = query.where(AuditEvent.at < datetime.combine(
            wanted.date_to + timedelta(days=1), time(), tz))
    return query


def search(session: Session, wanted: AuditFilter, tz) -> tuple[list[AuditEvent], int]:
    """One page of events (newest first) and how many match in all."""
    total = session.scalar(_filtered(select(func.count(AuditEvent.id)), wanted, tz))
    rows = session.scalars(_filtered(select(AuditEvent), wanted, tz)
                           .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                           .limit(PAGE_SIZE).offset((wanted.page - 1) * PAGE_SIZE))
    return list(rows), total


def export_rows(session: Session, wanted: AuditFilter, tz):
    """Every matching event (up to EXPORT_LIMIT), newest first, for a CSV download."""
    return session.execute(
        _filtered(select(AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.target,
                         AuditEvent.detail, AuditEvent.ip), wanted, tz)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(EXPORT_LIMIT))


def actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))
