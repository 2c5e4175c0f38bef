"""Photos in an S3-compatible object store (SMULTRON_PHOTO_STORE=s3://bucket/prefix), against
a real one: Ceph's RADOS Gateway started for the run (the ``s3`` fixture,
tests/s3_server.py). The photo tests' key cases run again here with the app's store set to
S3 (imported below, so they use this module's ``app``), then what only S3 has: the bytes
are objects and not in the row, a deletion or a purge removes them, a store that does not
answer is a 503 in the user's language with nothing saved, a rolled-back write leaves no
object. After every test the bucket holds exactly the objects of the rows (``consistent``).
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from smultron import create_app, photos, retention
from smultron.core.access import Viewer
from smultron.models import PlacePhoto
from smultron.photos import store
from tests import factories, photo_data
from tests import test_export_photos as export_tests
from tests import test_photos as photo_tests
from tests.conftest import HttpsClient, app_config
from tests.sso_helpers import free_port
from tests.test_export_photos import export as export_gpkg
from tests.test_photos import put, stored, url

# The photo tests' fixtures and key cases, collected here again: on this module's ``app``
# they run with the photos in the object store.
setup, place_a = photo_tests.setup, photo_tests.place_a
shots = export_tests.shots
AGAIN = {
    photo_tests: ("test_a_jpeg_comes_back_without_any_metadata",
                  "test_the_same_photo_twice_is_one_row_and_other_bytes_are_409",
                  "test_parallel_retries_store_one_row",
                  "test_delete_removes_the_bytes_and_twice_is_fine",
                  "test_role_rules_on_every_photo_route",
                  "test_retention_removes_photos_past_their_period_and_nothing_else",
                  "test_a_purged_place_takes_its_photos",
                  "test_conditional_get_and_private_caching"),
    export_tests: ("test_the_geopackage_carries_approved_photos_of_live_places_only",
                   "test_qgis_shows_a_places_photos_in_its_form"),
}
for _module, _names in AGAIN.items():
    globals().update({name: getattr(_module, name) for name in _names})

PLANNER = Viewer(user_id=0, role="planner", preschool_ids=frozenset())


@pytest.fixture
def prefix() -> str:
    """Each test's own prefix in the run's bucket."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def app(database_url, s3, prefix):
    app = create_app(app_config(database_url, **s3.config(prefix)))
    yield app
    app.extensions["smultron.engine"].dispose()


def objects_of(db) -> set[str]:
    """The objects the rows point at."""
    db.rollback()
    keys = db.scalars(select(PlacePhoto.object_key).where(PlacePhoto.object_key.is_not(None)))
    return {f"{key}/{name}" for key in keys for name in ("full.jpg", "thumb.jpg")}


@pytest.fixture(autouse=True)
def consistent(app, s3, prefix):
    """After the test: no row without its objects, no object without its row, and no row
    holding bytes itself."""
    yield
    with app.extensions["smultron.core.db"]() as db:
        assert set(s3.keys(f"{prefix}/")) == objects_of(db)
        assert db.scalar(select(func.count()).select_from(PlacePhoto)
                         .where(PlacePhoto.content.is_not(None))) == 0


def down_app(database_url, s3, prefix):
    """The same database with the store at a loopback port where nothing listens."""
    return create_app(app_config(database_url, **s3.config(
        prefix, PHOTO_STORE_ENDPOINT=f"http://127.0.0.1:{free_port()}")))


def test_the_photo_is_two_objects_and_no_bytes_in_the_row(client, setup, place_a, db, s3,
                                                          prefix):
    photo_id = uuid.uuid4()
    assert put(client, setup, url(place_a, photo_id), photo_data.encoded("JPEG")).status_code \
        == 201
    row = db.get(PlacePhoto, photo_id)
    assert row.content is None and row.thumb is None
    assert row.object_key.startswith(f"{prefix}/{photo_id}/")
    assert s3.keys(f"{prefix}/") == [f"{row.object_key}/full.jpg",
                                     f"{row.object_key}/thumb.jpg"]
    for size, side in (("full", 800), ("thumb", 320)):
        served = client.get(url(place_a, photo_id), query_string={"size": size},
                            headers=setup.headers("staff_a"))
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        direct = s3.client().get_object(Bucket=s3.bucket,
                                        Key=f"{row.object_key}/{size}.jpg")
        assert direct["ContentType"] == "image/jpeg"
        assert direct["Body"].read() == served.data  # the app streams it, no redirect
        assert max(photo_data.size_of(served.data)) == side


def test_the_key_carries_no_personal_data(client, setup, place_a, db, s3, prefix):
    photo_id = uuid.uuid4()
    put(client, setup, url(place_a, photo_id), photo_data.jpeg_with_metadata())
    (key,) = {k.rsplit("/", 1)[0] for k in s3.keys(f"{prefix}/")}
    _, photo, write = key.split("/")
    assert photo == str(photo_id) and uuid.UUID(write)  # UUIDs only, not the place's


def test_a_store_that_does_not_answer_is_503_in_the_users_language(database_url, setup,
                                                                  place_a, db, s3, prefix):
    down = down_app(database_url, s3, prefix)
    down.test_client_class = HttpsClient
    client = down.test_client()
    path = url(place_a)
    refused = put(client, setup, path, photo_data.encoded("JPEG"))
    assert refused.status_code == 503, refused.json
    assert "fotoarkivet" in refused.json["error"]  # Swedish, the default language
    english = client.put(path, query_string={"lang": "en"}, data=photo_data.encoded("JPEG"),
                         headers=setup.headers("staff_a", **{"Content-Type": "image/jpeg"}))
    assert english.status_code == 503 and "photo store" in english.json["error"]
    assert stored(db) == 0
    down.extensions["smultron.engine"].dispose()


def test_reading_and_deleting_while_the_store_is_down_is_503_and_keeps_the_photo(
        client, database_url, setup, place_a, db, s3, prefix):
    path = url(place_a)
    assert put(client, setup, path, photo_data.encoded("JPEG")).status_code == 201
    etag = client.get(path, headers=setup.headers("staff_a")).headers["ETag"]
    down = down_app(database_url, s3, prefix)
    down.test_client_class = HttpsClient
    broken = down.test_client()
    assert broken.get(path, headers=setup.headers("staff_a")).status_code == 503
    current = broken.get(path, headers=setup.headers("staff_a", **{"If-None-Match": etag}))
    assert current.status_code == 304  # the tablet's copy is current: the store is not asked
    assert broken.delete(path, headers=setup.headers("staff_a")).status_code == 503
    assert stored(db) == 1
    with down.app_context():
        down_db = down.extensions["smultron.core.db"]()
        with pytest.raises(store.StoreDown):
            retention.apply(down_db)  # nothing purged while the store is down
        down_db.close()
    down.extensions["smultron.engine"].dispose()
    assert client.get(path, headers=setup.headers("staff_a")).status_code == 200


def test_a_rolled_back_write_leaves_no_object(app, db, s3, prefix):
    store.write(db, uuid.uuid4(), b"full", b"thumb")
    assert len(s3.keys(f"{prefix}/")) == 2
    db.rollback()
    assert s3.keys(f"{prefix}/") == []
    store.write(db, uuid.uuid4(), b"full", b"thumb")
    db.close()  # a Session closed without a commit rolls back too
    assert s3.keys(f"{prefix}/") == []


def test_purging_tolerates_an_object_already_gone_and_sweeps_orphans(client, setup, place_a,
                                                                     db, s3, prefix):
    old, new = url(place_a), url(place_a)
    for path in (old, new):
        assert put(client, setup, path, photo_data.encoded("JPEG")).status_code == 201
    old_id = uuid.UUID(old.rsplit("/", 1)[1])
    db.execute(update(PlacePhoto).where(PlacePhoto.id == old_id)
               .values(created_at=func.now() - func.make_interval(0, 25)))
    db.commit()
    old_key = db.get(PlacePhoto, old_id).object_key
    s3.client().delete_object(Bucket=s3.bucket, Key=f"{old_key}/thumb.jpg")  # behind our back
    orphan = f"{prefix}/{uuid.uuid4()}/{uuid.uuid4()}"
    s3.client().put_object(Bucket=s3.bucket, Key=f"{orphan}/full.jpg", Body=b"lost")
    outcome = retention.apply(db)
    db.commit()
    assert outcome.photos == 1 and outcome.orphan_objects == 0  # the orphan is too young
    later = datetime.now(UTC) + store.ORPHAN_AGE + timedelta(minutes=1)
    assert store.sweep_orphans(store.of(db), {db.scalar(select(PlacePhoto.object_key))},
                               now=later) == 1
    assert stored(db) == 1


def test_reports_get_the_approved_thumbnails_from_the_store(app, db, world, places):
    photo_data.add(db, places.kiruna_point)
    photo_data.add(db, places.kiruna_point, state="pending")
    db.commit()
    shown, complete = photos.approved_thumbs(db, PLANNER, [places.kiruna_point.id])
    assert complete and len(shown) == 1
    with Image.open(io.BytesIO(shown[0].thumb)) as image:
        assert image.format == "JPEG" and max(image.size) == 320


def test_the_export_needs_the_store_and_says_so(database_url, db, world, places, s3, prefix,
                                                tmp_path):
    photo_data.add(db, places.kiruna_point)
    db.commit()
    down = down_app(database_url, s3, prefix)
    with down.app_context(), down.extensions["smultron.core.db"]() as down_db, \
            pytest.raises(store.StoreDown):
        export_gpkg(down, down_db, tmp_path)
    down.extensions["smultron.engine"].dispose()
    assert not list(tmp_path.glob("*.gpkg"))  # no half-written file left


def test_photos_kept_in_postgresql_before_still_show(database_url, setup, place_a, db, client,
                                                     s3, prefix):
    """An install that turns S3 on later: the rows that hold their bytes are read from
    them (and deleted with them); new photos go to the bucket."""
    before = create_app(app_config(database_url))
    before.test_client_class = HttpsClient
    path = url(place_a)
    body = photo_data.encoded("JPEG")
    assert put(before.test_client(), setup, path, body).status_code == 201
    before.extensions["smultron.engine"].dispose()
    assert client.get(path, headers=setup.headers("staff_a")).status_code == 200
    assert s3.keys(f"{prefix}/") == []
    assert client.delete(path, headers=setup.headers("staff_a")).status_code == 204
    assert stored(db) == 0
    other = factories.place(db, setup.session_a)
    db.commit()
    assert put(client, setup, url(other), body).status_code == 201
    assert len(s3.keys(f"{prefix}/")) == 2


def store_environment(monkeypatch, database_url, s3, prefix) -> None:
    """The environment a timer's ``smultron`` command has: SMULTRON_PHOTO_STORE* and the
    standard AWS_* credentials."""
    for name, value in {"DATABASE_URL": database_url,
                        "SMULTRON_PHOTO_STORE": f"s3://{s3.bucket}/{prefix}",
                        "SMULTRON_PHOTO_STORE_ENDPOINT": s3.endpoint,
                        "AWS_ACCESS_KEY_ID": s3.access_key,
                        "AWS_SECRET_ACCESS_KEY": s3.secret_key}.items():
        monkeypatch.setenv(name, value)


def test_a_row_whose_object_is_gone_answers_404_and_can_be_deleted(client, setup, place_a,
                                                                   db, s3):
    path = url(place_a)
    assert put(client, setup, path, photo_data.encoded("JPEG")).status_code == 201
    key = db.scalar(select(PlacePhoto.object_key))
    s3.client().delete_object(Bucket=s3.bucket, Key=f"{key}/full.jpg")  # behind our back
    assert client.get(path, headers=setup.headers("staff_a")).status_code == 404
    assert client.get(path, query_string={"size": "thumb"},
                      headers=setup.headers("staff_a")).status_code == 200
    assert client.delete(path, headers=setup.headers("staff_a")).status_code == 204


def test_the_cli_purges_with_the_store_from_the_environment(database_url, monkeypatch, client,
                                                            setup, place_a, db, s3, prefix):
    """``smultron retention apply`` as a timer runs it: the store and its credentials from
    SMULTRON_PHOTO_STORE* and the standard AWS_* variables."""
    from click.testing import CliRunner

    from smultron.cli import main

    old = url(place_a)
    assert put(client, setup, old, photo_data.encoded("JPEG")).status_code == 201
    db.execute(update(PlacePhoto).values(created_at=func.now() - func.make_interval(0, 25)))
    db.commit()
    store_environment(monkeypatch, database_url, s3, prefix)
    done = CliRunner().invoke(main, ["retention", "apply"])
    assert done.exit_code == 0, done.output
    assert "removed 1 photo(s) of places older than 24 months" in done.output
    assert stored(db) == 0 and s3.keys(f"{prefix}/") == []


def test_a_bucket_that_is_not_there_is_503_too(database_url, setup, place_a, db, s3, prefix):
    wrong = create_app(app_config(database_url, **s3.config(
        prefix, PHOTO_STORE=f"s3://no-such-bucket/{prefix}")))
    wrong.test_client_class = HttpsClient
    client = wrong.test_client()
    path = url(place_a)
    assert put(client, setup, path, photo_data.encoded("JPEG")).status_code == 503
    assert client.delete(path, headers=setup.headers("staff_a")).status_code == 503
    assert stored(db) == 0
    wrong.extensions["smultron.engine"].dispose()


def test_photos_kept_in_the_database_move_into_the_store(database_url, monkeypatch, setup,
                                                         place_a, db, client, s3, prefix):
    from click.testing import CliRunner

    from smultron.cli import main

    before = create_app(app_config(database_url))
    before.test_client_class = HttpsClient
    paths = [url(place_a), url(place_a)]
    for path in paths:
        assert put(before.test_client(), setup, path, photo_data.encoded("JPEG")).status_code \
            == 201
    before.extensions["smultron.engine"].dispose()
    store_environment(monkeypatch, database_url, s3, prefix)
    moved = CliRunner().invoke(main, ["photos", "move-to-store", "--batch", "1"])
    assert moved.exit_code == 0, moved.output
    assert f"moved 2 photo(s) from the database into s3://{s3.bucket}/{prefix}/" in moved.output
    assert len(s3.keys(f"{prefix}/")) == 4  # (and ``consistent``: no bytes left in a row)
    for path in paths:
        assert client.get(path, headers=setup.headers("staff_a")).status_code == 200
    again = CliRunner().invoke(main, ["photos", "move-to-store"])
    assert "moved 0 photo(s)" in again.output
    monkeypatch.delenv("SMULTRON_PHOTO_STORE")
    monkeypatch.delenv("SMULTRON_PHOTO_STORE_ENDPOINT")
    nowhere = CliRunner().invoke(main, ["photos", "move-to-store"])
    assert nowhere.exit_code == 1 and "SMULTRON_PHOTO_STORE is not s3://" in nowhere.output
