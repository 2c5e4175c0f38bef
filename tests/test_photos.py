"""Photos of places: PUT / GET / DELETE /api/v1/places/<uuid>/photos/<photo-uuid> on the real
database, with real images (metadata stripped, formats, refusals), idempotent retries,
the role rules, moderation and retention."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, update

from smultron import create_app, photos, retention
from smultron.core.access import Viewer
from smultron.models import AuditEvent, Campaign, Place, PlacePhoto
from tests import factories, photo_data, place_data
from tests.conftest import HttpsClient, app_config


@pytest.fixture
def setup(db):
    return place_data.build(db)


@pytest.fixture
def place_a(db, setup):
    row = factories.place(db, setup.session_a)
    db.commit()
    return row


def url(place, photo_id=None) -> str:
    place_id = place if isinstance(place, str) else place.id
    return f"/api/v1/places/{place_id}/photos/{photo_id or uuid.uuid4()}"


def put(client, setup, path, body: bytes, who="staff_a", content_type="image/jpeg"):
    return client.put(path, data=body, headers=setup.headers(who, **{
        "Content-Type": content_type}))


def stored(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(PlacePhoto))


def test_a_jpeg_comes_back_without_any_metadata(client, setup, place_a):
    original = photo_data.jpeg_with_metadata()
    assert photo_data.SERIAL.encode() in original and photo_data.SECRET in original
    path = url(place_a)
    response = put(client, setup, path, original)
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["width"], body["height"]) == (800, 1600)  # turned upright, at most 1600 px
    assert body["taken_on"] == "2026-10-01" and body["state"] == "pending"
    assert response.headers["Location"] == path
    image = client.get(path, headers=setup.headers("staff_a"))
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    data = image.data
    assert photo_data.jpeg_segments(data)[0] == 0xE0  # JFIF only ...
    assert not {0xE1, 0xE2, 0xED, 0xFE} & set(photo_data.jpeg_segments(data))  # no EXIF/XMP,
    assert photo_data.SERIAL.encode() not in data and photo_data.SECRET not in data  # ICC,
    assert b"Exif" not in data and b"GPS" not in data  # IPTC or comment
    assert photo_data.size_of(data) == (800, 1600)
    assert photo_data.striped_side(data) == "right"  # the camera's orientation applied
    thumb = client.get(path + "?size=thumb", headers=setup.headers("staff_a"))
    assert thumb.status_code == 200 and photo_data.size_of(thumb.data) == (160, 320)
    assert not {0xE1, 0xE2, 0xFE} & set(photo_data.jpeg_segments(thumb.data))


@pytest.mark.parametrize("kind", ["PNG", "WEBP", "HEIF", "JPEG"])
def test_png_webp_and_heic_are_accepted_as_jpeg(client, setup, place_a, kind):
    path = url(place_a)
    response = put(client, setup, path, photo_data.encoded(kind),
                   content_type={"HEIF": "image/heic"}.get(kind, f"image/{kind.lower()}"))
    assert response.status_code == 201, response.json
    assert (response.json["width"], response.json["height"]) == (800, 600)
    image = client.get(path, headers=setup.headers("staff_a")).data
    assert photo_data.size_of(image) == (800, 600)
    assert photo_data.striped_side(image) == "top"
    assert 0xE1 not in photo_data.jpeg_segments(image)


@pytest.mark.parametrize(("name", "body", "status"), [
    ("renamed text file", b"Det h\xc3\xa4r \xc3\xa4r ingen bild.\n" * 50, 415),
    ("truncated JPEG", None, 422),
    ("20,000 x 20,000 px bomb", None, 422),
    ("empty body", b"", 400),
])
def test_bad_files_are_refused_and_nothing_is_stored(client, setup, place_a, db, name, body,
                                                     status):
    body = {"truncated JPEG": photo_data.truncated_jpeg,
            "20,000 x 20,000 px bomb": photo_data.png_bomb}.get(name, lambda: body)()
    response = put(client, setup, url(place_a), body,
                   content_type="image/png" if "bomb" in name else "image/jpeg")
    assert response.status_code == status, response.json
    assert response.json["error"]
    assert stored(db) == 0
    assert db.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == "photo_added")) == 0


def test_messages_follow_the_language(client, setup, place_a):
    response = client.put(url(place_a), data=b"not an image", headers=setup.headers(
        "staff_a", **{"Content-Type": "image/jpeg", "Accept-Language": "sv"}))
    assert response.status_code == 415
    assert "JPEG, PNG, WebP" in response.json["error"]
    assert "Skicka" in response.json["error"] or "bild" in response.json["error"]


def test_the_same_photo_twice_is_one_row_and_other_bytes_are_409(client, setup, place_a, db):
    path, body = url(place_a), photo_data.encoded("JPEG")
    first, again = put(client, setup, path, body), put(client, setup, path, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    assert stored(db) == 1
    other = put(client, setup, path, photo_data.encoded("PNG"))
    assert other.status_code == 409 and other.json["error"]
    assert stored(db) == 1
    elsewhere = factories.place(db, setup.session_a)
    db.commit()
    moved = put(client, setup, url(elsewhere, path.rsplit("/", 1)[1]), body)
    assert moved.status_code == 409  # the id belongs to a photo of another place


def test_parallel_retries_store_one_row(app, setup, place_a, db):
    path, body = url(place_a), photo_data.encoded("JPEG", 1200, 900)

    def send(_):
        app.test_client_class = HttpsClient
        return put(app.test_client(), setup, path, body).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(send, range(4)))
    assert statuses.count(201) == 1 and set(statuses) <= {200, 201}
    assert stored(db) == 1


def test_at_most_three_photos_per_place(client, setup, place_a, db):
    for _ in range(3):
        assert put(client, setup, url(place_a), photo_data.encoded("JPEG")).status_code == 201
    fourth = put(client, setup, url(place_a), photo_data.encoded("PNG"))
    assert fourth.status_code == 409 and "3" in fourth.json["error"]
    assert stored(db) == 3


def test_the_place_lists_its_photo_ids(client, setup, place_a, db):
    ids = [str(uuid.uuid4()) for _ in range(2)]
    for photo_id in ids:
        assert put(client, setup, url(place_a, photo_id),
                   photo_data.encoded("JPEG")).status_code == 201
    feature = client.get(f"/api/v1/places/{place_a.id}", headers=setup.headers("staff_a")).json
    assert feature["properties"]["photos"] == ids
    listed = client.get(f"/api/v1/places?preschool={setup.world.school_a.id}",
                        headers=setup.headers("staff_a")).json["features"]
    assert [f["properties"]["photos"] for f in listed] == [ids]
    db.execute(update(PlacePhoto).where(PlacePhoto.id == uuid.UUID(ids[0]))
               .values(state="hidden"))
    db.commit()
    feature = client.get(f"/api/v1/places/{place_a.id}", headers=setup.headers("staff_a")).json
    assert feature["properties"]["photos"] == ids[1:]
    listing = client.get(f"/api/v1/places/{place_a.id}/photos", headers=setup.headers("staff_a"))
    assert [p["id"] for p in listing.json["photos"]] == ids[1:]
    assert listing.json["photos"][0]["thumb_href"].endswith("?size=thumb")


def test_delete_removes_the_bytes_and_twice_is_fine(client, setup, place_a, db):
    path = url(place_a)
    assert put(client, setup, path, photo_data.encoded("JPEG")).status_code == 201
    assert client.delete(path, headers=setup.headers("staff_a")).status_code == 204
    assert stored(db) == 0
    assert client.delete(path, headers=setup.headers("staff_a")).status_code == 204
    assert client.get(path, headers=setup.headers("staff_a")).status_code == 404
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["photo_added", "photo_deleted"]


def test_role_rules_on_every_photo_route(client, setup, place_a, db):
    path = url(place_a)
    body = photo_data.encoded("JPEG")
    assert put(client, setup, path, body).status_code == 201
    routes = [("put", path), ("get", path), ("get", path + "?size=thumb"), ("delete", path),
              ("get", f"/api/v1/places/{place_a.id}/photos")]
    for method, route in routes:
        kwargs = {"data": body, "content_type": "image/jpeg"} if method == "put" else {}
        official = getattr(client, method)(route, headers=setup.headers("official"), **kwargs)
        assert official.status_code == 403, (method, route)
        other = getattr(client, method)(route, headers=setup.headers("staff_b"), **kwargs)
        assert other.status_code == 404, (method, route)
        anonymous = getattr(client, method)(route, **kwargs)
        assert anonymous.status_code == 401, (method, route)
    nowhere = url(str(uuid.uuid4()))
    assert client.get(nowhere, headers=setup.headers("official")).status_code == 403
    assert put(client, setup, url(place_a), body, who="planner").status_code == 403
    assert client.get(path, headers=setup.headers("planner")).status_code == 200
    assert client.delete(path, headers=setup.headers("planner")).status_code == 403
    assert stored(db) == 1


def test_hidden_photos_and_deleted_places_are_not_shown(client, setup, place_a, db):
    path = url(place_a)
    assert put(client, setup, path, photo_data.encoded("JPEG")).status_code == 201
    photo_id = uuid.UUID(path.rsplit("/", 1)[1])
    viewer = Viewer.of(setup.world.users["planner"])
    photos.moderate(db, viewer, setup.world.users["planner"], photo_id, "hide")
    db.commit()
    assert client.get(path, headers=setup.headers("staff_a")).status_code == 404
    assert client.get(path, headers=setup.headers("planner")).status_code == 200
    photos.moderate(db, viewer, setup.world.users["planner"], photo_id, "approve")
    db.commit()
    assert client.get(path, headers=setup.headers("staff_a")).status_code == 200
    db.execute(update(Place).where(Place.id == place_a.id).values(deleted_at=func.now()))
    db.commit()
    for who in ("staff_a", "planner", "admin"):
        assert client.get(path, headers=setup.headers(who)).status_code == 404
    assert put(client, setup, url(place_a), photo_data.encoded("PNG")).status_code == 404
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["photo_hidden", "photo_approved"]


def test_moderation_is_for_planners_and_admins(db, setup, place_a, client):
    path = url(place_a)
    assert put(client, setup, path, photo_data.encoded("JPEG")).status_code == 201
    for who in ("staff_a", "official"):
        with pytest.raises(photos.Forbidden):
            photos.moderate(db, Viewer.of(setup.world.users[who]), setup.world.users[who],
                            path.rsplit("/", 1)[1], "approve")
    admin = setup.world.users["admin"]
    assert photos.pending_count(db, Viewer.of(admin)) == 1
    assert photos.moderate(db, Viewer.of(admin), admin, path.rsplit("/", 1)[1],
                           "approve") == "approved"
    db.commit()
    assert photos.pending_count(db, Viewer.of(admin)) == 0


def test_a_closed_campaign_takes_no_new_photos_but_retries_succeed(client, setup, place_a, db):
    path, body = url(place_a), photo_data.encoded("JPEG")
    assert put(client, setup, path, body).status_code == 201
    db.execute(update(Campaign).values(status="closed"))
    db.commit()
    assert put(client, setup, path, body).status_code == 200  # the outbox's late retry
    refused = put(client, setup, url(place_a), body)
    assert refused.status_code == 409 and "closed" in refused.json["error"].lower() \
        or "stängd" in refused.json["error"].lower()


def test_too_large_is_413_before_decoding(database_url, setup, place_a, db):
    app = create_app(app_config(database_url, MAX_UPLOAD_LENGTH=2**20))
    app.test_client_class = HttpsClient
    try:
        client = app.test_client()
        big = photo_data.jpeg_with_metadata() + b"\0" * (2**20)
        response = put(client, setup, url(place_a), big)
        assert response.status_code == 413 and "MB" in response.json["error"]
        assert stored(db) == 0
    finally:
        app.extensions["smultron.engine"].dispose()


def test_the_photo_limit_is_15_mb():
    assert photos.MAX_UPLOAD_BYTES == 15 * 2**20


def test_a_browser_session_needs_the_csrf_token(client, auth, setup, place_a, db):
    auth.login(setup.world.email("staff_a"))
    path = url(place_a)
    body = photo_data.encoded("JPEG")
    refused = client.put(path, data=body, content_type="image/jpeg")
    assert refused.status_code == 400
    token = auth.csrf_token()
    accepted = client.put(path, data=body, content_type="image/jpeg",
                          headers={"X-CSRFToken": token})
    assert accepted.status_code == 201, accepted.json
    assert stored(db) == 1


def test_retention_removes_photos_past_their_period_and_nothing_else(client, setup, place_a,
                                                                       db):
    old, new = url(place_a), url(place_a)
    for path in (old, new):
        assert put(client, setup, path, photo_data.encoded("JPEG")).status_code == 201
    db.execute(update(PlacePhoto).where(PlacePhoto.id == uuid.UUID(old.rsplit("/", 1)[1]))
               .values(created_at=func.now() - func.make_interval(0, 25)))
    db.commit()
    places_before = db.scalar(select(func.count()).select_from(Place))
    assert retention.preview(db).photos == 1
    outcome = retention.apply(db)
    db.commit()
    assert outcome.photos == 1
    assert [str(i) for i in db.scalars(select(PlacePhoto.id))] == [new.rsplit("/", 1)[1]]
    assert db.scalar(select(func.count()).select_from(Place)) == places_before
    assert retention.apply(db).photos == 0


def test_a_purged_place_takes_its_photos(client, setup, place_a, db):
    assert put(client, setup, url(place_a), photo_data.encoded("JPEG")).status_code == 201
    db.execute(update(Place).where(Place.id == place_a.id)
               .values(deleted_at=func.now() - func.make_interval(0, 0, 0, 31)))
    db.commit()
    outcome = retention.apply(db)
    db.commit()
    assert outcome.deleted_places == 1 and stored(db) == 0


def test_conditional_get_and_private_caching(client, setup, place_a):
    path = url(place_a)
    assert put(client, setup, path, photo_data.encoded("JPEG")).status_code == 201
    first = client.get(path, headers=setup.headers("staff_a"))
    assert first.headers["Cache-Control"].startswith("private")
    again = client.get(path, headers=setup.headers("staff_a",
                                                   **{"If-None-Match": first.headers["ETag"]}))
    assert again.status_code == 304
    assert client.get(path + "?size=huge", headers=setup.headers("staff_a")).status_code == 400


# -- the planners' moderation page ----------------------------------------------------------

def test_planners_moderate_photos_on_their_page(client, auth, setup, place_a, db):
    path = url(place_a)
    assert put(client, setup, path, photo_data.encoded("JPEG")).status_code == 201
    photo_id = path.rsplit("/", 1)[1]
    auth.login(setup.world.email("planner"))
    page = client.get("/planner/photos")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'id="photo-{photo_id}"' in html
    assert f"{path}?size=thumb" in html and "Foto av en plats: Lek, Förskolan A" in html
    assert "Foton att granska (1)" in client.get("/planner/").get_data(as_text=True)
    token = auth.csrf_token()
    answer = client.post(f"/planner/photos/{photo_id}", data={"decision": "approve",
                                                               "csrf_token": token},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.json == {"state": "approved", "message": "Fotot är godkänt.", "pending": 0}
    assert f'id="photo-{photo_id}"' not in client.get("/planner/photos").get_data(as_text=True)
    assert f'id="photo-{photo_id}"' in client.get(
        "/planner/photos?state=approved").get_data(as_text=True)
    back = client.post(f"/planner/photos/{photo_id}", data={
        "decision": "hide", "csrf_token": token, "state": "approved", "anchor": "photos"})
    assert back.status_code == 302 and back.headers["Location"].endswith(
        "/planner/photos?state=approved#photos")
    db.rollback()
    assert db.get(PlacePhoto, uuid.UUID(photo_id)).state == "hidden"
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["photo_approved", "photo_hidden"]


def test_the_moderation_page_is_for_planners_and_admins(client, auth, setup, place_a):
    for who, status in (("staff_a", 403), ("official", 403), ("admin", 200)):
        auth.login(setup.world.email(who))
        assert client.get("/planner/photos").status_code == status, who
        auth.logout()
    auth.login(setup.world.email("planner"))
    assert client.get("/planner/photos?state=x").status_code == 400
    refused = client.post(f"/planner/photos/{uuid.uuid4()}", data={
        "decision": "approve", "csrf_token": auth.csrf_token()})
    assert refused.status_code == 404


def test_a_truncated_photo_is_refused_after_the_pdfs_have_loaded_weasyprint():
    import io

    import weasyprint  # noqa: F401 - its import sets Pillow's LOAD_TRUNCATED_IMAGES
    from PIL import ImageFile

    from smultron.photos import imaging

    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as after that import, in any order of tests
    with pytest.raises(imaging.BrokenImage):
        imaging.clean(io.BytesIO(photo_data.truncated_jpeg()))
