"""Where a photo's bytes live: in its ``place_photo`` row (PostgreSQL, the default) or in
an S3-compatible object store (``SMULTRON_PHOTO_STORE=s3://bucket/prefix``).

The row stays in PostgreSQL either way (ids, state, moderation, dates, the upload's
hash); with S3 it holds ``object_key`` instead of the JPEGs, and the full photo and its
thumbnail are the objects ``<object_key>/full.jpg`` and ``<object_key>/thumb.jpg``. A key
is the store's prefix, the photo's UUID and a UUID of this one write: no personal data,
and a parallel retry of the same photo never overwrites what another request stored.

Consistency (a row never points at a missing object; no object is left behind unsaid):
the objects are written before the row, and removed again if the transaction rolls back;
a removed row's objects are deleted once its transaction commits (``forget``), and a
failure there is logged and swept later by ``smultron retention apply``
(``sweep_orphans``). A store that does not answer is a 503 (``StoreDown``), never a 500.

The photos are always served by the app (access rules, moderation), never by redirect
to the bucket. Flask-free: the app and the CLI put the store in their Sessions' ``info``
(``session_info``)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import event
from sqlalchemy.orm import Session

from smultron.core.errors import AppError
from smultron.core.messages import M

log = logging.getLogger(__name__)

SIZES = {"full": "full.jpg", "thumb": "thumb.jpg"}
# The most a photo's object may hold (as place_photo's checks allow in a row): what is read
# into memory is bounded even if something else wrote into the bucket.
LIMITS = {"full": 4 * 2**20, "thumb": 2**20}
INFO_KEY = "smultron.photo_store"
_WRITTEN = "smultron.photo_store.written"  # objects to remove if the transaction rolls back
_FORGOTTEN = "smultron.photo_store.forgotten"  # objects to remove once it commits
ORPHAN_AGE = timedelta(hours=24)  # an object without a row older than this is swept


class StoreDown(AppError):
    """The object store did not answer (or refused us): nothing was saved or read."""

    status = 503

    def __init__(self):
        super().__init__(M("Photos cannot be saved or shown just now: the photo store does "
                           "not answer. Try again in a few minutes."))


class ConfigError(RuntimeError):
    """SMULTRON_PHOTO_STORE and its companions are wrong (the message says what to set)."""


@dataclass(frozen=True)
class S3Settings:
    bucket: str
    prefix: str
    endpoint: str | None = None
    region: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    addressing: str = "path"
    timeout: float = 10.0

    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def parse(config: dict) -> S3Settings | None:
    """The S3 settings from the app's config (``PHOTO_STORE*``), or None: PostgreSQL."""
    raw = (config.get("PHOTO_STORE") or "").strip()
    if raw in ("", "postgresql"):
        return None
    parts = urlsplit(raw)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError("SMULTRON_PHOTO_STORE must be 'postgresql' (the default) or "
                          "s3://BUCKET/PREFIX, e.g. s3://smultron-photos/kiruna")
    prefix = parts.path.strip("/")
    addressing = config.get("PHOTO_STORE_ADDRESSING") or "path"
    if addressing not in ("path", "virtual"):
        raise ConfigError("SMULTRON_PHOTO_STORE_ADDRESSING must be 'path' (the default) or "
                          "'virtual'")
    return S3Settings(bucket=parts.netloc, prefix=f"{prefix}/" if prefix else "",
                      endpoint=config.get("PHOTO_STORE_ENDPOINT") or None,
                      region=config.get("PHOTO_STORE_REGION") or None,
                      access_key=config.get("PHOTO_STORE_ACCESS_KEY") or None,
                      secret_key=config.get("PHOTO_STORE_SECRET_KEY") or None,
                      addressing=addressing)


class S3Store:
    """The photos' bytes in one bucket under one prefix (boto3; any S3-compatible store:
    AWS, MinIO, Ceph RGW, Scality, ...)."""

    kind = "s3"

    def __init__(self, settings: S3Settings):
        import boto3
        from botocore.config import Config

        self.settings = settings
        self.bucket = settings.bucket
        # Checksums only where S3 requires them: older S3-compatible servers refuse the
        # trailing checksums botocore sends by default since 1.36.
        config = Config(s3={"addressing_style": settings.addressing},
                        connect_timeout=3, read_timeout=settings.timeout,
                        retries={"mode": "standard", "max_attempts": 2},
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required")
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=settings.endpoint, region_name=settings.region,
            aws_access_key_id=settings.access_key, aws_secret_access_key=settings.secret_key,
            config=config)

    # -- keys ---------------------------------------------------------------------------

    def new_key(self, photo_id: uuid.UUID) -> str:
        return f"{self.settings.prefix}{photo_id}/{uuid.uuid4()}"

    @staticmethod
    def objects(object_key: str) -> list[str]:
        return [f"{object_key}/{name}" for name in SIZES.values()]

    # -- the calls ----------------------------------------------------------------------

    def _call(self, name: str, missing_ok: bool = False, **kwargs):
        """The S3 call; StoreDown when it fails (a ClientError when ``missing_ok`` and the
        object is not there)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, name)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            if missing_ok and exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise
            log.error("the photo store refused %s: %s", name, exc)
            raise StoreDown() from exc
        except BotoCoreError as exc:
            log.error("the photo store did not answer %s: %s", name, exc)
            raise StoreDown() from exc

    def put(self, object_key: str, content: bytes, thumb: bytes) -> None:
        for key, body in zip(self.objects(object_key), (content, thumb), strict=True):
            self._call("put_object", Key=key, Body=body, ContentType="image/jpeg")

    def get(self, object_key: str, size: str) -> bytes | None:
        """The JPEG (at most ``LIMITS[size]``, so read whole), or None when the object is
        missing or larger than a photo can be (logged: the row and the bucket disagree)."""
        from botocore.exceptions import ClientError

        key = f"{object_key}/{SIZES[size]}"
        try:
            answer = self._call("get_object", missing_ok=True, Key=key)
        except ClientError:
            log.error("photo object %s is missing from %s", key, self.settings.location())
            return None
        with answer["Body"] as body:
            if answer.get("ContentLength", 0) > LIMITS[size]:
                log.error("photo object %s holds %s bytes, more than a photo can", key,
                          answer["ContentLength"])
                return None
            return body.read()

    def delete(self, object_keys: Iterable[str]) -> None:
        """Remove the objects of these photos (a missing one is no error)."""
        keys = [key for object_key in object_keys for key in self.objects(object_key)]
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1,000
            batch = [{"Key": key} for key in keys[start:start + 1000]]
            answer = self._call("delete_objects", Delete={"Objects": batch, "Quiet": True})
            if answer.get("Errors"):
                log.error("the photo store kept %d object(s): %s", len(answer["Errors"]),
                          answer["Errors"][:3])
                raise StoreDown()

    def check(self) -> None:
        """StoreDown unless the bucket answers."""
        self._call("head_bucket")

    def listing(self):
        """(object key of a photo, last modified) for every object under the prefix."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.settings.prefix)
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            for page in pages:
                for item in page.get("Contents", ()):
                    yield item["Key"].rsplit("/", 1)[0], item["LastModified"]
        except (BotoCoreError, ClientError) as exc:
            log.error("the photo store did not list %s: %s", self.settings.location(), exc)
            raise StoreDown() from exc


def from_config(config: dict) -> S3Store | None:
    settings = parse(config)
    return S3Store(settings) if settings else None


def session_info(config: dict) -> dict:
    """What a sessionmaker's ``info`` carries so that domain code finds the store."""
    return {INFO_KEY: from_config(config)}


def of(db: Session) -> S3Store | None:
    """The store new photos go to (None: their bytes go into the row)."""
    return db.info.get(INFO_KEY)


def required(db: Session) -> S3Store:
    """The S3 store a row with an ``object_key`` needs (503 when none is configured)."""
    store = of(db)
    if store is None:
        log.error("a photo is in the object store but SMULTRON_PHOTO_STORE is not s3://…")
        raise StoreDown()
    return store


# -- the bytes of one photo ---------------------------------------------------------------

def write(db: Session, photo_id: uuid.UUID, content: bytes, thumb: bytes) -> dict:
    """Store a new photo's bytes; the row's columns that say where (``content`` and
    ``thumb``, or ``object_key``). With S3 the objects are written now and removed again
    if ``db``'s transaction rolls back."""
    store = of(db)
    if store is None:
        return {"content": content, "thumb": thumb, "object_key": None}
    object_key = store.new_key(photo_id)
    db.connection()  # in a transaction (begun if need be), whose end the listeners see
    db.info.setdefault(_WRITTEN, []).append(object_key)
    store.put(object_key, content, thumb)
    return {"content": None, "thumb": None, "object_key": object_key}


def read(db: Session, object_key: str | None, inline: bytes | None, size: str) -> bytes | None:
    """A photo's JPEG: the row's own bytes, or its object (None when that is missing)."""
    if object_key is None:
        return inline
    return required(db).get(object_key, size)


def forget(db: Session, object_keys: Iterable[str | None]) -> None:
    """Remove these photos' objects once ``db``'s transaction commits (their rows are
    being deleted in it); the PostgreSQL store's bytes go with the rows."""
    keys = [key for key in object_keys if key]
    if keys:
        db.info.setdefault(_FORGOTTEN, []).extend(keys)


def check(db: Session) -> None:
    """StoreDown unless the configured store answers (before a deletion that needs it)."""
    store = of(db)
    if store is not None:
        store.check()


def _remove(store: S3Store | None, keys: list[str], why: str) -> None:
    if not keys or store is None:
        return
    try:
        store.delete(keys)
    except StoreDown:
        log.error("%d photo object(s) %s were not removed (the store did not answer); "
                  "smultron retention apply sweeps them: %s", len(keys), why, keys[:5])


@event.listens_for(Session, "after_commit")
def _after_commit(db: Session) -> None:
    db.info.pop(_WRITTEN, None)
    _remove(db.info.get(INFO_KEY), db.info.pop(_FORGOTTEN, []), "of deleted photos")


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(db: Session, transaction) -> None:
    """A transaction that ended without a commit (rolled back, or its Session closed):
    the objects it wrote have no row; the deletions it meant are off."""
    if transaction.parent is not None or transaction.nested:
        return
    db.info.pop(_FORGOTTEN, None)
    _remove(db.info.get(INFO_KEY), db.info.pop(_WRITTEN, []), "of photos not saved")


def move_into_store(db: Session, batch: int = 20) -> int:
    """Move up to ``batch`` photos whose bytes are in their rows into the object store (one
    transaction: the objects first, then the rows point at them and drop their bytes);
    returns how many (0: none left). Photos are read one at a time (each at most 4 MB)."""
    from sqlalchemy import select, update

    from smultron.models import PlacePhoto

    if of(db) is None:
        raise ConfigError("SMULTRON_PHOTO_STORE is not s3://BUCKET/PREFIX: there is no object "
                          "store to move the photos into")
    ids = db.scalars(select(PlacePhoto.id).where(PlacePhoto.object_key.is_(None))
                     .order_by(PlacePhoto.id).limit(batch)
                     .with_for_update(skip_locked=True)).all()
    for photo_id in ids:
        content, thumb = db.execute(select(PlacePhoto.content, PlacePhoto.thumb)
                                    .where(PlacePhoto.id == photo_id)).one()
        db.execute(update(PlacePhoto).where(PlacePhoto.id == photo_id)
                   .values(**write(db, photo_id, content, thumb)))
    return len(ids)


def sweep_orphans(store: S3Store, known: set[str], now: datetime | None = None,
                  age: timedelta = ORPHAN_AGE) -> int:
    """Remove objects under the prefix that no row knows and that are older than ``age``
    (a crash between writing an object and committing its row, a deletion the store
    missed); returns how many photos' objects were removed."""
    cutoff = (now or datetime.now(UTC)) - age
    orphans = {key for key, modified in store.listing()
               if key not in known and modified < cutoff}
    if orphans:
        store.delete(sorted(orphans))
        log.warning("removed the objects of %d photo(s) no row knew of", len(orphans))
    return len(orphans)
