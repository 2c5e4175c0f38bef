"""Errors: JSON under /api/ and /ogc, an HTML page elsewhere, never a stack trace."""


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
    assert "https://tiles.test" in csp  # the configured tile server, nothing else
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["database"] == "ok"


def test_a_specific_message_survives_the_error_handler(client):
    response = client.get("/api/v1/places?token=abc")
    assert response.status_code == 400
    assert "Authorization" in response.json["error"]
