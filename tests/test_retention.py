"""Retention: what is past its period is gone, nothing else; a dry run changes
nothing; a second run removes nothing; the CLI prints what it removed."""

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from smultron import retention
from smultron.models import AuditEvent, OneTimeLink, Place
from tests import factories
from tests.admin_helpers import AdminClient, audit_count

NOW = datetime.now(UTC)


def ago(**delta):
    return NOW - timedelta(**delta)


@pytest.fixture
def aged(db, world):
    """Places, comments, audit events and links on both sides of the default periods
    (comments 24 months, deleted places 30 days, audit events 24 months)."""
    session = factories.mapping_session(db, world.campaign, world.school_a)
    rows = {
        "old_comment": factories.place(db, session, comment="kojan i skogen",
                                       comment_state="approved", created_at=ago(days=800)),
        "new_comment": factories.place(db, session, comment="pulkabacken",
                                       created_at=ago(days=300)),
        "old_no_comment": factories.place(db, session, created_at=ago(days=900)),
        "long_deleted": factories.place(db, session, deleted_at=ago(days=31)),
        "just_deleted": factories.place(db, session, deleted_at=ago(days=29)),
        "live": factories.place(db, session),
    }
    db.add_all([AuditEvent(action="login", actor="old@example.org", at=ago(days=740)),
                AuditEvent(action="login", actor="recent@example.org", at=ago(days=700))])
    user = world.users["staff_a"]
    db.add_all([OneTimeLink(user_id=user.id, purpose="invite", token_hash="a" * 64,
                            expires_at=ago(days=40), created_at=ago(days=47)),
                OneTimeLink(user_id=user.id, purpose="reset", token_hash="b" * 64,
                            expires_at=NOW + timedelta(hours=5))])
    db.commit()
    return {name: row.id for name, row in rows.items()}


def snapshot(db):
    db.expire_all()
    places = {row.id: (row.comment, row.deleted_at is not None)
              for row in db.scalars(select(Place))}
    events = sorted(db.scalars(select(AuditEvent.actor)).all(), key=str)
    links = sorted(db.scalars(select(OneTimeLink.token_hash)))
    return places, events, links


def test_what_is_past_its_period_is_gone_and_nothing_else(db, aged):
    outcome = retention.apply(db)
    db.commit()
    assert (outcome.comments, outcome.deleted_places, outcome.audit_events, outcome.links) == (
        1, 1, 1, 1)
    places, events, links = snapshot(db)
    assert places[aged["old_comment"]] == (None, False)
    assert places[aged["new_comment"]] == ("pulkabacken", False)
    assert aged["old_no_comment"] in places and aged["live"] in places
    assert aged["long_deleted"] not in places
    assert places[aged["just_deleted"]] == (None, True)
    assert "old@example.org" not in events and "recent@example.org" in events
    assert links == ["b" * 64]
    purged = db.get(Place, aged["old_comment"])
    assert purged.comment_state == "none" and purged.version == 2


def test_a_dry_run_counts_and_changes_nothing(db, aged):
    before = snapshot(db)
    outcome = retention.apply(db, dry_run=True)
    db.commit()
    assert outcome.dry_run and outcome.total == 4
    assert snapshot(db) == before


def test_a_second_run_removes_nothing(db, aged):
    retention.apply(db)
    db.commit()
    after_first = snapshot(db)
    assert retention.apply(db).total == 0
    db.commit()
    assert snapshot(db) == after_first


def test_shorter_periods_remove_more(db, aged):
    retention.save(db, {"comment_months": 6, "deleted_place_days": 1, "audit_months": 6})
    outcome = retention.apply(db)
    db.commit()
    assert (outcome.comments, outcome.deleted_places, outcome.audit_events) == (2, 2, 2)


def test_the_audit_table_refuses_delete_outside_the_retention_job(db, aged):
    with pytest.raises(Exception, match="append-only"):
        db.execute(text("DELETE FROM audit_event"))
    db.rollback()
    assert db.scalar(select(func.count(AuditEvent.id))) == 2


def test_the_purge_switch_does_not_outlive_the_purge(db, aged):
    retention.apply(db)
    with pytest.raises(Exception, match="append-only"):
        db.execute(text("DELETE FROM audit_event"))
    db.rollback()


def test_the_cli_prints_what_it_removed_and_is_idempotent(database_url, monkeypatch, db, aged):
    from smultron.cli import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    runner = CliRunner()
    dry = runner.invoke(main, ["retention", "apply", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remove 1 comment(s) older than 24 months" in dry.output
    first = runner.invoke(main, ["retention", "apply"])
    assert first.exit_code == 0, first.output
    assert "removed 1 place(s) deleted more than 30 days ago" in first.output
    assert "removed 1 audit event(s) older than 24 months" in first.output
    second = runner.invoke(main, ["retention", "apply"])
    assert "removed 0 comment(s)" in second.output and "removed 0 audit event(s)" in second.output
    assert audit_count(db, "retention_applied") == 1  # only the run that removed something
    shown = runner.invoke(main, ["retention", "show"])
    assert "audit_months = 24" in shown.output


def test_the_admin_sees_a_dry_run_and_can_apply(client, auth, db, world, aged):
    admin = AdminClient(client, auth, world.email("admin"))
    page = admin.get("/admin/retention").get_data(as_text=True)
    assert 'id="preview-comments">1<' in page and 'id="preview-deleted_places">1<' in page
    assert snapshot(db)[0][aged["old_comment"]][0] == "kojan i skogen"  # the view changed nothing
    assert admin.post("/admin/retention/apply").status_code == 303
    assert snapshot(db)[0][aged["old_comment"]][0] is None
    assert audit_count(db, "retention_applied") == 1


def test_periods_outside_the_limits_are_refused(client, auth, db, world):
    admin = AdminClient(client, auth, world.email("admin"))
    response = admin.post("/admin/retention", {"comment_months": "0", "deleted_place_days": "x",
                                               "audit_months": "2"})
    assert response.status_code == 422
    assert retention.periods(db) == retention.DEFAULTS


def test_the_overview_warns_until_the_purge_has_run(client, auth, db, world):
    admin = AdminClient(client, auth, world.email("admin"))
    assert retention.last_run(db) is None and retention.overdue(db)
    assert 'class="notice"' in admin.get("/admin").get_data(as_text=True)
    admin.post("/admin/retention/apply")
    db.expire_all()
    run = retention.last_run(db)
    assert run is not None and run["comments"] == 0 and not retention.overdue(db)
    assert 'class="notice"' not in admin.get("/admin").get_data(as_text=True)
    assert 'id="last-run"' in admin.get("/admin/retention").get_data(as_text=True)
