"""Test data factories: small, explicit objects on the real database."""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import date

from shapely.geometry import Point, Polygon
from sqlalchemy import select

from smultron import ROOT, accounts
from smultron.core.geo import buffer_metres, to_db
from smultron.models import (
    Campaign,
    Category,
    Department,
    MappingSession,
    Municipality,
    Place,
    Preschool,
)

PASSWORD = "correct horse battery"
KIRUNA = (20.2253, 67.8558)
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==")


def vendor_folder(package: str) -> str:
    return json.loads((ROOT / "static" / "vendor" / "manifest.json").read_text())[package]


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def municipality(db, code="2584", name="Kiruna") -> Municipality:
    extent = Polygon([(17.8, 67.0), (23.6, 67.0), (23.6, 69.1), (17.8, 69.1), (17.8, 67.0)])
    row = Municipality(code=code, name=name, extent=to_db(extent))
    db.add(row)
    db.flush()
    return row


def preschool(db, muni: Municipality, name: str, lon: float, lat: float,
              enrolled: int = 40, departments=("Blåbär",)) -> Preschool:
    point = to_db(Point(lon, lat))
    row = Preschool(municipality_id=muni.id, name=name, location=point,
                    neighbourhood=select(buffer_metres(point, 1000)).scalar_subquery(),
                    enrolled_children=enrolled)
    db.add(row)
    db.flush()
    db.add_all(Department(preschool_id=row.id, name=d) for d in departments)
    db.flush()
    db.refresh(row)
    return row


def campaign(db, muni: Municipality, name="Hösten 2026", status="open") -> Campaign:
    row = Campaign(municipality_id=muni.id, name=name, starts_on=date(2026, 9, 1),
                   status=status)
    db.add(row)
    db.flush()
    return row


def mapping_session(db, camp: Campaign, school: Preschool, children=10, age_group="3-4",
                    user=None, language=None) -> MappingSession:
    row = MappingSession(municipality_id=camp.municipality_id, campaign_id=camp.id,
                         preschool_id=school.id, held_on=date(2026, 10, 1),
                         children_present=children, age_group=age_group,
                         consent_confirmed=True, user_id=user.id if user else None,
                         language=language)
    db.add(row)
    db.flush()
    return row


def category(db, code="play") -> Category:
    return db.scalar(select(Category).where(Category.code == code))


def place(db, session_row: MappingSession, geometry=None, category_code="play",
          children=3, feeling="favourite", season="summer", comment=None,
          comment_state="none", **extra) -> Place:
    row = Place(id=uuid.uuid4(), municipality_id=session_row.municipality_id,
                session_id=session_row.id, preschool_id=session_row.preschool_id,
                campaign_id=session_row.campaign_id,
                geom=to_db(geometry or Point(*KIRUNA)),
                category_id=category(db, category_code).id, feeling=feeling,
                children_count=children, age_group=session_row.age_group, season=season,
                comment=comment, comment_state=comment_state, **extra)
    db.add(row)
    db.flush()
    return row


@dataclass
class World:
    municipality: Municipality
    school_a: Preschool
    school_b: Preschool
    campaign: Campaign
    users: dict

    @classmethod
    def build(cls, db) -> World:
        muni = municipality(db)
        school_a = preschool(db, muni, "Förskolan A", 20.2253, 67.8558)
        school_b = preschool(db, muni, "Förskolan B", 20.3010, 67.8470)
        camp = campaign(db, muni)
        users = {
            "staff_a": accounts.create_user(db, "staff.a@example.org", "staff", PASSWORD,
                                            ["Förskolan A"]),
            "staff_b": accounts.create_user(db, "staff.b@example.org", "staff", PASSWORD,
                                            ["Förskolan B"]),
            "planner": accounts.create_user(db, "planner@example.org", "planner", PASSWORD),
            "official": accounts.create_user(db, "official@example.org", "official", PASSWORD),
            "admin": accounts.create_user(db, "admin@example.org", "admin", PASSWORD),
        }
        db.commit()
        return cls(muni, school_a, school_b, camp, users)

    def email(self, who: str) -> str:
        return self.users[who].email
