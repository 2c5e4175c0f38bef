"""Helpers for the places tests: sessions, tokens, features."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from smultron import accounts
from tests import factories

A_POINT = (20.2260, 67.8560)  # near Förskolan A, inside Kiruna's extent
B_POINT = (20.3010, 67.8470)


@dataclass
class Setup:
    world: factories.World
    session_a: object
    session_b: object
    tokens: dict

    def headers(self, who: str, **extra) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}


def build(db) -> Setup:
    world = factories.World.build(db)
    session_a = factories.mapping_session(db, world.campaign, world.school_a, children=10,
                                          user=world.users["staff_a"])
    session_b = factories.mapping_session(db, world.campaign, world.school_b, children=6,
                                          user=world.users["staff_b"])
    tokens = {who: accounts.create_token(db, user) for who, user in world.users.items()}
    db.commit()
    return Setup(world, session_a, session_b, tokens)


def feature(session_id, geometry=None, place_id=None, **props) -> dict:
    properties = {"session": str(session_id), "category": "play", "feeling": "favourite",
                  "children_count": 3, "season": "summer", "comment": "Vi gungar högt!"}
    properties.update(props)
    return {"type": "Feature", "id": str(place_id or uuid.uuid4()),
            "geometry": geometry or {"type": "Point", "coordinates": list(A_POINT)},
            "properties": properties}


def square(lon: float, lat: float, size: float = 0.001) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size],
            [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}
