"""The one CSV writer (smultron.core.csvfile) and formula injection in every CSV the app offers:
the planner's export (both dialects), the reports' participation table, the admin's
preschools and audit log."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import text

from smultron import accounts
from smultron.core import csvfile
from smultron.models import AuditEvent
from tests.test_export_web import bearer

# Each begins like a spreadsheet formula (OWASP: = + - @ tab CR).
PAYLOADS = ["=HYPERLINK(\"http://evil.example\",\"klicka\")", "+1+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def read(body: str, delimiter: str = ",") -> list[list[str]]:
    assert body.startswith(csvfile.BOM)
    return list(csv.reader(io.StringIO(body[1:], newline=""), delimiter=delimiter))


def neutralised(cell: str, payload: str) -> bool:
    return cell == "'" + payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_cell_that_starts_a_formula_stays_text(payload):
    assert csvfile.cell(payload) == "'" + payload
    rows = read(csvfile.text([["name"], [payload]]))
    assert neutralised(rows[1][0], payload)


def test_numbers_and_plain_text_are_left_alone():
    assert csvfile.cell("-12.5") == "-12.5"  # a number written as text is no formula
    assert csvfile.cell(-3) == -3 and csvfile.cell(None) == ""
    assert csvfile.cell("Förskolan Ängen") == "Förskolan Ängen"
    assert csvfile.cell(20.2253, csvfile.SEMICOLON) == "20,2253"
    assert csvfile.cell(Decimal("1.5"), csvfile.SEMICOLON) == "1,5"
    assert csvfile.cell(20.2253) == "20.2253"
    assert read(csvfile.text([["a", 1.5], ["b;c", 2]], csvfile.SEMICOLON), ";") == [
        ["a", "1,5"], ["b;c", "2"]]


def test_dialects():
    assert csvfile.dialect_for(None, "sv") is csvfile.SEMICOLON
    assert csvfile.dialect_for(None, "en") is csvfile.COMMA
    assert csvfile.dialect_for("comma", "sv") is csvfile.COMMA
    assert csvfile.dialect_for("tab", "sv") is None


def test_streamed_in_pieces():
    pieces = list(csvfile.stream([i] for i in range(csvfile.BATCH * 2 + 5)))
    assert pieces[0] == csvfile.BOM and len(pieces) > 3
    assert len(read("".join(pieces))) == csvfile.BATCH * 2 + 5


@pytest.mark.parametrize("sep, delimiter", [("comma", ","), ("semicolon", ";")])
def test_planner_export(client, db, world, places, sep, delimiter):
    secret = accounts.create_token(db, world.users["planner"], "t")
    places.kiruna_point.comment = PAYLOADS[2]  # "-2+3…": the leading "-" too
    db.commit()
    response = client.get(f"/export/places.csv?category=play&sep={sep}",
                          headers=bearer(secret))
    rows = read(response.get_data(as_text=True), delimiter)
    response.close()
    comment = rows[0].index("comment")
    assert any(neutralised(row[comment], PAYLOADS[2]) for row in rows[1:])


def test_participation_csv(client, auth, db, world, places):
    db.execute(text("UPDATE preschool SET name = :name WHERE id = :id"),
               {"name": PAYLOADS[3], "id": world.school_a.id})
    db.commit()
    auth.login(world.email("official"))
    response = client.get("/reports/participation.csv",
                          query_string={"campaign": world.campaign.id})
    assert response.status_code == 200
    rows = read(response.get_data(as_text=True), ";")  # Swedish: semicolons
    assert any(neutralised(row[0], PAYLOADS[3]) for row in rows[1:]), rows


def test_admin_preschools_csv(client, auth, db, world):
    """A leading "-" was not neutralised here."""
    db.execute(text("UPDATE preschool SET name = :name WHERE id = :id"),
               {"name": PAYLOADS[2], "id": world.school_a.id})
    db.commit()
    auth.login(world.email("admin"))
    rows = read(client.get("/admin/preschools.csv").get_data(as_text=True))
    assert any(neutralised(row[0], PAYLOADS[2]) for row in rows[1:]), rows


def test_admin_audit_csv(client, auth, db, world):
    db.add(AuditEvent(action="login_failed", actor=PAYLOADS[4]))
    db.commit()
    auth.login(world.email("admin"))
    rows = read(client.get("/admin/audit.csv").get_data(as_text=True))
    assert any(neutralised(row[1], PAYLOADS[4]) for row in rows[1:]), rows
