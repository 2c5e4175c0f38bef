"""Data for the open-data tests: a campaign of many small groups (tests/test_opendata*.py).

Preschool A (40 enrolled): eight sessions of two or three children. Each session marks a
favourite place beside the preschool (so that hexagon rests on all of them: about 20
children), a scary place 700 m north (all of them too), and one favourite place of its
own in a hexagon no other session uses (2 or 3 children: withheld). Preschool B (40
enrolled): one session of three children (its unit rests on too few: left out). Preschool
C (8 enrolled, below the size named): four sessions of three, beside A's cluster.
A second campaign "Våren 2026" has two sessions of six at A.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests import factories
from tests.report_data import at

SMALL = (2, 3, 2, 3, 3, 2, 3, 2)


@dataclass
class OpenData:
    world: factories.World
    spring: object
    school_c: object


def build(db) -> OpenData:
    world = factories.World.build(db)
    a, b = world.school_a, world.school_b
    c = factories.preschool(db, world.municipality, "Förskolan C", 20.2300, 67.8560,
                            enrolled=8)
    camp = world.campaign
    for n, children in enumerate(SMALL):
        session = factories.mapping_session(db, camp, a, children=children)
        factories.place(db, session, at(a, 20 + n, 10), "play", children)
        factories.place(db, session, at(a, 0, 700 + n), "water", children, feeling="scary")
        factories.place(db, session, at(a, 1500 * (n % 4) - 2000, 1800 * (n // 4) + 1500),
                        "nature", children, comment="Vid Lisas hus")
    lone = factories.mapping_session(db, camp, b, children=3)
    factories.place(db, lone, at(b, 10, 10), "play", 3)
    for _ in range(4):
        session = factories.mapping_session(db, camp, c, children=3)
        factories.place(db, session, at(c, 30, 0), "play", 3)
    camp.status = "closed"  # only a closed campaign is published
    spring = factories.campaign(db, world.municipality, name="Våren 2026", status="closed")
    for _ in range(2):
        session = factories.mapping_session(db, spring, a, children=6)
        factories.place(db, session, at(a, 20, 10), "play", 6)
    db.commit()
    return OpenData(world, spring, c)
