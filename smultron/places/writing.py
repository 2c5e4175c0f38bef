"""Writing places: create one idempotently under the client's UUID, change it with a
version check (If-Match), soft-delete and restore it; each change audited."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smultron.core import audit, parsing
from smultron.core.access import PLACE_EDITOR_ROLES, PLANNERS, Viewer
from smultron.core.errors import AppError, Conflict, Forbidden
from smultron.core.geo import from_geojson
from smultron.core.messages import M
from smultron.core.problems import Invalid
from smultron.models import Category, MappingSession, Place, User
from smultron.places.reading import columns, feature, row_of, with_answer
from smultron.places.validation import PlaceValues, invalid, validate


class PreconditionFailed(AppError):
    status = 412


class PreconditionRequired(AppError):
    status = 428


EDITABLE = ("category", "feeling", "children_count", "season", "comment", "age_group")


def _require_editor(viewer: Viewer) -> None:
    viewer.require_raw_places()
    if viewer.role not in PLACE_EDITOR_ROLES:
        raise Forbidden(M("Places are marked and changed by the preschool's staff."))


def _same(row, values: PlaceValues) -> bool:
    stored = feature(row)["geometry"]
    return (from_geojson(stored).equals_exact(values.geom, 1e-9)
            and row.session_id == values.session.id and row.category == values.category.code
            and row.feeling == values.feeling and row.children_count == values.children_count
            and row.age_group == values.age_group and row.season == values.season
            and row.comment == values.comment and row.deleted_at is None)


def _integrity(exc: IntegrityError) -> Invalid:
    text = str(exc.orig)
    name = "geometry" if "geom" in text else "properties"
    return invalid({name: M("The database refused the place (%(reason)s).",
                                    reason=text.splitlines()[0][:200])})


def _stored_same(db: Session, viewer: Viewer, values: PlaceValues) -> dict | None:
    existing = db.execute(with_answer(select(*columns()).join(Category)).where(
        Place.id == values.id)).one_or_none()
    if existing is None or not viewer.may_see_preschool(existing.preschool_id) \
            or not _same(existing, values):
        return None
    return feature(existing)


def _replayed(db: Session, viewer: Viewer, data, error: Invalid) -> dict | None:
    """A retry of a place saved before its session was finished (or its campaign closed)
    still gets its stored place back, not a complaint about the session."""
    if set(error.fields) != {"session"}:
        return None
    try:
        values = validate(db, viewer, data, check_open=False)
    except Invalid:
        return None
    return _stored_same(db, viewer, values) if values.id else None


def create_place(db: Session, viewer: Viewer, user: User, data) -> tuple[dict, bool]:
    """Store a new place under the client's UUID; (feature, created).

    The same id with the same content again is not an error (a retried upload): the
    stored feature comes back with created=False. The same id with other content is 409.
    The database decides (INSERT ... ON CONFLICT DO NOTHING), not a read before the write.
    """
    _require_editor(viewer)
    try:
        values = validate(db, viewer, data)
    except Invalid as exc:
        stored = _replayed(db, viewer, data, exc)
        if stored is None:
            raise
        return stored, False
    session = values.session
    statement = insert(Place).values(
        id=values.id, municipality_id=session.municipality_id, session_id=session.id,
        preschool_id=session.preschool_id, campaign_id=session.campaign_id,
        author_id=user.id, version=1, **values.columns(),
    ).on_conflict_do_nothing(index_elements=["id"]).returning(Place.id)
    try:
        inserted = db.execute(statement).scalar()
    except IntegrityError as exc:
        db.rollback()
        raise _integrity(exc) from None
    if inserted is None:
        db.rollback()
        stored = _stored_same(db, viewer, values)
        if stored is None:
            raise Conflict(M("A different place was already saved with this id. Give the "
                             "new place a new id."))
        return stored, False
    audit.record(db, "place_created", user, target=f"place:{values.id}",
                 detail={"session": str(session.id), "category": values.category.code})
    return feature(row_of(db, viewer, values.id)), True


def parse_version(if_match: str | None, body_version=None) -> tuple[int | None, bool]:
    """(expected version, came from If-Match). Accepts "3", W/"3" and a bare 3."""
    if if_match:
        candidate = if_match.split(",")[0].strip()
        if candidate == "*":
            return None, True
        candidate = candidate.removeprefix("W/").strip('"')
        if parsing.is_digits(candidate) and len(candidate) <= 10 \
                and int(candidate) <= parsing.INTEGER_MAX:
            return int(candidate), True
        raise PreconditionFailed(M("If-Match must be the ETag of the place, e.g. \"3\"."))
    if isinstance(body_version, int) and not isinstance(body_version, bool):
        return body_version, False
    return None, False


def _stale(from_header: bool, current: int) -> AppError:
    error = PreconditionFailed if from_header else Conflict
    return error(M("Someone changed this place after you loaded it. Reload it and make your "
                   "change again."), detail={"version": current})


def _merged(row, patch: dict) -> dict:
    """The current feature with the patch's geometry and editable properties applied."""
    current = feature(row)
    props = patch.get("properties") if isinstance(patch.get("properties"), dict) else {}
    merged = {"type": "Feature", "id": current["id"],
              "geometry": patch.get("geometry", current["geometry"]),
              "properties": {k: props.get(k, current["properties"][k]) for k in EDITABLE}}
    if "properties" in patch and not isinstance(patch["properties"], dict):
        merged["properties"] = None
    return merged


def _open_session(db: Session, row) -> MappingSession:
    """The place's session; places of a closed campaign are no longer changed."""
    session = db.get(MappingSession, row.session_id)
    if session.campaign.status != "open":
        raise Conflict(M("The campaign %(name)s is closed.", name=session.campaign.name))
    return session


def _expected_version(if_match: str | None, props: dict) -> tuple[int | None, bool]:
    expected, from_header = parse_version(if_match, props.get("version"))
    if expected is None and not from_header:
        raise PreconditionRequired(M("Send the version you changed (If-Match: the place's "
                                     "ETag) so that no one else's change is overwritten."))
    return expected, from_header


def _write(db: Session, row, expected: int | None, columns: dict) -> bool:
    """UPDATE the place if it still has the expected version (compare-and-set)."""
    condition = [Place.id == row.id, Place.deleted_at.is_(None)]
    if expected is not None:
        condition.append(Place.version == expected)
    statement = (update(Place).where(*condition)
                 .values(version=Place.version + 1, updated_at=func.now(), **columns)
                 .returning(Place.id))
    try:
        return db.execute(statement).scalar() is not None
    except IntegrityError as exc:
        db.rollback()
        raise _integrity(exc) from None


def patch_place(db: Session, viewer: Viewer, user: User, place_id, patch,
                if_match: str | None = None) -> dict:
    """Change a place's geometry or properties if its version still is the expected one."""
    _require_editor(viewer)
    row = row_of(db, viewer, place_id)
    if not isinstance(patch, dict):
        raise invalid({"type": M("Send a JSON object with the changes.")})
    props = patch.get("properties") if isinstance(patch.get("properties"), dict) else {}
    expected, from_header = _expected_version(if_match, props)
    values = validate(db, viewer, _merged(row, patch), session=_open_session(db, row),
                      require_id=False, check_open=False)
    if _same(row, values) and expected in (None, row.version):
        return feature(row)  # nothing changed: no new version
    columns = values.columns()
    if values.comment == row.comment:
        del columns["comment_state"]  # a moderated comment stays moderated
    if not _write(db, row, expected, columns):
        db.rollback()
        raise _stale(from_header, row_of(db, viewer, row.id).version)
    changed = sorted(set(props) & set(EDITABLE)) + (["geometry"] if "geometry" in patch else [])
    audit.record(db, "place_updated", user, target=f"place:{row.id}",
                 detail={"fields": changed})
    return feature(row_of(db, viewer, row.id))


def delete_place(db: Session, viewer: Viewer, user: User, place_id,
                 if_match: str | None = None) -> None:
    """Soft delete (a planner can restore it). Deleting twice is not an error."""
    _require_editor(viewer)
    row = row_of(db, viewer, place_id, deleted=True)
    if row.deleted_at is not None:
        return
    _open_session(db, row)
    expected, _from_header = parse_version(if_match)
    changed = _write(db, row, expected, {"deleted_at": func.now()})
    if not changed:
        db.rollback()
        current = row_of(db, viewer, row.id, deleted=True)
        if current.deleted_at is not None:
            return
        raise _stale(True, current.version)
    audit.record(db, "place_deleted", user, target=f"place:{row.id}")


def restore_place(db: Session, viewer: Viewer, user: User, place_id) -> dict:
    """Undo a soft delete (planners and admins)."""
    viewer.require_raw_places()
    if viewer.role not in PLANNERS:
        raise Forbidden(M("Only planners can restore a deleted place."))
    row = row_of(db, viewer, place_id, deleted=True)
    if row.deleted_at is not None:
        db.execute(update(Place).where(Place.id == row.id).values(
            deleted_at=None, updated_at=func.now(), version=Place.version + 1))
        audit.record(db, "place_restored", user, target=f"place:{row.id}")
    return feature(row_of(db, viewer, row.id))
