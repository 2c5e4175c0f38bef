"""Admin: recordings read aloud, per category or answer status and language (issue 15).
Upload (ogg, mp3 or m4a, checked by smultron.feedback.recordings), listen, remove; the
domain writes the audit row, the route commits. The pages that play them use
smultron/web/recordings.py."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from smultron.core.errors import AppError
from smultron.core.i18n import LANGUAGES
from smultron.core.problems import N_, fail
from smultron.feedback import recordings as domain
from smultron.models import RECORDING_MAX_BYTES, Category
from smultron.responses import STATUS_LABELS
from smultron.web.admin import bp, db, me, problems_of
from smultron.web.language import current_language
from smultron.web.recordings import send
from smultron.web.security import large_upload


def _title(about: domain.Subject) -> str:
    if about.kind == "category":
        return db().get(Category, about.key).label(current_language())
    return _(STATUS_LABELS[about.key].msgid)


@bp.get("/recordings")
def recordings():
    categories = db().scalars(select(Category).order_by(Category.sort_order, Category.id))
    return render_template("admin/recordings.html", categories=list(categories),
                           statuses=[(code, _(label.msgid)) for code, label in
                                     STATUS_LABELS.items()],
                           recorded=domain.counts(db()), languages=LANGUAGES)


def _subject_page(about: domain.Subject, problems=None, status: int = 200, failed=None):
    """The subject's recordings per language; a refused upload's problems point at the
    file field of its language's form."""
    problems = [{**item, "field": f"file-{failed}" if item["field"] else None}
                for item in problems or []]
    return render_template(
        "admin/recordings_subject.html", about=about, title=_title(about),
        rows=domain.of_subject(db(), about), languages=LANGUAGES, problems=problems,
        failed=failed, max_mb=RECORDING_MAX_BYTES // 2**20), status


@bp.get("/recordings/<kind>/<key>")
def recordings_subject(kind: str, key: str):
    return _subject_page(domain.subject(db(), kind, key))


def _read_upload(field: str) -> tuple[str, bytes]:
    upload = request.files.get(field)
    if upload is not None and not upload.filename:
        upload.close()
    if upload is None or not upload.filename:
        raise fail(N_("Choose a recording to upload"), domain.FIELD, status=422)
    try:  # at most one byte past the limit is read: enough to tell it is too large
        return upload.filename, upload.stream.read(RECORDING_MAX_BYTES + 1)
    finally:
        upload.close()  # its spool file, now rather than whenever it is collected


def _done(about: domain.Subject, message: str):
    flash(message, "info")
    return redirect(url_for("admin.recordings_subject", kind=about.kind, key=about.key), 303)


@bp.post("/recordings/<kind>/<key>/<lang>")
@large_upload
def recording_upload(kind: str, key: str, lang: str):
    about = domain.subject(db(), kind, key)
    lang = domain.language(lang)
    try:
        checked = domain.check(*_read_upload("file"))
        domain.put(db(), me(), about, lang, checked, ip=request.remote_addr)
    except AppError as exc:
        db().rollback()
        return _subject_page(about, problems_of(exc), exc.status, failed=lang)
    db().commit()
    return _done(about, _("The recording was saved."))


@bp.post("/recordings/<kind>/<key>/<lang>/delete")
def recording_delete(kind: str, key: str, lang: str):
    about = domain.subject(db(), kind, key)
    domain.remove(db(), me(), about, domain.language(lang), ip=request.remote_addr)
    db().commit()
    return _done(about, _("The recording was removed."))


@bp.get("/recordings/file/<int:recording_id>")
def recording_file(recording_id: int):
    return send(domain.audio(db(), recording_id), cache="private, no-store")
