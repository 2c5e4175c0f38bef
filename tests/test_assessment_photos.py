"""Approved photos of places in the planners' child impact assessment (the internal
version, Word and PDF read back), never a pending or hidden one, none in the publishable
version, and none in the reports (which show no single place to anyone)."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from smultron.models import Place
from tests import photo_data
from tests import test_assessment_document as bka

plan = bka.plan  # the plan area with a place inside it and one near it


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def shots(db, plan):
    inside = db.scalar(select(Place).where(Place.comment == "Vi bygger kojor i skogen!"))
    near = db.scalar(select(Place).where(Place.feeling == "scary"))
    made = {}
    for name, place, state in (("inside", inside, "approved"), ("near", near, "approved"),
                               ("pending", inside, "pending"), ("hidden", near, "hidden")):
        made[name] = photo_data.add(db, place, state=state, taken_on=date(2026, 9, 14),
                                    size=(400 + 40 * len(made), 300))
        db.commit()  # one transaction each: created_at orders them
    return {name: (digest(row.thumb), photo_data.size_of(row.thumb))
            for name, row in made.items()}


def docx_images(body: bytes) -> list[str]:
    doc = bka.read_docx(io.BytesIO(body))
    return [digest(part.blob) for part in doc.part.package.parts  # not the file's preview
            if part.content_type == "image/jpeg" and part.partname.startswith("/word/media/")]


def jpeg_images(reader: PdfReader) -> list:
    """The JPEG pictures (DCTDecode) of a PDF; the map is a PNG."""
    found = {}
    for page in reader.pages:  # WeasyPrint gives every page the document's images
        for image in page.images:
            if image.indirect_reference.get_object().get("/Filter") == "/DCTDecode":
                found[image.indirect_reference.idnum] = image
    return list(found.values())


def test_the_internal_word_document_shows_the_approved_photos(client, auth, world, plan,
                                                              shots):
    auth.login(world.email("planner"))
    body = bka.download(client, plan.id, "docx").data
    doc, headings, paragraphs, _tables = bka.docx_text(body)
    assert "Foton av platserna" in headings
    assert sorted(docx_images(body)) == sorted([shots["inside"][0], shots["near"][0]])
    assert len(doc.inline_shapes) == 3  # the map and the two approved photos
    captions = [p for p in paragraphs if "fotograferad 2026-09-14" in p]
    assert len(captions) == 2 and any("Förskolan A" in c for c in captions)
    public = bka.download(client, plan.id, "docx", public="1").data
    _doc, public_headings, _p, _t = bka.docx_text(public)
    assert docx_images(public) == [] and "Foton av platserna" not in public_headings


def test_the_internal_pdf_shows_the_approved_photos(client, auth, world, plan, shots):
    auth.login(world.email("planner"))
    body = bka.download(client, plan.id, "pdf", lang="en").data
    reader = PdfReader(io.BytesIO(body))
    jpegs = jpeg_images(reader)
    # the approved photos' 320 px JPEGs (the pending and hidden ones have other sizes)
    assert sorted(image.image.size for image in jpegs) == sorted(
        [shots["inside"][1], shots["near"][1]])
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Photos of the places" in text and "taken 2026-09-14" in text
    public = PdfReader(io.BytesIO(bka.download(client, plan.id, "pdf", public="1").data))
    assert not jpeg_images(public)


def test_no_photo_leaves_without_approved_ones(client, auth, world, plan, db):
    hidden = photo_data.add(db, db.scalar(select(Place).where(Place.feeling == "scary")),
                            state="hidden")
    db.commit()
    auth.login(world.email("planner"))
    body = bka.download(client, plan.id, "docx").data
    _doc, _headings, paragraphs, _tables = bka.docx_text(body)
    assert digest(hidden.thumb) not in docx_images(body) and docx_images(body) == []
    assert "Inga godkända foton av de här platserna." in paragraphs


@pytest.mark.parametrize("who", ["official", "planner"])
def test_the_reports_show_no_photo(client, auth, world, plan, shots, who):
    auth.login(world.email(who))
    page = client.get("/reports/view").get_data(as_text=True)
    assert "/photos/" not in page and "image/jpeg" not in page
    assert client.get(f"/planner/plans/{plan.id}/assessment.pdf").status_code == (
        403 if who == "official" else 200)
