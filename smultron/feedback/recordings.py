"""Recordings read aloud (issue 15): a category's name, or an answer status's, spoken in
one language, for the speaker buttons where the device has no voice for the page's
language (North Sámi, Meänkieli on most tablets).

Administrators upload them (ogg, mp3 or m4a, at most 1 MB and 30 s). The file is kept as
it came, but only once mutagen has read it as that kind of audio and found its length:
the name it was sent under and the type the browser claimed decide nothing. One per
subject and language; a new upload replaces the old one under a new id, so an address
(and what a tablet kept of it) never changes meaning. Flask-free; the routes are in
smultron/web/recordings.py and smultron/web/admin/recordings.py.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from mutagen import MutagenError
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from smultron.core import audit
from smultron.core.errors import NotFound
from smultron.core.messages import M
from smultron.core.problems import N_, fail
from smultron.models import (
    LANGUAGE_CODES,
    RECORDING_MAX_BYTES,
    RECORDING_MAX_MS,
    RECORDING_TYPES,
    RESPONSE_STATUSES,
    Category,
    Recording,
)

KINDS = ("category", "status")
# The endings a recording's file may have; anything else is the wrong type (415).
ENDINGS = (".ogg", ".oga", ".opus", ".mp3", ".m4a", ".mp4", ".aac")
# Audio Smultron does not take, told apart from files that are no audio at all.
OTHER_AUDIO = (b"RIFF", b"fLaC", b"FORM", b"#!AMR", b"\x30\x26\xb2\x75")
FIELD = "file"


@dataclass(frozen=True)
class Subject:
    """What a recording says: a category (key: its id) or an answer status (its code)."""

    kind: str
    key: int | str

    def where(self):
        if self.kind == "category":
            return Recording.category_id == self.key
        return Recording.status == self.key

    def columns(self) -> dict:
        return {"category_id": self.key} if self.kind == "category" else {"status": self.key}

    def target(self) -> str:
        return f"{self.kind}:{self.key}"


@dataclass(frozen=True)
class Checked:
    """An upload that is a recording Smultron takes."""

    content: bytes
    media_type: str
    duration_ms: int
    sha256: str


@dataclass(frozen=True)
class Audio:
    """What to send for GET."""

    id: int
    content: bytes
    media_type: str
    etag: str

    @property
    def filename(self) -> str:
        return f"recording-{self.id}.{RECORDING_TYPES[self.media_type]}"


# -- what is recorded ---------------------------------------------------------------------

def subject(db: Session, kind: str, key: str) -> Subject:
    """The category (by id) or the answer status (by code) named in an address; 404 else."""
    if kind == "category" and key.isascii() and key.isdigit() and len(key) < 10:
        if db.get(Category, int(key)) is not None:
            return Subject("category", int(key))
    elif kind == "status" and key in RESPONSE_STATUSES:
        return Subject("status", key)
    raise fail(N_("There is nothing to record with that name"), status=404)


def language(code: str) -> str:
    if code not in LANGUAGE_CODES:
        raise fail(N_("There is no such language"), status=404)
    return code


# -- checking an upload -------------------------------------------------------------------

def _sniff(head: bytes):
    """The mutagen readers to try for the file's first bytes, and its media type."""
    if head.startswith(b"OggS"):
        return (OggVorbis, OggOpus), "audio/ogg"
    if head[4:8] == b"ftyp":
        return (MP4,), "audio/mp4"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return (MP3,), "audio/mpeg"
    if head.startswith(OTHER_AUDIO):
        raise fail(N_("Recordings are ogg, mp3 or m4a files: convert this one to one of "
                      "them"), FIELD, status=415)
    raise _not_audio()


def _not_audio():
    return fail(N_("The file is not a recording: upload an ogg, mp3 or m4a file with the "
                   "spoken word"), FIELD, status=422)


def _length(readers, content: bytes) -> float:
    for reader in readers:
        try:
            info = reader(io.BytesIO(content)).info
        except MutagenError:
            continue
        if reader is MP4 and not info.codec:  # an MP4 without a sound track
            raise _not_audio()
        return float(info.length or 0)
    raise _not_audio()


def check(filename: str, content: bytes) -> Checked:
    """The upload as a recording, or Invalid (413 too large, 415 a type Smultron does not
    take, 422 not a recording or too long)."""
    if not content:
        raise fail(N_("Choose a recording to upload"), FIELD, status=422)
    if len(content) > RECORDING_MAX_BYTES:
        raise fail(N_("The recording is too large: at most %(size)s MB"), FIELD, status=413,
                   size=RECORDING_MAX_BYTES // 2**20)
    if not (filename or "").lower().endswith(ENDINGS):
        raise fail(N_("Recordings are ogg, mp3 or m4a files: convert this one to one of "
                      "them"), FIELD, status=415)
    readers, media_type = _sniff(content[:16])
    seconds = _length(readers, content)
    if seconds <= 0:
        raise _not_audio()
    if seconds * 1000 > RECORDING_MAX_MS:
        raise fail(N_("The recording is %(seconds)s seconds long: at most %(max)s seconds"),
                   FIELD, status=422, seconds=round(seconds), max=RECORDING_MAX_MS // 1000)
    return Checked(content, media_type, max(1, round(seconds * 1000)),
                   hashlib.sha256(content).hexdigest())


# -- storing ------------------------------------------------------------------------------

def put(db: Session, user, about: Subject, lang: str, upload: Checked,
        ip: str | None = None) -> Recording:
    """Store (or replace) the recording of ``about`` in ``lang``, audited; the caller
    commits."""
    replaced = _delete(db, about, lang)
    row = Recording(**about.columns(), language=lang, media_type=upload.media_type,
                    content=upload.content, duration_ms=upload.duration_ms,
                    sha256=upload.sha256, author_id=user.id)
    db.add(row)
    db.flush()
    audit.record(db, "recording_replaced" if replaced else "recording_added", user,
                 target=about.target(), detail=describe(row), ip=ip)
    return row


def remove(db: Session, user, about: Subject, lang: str, ip: str | None = None) -> bool:
    """Remove the recording of ``about`` in ``lang`` (audited); False when there was none.
    The caller commits."""
    if not _delete(db, about, lang):
        return False
    audit.record(db, "recording_removed", user, target=about.target(),
                 detail={"language": lang}, ip=ip)
    return True


def _delete(db: Session, about: Subject, lang: str) -> bool:
    gone = db.execute(delete(Recording).where(about.where(), Recording.language == lang)
                      .returning(Recording.id)).scalar()
    return gone is not None


def describe(row: Recording) -> dict:
    """For the audit log."""
    return {"language": row.language, "media_type": row.media_type,
            "bytes": len(row.content), "duration_ms": row.duration_ms}


# -- reading ------------------------------------------------------------------------------

def of_subject(db: Session, about: Subject) -> dict[str, Recording]:
    """{language: recording} of one subject (without the bytes)."""
    return {row.language: row for row in db.scalars(select(Recording).where(about.where()))}


def counts(db: Session) -> dict[str, list[str]]:
    """{"category:<id>" or "status:<code>": the languages recorded} of every subject."""
    found: dict[str, list[str]] = {}
    for category_id, status, lang in db.execute(
            select(Recording.category_id, Recording.status, Recording.language)
            .order_by(Recording.language)):
        key = f"category:{category_id}" if category_id is not None else f"status:{status}"
        found.setdefault(key, []).append(lang)
    return found


def for_language(db: Session, lang: str) -> dict[str, dict[str, int]]:
    """The recordings a page in ``lang`` plays: {"category": {code: id}, "status": {code:
    id}}; other languages' recordings are never offered."""
    found: dict[str, dict[str, int]] = {"category": {}, "status": {}}
    rows = db.execute(select(Recording.id, Category.code, Recording.status)
                      .outerjoin(Category, Category.id == Recording.category_id)
                      .where(Recording.language == lang))
    for recording_id, code, status in rows:
        found["category" if code else "status"][code or status] = recording_id
    return found


def audio(db: Session, recording_id: int) -> Audio:
    row = db.execute(select(Recording.content, Recording.media_type, Recording.sha256)
                     .where(Recording.id == recording_id)).one_or_none()
    if row is None:
        raise NotFound(M("There is no such recording."))
    return Audio(recording_id, row[0], row[1], f'"{row[2][:32]}"')
