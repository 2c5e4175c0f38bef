"""Demo data (data/demo.json): a Kiruna-like municipality, preschools, one open
campaign, about 300 places, and demo accounts. Loading twice changes nothing."""

from __future__ import annotations

import json
import math
import random
import secrets
import uuid
from datetime import date, timedelta
from pathlib import Path

from shapely.geometry import LineString, Point, Polygon
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smultron import ROOT, accounts, reference
from smultron.core.geo import buffer_metres, to_db
from smultron.models import (
    AGE_GROUPS,
    SEASONS,
    Campaign,
    Category,
    Department,
    MappingSession,
    Municipality,
    Place,
    Preschool,
    User,
)

DEMO_FILE = ROOT / "data" / "demo.json"
PLACES_PER_PRESCHOOL = 38  # 8 preschools -> 304 places
METRES_PER_DEGREE_LAT = 111_320


def has_data(session: Session) -> bool:
    return session.scalar(select(func.count(Preschool.id))) > 0


def load(session: Session, accounts_file: Path) -> str:
    spec = json.loads(DEMO_FILE.read_text())
    reference.ensure_categories(session)
    municipality = _municipality(session, spec["municipality"])
    campaign = _campaign(session, municipality, spec["campaign"])
    preschools = [_preschool(session, municipality, row) for row in spec["preschools"]]
    session.flush()
    password = _accounts(session, spec["accounts"], accounts_file)
    added = 0
    if session.scalar(select(func.count(Place.id)).where(Place.campaign_id == campaign.id)) == 0:
        rng = random.Random(2584)
        categories = session.scalars(select(Category).order_by(Category.sort_order)).all()
        for preschool in preschools:
            added += _places(session, rng, campaign, preschool, categories, spec["comments"])
    lines = [f"Demo data: {len(preschools)} preschools, {added} new places.",
             "Demo accounts (password in instance/demo-accounts.txt):"]
    lines += [f"  {row['email']:32} {row['role']}" for row in spec["accounts"]]
    if password:
        lines.append(f"  password: {password}")
    return "\n".join(lines)


def _municipality(session: Session, row: dict) -> Municipality:
    found = session.scalar(select(Municipality).where(Municipality.code == row["code"]))
    if found is None:
        found = Municipality(code=row["code"], name=row["name"],
                             extent=to_db(Polygon(row["extent"])))
        session.add(found)
        session.flush()
    return found


def _campaign(session: Session, municipality: Municipality, row: dict) -> Campaign:
    found = session.scalar(select(Campaign).where(Campaign.name == row["name"],
                                                  Campaign.municipality_id == municipality.id))
    if found is None:
        found = Campaign(municipality_id=municipality.id, name=row["name"], status="open",
                         starts_on=date.fromisoformat(row["starts_on"]),
                         ends_on=date.fromisoformat(row["ends_on"]))
        session.add(found)
        session.flush()
    return found


def _preschool(session: Session, municipality: Municipality, row: dict) -> Preschool:
    found = session.scalar(select(Preschool).where(Preschool.unit_code == row["unit_code"]))
    if found is not None:
        return found
    point = to_db(Point(row["lon"], row["lat"]))
    preschool = Preschool(municipality_id=municipality.id, name=row["name"],
                          unit_code=row["unit_code"], address=row["address"], location=point,
                          neighbourhood=select(buffer_metres(point, 1000)).scalar_subquery(),
                          enrolled_children=row["enrolled"])
    session.add(preschool)
    session.flush()
    session.add_all(Department(preschool_id=preschool.id, name=name)
                    for name in row["departments"])
    session.flush()
    session.refresh(preschool)
    return preschool


def _accounts(session: Session, rows: list[dict], accounts_file: Path) -> str | None:
    """Create missing demo accounts with one shared random password, kept in instance/."""
    password = accounts_file.read_text().split("password: ")[-1].strip() if (
        accounts_file.exists()) else secrets.token_urlsafe(9)
    created = False
    for row in rows:
        if session.scalar(select(User.id).where(User.email == row["email"])) is None:
            accounts.create_user(session, row["email"], row["role"], password, row["preschools"])
            created = True
    if created or not accounts_file.exists():
        accounts_file.parent.mkdir(parents=True, exist_ok=True)
        listing = "\n".join(f"  {row['email']:32} {row['role']}" for row in rows)
        accounts_file.write_text(f"{listing}\n  password: {password}\n")
        accounts_file.chmod(0o600)
        return password
    return None


def _places(session, rng, campaign, preschool, categories, comments) -> int:
    centre = _lonlat(preschool)
    sessions = [_session(session, rng, campaign, preschool, index) for index in range(3)]
    for index in range(PLACES_PER_PRESCHOOL):
        mapping = sessions[index % len(sessions)]
        comment = rng.choice(comments) if rng.random() < 0.4 else None
        session.add(Place(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            municipality_id=campaign.municipality_id, session_id=mapping.id,
            preschool_id=preschool.id, campaign_id=campaign.id,
            geom=to_db(_geometry(rng, centre, index)),
            category_id=rng.choice(categories).id,
            feeling="scary" if rng.random() < 0.15 else "favourite",
            children_count=rng.randint(1, min(6, mapping.children_present)),
            age_group=mapping.age_group, season=rng.choice(SEASONS),
            comment=comment,
            comment_state=("approved" if rng.random() < 0.7 else "pending") if comment else "none",
        ))
    session.flush()
    return PLACES_PER_PRESCHOOL


def _session(session, rng, campaign, preschool, index) -> MappingSession:
    departments = preschool.departments
    mapping = MappingSession(
        id=uuid.UUID(int=rng.getrandbits(128), version=4),
        municipality_id=campaign.municipality_id, campaign_id=campaign.id,
        preschool_id=preschool.id,
        department_id=departments[index % len(departments)].id if departments else None,
        held_on=campaign.starts_on + timedelta(days=7 + 14 * index),
        children_present=rng.randint(6, 14), age_group=rng.choice(AGE_GROUPS),
        consent_confirmed=True)
    session.add(mapping)
    session.flush()
    return mapping


def _lonlat(preschool: Preschool) -> tuple[float, float]:
    from smultron.core.geo import from_db

    point = from_db(preschool.location)
    return point.x, point.y


def _offset(centre, metres_east: float, metres_north: float) -> tuple[float, float]:
    lon, lat = centre
    return (lon + metres_east / (METRES_PER_DEGREE_LAT * math.cos(math.radians(lat))),
            lat + metres_north / METRES_PER_DEGREE_LAT)


def _geometry(rng: random.Random, centre, index: int):
    """Mostly points within ~900 m; every 10th an area, every 13th a route."""
    angle, distance = rng.uniform(0, 2 * math.pi), abs(rng.gauss(0, 400)) + 30
    east, north = distance * math.cos(angle), distance * math.sin(angle)
    if index % 10 == 9:
        size = rng.uniform(40, 120)
        corners = [(east, north), (east + size, north), (east + size, north + size),
                   (east, north + size), (east, north)]
        return Polygon([_offset(centre, e, n) for e, n in corners])
    if index % 13 == 12:
        steps = [(east * f, north * f + rng.uniform(-40, 40)) for f in (0.0, 0.35, 0.7, 1.0)]
        return LineString([_offset(centre, e, n) for e, n in steps])
    return Point(_offset(centre, east, north))
