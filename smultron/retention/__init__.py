"""Retention: free-text comments are purged after N months, soft-deleted places
removed after M days (their photos with them), photos of places after Q months, audit
events after P months (used or expired one-time links after 30 days). ``apply`` is
idempotent: a second run finds nothing to remove."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from smultron.core import settings
from smultron.core.problems import N_, Collector
from smultron.models import AuditEvent, OneTimeLink, Place, PlacePhoto
from smultron.photos import store

KEY = "retention"
LAST_RUN_KEY = "retention_last_run"
DEFAULTS = {"comment_months": 24, "deleted_place_days": 30, "photo_months": 24,
            "audit_months": 24}
LIMITS = {"comment_months": (1, 120), "deleted_place_days": (1, 3650), "photo_months": (1, 120),
          "audit_months": (6, 120)}
LABELS = {"comment_months": N_("Comments, in months"),
          "deleted_place_days": N_("Deleted places, in days"),
          "photo_months": N_("Photos of places, in months"),
          "audit_months": N_("Audit events, in months")}
LINK_DAYS = 30


@dataclass(frozen=True)
class Outcome:
    """What was (or, in a dry run, would be) removed."""

    comments: int
    deleted_places: int
    audit_events: int
    links: int
    dry_run: bool
    photos: int = 0
    # objects in the photo store (S3) that no photo's row knew of, swept
    orphan_objects: int = 0

    @property
    def total(self) -> int:
        return (self.comments + self.deleted_places + self.photos + self.audit_events
                + self.links + self.orphan_objects)

    def as_dict(self) -> dict:
        return asdict(self)


def periods(session: Session) -> dict:
    return settings.read(session, KEY, DEFAULTS)


def parse(form: Mapping) -> dict:
    problems = Collector()
    values = {name: problems.integer(form, name, low, high, label=LABELS[name])
              for name, (low, high) in LIMITS.items()}
    problems.raise_if_any()
    return values


def save(session: Session, values: dict) -> dict:
    """Store new periods; returns what changed."""
    before = periods(session)
    settings.write(session, KEY, values)
    return {key: [before[key], values[key]] for key in values if before[key] != values[key]}


def _months_ago(months: int):
    return func.now() - func.make_interval(0, months)


def _days_ago(days: int):
    return func.now() - func.make_interval(0, 0, 0, days)


def _conditions(limits: dict) -> dict:
    return {
        "comments": (Place, Place.comment.is_not(None)
                     & (Place.created_at < _months_ago(limits["comment_months"]))),
        "deleted_places": (Place, Place.deleted_at.is_not(None)
                           & (Place.deleted_at < _days_ago(limits["deleted_place_days"]))),
        "photos": (PlacePhoto, PlacePhoto.created_at < _months_ago(limits["photo_months"])),
        "audit_events": (AuditEvent, AuditEvent.at < _months_ago(limits["audit_months"])),
        "links": (OneTimeLink, (func.coalesce(OneTimeLink.used_at, OneTimeLink.expires_at)
                                < _days_ago(LINK_DAYS))),
    }


def preview(session: Session) -> Outcome:
    """Counts of what ``apply`` would remove now (changes nothing)."""
    counts = {name: session.scalar(select(func.count()).select_from(model).where(condition))
              for name, (model, condition) in _conditions(periods(session)).items()}
    return Outcome(dry_run=True, **counts)


def apply(session: Session, dry_run: bool = False) -> Outcome:
    """Remove what is past its period, in the caller's transaction (commit it)."""
    if dry_run:
        return preview(session)
    conditions = _conditions(periods(session))
    objects = store.of(session)
    if objects is not None:
        objects.check()  # a store that is down: nothing removed (503 / the command fails)
        known = set(session.scalars(select(PlacePhoto.object_key)
                                    .where(PlacePhoto.object_key.is_not(None))))
    comments = session.execute(
        update(Place).where(conditions["comments"][1])
        .values(comment=None, comment_state="none", updated_at=func.now(),
                version=Place.version + 1)
        .execution_options(synchronize_session=False)).rowcount
    # The photos of the places purged go with them (ON DELETE CASCADE): their objects too.
    store.forget(session, session.scalars(
        select(PlacePhoto.object_key).join(Place, Place.id == PlacePhoto.place_id)
        .where(conditions["deleted_places"][1], PlacePhoto.object_key.is_not(None))))
    places = session.execute(delete(Place).where(conditions["deleted_places"][1])
                             .execution_options(synchronize_session=False)).rowcount
    purged = session.execute(delete(PlacePhoto).where(conditions["photos"][1])
                             .returning(PlacePhoto.object_key)
                             .execution_options(synchronize_session=False)).scalars().all()
    store.forget(session, purged)  # the objects go once the caller commits
    photos = len(purged)
    orphans = store.sweep_orphans(objects, known) if objects is not None else 0
    # The audit table refuses DELETE unless this transaction says it is the retention job.
    session.execute(text("SELECT set_config('smultron.audit_purge', 'on', true)"))
    events = session.execute(delete(AuditEvent).where(conditions["audit_events"][1])
                             .execution_options(synchronize_session=False)).rowcount
    session.execute(text("SELECT set_config('smultron.audit_purge', 'off', true)"))
    links = session.execute(delete(OneTimeLink).where(conditions["links"][1])
                            .execution_options(synchronize_session=False)).rowcount
    outcome = Outcome(comments, places, events, links, dry_run=False, photos=photos,
                      orphan_objects=orphans)
    at = session.scalar(select(func.now()))
    settings.write(session, LAST_RUN_KEY, {"at": at.isoformat(), **outcome.as_dict()})
    return outcome


def last_run(session: Session) -> dict | None:
    """When the purge last ran (from the CLI or the admin page) and what it removed."""
    from datetime import datetime

    value = settings.read(session, LAST_RUN_KEY, {"at": None, "comments": 0,
                                                  "deleted_places": 0, "photos": 0,
                                                  "audit_events": 0, "links": 0})
    if not value["at"]:
        return None
    return {**value, "at": datetime.fromisoformat(value["at"])}


def overdue(session: Session, hours: int = 48) -> bool:
    """True when the purge has not run for ``hours`` (no timer set up, or it fails)."""
    run = last_run(session)
    if run is None:
        return True
    return session.scalar(select(func.now())) - run["at"] > timedelta(hours=hours)


def describe(outcome: Outcome, limits: dict) -> list[str]:
    """English lines for the CLI."""
    verb = "would remove" if outcome.dry_run else "removed"
    return [
        f"{verb} {outcome.comments} comment(s) older than {limits['comment_months']} months",
        f"{verb} {outcome.deleted_places} place(s) deleted more than "
        f"{limits['deleted_place_days']} days ago",
        f"{verb} {outcome.photos} photo(s) of places older than {limits['photo_months']} months",
        f"{verb} {outcome.audit_events} audit event(s) older than "
        f"{limits['audit_months']} months",
        f"{verb} {outcome.links} used or expired one-time link(s) older than {LINK_DAYS} days",
    ] + ([f"{verb} the objects of {outcome.orphan_objects} photo(s) in the photo store that "
          "no photo's row knew of"] if outcome.orphan_objects else [])
