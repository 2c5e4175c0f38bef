"""Fixtures: a real PostGIS cluster for the whole run (the app's own embedded
manager), a fresh database per test cloned from a migrated template, the app,
its client, an ``auth`` helper, a small ``world`` of data, a live server and a
guarded Playwright page for browser tests."""

from __future__ import annotations

import atexit
import itertools
import re
import shutil
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient

from smultron import create_app, reference
from smultron.core import passwords
from smultron.core.db import make_engine
from smultron.core.embedded_pg import EmbeddedPostgres
from smultron.core.i18n import LANGUAGES
from tests import (
    export_data,
    factories,
    place_data,
    report_data,
    s3_server,
    saml_helpers,
    sso_helpers,
    tile_server,
)
from tests.helpers import serve

TEMPLATE_DB = "smultron_template"
_db_numbers = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """Argon2 with minimal cost: the same code path, a fraction of the time per user."""
    original = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    yield
    passwords._hasher = original


@pytest.fixture(scope="session")
def cluster():
    """One throwaway PostGIS cluster for the run, under /tmp (short socket path)."""
    base = Path(tempfile.mkdtemp(prefix="smt-"))
    base.chmod(0o755)
    pg = EmbeddedPostgres(base / "pg", fast=True)
    try:
        pg.ensure(TEMPLATE_DB)
        engine = make_engine(pg.url(TEMPLATE_DB))
        reference.migrate_and_seed(engine)
        engine.dispose()
        yield pg
    finally:
        pg.remove()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def database_url(cluster):
    """A fresh, migrated database for one test (about 0.1 s to clone)."""
    name = f"test_{next(_db_numbers)}"
    cluster.create_database(name, template=TEMPLATE_DB)
    yield cluster.url(name)
    cluster.drop_database(name)


_tile_cache: list[str] = []


def tile_cache_dir() -> str:
    """One folder for this test process's background map tiles (not the app's instance/)."""
    if not _tile_cache:
        _tile_cache.append(tempfile.mkdtemp(prefix="smt-tiles-"))
        atexit.register(shutil.rmtree, _tile_cache[0], True)
    return _tile_cache[0]


def app_config(database_url: str, **overrides) -> dict:
    """The test app's settings: its background map is a real tile server on loopback
    (tests/tile_server.py), which the app fetches through /basemap/map/…"""
    config = {
        "TESTING": True,
        "ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-not-for-production",
        "TILE_URL": tile_server.shared().template,
        "BASEMAP_CACHE_DIR": tile_cache_dir(),
        "RATELIMIT_ENABLED": False,
        # The staff map's outbox sends when asked (Send now, back online, a reload), not
        # also on a timer that could race a test; test_map_browser turns the timer on.
        "OUTBOX_RETRY_SECONDS": 0,
    }
    config.update(overrides)
    return config


@pytest.fixture
def app(database_url):
    app = create_app(app_config(database_url))
    yield app
    app.extensions["smultron.engine"].dispose()


class HttpsClient(FlaskClient):
    """The session cookie is Secure: it is only sent back over https. Like a browser,
    it sends a same-origin Referer (Flask-WTF checks it on https)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_REFERER"] = "https://localhost/"

    def open(self, *args, **kwargs):
        if not (args and not isinstance(args[0], str)):
            kwargs.setdefault("base_url", "https://localhost")
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def oidc_provider():
    """A real OpenID provider process (oidc-provider-mock) on a loopback port for the run:
    its issuer URL."""
    with sso_helpers.provider_process() as issuer:
        yield issuer


@pytest.fixture
def oidc_app(database_url, oidc_provider):
    """The app with single sign-on through ``oidc_provider`` (a test module that wants it
    everywhere overrides ``app`` with it)."""
    app = create_app(app_config(database_url, **sso_helpers.oidc_config(oidc_provider)))
    yield app
    app.extensions["smultron.engine"].dispose()


@pytest.fixture(scope="session")
def s3():
    """A real S3-compatible object store (Ceph's RADOS Gateway on a one-node cluster of
    its own, tests/s3_server.py) on a loopback port for the run, with an empty bucket."""
    if not s3_server.available():
        pytest.skip("Ceph's radosgw is not installed (scripts/install-system-deps.sh test)")
    with s3_server.rgw_process() as server:
        yield server


@pytest.fixture(scope="session")
def saml_idp():
    """A real SAML identity provider process (tests/saml_idp.py, pysaml2's IdP) on a
    loopback port for the run: its base URL (metadata at /metadata)."""
    with saml_helpers.idp_process() as base:
        yield base


@pytest.fixture(scope="session")
def saml_sp_keys():
    return saml_helpers.sp_keys()


@pytest.fixture
def saml_app(database_url, saml_idp, saml_sp_keys):
    """The app with SAML single sign-on through ``saml_idp``."""
    app = create_app(app_config(database_url, **saml_helpers.saml_config(saml_idp,
                                                                         saml_sp_keys)))
    yield app
    app.extensions["smultron.engine"].dispose()


@pytest.fixture(params=["local", "sso"])
def people(request, app, client, auth, world, db):
    """The world's roles as local accounts, then as accounts a first login through the
    provider created (a module using this overrides ``app`` with ``oidc_app``)."""
    if request.param == "local":
        return sso_helpers.LocalPeople(auth, world)
    return sso_helpers.SsoPeople(app, client, request.getfixturevalue("oidc_provider"), world,
                                 db)


@pytest.fixture
def client(app):
    app.test_client_class = HttpsClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A Session on the test's database, for arranging and checking data."""
    session = app.extensions["smultron.core.db"]()
    yield session
    session.close()


@pytest.fixture
def world(db):
    """Two preschools (A with staff_a, B with staff_b), an open campaign, one user per role."""
    return factories.World.build(db)


@pytest.fixture
def places(db, world):
    """The world's places of every kind for exports, OGC, plans (tests/export_data.py)."""
    return export_data.build(db, world)


@pytest.fixture
def setup(db):
    """A world with a mapping session per preschool and API tokens (tests/place_data.py)."""
    return place_data.build(db)


@pytest.fixture
def known(db):
    """Places whose report figures are known by hand (tests/report_data.py)."""
    return report_data.build(db)


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = factories.PASSWORD):
        page = self._client.get("/login")
        token = factories.csrf_from(page.get_data(as_text=True))
        return self._client.post("/login", data={"email": email, "password": password,
                                                 "csrf_token": token})

    def csrf_token(self) -> str:
        return factories.csrf_from(self._client.get("/home").get_data(as_text=True))

    def logout(self):
        return self._client.post("/logout", data={"csrf_token": self.csrf_token()})


@pytest.fixture
def auth(client):
    return AuthActions(client)


# -- browser tests ---------------------------------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": shutil.which("chromium") or "/usr/bin/chromium",
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"],
    }


@pytest.fixture
def live_server(app):
    """The app served on 127.0.0.1 in a thread; yields its base URL."""
    with serve(app) as base:
        yield base


@pytest.fixture
def guarded_page(page):
    """A page that blocks and records every request not to 127.0.0.1 (tiles are stubbed)
    and records console errors; the test fails if either list is not empty."""
    blocked, errors = [], []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(("http://127.0.0.1", "data:", "blob:")):
            request_route.continue_()
        elif url.startswith("https://tiles.test/"):
            request_route.fulfill(status=200, content_type="image/png", body=factories.PNG_1PX)
        else:
            blocked.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.blocked_requests, page.console_errors = blocked, errors
    yield page
    assert blocked == [], f"requests outside 127.0.0.1: {blocked}"
    assert errors == [], f"console errors: {errors}"


def run_axe(page) -> list[dict]:
    """axe-core's violations on the current page: its full default rule set (WCAG 2.1 A and
    AA and the best-practice rules, e.g. link-in-text-block), not only the WCAG-tagged ones."""
    origin = "/".join(page.url.split("/")[:3])
    page.add_script_tag(url=f"{origin}/static/vendor/{factories.vendor_folder('axe-core')}"
                            "/axe.min.js")
    return page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target)}))")


def switch_language(page, code: str):
    """Choose ``code`` on the page's language switch (a disclosure: it opens first)."""
    page.click(".lang-menu summary")
    page.click(f".lang-menu a[hreflang={code}]")


def browser_login(page, base_url: str, email: str, password: str = factories.PASSWORD):
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")


# -- the page's language -------------------------------------------------------------------

class _TextNodes(HTMLParser):
    SKIP = {"script", "style"}

    def __init__(self):
        super().__init__()
        self.texts, self._skipping = [], 0

    def handle_starttag(self, tag, attrs):
        self._skipping += tag in self.SKIP

    def handle_endtag(self, tag):
        self._skipping -= tag in self.SKIP and self._skipping > 0

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.texts.append(" ".join(data.split()))


def text_nodes(html: str) -> list[str]:
    parser = _TextNodes()
    parser.feed(html)
    return parser.texts


# Text that is the same in every language: the product's name and the languages' own names.
NAMES = re.compile("|".join(["Smultron", *LANGUAGES.values()]))
NEUTRAL = re.compile(r"[\d\s–:.()/-]*")


def _neutral(text: str) -> bool:
    return NEUTRAL.fullmatch(NAMES.sub("", text)) is not None


def untranslated(swedish_html: str, english_html: str) -> list[str]:
    """The texts of a page rendered in Swedish that are the same in its English rendering
    (so English on a Swedish page), apart from names and numbers."""
    english = set(text_nodes(english_html))
    return [t for t in text_nodes(swedish_html) if t in english and not _neutral(t)]


@pytest.fixture
def units(db, world):
    """The world's preschools with the unit codes single sign-on's claims carry (the
    OpenID Connect and SAML tests)."""
    from tests.sso_helpers import UNIT_A, UNIT_B

    world.school_a.unit_code, world.school_b.unit_code = UNIT_A, UNIT_B
    db.commit()
    return world
