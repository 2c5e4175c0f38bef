"""Helpers for the places tests: sessions, tokens, features."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from smultron import accounts, create_app
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


@contextmanager
def shared_database(cluster):
    """One database, app and Setup for a whole test module (for tests that only read, or
    only add rows no other test looks at): building users with argon2 is the slow part
    of a test's setup."""
    from tests.conftest import TEMPLATE_DB, HttpsClient, app_config

    name = f"places_{uuid.uuid4().hex[:12]}"
    cluster.create_database(name, template=TEMPLATE_DB)
    app = create_app(app_config(cluster.url(name)))
    app.test_client_class = HttpsClient
    db = app.extensions["smultron.core.db"]()
    try:
        yield app, build(db)
    finally:
        db.close()
        app.extensions["smultron.engine"].dispose()
        cluster.drop_database(name)
