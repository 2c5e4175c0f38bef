"""The child impact assessment's documents: the Word file read back with python-docx
(headings, the participation table, the places with their weighing, the approved quotes
and no other comment), the PDF's text (pdftotext), LibreOffice opening the Word file, the
publishable version holding no figure below the anonymity threshold, and the roles."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from docx import Document as read_docx
from pypdf import PdfReader
from shapely.geometry import Point
from sqlalchemy import select

from smultron import assessment, plans, responses
from smultron.core.access import Viewer
from smultron.models import AuditEvent
from tests import factories

LON, LAT = factories.KIRUNA
K = 5  # the default anonymity threshold


@pytest.fixture
def plan(db, world):
    """A plan area with places of preschool A inside and near it: an approved comment, a
    pending one, answers, a weighing, texts and a decision."""
    session_a = factories.mapping_session(db, world.campaign, world.school_a, children=12)
    inside = factories.place(db, session_a, Point(LON, LAT), children=8,
                             comment="Vi bygger kojor i skogen!", comment_state="approved",
                             category_code="hiding")
    factories.place(db, session_a, Point(LON + 0.0002, LAT), children=6,
                    comment="Hemlig kommentar som väntar", comment_state="pending")
    near = factories.place(db, session_a, Point(LON + 0.003, LAT), children=7,
                           feeling="scary", category_code="other")
    db.commit()
    square = Point(LON + 0.0001, LAT).buffer(0.0008, cap_style=3)
    area = plans.save_plan_area(db, world.users["planner"], "Detaljplan Kojan",
                                plans.polygons_only([square]).geometry, "test")
    planner, user = Viewer.of(world.users["planner"]), world.users["planner"]
    responses.answer_places(db, planner, user, [inside.id], responses.parse_answer(
        db, {"status": "kept", "text": "Kojskogen får vara kvar.", "plan": area.id}))
    responses.answer_places(db, planner, user, [near.id], responses.parse_answer(
        db, {"status": "improved", "text": "Vi sätter upp lampor vid vägen."}))
    assessment.save_weighing(db, planner, user, area.id, inside.id, "consequence",
                             "Skogsdungen ligger kvar i parkmark.")
    assessment.save_weighing(db, planner, user, area.id, inside.id, "measure",
                             "Dungen planläggs som natur.")
    assessment.save_text(db, planner, user, area.id, "views",
                         "Barnen leker i dungen varje vecka.")
    assessment.add_decision(db, planner, user, area.id, "2026-11-30", "Samråd: dungen sparas.")
    db.commit()
    return area


def download(client, plan_id, kind, **args):
    response = client.get(f"/planner/plans/{plan_id}/assessment.{kind}",
                          query_string={"buffer": 300, **args})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def docx_text(body: bytes):
    doc = read_docx(io.BytesIO(body))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    paragraphs = [p.text for p in doc.paragraphs]
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in doc.tables]
    return doc, headings, paragraphs, tables


def test_the_word_document_holds_the_assessment(client, auth, world, plan, db):
    auth.login(world.email("planner"))
    response = download(client, plan.id, "docx")
    assert response.mimetype.endswith("wordprocessingml.document")
    assert "attachment" in response.headers["Content-Disposition"]
    assert "smultron-bka-detaljplan-kojan" in response.headers["Content-Disposition"]
    doc, headings, paragraphs, tables = docx_text(response.data)
    assert doc.core_properties.title.endswith("Detaljplan Kojan")
    for heading in ("Vilka som hördes", "Vad barnen sa", "Karta",
                    "Platserna och hur de vägdes in", "Analysen", "Barnens synpunkter",
                    "Beslutslogg", "Återkopplingen till barnen", "Metod"):
        assert heading in headings, heading
    heard = next(t for t in tables if t[0][0] == "Förskola")
    assert heard[1][0] == "Förskolan A" and heard[1][5] == "12" and heard[1][6] == "40"
    weighing = next(t for t in tables if t[0][0] == "Plats")
    text = " ".join(" ".join(row) for row in weighing)
    assert "Skogsdungen ligger kvar i parkmark." in text and "Dungen planläggs som natur." in text
    assert "Bevaras: Kojskogen får vara kvar." in text and "Förbättras" in text
    everything = "\n".join(paragraphs) + str(tables)
    assert "“Vi bygger kojor i skogen!”" in "\n".join(paragraphs)
    assert "Hemlig kommentar" not in everything  # not approved: never in the document
    assert "Barnen leker i dungen varje vecka." in paragraphs
    assert any("Samråd: dungen sparas." in row for t in tables for row in t)
    assert len(doc.inline_shapes) == 1  # the map
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "assessment_exported"))
    assert event.detail["format"] == "docx" and event.detail["public"] is False


def test_the_pdf_has_the_same_content(client, auth, world, plan, tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    auth.login(world.email("planner"))
    body = download(client, plan.id, "pdf").data
    assert body.startswith(b"%PDF")
    path = tmp_path / "bka.pdf"
    path.write_bytes(body)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    for expected in ("Barnkonsekvensanalys", "Detaljplan Kojan", "Vilka som hördes",
                     "Förskolan A", "Vi bygger kojor i skogen!", "Dungen planläggs som natur.",
                     "Samråd: dungen sparas.", "Metod"):
        assert expected in flat, expected
    assert "Hemlig kommentar" not in flat
    root = PdfReader(io.BytesIO(body)).trailer["/Root"]
    assert "/StructTreeRoot" in root and bool(root["/MarkInfo"]["/Marked"])  # PDF/UA-1
    assert root["/Lang"] == "sv"


def test_libreoffice_opens_the_word_document(client, auth, world, plan, tmp_path):
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("LibreOffice is not installed")
    auth.login(world.email("planner"))
    source = tmp_path / "bka.docx"
    source.write_bytes(download(client, plan.id, "docx").data)
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   capture_output=True, timeout=240, check=True)
    converted = tmp_path / "bka.pdf"
    assert converted.exists() and converted.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(converted), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "Detaljplan Kojan" in text and "Vilka som hördes" in text


@pytest.fixture
def small_plan(db, world):
    """A plan touching one group of 4 children only (fewer than k = 5)."""
    session_row = factories.mapping_session(db, world.campaign, world.school_a, children=4)
    for dx in (0, 0.0002):
        factories.place(db, session_row, Point(LON + dx, LAT), children=4,
                        comment="Vi gömmer oss här", comment_state="approved")
    db.commit()
    square = Point(LON, LAT).buffer(0.0008, cap_style=3)
    area = plans.save_plan_area(db, world.users["planner"], "Liten plan",
                                plans.polygons_only([square]).geometry, "test")
    db.commit()
    return area


def figures(tables, paragraphs) -> list[int]:
    """Every number in the document's tables and text, other than dates, years and the
    threshold itself in the method note."""
    found = []
    for table in tables:
        for row in table[1:]:
            for cell in row:
                if re.fullmatch(r"[\d\s\u00a0]+", cell):
                    found.append(int(re.sub(r"\D", "", cell)))
    for text in paragraphs:
        text = re.sub(r"\d{4}-\d{2}-\d{2}", "", text)
        found += [int(n) for n in re.findall(r"(?<![\w-])(\d+)(?![\w-])", text)
                  if int(n) not in (K, 250, 300, 2020)]
    return found


def test_the_publishable_version_holds_no_figure_below_the_threshold(client, auth, world,
                                                                      small_plan):
    auth.login(world.email("planner"))
    internal = docx_text(download(client, small_plan.id, "docx").data)
    assert 4 in figures(internal[3], internal[2])  # the internal version does say 4
    doc, headings, paragraphs, tables = docx_text(
        download(client, small_plan.id, "docx", public=1).data)
    assert "Publicerbar" in " ".join(paragraphs)
    assert [n for n in figures(tables, paragraphs) if n < K] == []
    assert "färre än 5 barn" in " ".join(" ".join(r) for t in tables for r in t)
    assert "Förskolan A" not in " ".join(paragraphs)  # no quote tied to a preschool
    assert "Vi gömmer oss här" not in " ".join(paragraphs)  # its category rests on 4
    pdf = download(client, small_plan.id, "pdf", public=1)
    assert pdf.data.startswith(b"%PDF")


@pytest.mark.parametrize("who", ["staff_a", "official"])
def test_only_planners_get_the_documents(client, auth, world, plan, who):
    auth.login(world.email(who))
    assert client.get(f"/planner/plans/{plan.id}/assessment.docx").status_code == 403


def test_bad_requests(client, auth, world, plan):
    auth.login(world.email("planner"))
    assert client.get(f"/planner/plans/{plan.id}/assessment.odt").status_code == 404
    assert client.get("/planner/plans/999999/assessment.docx").status_code == 404
    assert client.get(f"/planner/plans/{plan.id}/assessment.docx?buffer=x").status_code == 400


def test_english_on_request(client, auth, world, plan):
    auth.login(world.email("planner"))
    _doc, headings, _paragraphs, _tables = docx_text(download(client, plan.id, "docx",
                                                              lang="en").data)
    assert "Who was heard" in headings and "Method" in headings
