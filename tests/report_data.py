"""A small, known dataset for the report tests (k = 5), with every figure worked out by hand.

Preschool A (Kiruna centre), B (about 3 km east), C; campaign "Hösten 2026" plus an
earlier one, "Våren 2026", to compare with. Offsets are metres in EPSG:3006.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import text

from smultron.core.geo import from_db, to_db
from smultron.models import PlanArea
from smultron.reports.perturbation import MULTIPLIERS
from tests import factories

TO_3006 = Transformer.from_crs(4326, 3006, always_xy=True)
TO_4326 = Transformer.from_crs(3006, 4326, always_xy=True)
SECRET_COMMENT = "Vi gömmer oss bakom garaget hos Lisa"


def noise(key_sum: int, measure: str) -> int:
    """The perturbation of an atom whose records' keys add up to ``key_sum`` (README's
    anonymity section, written out again here: the tests check the SQL against it)."""
    lookup = (key_sum % 2**32) * MULTIPLIERS[measure] % 2**32
    return -1 if lookup < 2**30 else 1 if lookup >= 3 * 2**30 else 0


def key_with(noises: dict[str, int], plus: int = 0, start: int = 1) -> int:
    """A record key that gives an atom of one more record (whose other keys add up to
    ``plus``) the noise ``noises[measure]`` for each measure named."""
    return next(key for key in range(start, 2**31)
                if all(noise(plus + key, m) == n for m, n in noises.items()))


def quiet(db) -> None:
    """Keys that perturb nothing in this dataset, so its reports show the true counts:
    every place is an atom of its own, and the sessions of each unit and language get
    keys whose running sums are quiet too (call it again after changing a language)."""
    place_key = key_with({"places": 0, "children": 0})
    db.execute(text("UPDATE place SET stat_key = :key"), {"key": place_key})
    units: dict = {}
    for session_id, unit in db.execute(text(
            "SELECT id, (campaign_id, preschool_id, coalesce(language, 'unknown'))::text "
            "FROM mapping_session ORDER BY id")):
        plus = units.get(unit, 0)
        key = key_with({"sessions": 0, "present": 0}, plus=plus)
        units[unit] = plus + key
        db.execute(text("UPDATE mapping_session SET stat_key = :key WHERE id = :id"),
                   {"key": key, "id": session_id})


def metric(lon: float, lat: float) -> tuple[float, float]:
    return TO_3006.transform(lon, lat)


def at(school, dx: float, dy: float) -> Point:
    """A point ``dx`` m east and ``dy`` m north of a preschool."""
    point = from_db(school.location)
    x, y = metric(point.x, point.y)
    return Point(*TO_4326.transform(x + dx, y + dy))


def square_at(school, dx: float, dy: float, half: float):
    """A small square polygon (EPSG:4326) centred ``dx``, ``dy`` m from a preschool."""
    point = from_db(school.location)
    x, y = metric(point.x, point.y)
    return shapely.transform(box(x + dx - half, y + dy - half, x + dx + half, y + dy + half),
                             TO_4326.transform, interleaved=False)


def to_metric(geometry):
    """A shapely geometry from EPSG:4326 to EPSG:3006."""
    return shapely.transform(geometry, TO_3006.transform, interleaved=False)


@dataclass
class KnownData:
    world: factories.World
    school_c: object
    compare: object
    places: dict
    plans: dict


def build(db) -> KnownData:
    world = factories.World.build(db)
    a, b = world.school_a, world.school_b
    c = factories.preschool(db, world.municipality, "Förskolan C", 20.2600, 67.8300, enrolled=25)
    camp = world.campaign
    s_a1 = factories.mapping_session(db, camp, a, children=12, age_group="3-4")
    s_a2 = factories.mapping_session(db, camp, a, children=8, age_group="5-6")
    s_b1 = factories.mapping_session(db, camp, b, children=9, age_group="mixed")
    factories.mapping_session(db, camp, c, children=3, age_group="1-2")  # too few: withheld
    place = factories.place
    places = {
        "P1": place(db, s_a1, at(a, 100, 0), "play", 6, season="summer",
                    comment=SECRET_COMMENT, comment_state="approved"),
        "P2": place(db, s_a1, at(a, 120, 20), "play", 5, season="winter"),
        "P3": place(db, s_a1, at(a, 600, 0), "nature", 7, season="all_year"),
        "P4": place(db, s_a1, at(a, -300, 300), "water", 2, feeling="scary", season="summer"),
        "P5": place(db, s_a2, at(a, 110, 10), "play", 8, season="summer"),
        "P6": place(db, s_a2, at(a, 2000, 2000), "animals", 4, season="summer"),  # k-1, alone
        "P7": place(db, s_a2, square_at(a, -700, -100, 20), "climbing", 6, season="winter"),
        "P8": place(db, s_b1, at(b, 50, 50), "play", 9, season="winter"),
        "P9": place(db, s_b1, at(b, 400, 0), "water", 4, feeling="scary", season="all_year"),
        # same session and hexagon as P9: 7 choices, but perhaps only 4 children
        "P12": place(db, s_b1, at(b, 405, 5), "other", 3, feeling="scary", season="all_year"),
        "deleted": place(db, s_b1, at(b, 60, 60), "play", 9, season="winter",
                         deleted_at=datetime(2026, 10, 2, tzinfo=UTC)),
    }
    earlier = factories.campaign(db, world.municipality, name="Våren 2026", status="closed")
    s_old = factories.mapping_session(db, earlier, a, children=10, age_group="3-4")
    places["P11"] = place(db, s_old, at(a, 100, 0), "play", 10, season="summer")
    plans = {
        "yard": _plan(db, world, "Skolgården", square_at(a, 110, 10, 60)),
        "forest": _plan(db, world, "Skogen", square_at(a, 2000, 2000, 60)),
    }
    quiet(db)
    db.commit()
    return KnownData(world, c, earlier, places, plans)


def _plan(db, world, name, polygon) -> PlanArea:
    row = PlanArea(municipality_id=world.municipality.id, name=name,
                   geom=to_db(MultiPolygon([polygon])), source="test")
    db.add(row)
    db.flush()
    return row
