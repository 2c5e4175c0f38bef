"""The role rules on every admin route: admins only (403 for every other role,
a redirect to the login for anonymous visitors), whatever the method — for local accounts
and accounts single sign-on created alike (``people``)."""

import re

import pytest

from tests import factories

SAMPLE = {"int": "1", "default": "about", "string": "about"}


@pytest.fixture
def app(oidc_app):
    return oidc_app


def admin_routes(app):
    """(method, url) for every rule of the admin blueprint, ids filled with 1."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = re.sub(r"<(?:(\w+):)?(\w+)>",
                     lambda m: "sv" if m.group(2) == "lang" else SAMPLE[m.group(1) or "default"],
                     rule.rule)
        routes += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


def test_the_admin_blueprint_has_the_expected_routes(app):
    urls = {url for _method, url in admin_routes(app)}
    for expected in ("/admin", "/admin/preschools", "/admin/campaigns", "/admin/users",
                     "/admin/categories", "/admin/retention", "/admin/audit", "/admin/pages"):
        assert expected in urls
    assert len(admin_routes(app)) >= 40


@pytest.mark.parametrize("who", ["staff_a", "planner", "official"])
def test_every_admin_route_is_forbidden_to_other_roles(app, client, auth, people, who):
    people.login(who)
    token = auth.csrf_token()
    for method, url in admin_routes(app):
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 403, (who, method, url, response.status_code)


def test_every_admin_route_sends_anonymous_visitors_to_the_login(app, client):
    token = factories.csrf_from(client.get("/login").get_data(as_text=True))
    for method, url in admin_routes(app):
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 302, (method, url, response.status_code)
        assert "/login" in response.headers["Location"]


def test_an_admin_reaches_every_page(app, client, people, world):
    people.login("admin")
    pages = [url for method, url in admin_routes(app) if method == "GET"]
    pages = [url.replace("/1", f"/{world.school_a.id}") if "preschools/" in url else url
             for url in pages]
    for url in pages:
        if re.search(r"/(campaigns|users|categories)/1$|/recordings/.", url):
            continue  # ids of other tables; covered in test_admin.py and test_recordings.py
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)


def test_an_api_token_of_a_non_admin_is_refused_too(client, db, people):
    from smultron import accounts

    token = accounts.create_token(db, people.user("planner"), "test")
    db.commit()
    response = client.get("/admin/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
