"""Photos of places (never of people): stored under the device's UUID, idempotently, at
most ``MAX_PER_PLACE`` per place; read back by staff of the place's preschool and by
planners and administrators (who moderate them); never by officials.

A photo is 404 to whoever may not see its place (a deleted place's photos go with it);
a hidden photo is seen by moderators only. Planners' downloads and the OGC API carry
approved photos only (``approved_photos``).

The bytes live in the photo's row or, with ``SMULTRON_PHOTO_STORE=s3://…``, in an object
store: every read and write of them goes through ``smultron.photos.store``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import ColumnElement, String, cast, delete, func, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.orm import Session

from smultron.core import audit
from smultron.core.access import PLANNERS, Viewer
from smultron.core.errors import AppError, Conflict, Forbidden, NotFound
from smultron.core.messages import M, Message
from smultron.models import PHOTO_STATES, MappingSession, Place, PlacePhoto, User
from smultron.photos import imaging, store

MAX_PER_PLACE = 3
MAX_UPLOAD_BYTES = 15 * 2**20
READER_ROLES = frozenset({"staff", "planner", "admin"})
WRITER_ROLES = frozenset({"staff"})
DELETER_ROLES = frozenset({"staff", "admin"})
DECISIONS = {"approve": "approved", "hide": "hidden"}
SIZES = ("full", "thumb")


class TooLarge(AppError):
    status = 413


@dataclass(frozen=True)
class Upload:
    """The body a device sent, already spooled (to disk past a small size) and hashed."""

    stream: BinaryIO
    sha256: str
    size: int


@dataclass(frozen=True)
class PhotoImage:
    """The bytes to send for GET: JPEG, and what tells versions apart."""

    id: uuid.UUID
    content: bytes | None  # None: the client's copy is current (get_image's ``cached``)
    etag: str
    state: str


def too_large(limit: int) -> TooLarge:
    return TooLarge(M("The photo is too large: at most %(size)d MB.",
                      size=max(1, limit // 2**20)))


# -- access -------------------------------------------------------------------------------

def _require(viewer: Viewer, roles: frozenset[str]) -> None:
    if viewer.role not in READER_ROLES:
        raise Forbidden(M("Your role sees reports, not photos of places."))
    if viewer.role not in roles:
        raise Forbidden(M("Photos are added and removed by the preschool's staff; planners "
                          "approve or hide them."))


def _uuid(value, message: Message) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(message) from None


def _place(db: Session, viewer: Viewer, place_id, *, lock: bool = False) -> Place:
    """A place the viewer may see, not deleted (404 otherwise)."""
    query = select(Place).where(Place.id == _uuid(place_id, M("There is no such place.")),
                                Place.deleted_at.is_(None),
                                viewer.preschool_filter(Place.preschool_id))
    found = db.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise NotFound(M("There is no such place."))
    return found


def _visible_states(viewer: Viewer) -> tuple[str, ...]:
    if viewer.role in PLANNERS:
        return PHOTO_STATES
    return ("pending", "approved")


# -- describing ---------------------------------------------------------------------------

def describe(photo: PlacePhoto) -> dict:
    """The photo's JSON (without addresses; the HTTP layer adds them)."""
    return {"id": str(photo.id), "place": str(photo.place_id), "state": photo.state,
            "width": photo.width, "height": photo.height,
            "taken_on": photo.taken_on.isoformat() if photo.taken_on else None,
            "created_at": photo.created_at.isoformat()}


def photo_ids(place_id_column) -> ColumnElement:
    """A JSON array of a place's photo ids (oldest first, hidden ones left out), for the
    place's properties; ``place_id_column`` is the outer query's place id."""
    ids = func.json_agg(aggregate_order_by(PlacePhoto.id, PlacePhoto.created_at))
    return (select(func.coalesce(ids, text("'[]'::json")))
            .where(PlacePhoto.place_id == place_id_column, PlacePhoto.state != "hidden")
            .scalar_subquery())


def approved_ids(place_id_column) -> ColumnElement:
    """An array of a place's *approved* photo ids as text (oldest first; NULL when it has
    none), for what leaves the app: the downloads and the OGC API (``approved_urls``)."""
    ids = func.array_agg(aggregate_order_by(cast(PlacePhoto.id, String),
                                            PlacePhoto.created_at, PlacePhoto.id))
    return (select(ids).where(PlacePhoto.place_id == place_id_column,
                              PlacePhoto.state == "approved")
            .scalar_subquery())


PhotoUrl = Callable[[str, str], str]  # (place id, photo id) -> the photo's absolute address


def approved_urls(place_id: str, ids: list[str] | None, url: PhotoUrl) -> list[str]:
    """The addresses of a place's approved photos (``ids`` from ``approved_ids``)."""
    return [url(place_id, photo_id) for photo_id in ids or ()]


MAX_SHOWN = 12  # photos a planner's document shows at most


@dataclass(frozen=True)
class Shown:
    """An approved photo as a planner's document shows it: its 320 px JPEG."""

    place_id: str
    photo_id: str
    taken_on: object  # a date, or None
    thumb: bytes


def approved_thumbs(db: Session, viewer: Viewer, place_ids, limit: int = MAX_SHOWN
                    ) -> tuple[list[Shown], bool]:
    """The approved photos of ``place_ids`` (by place order, each place's oldest first) for
    someone who sees single places, at most ``limit``; (photos, whether that was all)."""
    viewer.require_raw_places()
    ids = [_uuid(i, M("There is no such place.")) for i in place_ids]
    if not ids:
        return [], True
    order = {key: n for n, key in enumerate(ids)}
    rows = db.execute(select(PlacePhoto.place_id, PlacePhoto.id, PlacePhoto.taken_on,
                             PlacePhoto.thumb, PlacePhoto.object_key, PlacePhoto.created_at)
                      .join(Place, Place.id == PlacePhoto.place_id)
                      .where(PlacePhoto.state == "approved", PlacePhoto.place_id.in_(ids),
                             Place.deleted_at.is_(None),
                             viewer.preschool_filter(Place.preschool_id))).all()
    rows.sort(key=lambda r: (order[r.place_id], r.created_at, str(r.id)))
    shown = [Shown(str(r.place_id), str(r.id), r.taken_on, thumb) for r in rows[:limit]
             if (thumb := store.read(db, r.object_key, r.thumb, "thumb")) is not None]
    return shown, len(rows) <= limit


def list_photos(db: Session, viewer: Viewer, place_id) -> list[dict]:
    """The photos of one place the viewer may see, oldest first."""
    _require(viewer, READER_ROLES)
    place = _place(db, viewer, place_id)
    rows = db.scalars(select(PlacePhoto).where(
        PlacePhoto.place_id == place.id, PlacePhoto.state.in_(_visible_states(viewer)))
        .order_by(PlacePhoto.created_at, PlacePhoto.id))
    return [describe(row) for row in rows]


# -- writing ------------------------------------------------------------------------------

def _replay(existing: PlacePhoto, place: Place, upload: Upload) -> dict:
    """A retry of a stored photo gets it back; the same id with another file is 409."""
    if existing.place_id != place.id or existing.upload_sha256 != upload.sha256:
        raise Conflict(M("A different photo was already saved with this id. Give the new "
                         "photo a new id."))
    return describe(existing)


def _check_open(db: Session, place: Place) -> None:
    session = db.get(MappingSession, place.session_id)
    if session.campaign.status != "open":
        raise Conflict(M("The campaign %(name)s is closed.", name=session.campaign.name))


def _check_room(db: Session, place: Place) -> None:
    count = db.scalar(select(func.count()).select_from(PlacePhoto).where(
        PlacePhoto.place_id == place.id, PlacePhoto.state != "hidden"))
    if count >= MAX_PER_PLACE:
        raise Conflict(M("A place has at most %(n)d photos. Remove one to add another.",
                         n=MAX_PER_PLACE))


def put_photo(db: Session, viewer: Viewer, user: User, place_id, photo_id,
              upload: Upload) -> tuple[dict, bool]:
    """Store a photo of a place under the device's UUID; (photo, created).

    Sent again with the same bytes it is not stored twice (created=False); with other
    bytes it is 409. Nothing is stored unless the file decodes as an image.
    """
    _require(viewer, WRITER_ROLES)
    key = _uuid(photo_id, M("There is no such photo."))
    place = _place(db, viewer, place_id)
    existing = db.get(PlacePhoto, key)
    if existing is not None:
        return _replay(existing, place, upload), False
    if upload.size > MAX_UPLOAD_BYTES:
        raise too_large(MAX_UPLOAD_BYTES)
    _check_open(db, place)
    clean = imaging.clean(upload.stream)
    place = _place(db, viewer, place.id, lock=True)  # one writer counts the place's photos
    _check_room(db, place)
    # The bytes first (with S3: objects of this write's own key, removed again if the
    # transaction rolls back), then the row that points at them.
    where = store.write(db, key, clean.content, clean.thumb)
    inserted = db.execute(insert(PlacePhoto).values(
        id=key, place_id=place.id, municipality_id=place.municipality_id, state="pending",
        **where, width=clean.width, height=clean.height,
        upload_sha256=upload.sha256, taken_on=clean.taken_on, author_id=user.id,
    ).on_conflict_do_nothing(index_elements=["id"]).returning(PlacePhoto.id)).scalar()
    if inserted is None:  # the same id stored meanwhile by a parallel retry
        db.rollback()  # (and this write's objects removed)
        return _replay(db.get(PlacePhoto, key), place, upload), False
    audit.record(db, "photo_added", user, target=f"photo:{key}",
                 detail={"place": str(place.id), "bytes": len(clean.content)})
    return describe(db.get(PlacePhoto, key)), True


def delete_photo(db: Session, viewer: Viewer, user: User, place_id, photo_id) -> None:
    """Remove a photo for good (its bytes too). Removing it twice is not an error."""
    _require(viewer, DELETER_ROLES)
    key = _uuid(photo_id, M("There is no such photo."))
    place = _place(db, viewer, place_id)
    store.check(db)  # a store that is down: 503 and the photo kept, not a row-less object
    removed = db.execute(delete(PlacePhoto).where(PlacePhoto.id == key,
                                                  PlacePhoto.place_id == place.id)
                         .returning(PlacePhoto.id, PlacePhoto.object_key)).one_or_none()
    if removed is not None:
        store.forget(db, [removed.object_key])  # its objects go once this commits
        audit.record(db, "photo_deleted", user, target=f"photo:{key}",
                     detail={"place": str(place.id)})


# -- reading ------------------------------------------------------------------------------

def get_image(db: Session, viewer: Viewer, place_id, photo_id, size: str = "full",
              cached: Callable[[str], bool] | None = None) -> PhotoImage:
    """The JPEG of a photo (or its 320 px thumbnail) the viewer may see. When ``cached``
    says the client holds this version (its ETag), ``content`` is None: nothing is read
    (from the object store, either)."""
    _require(viewer, READER_ROLES)
    if size not in SIZES:
        raise AppError(M("size is full (the photo) or thumb (320 px)."), 400)
    key = _uuid(photo_id, M("There is no such photo."))
    place = _place(db, viewer, place_id)
    column = PlacePhoto.thumb if size == "thumb" else PlacePhoto.content
    row = db.execute(select(PlacePhoto.object_key, PlacePhoto.upload_sha256, PlacePhoto.state)
                     .where(PlacePhoto.id == key, PlacePhoto.place_id == place.id,
                            PlacePhoto.state.in_(_visible_states(viewer)))).one_or_none()
    if row is None:
        raise NotFound(M("There is no such photo."))
    etag = f'"{row.upload_sha256[:32]}-{size}"'
    if cached is not None and cached(etag):
        return PhotoImage(key, None, etag, row.state)
    inline = None if row.object_key else db.scalar(select(column).where(PlacePhoto.id == key))
    content = store.read(db, row.object_key, inline, size)
    if content is None:
        raise NotFound(M("There is no such photo."))
    return PhotoImage(key, content, etag, row.state)


# -- moderation ---------------------------------------------------------------------------

def _require_moderator(viewer: Viewer) -> None:
    if viewer.role not in PLANNERS:
        raise Forbidden(M("Only planners and administrators moderate photos."))


def pending_count(db: Session, viewer: Viewer) -> int:
    return db.scalar(select(func.count()).select_from(PlacePhoto)
                     .join(Place, Place.id == PlacePhoto.place_id)
                     .where(PlacePhoto.state == "pending", Place.deleted_at.is_(None),
                            viewer.preschool_filter(Place.preschool_id)))


def moderate(db: Session, viewer: Viewer, user: User, photo_id, decision: str) -> str:
    """Approve or hide one photo; returns its new state (audited; the caller commits)."""
    _require_moderator(viewer)
    if decision not in DECISIONS:
        raise AppError(M("Choose approve or hide."))
    key = _uuid(photo_id, M("There is no such photo."))
    found = db.execute(select(PlacePhoto).join(Place, Place.id == PlacePhoto.place_id)
                       .where(PlacePhoto.id == key, Place.deleted_at.is_(None),
                              viewer.preschool_filter(Place.preschool_id))
                       .with_for_update(of=PlacePhoto)).scalar()
    if found is None:
        raise NotFound(M("There is no such photo."))
    before, found.state = found.state, DECISIONS[decision]
    found.moderated_at, found.moderated_by = func.now(), user.id
    audit.record(db, f"photo_{found.state}", user, target=f"photo:{found.id}",
                 detail={"from": before, "to": found.state, "place": str(found.place_id)})
    return found.state


def moderation_rows(db: Session, viewer: Viewer, state: str = "pending", limit: int = 100,
                    lang: str = "sv"):
    """The moderation list: photos in ``state`` (oldest first) of places not deleted, with
    the place's category (in ``lang``), preschool and campaign."""
    from smultron.models import Campaign, Category, Preschool
    from smultron.places.query import category_label

    _require_moderator(viewer)
    if state not in PHOTO_STATES:
        raise AppError(M("Show pending, approved or hidden photos."))
    return db.execute(
        select(PlacePhoto.id, PlacePhoto.place_id, PlacePhoto.state, PlacePhoto.taken_on,
               PlacePhoto.created_at, category_label(lang).label("category"),
               Preschool.name.label("preschool"), Campaign.name.label("campaign"))
        .join(Place, Place.id == PlacePhoto.place_id)
        .join(Category, Category.id == Place.category_id)
        .join(Preschool, Preschool.id == Place.preschool_id)
        .join(Campaign, Campaign.id == Place.campaign_id)
        .where(PlacePhoto.state == state, Place.deleted_at.is_(None),
               viewer.preschool_filter(Place.preschool_id))
        .order_by(PlacePhoto.created_at, PlacePhoto.id).limit(limit)).all()
