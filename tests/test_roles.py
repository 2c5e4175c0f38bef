"""The role × endpoint table of the public contract (DESIGN.md): who gets what.

Each area tests its own details; this table checks the whole contract in one place,
for anonymous visitors, each role, and API tokens — for local accounts and, the same,
for accounts that single sign-on created (``people``).
"""

import base64

import pytest

from smultron import accounts
from smultron.models import User
from tests import factories

ROLES = ("staff_a", "planner", "official", "admin")
OK = 200
# path -> expected status for (anonymous, staff, planner, official, admin).
# Anonymous browsers are sent to the login page (302); JSON clients get 401.
TABLE = {
    "/home": (302, OK, OK, OK, OK),
    "/map": (302, OK, 403, 403, 403),
    "/reports": (302, OK, OK, OK, OK),  # staff: their own preschools only
    "/admin": (302, 403, 403, 403, OK),
    "/api/v1/places": (401, OK, OK, 403, OK),
    "/api/v1/openapi.json": (OK, OK, OK, OK, OK),
    "/export/places.gpkg": (401, 403, OK, 403, OK),
    "/ogc": (401, 403, OK, 403, OK),
    "/ogc/collections": (401, 403, OK, 403, OK),
    "/healthz": (OK, OK, OK, OK, OK),
    "/about": (OK, OK, OK, OK, OK),
}
CASES = [(path, who, statuses[index])
         for path, statuses in TABLE.items()
         for index, who in enumerate(("anonymous", *ROLES))]


@pytest.fixture
def app(oidc_app):
    """Single sign-on is configured: local accounts keep exactly their rights."""
    return oidc_app


@pytest.mark.parametrize("path,who,expected", CASES)
def test_role_endpoint_table(client, people, path, who, expected):
    if who != "anonymous":
        people.login(who)
    json_client = path.startswith(("/api/", "/ogc", "/export/"))
    # Logged-in users follow redirects (e.g. /map asking which preschool first).
    response = client.get(path, headers={"Accept": "application/json"} if json_client else {},
                          follow_redirects=who != "anonymous")
    assert response.status_code == expected, f"{who} GET {path}"


@pytest.fixture
def tokens(db, people):
    users = {who: db.get(User, people.user(who).id) for who in ROLES}
    return {who: (users[who].email, accounts.create_token(db, users[who], "test"))
            for who in ROLES}


@pytest.mark.parametrize("path", ["/api/v1/places", "/export/places.gpkg", "/ogc/collections"])
@pytest.mark.parametrize("scheme", ["Bearer", "Basic"])
def test_api_tokens_carry_the_same_rights(app, db, tokens, path, scheme):
    db.commit()
    expected = dict(zip(("anonymous", *ROLES), TABLE[path], strict=True))
    for who in ROLES:
        email, token = tokens[who]
        if scheme == "Basic":
            token = base64.b64encode(f"{email}:{token}".encode()).decode()
        response = app.test_client().get(path, headers={"Authorization": f"{scheme} {token}"})
        assert response.status_code == expected[who], f"{who} {scheme} {path}"


def test_staff_cannot_reach_another_preschools_place_by_uuid(client, people, world, db):
    other = factories.place(db, factories.mapping_session(db, world.campaign, world.school_b))
    db.commit()
    people.login("staff_a")
    assert client.get(f"/api/v1/places/{other.id}").status_code == 404
