"""Recordings read aloud (issue 15), without a browser: what an upload must be (ogg, mp3
or m4a that mutagen reads, at most 1 MB and 30 s), that a refused one stores nothing and
says why in the admin's language, replacing and removing (audited), how a recording is
served (type, caching, validators), who may fetch it, and that a page gets its own
language's recordings only."""

from __future__ import annotations

import io
from html import unescape

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from smultron.feedback import recordings
from smultron.models import Category, Recording
from tests import audio_data, factories, feedback_data
from tests.admin_helpers import AdminClient, audit_count, last_audit
from tests.helpers import page_config


@pytest.fixture
def admin(client, auth, world):
    return AdminClient(client, auth, world.email("admin"))


@pytest.fixture
def play(db, world):
    return db.scalar(select(Category).where(Category.code == "play"))


def multipart(token: str, content: bytes, name: str) -> dict:
    """The form as bytes made here (the test client would spool a large one to a file it
    never closes)."""
    boundary, body = encode_multipart(MultiDict({
        "csrf_token": token, "file": FileStorage(io.BytesIO(content), name)}))
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def upload(admin, category, lang, content: bytes, name: str, **kwargs):
    return admin.client.post(f"/admin/recordings/category/{category.id}/{lang}",
                             **multipart(admin.token, content, name), **kwargs)


def stored(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count(Recording.id)))


@pytest.mark.parametrize(("name", "content", "media_type"), [
    ("lek.ogg", audio_data.ogg(1.5), "audio/ogg"),
    ("lek.mp3", audio_data.mp3(1.5), "audio/mpeg"),
    ("lek.m4a", audio_data.m4a(1.5), "audio/mp4"),
])
def test_each_kind_is_read_for_its_real_type_and_length(name, content, media_type):
    checked = recordings.check(name, content)
    assert checked.media_type == media_type
    assert 1400 <= checked.duration_ms <= 1600


def test_the_type_comes_from_the_file_not_its_name():
    assert recordings.check("lek.ogg", audio_data.mp3(1)).media_type == "audio/mpeg"


REFUSED = {
    "a text file renamed": ("lek.mp3", "Det här är ingen ljudfil.\n".encode() * 40, 422,
                            "Filen är ingen inspelning"),
    "an image renamed": ("lek.ogg", b"\x89PNG\r\n\x1a\n" + bytes(200), 422,
                         "Filen är ingen inspelning"),
    "a wave file": ("lek.wav", audio_data.wav(1), 415, "ogg-, mp3- eller m4a-filer"),
    "a wave file renamed": ("lek.mp3", audio_data.wav(1), 415, "ogg-, mp3- eller m4a-filer"),
    "a text file": ("lek.txt", b"hej", 415, "ogg-, mp3- eller m4a-filer"),
    "too large": ("lek.mp3", audio_data.mp3(70), 413, "högst 1 MB"),
    "too long": ("lek.ogg", audio_data.ogg(45), 422, "högst 30 sekunder"),
    "empty": ("lek.mp3", b"", 422, "Välj en inspelning"),
    "an mp4 with no sound": ("lek.m4a", audio_data.m4a(1).replace(b"soun", b"vide"), 422,
                             "Filen är ingen inspelning"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_uploads_say_why_and_store_nothing(admin, db, play, case):
    name, content, status, message = REFUSED[case]
    before = audit_count(db)
    response = upload(admin, play, "se", content, name)
    assert response.status_code == status
    html = unescape(response.get_data(as_text=True))
    assert message in html
    assert 'href="#field-file-se"' in html and 'aria-invalid="true"' in html
    assert stored(db) == 0 and audit_count(db) == before


def test_the_message_follows_the_admins_language(admin, play):
    response = upload(admin, play, "se", b"plain text", "lek.mp3",
                      query_string={"lang": "en"})
    assert response.status_code == 422
    assert "The file is not a recording" in unescape(response.get_data(as_text=True))


def test_a_body_larger_than_the_app_limit_is_refused_with_the_message(admin, db, play):
    response = upload(admin, play, "se", audio_data.mp3(200), "lek.mp3")
    assert response.status_code == 413
    assert "högst 1 MB" in unescape(response.get_data(as_text=True))
    assert stored(db) == 0


def test_upload_replace_listen_remove_all_audited(admin, db, play):
    response = upload(admin, play, "se", audio_data.ogg(2), "stoahkan.ogg")
    assert response.status_code == 303
    assert last_audit(db).action == "recording_added"
    assert last_audit(db).target == f"category:{play.id}"
    first = db.scalar(select(Recording.id))
    page = unescape(admin.get(f"/admin/recordings/category/{play.id}").get_data(as_text=True))
    assert "Inspelningen sparades." in page and f"/admin/recordings/file/{first}" in page
    assert upload(admin, play, "se", audio_data.mp3(1), "stoahkan.mp3").status_code == 303
    assert last_audit(db).action == "recording_replaced"
    db.expire_all()
    row = db.scalar(select(Recording))
    assert stored(db) == 1 and row.id != first and row.media_type == "audio/mpeg"
    listened = admin.get(f"/admin/recordings/file/{row.id}")
    assert listened.status_code == 200 and listened.mimetype == "audio/mpeg"
    assert admin.get(f"/admin/recordings/file/{first}").status_code == 404
    removed = admin.post(f"/admin/recordings/category/{play.id}/se/delete")
    assert removed.status_code == 303 and stored(db) == 0
    assert last_audit(db).action == "recording_removed"


def test_status_recordings_and_the_overview(admin, db):
    response = admin.post("/admin/recordings/status/kept/fit",
                          {"file": (io.BytesIO(audio_data.m4a(1)), "kept.m4a")},
                          content_type="multipart/form-data")
    assert response.status_code == 303
    overview = unescape(admin.get("/admin/recordings").get_data(as_text=True))
    assert "Meänkieli" in overview and "/admin/recordings/status/kept" in overview
    assert admin.get("/admin/recordings/status/nonsense").status_code == 404
    assert admin.get("/admin/recordings/category/999999").status_code == 404
    assert admin.post("/admin/recordings/status/kept/xx", {
        "file": (io.BytesIO(audio_data.m4a(1)), "kept.m4a")},
        content_type="multipart/form-data").status_code == 404
    categories = unescape(admin.get("/admin/categories").get_data(as_text=True))
    assert 'href="/admin/recordings"' in categories


@pytest.mark.parametrize("who", ["staff_a", "planner", "official"])
def test_only_admins_upload(client, auth, world, play, who):
    auth.login(world.email(who))
    token = auth.csrf_token()
    response = client.post(f"/admin/recordings/category/{play.id}/se", data={
        "csrf_token": token, "file": (io.BytesIO(audio_data.ogg(1)), "lek.ogg")},
        content_type="multipart/form-data")
    assert response.status_code == 403
    assert client.get("/admin/recordings").status_code == 403


def _recording(db, world, play, lang="se", content=None) -> Recording:
    row = recordings.put(db, world.users["admin"], recordings.Subject("category", play.id),
                         lang, recordings.check("lek.ogg", content or audio_data.ogg(1)))
    db.commit()
    return row


def served(world, row, school=None) -> str:
    return f"/map/preschools/{(school or world.school_a).id}/recordings/{row.id}"


def test_a_recording_is_served_with_its_type_and_caching(client, auth, db, world, play):
    row = _recording(db, world, play)
    auth.login(world.email("staff_a"))
    response = client.get(served(world, row))
    assert response.status_code == 200
    assert response.mimetype == "audio/ogg"
    assert response.data == audio_data.ogg(1)
    assert "immutable" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get(served(world, row), headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(f"/map/preschools/{world.school_a.id}/recordings/999999").status_code == 404


def test_staff_of_another_preschool_get_404_and_officials_403(client, auth, db, world, play):
    row = _recording(db, world, play)
    auth.login(world.email("staff_b"))
    assert client.get(served(world, row)).status_code == 404
    assert client.get(served(world, row, world.school_b)).status_code == 200
    auth.logout()
    auth.login(world.email("official"))
    assert client.get(served(world, row)).status_code == 403
    auth.logout()
    assert client.get(served(world, row)).status_code in (302, 401)


def test_a_recording_reaches_the_pages_in_its_language_only(client, auth, db, world, play):
    feedback_data.build(db, world)
    row = _recording(db, world, play, "se")
    auth.login(world.email("staff_a"))
    for lang, expected in (("se", {"play": served(world, row)}), ("sv", {}), ("fit", {})):
        html = client.get(f"/map/preschools/{world.school_a.id}/answers",
                          query_string={"lang": lang}).get_data(as_text=True)
        speech = page_config(html)["speech"]
        assert speech["lang"] == lang
        assert speech["recordings"]["category"] == expected, lang


def test_a_recording_reaches_the_mapping_panel_in_its_language_only(client, auth, db, world,
                                                                    play):
    session_row = factories.mapping_session(db, world.campaign, world.school_a,
                                            user=world.users["staff_a"])
    db.commit()
    row = _recording(db, world, play, "fit")
    auth.login(world.email("staff_a"))
    for lang, expected in (("fit", {"play": served(world, row)}), ("se", {}), ("sv", {})):
        html = client.get(f"/map/sessions/{session_row.id}",
                          query_string={"lang": lang}).get_data(as_text=True)
        assert page_config(html)["speech"]["recordings"]["category"] == expected, lang


RECORDING_RULES = {
    "two subjects": "UPDATE recording SET status = 'kept'",
    "no subject": "UPDATE recording SET category_id = NULL",
    "unknown language": "UPDATE recording SET language = 'de'",
    "unknown type": "UPDATE recording SET media_type = 'audio/wav'",
    "too large": "UPDATE recording SET content = decode(repeat('00', 1048577), 'hex')",
    "too long": "UPDATE recording SET duration_ms = 30001",
    "a second in one language": "INSERT INTO recording (category_id, language, media_type, "
                                "content, duration_ms, sha256) SELECT category_id, language, "
                                "media_type, content, duration_ms, sha256 FROM recording",
}


@pytest.mark.parametrize("rule", sorted(RECORDING_RULES))
def test_the_database_enforces_the_recordings_rules(db, world, play, rule):
    _recording(db, world, play)
    with pytest.raises(DBAPIError):
        db.execute(text(RECORDING_RULES[rule]))
        db.flush()
    db.rollback()


def test_a_deleted_category_takes_its_recordings(db, world):
    extra = Category(code="extra", label_sv="Extra", label_en="Extra", pictogram="other",
                     colour="#616161")
    db.add(extra)
    db.commit()
    _recording(db, world, extra)
    db.delete(extra)
    db.commit()
    assert stored(db) == 0
