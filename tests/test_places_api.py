"""/api/v1/places: idempotent create, versioned edits, soft delete, listing and access."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from smultron.models import Campaign, MappingSession, Place
from tests import place_data
from tests.place_data import A_POINT, B_POINT, feature, square


@pytest.fixture(scope="module")
def shared(cluster):
    with place_data.shared_database(cluster) as pair:
        yield pair


@pytest.fixture
def sclient(shared):
    """A client on the module's shared database, for tests that only look at the places
    they make themselves (building users with argon2 for every test is slow)."""
    return shared[0].test_client()


@pytest.fixture
def ssetup(shared):
    return shared[1]


def post(client, setup, body, who="staff_a"):
    return client.post("/api/v1/places", json=body, headers=setup.headers(who))


def count(db, place_id) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Place).where(Place.id == place_id))


def test_create_returns_the_stored_feature_with_etag(sclient, ssetup):
    body = feature(ssetup.session_a.id)
    response = post(sclient, ssetup, body)
    assert response.status_code == 201, response.json
    assert response.mimetype == "application/geo+json"
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith(f"/api/v1/places/{body['id']}")
    stored = response.json
    assert stored["id"] == body["id"]
    assert stored["geometry"] == body["geometry"]
    props = stored["properties"]
    assert props["preschool"] == ssetup.world.school_a.id
    assert props["comment_state"] == "pending"
    assert props["age_group"] == "3-4"  # the session's
    assert props["version"] == 1 and props["deleted_at"] is None
    again = sclient.get(f"/api/v1/places/{body['id']}", headers=ssetup.headers("staff_a"))
    assert again.status_code == 200 and again.json == stored


def test_same_post_again_is_200_and_no_duplicate(client, setup, db):
    body = feature(setup.session_a.id)
    first = post(client, setup, body)
    second = post(client, setup, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json == first.json
    assert count(db, uuid.UUID(body["id"])) == 1


def test_same_id_other_content_is_409(client, setup, db):
    body = feature(setup.session_a.id)
    assert post(client, setup, body).status_code == 201
    body["properties"]["children_count"] = 4
    response = post(client, setup, body)
    assert response.status_code == 409
    assert set(response.json) == {"error", "detail"}
    assert count(db, uuid.UUID(body["id"])) == 1


def test_ten_concurrent_identical_posts_make_one_row(app, setup, db):
    body = feature(setup.session_a.id)
    headers = setup.headers("staff_a")

    def send(_):
        with app.test_client() as own:
            return own.post("/api/v1/places", json=body, headers=headers,
                            base_url="https://localhost").status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(pool.map(send, range(10)))
    assert statuses == [200] * 9 + [201]
    assert count(db, uuid.UUID(body["id"])) == 1


def test_a_post_reusing_another_preschools_id_is_a_conflict(sclient, ssetup):
    body = feature(ssetup.session_a.id)
    assert post(sclient, ssetup, body).status_code == 201
    other = feature(ssetup.session_b.id, place_id=body["id"],
                    geometry={"type": "Point", "coordinates": list(B_POINT)})
    response = post(sclient, ssetup, other, who="staff_b")
    assert response.status_code == 409
    assert "Vi gungar" not in response.get_data(as_text=True)


def test_every_geometry_type_round_trips(sclient, ssetup):
    line = {"type": "LineString", "coordinates": [[20.2253, 67.8558], [20.2301, 67.8571],
                                                  [20.2350, 67.8599]]}
    for geometry in (line, square(20.2270, 67.8570)):
        response = post(sclient, ssetup, feature(ssetup.session_a.id, geometry=geometry))
        assert response.status_code == 201, response.json
        assert response.json["geometry"] == geometry


# -- versions -----------------------------------------------------------------------------

def created(client, setup, **props):
    response = post(client, setup, feature(setup.session_a.id, **props))
    assert response.status_code == 201, response.json
    return response.json


def test_patch_with_if_match_changes_and_bumps_the_version(sclient, ssetup):
    place = created(sclient, ssetup)
    url = f"/api/v1/places/{place['id']}"
    moved = {"type": "Point", "coordinates": [20.23, 67.86]}
    response = sclient.patch(url, json={"properties": {"children_count": 5, "comment": None},
                                       "geometry": moved},
                            headers=ssetup.headers("staff_a", **{"If-Match": '"1"'}))
    assert response.status_code == 200, response.json
    assert response.headers["ETag"] == '"2"'
    props = response.json["properties"]
    assert (props["children_count"], props["comment"], props["comment_state"]) == (5, None, "none")
    assert props["category"] == "play"  # untouched
    assert response.json["geometry"]["coordinates"] == [20.23, 67.86]


def test_a_stale_if_match_is_412_and_changes_nothing(sclient, ssetup):
    place = created(sclient, ssetup)
    url = f"/api/v1/places/{place['id']}"
    ok = sclient.patch(url, json={"properties": {"season": "winter"}},
                      headers=ssetup.headers("staff_a", **{"If-Match": 'W/"1"'}))
    assert ok.status_code == 200
    stale = sclient.patch(url, json={"properties": {"season": "summer"}},
                         headers=ssetup.headers("staff_a", **{"If-Match": '"1"'}))
    assert stale.status_code == 412
    assert stale.json["detail"] == {"version": 2}
    assert sclient.get(url, headers=ssetup.headers("staff_a")).json["properties"]["season"] == \
        "winter"


def test_a_stale_version_in_the_body_is_409(sclient, ssetup):
    place = created(sclient, ssetup)
    url = f"/api/v1/places/{place['id']}"
    assert sclient.patch(url, json={"properties": {"season": "winter", "version": 1}},
                        headers=ssetup.headers("staff_a")).status_code == 200
    stale = sclient.patch(url, json={"properties": {"season": "summer", "version": 1}},
                         headers=ssetup.headers("staff_a"))
    assert stale.status_code == 409


def test_a_patch_without_a_version_is_428(sclient, ssetup):
    place = created(sclient, ssetup)
    response = sclient.patch(f"/api/v1/places/{place['id']}",
                            json={"properties": {"season": "winter"}},
                            headers=ssetup.headers("staff_a"))
    assert response.status_code == 428


def test_an_invalid_patch_is_422_and_saves_nothing(sclient, ssetup):
    place = created(sclient, ssetup)
    url = f"/api/v1/places/{place['id']}"
    response = sclient.patch(url, json={"properties": {"children_count": 0, "season": "spring"}},
                            headers=ssetup.headers("staff_a", **{"If-Match": '"1"'}))
    assert response.status_code == 422
    assert set(response.json["detail"]["fields"]) == {"children_count", "season"}
    assert sclient.get(url, headers=ssetup.headers("staff_a")).json == place


def test_delete_is_soft_and_a_planner_restores(client, setup, db):
    place = created(client, setup)
    url = f"/api/v1/places/{place['id']}"
    assert client.delete(url, headers=setup.headers("staff_a")).status_code == 204
    assert client.delete(url, headers=setup.headers("staff_a")).status_code == 204  # retried
    assert client.get(url, headers=setup.headers("staff_a")).status_code == 404
    listed = client.get("/api/v1/places", headers=setup.headers("staff_a")).json
    assert listed["features"] == []
    assert count(db, uuid.UUID(place["id"])) == 1  # still in the database
    seen = client.get(url, headers=setup.headers("planner")).json
    assert seen["properties"]["deleted_at"] is not None
    assert client.post(url + "/restore", headers=setup.headers("staff_a")).status_code == 403
    restored = client.post(url + "/restore", headers=setup.headers("planner"))
    assert restored.status_code == 200 and restored.json["properties"]["deleted_at"] is None
    assert client.get(url, headers=setup.headers("staff_a")).status_code == 200


def test_delete_with_a_stale_if_match_is_412(sclient, ssetup):
    place = created(sclient, ssetup)
    url = f"/api/v1/places/{place['id']}"
    sclient.patch(url, json={"properties": {"season": "winter"}},
                 headers=ssetup.headers("staff_a", **{"If-Match": '"1"'}))
    assert sclient.delete(url, headers=ssetup.headers("staff_a", **{"If-Match": '"1"'})
                         ).status_code == 412
    assert sclient.delete(url, headers=ssetup.headers("staff_a", **{"If-Match": '"2"'})
                         ).status_code == 204


# -- access -------------------------------------------------------------------------------

def test_staff_of_a_cannot_read_change_or_delete_a_place_of_b(client, setup):
    response = post(client, setup, feature(setup.session_b.id, geometry={
        "type": "Point", "coordinates": list(B_POINT)}), who="staff_b")
    assert response.status_code == 201
    url = f"/api/v1/places/{response.json['id']}"
    headers = setup.headers("staff_a", **{"If-Match": '"1"'})
    assert client.get(url, headers=headers).status_code == 404
    assert client.patch(url, json={"properties": {"season": "winter"}},
                        headers=headers).status_code == 404
    assert client.delete(url, headers=headers).status_code == 404
    assert client.get("/api/v1/places", headers=headers).json["features"] == []
    assert client.get(url, headers=setup.headers("staff_b")).json["properties"]["version"] == 1


def test_staff_cannot_post_into_another_preschools_session(sclient, ssetup):
    response = post(sclient, ssetup, feature(ssetup.session_b.id), who="staff_a")
    assert response.status_code == 422
    assert "session" in response.json["detail"]["fields"]


# (method, path template, body kind) x role -> expected status
ROLE_TABLE = [
    # role       list  get   post  patch delete restore
    ("anonymous", 401, 401, 401, 401, 401, 401),
    ("staff_a", 200, 200, 201, 200, 204, 403),
    ("staff_b", 200, 404, 422, 404, 404, 403),
    ("planner", 200, 200, 403, 403, 403, 200),
    ("admin", 200, 200, 403, 403, 403, 200),
    ("official", 403, 403, 403, 403, 403, 403),
]


@pytest.mark.parametrize("role,expected", [(row[0], list(row[1:])) for row in ROLE_TABLE],
                         ids=[row[0] for row in ROLE_TABLE])
def test_role_by_endpoint(sclient, ssetup, role, expected):
    place = created(sclient, ssetup)
    url = f"/api/v1/places/{place['id']}"
    headers = {} if role == "anonymous" else ssetup.headers(role, **{"If-Match": '"1"'})
    statuses = [
        sclient.get("/api/v1/places", headers=headers).status_code,
        sclient.get(url, headers=headers).status_code,
        sclient.post("/api/v1/places", json=feature(ssetup.session_a.id),
                    headers=headers).status_code,
        sclient.patch(url, json={"properties": {"season": "winter"}},
                     headers=headers).status_code,
        sclient.delete(url, headers={k: v for k, v in headers.items() if k != "If-Match"}
                      ).status_code,
        sclient.post(url + "/restore", headers=headers).status_code,
    ]
    assert statuses == expected


def test_errors_are_json_with_error_and_detail(sclient, ssetup):
    headers = ssetup.headers("staff_a", **{"Content-Type": "application/json"})
    response = sclient.post("/api/v1/places", data="{not json", headers=headers)
    assert response.status_code == 400
    assert set(response.json) == {"error", "detail"}
    deep = sclient.post("/api/v1/places", data="[" * 100_000 + "]" * 100_000, headers=headers)
    assert deep.status_code == 400 and deep.json["error"]
    missing = sclient.get(f"/api/v1/places/{uuid.uuid4()}", headers=ssetup.headers("staff_a"))
    assert missing.status_code == 404 and missing.json["error"]
    assert sclient.get("/api/v1/places/not-a-uuid",
                      headers=ssetup.headers("staff_a")).status_code == 404


def test_messages_are_swedish_by_default_and_english_on_request(sclient, ssetup):
    body = feature(ssetup.session_a.id, children_count=0)
    swedish = post(sclient, ssetup, body).json
    assert "barn" in swedish["detail"]["fields"]["children_count"]
    english = sclient.post("/api/v1/places?lang=en", json=body, headers=ssetup.headers("staff_a"))
    assert "children" in english.json["detail"]["fields"]["children_count"]


def test_the_browser_session_needs_the_csrf_token(client, auth, setup):
    auth.login(setup.world.email("staff_a"))
    body = feature(setup.session_a.id)
    refused = client.post("/api/v1/places", json=body)
    assert refused.status_code == 400 and "error" in refused.json
    accepted = client.post("/api/v1/places", json=body,
                           headers={"X-CSRFToken": auth.csrf_token()})
    assert accepted.status_code == 201


# -- listing ------------------------------------------------------------------------------

def make_places(client, setup, n):
    ids = []
    for i in range(n):
        response = post(client, setup, feature(
            setup.session_a.id, category="play" if i % 2 else "water",
            geometry={"type": "Point", "coordinates": [20.2200 + i * 0.001, 67.8558]}))
        assert response.status_code == 201
        ids.append(response.json["id"])
    return ids


def test_paging_visits_every_place_once(client, setup):
    ids = make_places(client, setup, 7)
    seen, url, pages = [], "/api/v1/places?limit=3", 0
    while url:
        page = client.get(url, headers=setup.headers("staff_a"))
        assert page.status_code == 200
        seen += [f["id"] for f in page.json["features"]]
        url = page.json["next"]
        if url:
            assert page.headers["Link"] == f'<{url}>; rel="next"'
            url = url.replace("https://localhost", "")
        pages += 1
    assert sorted(seen) == sorted(ids) and pages == 3


def test_a_listed_feature_is_the_same_as_the_place_read_alone(sclient, ssetup):
    """The list's features are built by PostgreSQL; they must read as GET /places/{id}."""
    body = feature(ssetup.session_a.id, comment="Ekorren <bor> här & \"där\" 🐿")
    assert post(sclient, ssetup, body).status_code == 201
    listed = sclient.get(f"/api/v1/places?session={ssetup.session_a.id}&limit=1000",
                         headers=ssetup.headers("staff_a"))
    assert listed.status_code == 200 and listed.mimetype == "application/geo+json"
    collection = listed.json
    assert collection["type"] == "FeatureCollection"
    assert collection["numberReturned"] == len(collection["features"])
    [mine] = [f for f in collection["features"] if f["id"] == body["id"]]
    alone = sclient.get(f"/api/v1/places/{body['id']}", headers=ssetup.headers("staff_a"))
    assert mine == alone.json
    assert mine["properties"]["comment"] == body["properties"]["comment"]
    assert datetime.fromisoformat(mine["properties"]["created_at"]).tzinfo is not None


def test_filters(client, setup):
    ids = make_places(client, setup, 6)
    headers = setup.headers("planner")

    def listed(query):
        response = client.get(f"/api/v1/places?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return {f["id"] for f in response.json["features"]}

    assert listed("category=water") == set(ids[0::2])
    assert listed("category=water,play") == set(ids)
    assert listed("bbox=20.2195,67.85,20.2215,67.86") == set(ids[:2])
    assert listed("bbox=20.2215,67.86,20.2195,67.85") == set(ids[:2])  # corners swapped
    assert listed(f"session={setup.session_a.id}") == set(ids)
    assert listed(f"session={setup.session_b.id}") == set()
    assert listed(f"preschool={setup.world.school_b.id}") == set()
    assert listed(f"campaign={setup.world.campaign.id}") == set(ids)
    assert listed("updated_since=2999-01-01T00:00:00Z") == set()
    assert listed("updated_since=2000-01-01T00:00:00%2B00:00") == set(ids)


@pytest.mark.parametrize("query", [
    "limit=1001", "limit=-1", "limit=x", "bbox=1,2,3", "bbox=10,100,5,5", "bbox=a,b,c,d",
    "bbox=nan,1,2,3",
    "cursor=nonsense", "updated_since=yesterday", "updated_since=2026-01-01T00:00:00",
    "session=nope", "preschool=abc", "updated_since=", "campaign=", "session=",
    "category=pl%00ay", "category=Play!", "cursor=%00", "preschool=%C2%B2",
    "include_deleted=maybe",
])
def test_bad_list_parameters_are_400(sclient, ssetup, query):
    response = sclient.get(f"/api/v1/places?{query}", headers=ssetup.headers("staff_a"))
    assert response.status_code == 400, response.json
    assert response.json["error"]


def explain(db, query) -> str:
    db.execute(text("SET enable_seqscan = off"))
    plan = "\n".join(db.execute(text(f"EXPLAIN {query}")).scalars())
    db.rollback()
    return plan


def test_the_list_query_uses_the_indexes(db):
    """bbox through the GiST index, paging through (updated_at, id), a preschool's places
    through (preschool_id, updated_at, id)."""
    bbox = explain(db, "SELECT id FROM place WHERE geom && ST_MakeEnvelope(20,67,21,68,4326) "
                       "ORDER BY updated_at, id LIMIT 10")
    assert "ix_place_geom" in bbox or "ix_place_updated" in bbox
    keyset = explain(db, "SELECT id FROM place WHERE (updated_at, id) > (now(), "
                         "gen_random_uuid()) ORDER BY updated_at, id LIMIT 10")
    assert "ix_place_updated" in keyset and "Sort" not in keyset
    school = explain(db, "SELECT id FROM place WHERE preschool_id = 1 AND (updated_at, id) > "
                         "(now(), gen_random_uuid()) ORDER BY updated_at, id LIMIT 10")
    assert "ix_place_preschool_updated" in school and "Sort" not in school


def test_a_closed_campaign_refuses_new_places(client, setup, db):
    db.get(Campaign, setup.world.campaign.id).status = "closed"
    db.commit()
    response = post(client, setup, feature(setup.session_a.id))
    assert response.status_code == 422
    assert "session" in response.json["detail"]["fields"]


def test_point_outside_the_neighbourhood_but_inside_the_municipality_is_fine(sclient, ssetup):
    response = post(sclient, ssetup, feature(ssetup.session_a.id, geometry={
        "type": "Point", "coordinates": list(A_POINT[:1]) + [67.95]}))
    assert response.status_code == 201


def test_moderation_survives_an_edit_that_keeps_the_comment(client, setup, db):
    place = created(client, setup)
    url = f"/api/v1/places/{place['id']}"
    db.get(Place, uuid.UUID(place["id"])).comment_state = "approved"
    db.commit()
    moved = client.patch(url, json={"properties": {"season": "winter"}},
                         headers=setup.headers("staff_a", **{"If-Match": '"1"'}))
    assert moved.json["properties"]["comment_state"] == "approved"
    changed = client.patch(url, json={"properties": {"comment": "Nu säger de något annat"}},
                           headers=setup.headers("staff_a", **{"If-Match": '"2"'}))
    assert changed.json["properties"]["comment_state"] == "pending"


def test_planners_see_comments_and_their_state(sclient, ssetup):
    place = created(sclient, ssetup)
    seen = sclient.get(f"/api/v1/places/{place['id']}", headers=ssetup.headers("planner")).json
    assert (seen["properties"]["comment"], seen["properties"]["comment_state"]) == (
        "Vi gungar högt!", "pending")


def test_places_of_a_closed_campaign_are_not_changed(client, setup, db):
    place = created(client, setup)
    db.get(Campaign, setup.world.campaign.id).status = "closed"
    db.commit()
    url = f"/api/v1/places/{place['id']}"
    headers = setup.headers("staff_a", **{"If-Match": '"1"'})
    patched = client.patch(url, json={"properties": {"season": "winter"}}, headers=headers)
    deleted = client.delete(url, headers=headers)
    assert (patched.status_code, deleted.status_code) == (409, 409)
    assert "stängd" in deleted.json["error"]


def test_a_retry_after_the_session_was_finished_gets_the_stored_place(client, setup, db):
    body = feature(setup.session_a.id)
    first = post(client, setup, body)
    db.get(MappingSession, setup.session_a.id).finished_at = datetime.now(UTC)
    db.commit()
    retry = post(client, setup, body)
    assert retry.status_code == 200 and retry.json == first.json
    other = post(client, setup, feature(setup.session_a.id))
    assert other.status_code == 422  # but nothing new goes into a finished session


@pytest.mark.parametrize("who,status", [("staff_a", 200), ("staff_b", 404), ("planner", 200),
                                        ("admin", 200), ("official", 403), ("anonymous", 401)])
def test_who_reads_a_session_summary(sclient, ssetup, who, status):
    headers = {} if who == "anonymous" else ssetup.headers(who)
    response = sclient.get(f"/api/v1/sessions/{ssetup.session_a.id}", headers=headers)
    assert response.status_code == status
    unknown = sclient.get(f"/api/v1/sessions/{uuid.uuid4()}", headers=headers)
    assert unknown.status_code == (status if status in (401, 403) else 404)
