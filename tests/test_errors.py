"""Errors: JSON under /api/ and /ogc, an HTML page elsewhere, never a stack trace."""

import pytest
from flask import abort

from smultron import create_app
from smultron.core.errors import NotFound
from smultron.core.messages import M
from tests import factories
from tests.conftest import HttpsClient, app_config, untranslated


def test_api_errors_are_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json
    assert set(response.json) == {"error", "detail"} and response.json["error"]


def test_page_errors_are_html_in_the_chosen_language(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Här finns ingenting." in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    # no outside image host: the background maps come through /basemap/ on this site
    assert "img-src 'self' data: blob:;" in csp and "http" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["database"] == "ok"


def test_a_specific_message_survives_the_error_handler(client):
    response = client.get("/api/v1/places?token=abc")
    assert response.status_code == 400
    assert "Authorization" in response.json["error"]


# -- request size limits ---------------------------------------------------------------

MB = 1024 * 1024


def test_a_too_large_json_body_is_refused_before_it_is_read(client, world, db):
    from smultron import accounts
    from smultron.models import Place, User

    token = accounts.create_token(db, db.get(User, world.users["staff_a"].id), "tablet")
    db.commit()
    body = b"[" * (3 * MB)  # not JSON: read and parsed it would be a 400
    response = client.post("/api/v1/places", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 413 and response.is_json
    assert response.json["error"] == ("Det här är för stort: högst 2 MB kan skickas åt "
                                      "gången.")
    assert db.query(Place).count() == 0


def test_a_too_large_form_is_a_413_page_with_the_security_headers(client):
    client.get("/lang/en")
    response = client.post("/login", data={"email": "x" * (3 * MB), "password": "x"})
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert "at most 2 MB can be sent at once" in response.get_data(as_text=True)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def _upload(client, auth, path: str, size: int, **fields):
    """A multipart form with a file of ``size`` bytes (built here: the test client's own
    encoder spools big files into temporary files it never closes)."""
    boundary = "smultron-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
             f"{value}\r\n".encode() for name, value in
             {"csrf_token": auth.csrf_token(), **fields}.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="area.geojson"\r\nContent-Type: application/geo+json\r\n\r\n'
                 .encode() + b"x" * size + f"\r\n--{boundary}--\r\n".encode())
    return client.post(path, data=b"".join(parts),
                       content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize("role,path", [("planner", "/planner/plans"),
                                       ("admin", "/admin/preschools/import")])
def test_upload_routes_take_larger_files_up_to_their_own_limit(client, auth, world, role, path):
    auth.login(world.email(role))
    accepted = _upload(client, auth, path, 3 * MB, name="Detaljplan")
    assert accepted.status_code in (400, 422)  # read, and refused as not GeoJSON: not a 413
    refused = _upload(client, auth, path, 21 * MB, name="Detaljplan")
    assert refused.status_code == 413
    assert "högst 20 MB" in refused.get_data(as_text=True)


# -- error pages in the page's language ---------------------------------------------------

def _boom():
    raise RuntimeError("a bug")


def _gone():
    abort(410)  # a code without a message of its own


def _domain_error():
    raise NotFound(M("There is nothing here."))  # as domain code (no Flask) raises


ERROR_PAGES = {
    "404": (404, lambda c: c.get("/no-such-page")),
    "405": (405, lambda c: c.get("/logout")),
    "413": (413, lambda c: c.post("/login", data={"email": "x" * (3 * MB)})),
    "429": (429, lambda c: [c.post("/login", data={
        "email": "x@example.org", "password": "x",
        "csrf_token": factories.csrf_from(c.get("/login").get_data(as_text=True))})
        for _ in range(3)][-1]),
    "csrf": (400, lambda c: c.post("/login", data={"email": "x@example.org"})),
    "500": (500, lambda c: c.get("/boom")),
    "abort": (400, lambda c: c.get("/about?token=x")),
    "domain": (404, lambda c: c.get("/domain-error")),
    "410": (410, lambda c: c.get("/gone")),
}


def _error_page(database_url, situation: str, lang: str):
    app = create_app(app_config(database_url, RATELIMIT_ENABLED=True,
                                LOGIN_RATE_LIMIT="2 per minute"))
    app.add_url_rule("/boom", "boom", _boom)
    app.add_url_rule("/domain-error", "domain_error", _domain_error)
    app.add_url_rule("/gone", "gone", _gone)
    app.test_client_class = HttpsClient
    client = app.test_client()
    try:
        client.get(f"/lang/{lang}")
        status, request = ERROR_PAGES[situation]
        response = request(client)
        assert response.status_code == status and response.mimetype == "text/html"
        return response.get_data(as_text=True)
    finally:
        app.extensions["smultron.engine"].dispose()


@pytest.mark.parametrize("situation", sorted(ERROR_PAGES))
def test_an_error_page_has_no_english_when_swedish_is_chosen(database_url, situation):
    swedish = _error_page(database_url, situation, "sv")
    english = _error_page(database_url, situation, "en")
    assert 'lang="sv"' in swedish and 'lang="en"' in english
    assert untranslated(swedish, english) == []
    assert swedish != english
