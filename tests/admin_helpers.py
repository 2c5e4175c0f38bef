"""Helpers for the admin tests: an admin-logged-in client that posts forms with CSRF."""

from __future__ import annotations

from sqlalchemy import func, select

from smultron.models import AuditEvent
from tests import factories


class AdminClient:
    def __init__(self, client, auth, email: str):
        self.client = client
        auth.login(email)
        self.token = auth.csrf_token()

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict | None = None, **kwargs):
        form = {"csrf_token": self.token, **(data or {})}
        return self.client.post(url, data=form, **kwargs)


def audit_count(db, action: str | None = None) -> int:
    query = select(func.count(AuditEvent.id))
    if action:
        query = query.where(AuditEvent.action == action)
    db.expire_all()
    return db.scalar(query)


def last_audit(db) -> AuditEvent:
    db.expire_all()
    return db.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))


def one_time_link(html: str) -> str:
    import re

    found = re.search(r'id="one-time-link"[^>]*value="([^"]+)"', html)
    assert found, "no one-time link on the page"
    return found.group(1)


PASSWORD = factories.PASSWORD
