"""Smoke tests: the login page, a login, and `make run` from a fresh clone."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from smultron import ROOT
from smultron.core.embedded_pg import EmbeddedPostgres, fallback_folder
from tests import factories
from tests.conftest import browser_login, run_axe


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'lang="sv"' in response.get_data(as_text=True)


def test_staff_logs_in(client, auth, world):
    response = auth.login(world.email("staff_a"))
    assert response.status_code == 302
    assert client.get("/home").status_code == 200


# -- `make run` from a fresh clone ------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _clone_env(clone: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**env, "PYTHONPATH": str(clone), "SMULTRON_ENV": "development",
            "SMULTRON_INSECURE_COOKIES": "1"}  # plain http to 127.0.0.1 below


def _smultron(clone: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", "from smultron.cli import main; main()", *args],
                          cwd=clone, env=_clone_env(clone), capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _wait_until_served(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5):  # noqa: S310
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


def _log_in(url: str, email: str, password: str) -> tuple[int, str, str]:
    """(status, address, page) where logging in through the form lands."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with opener.open(f"{url}/login") as page:  # noqa: S310
        token = factories.csrf_from(page.read().decode())
    form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
    request = urllib.request.Request(f"{url}/login", data=form.encode(),  # noqa: S310
                                     headers={"Referer": f"{url}/login"})
    try:
        with opener.open(request) as landed:  # noqa: S310
            return landed.status, landed.url, landed.read().decode()
    except urllib.error.HTTPError as error:  # a 500 from a database without tables, say
        return error.code, error.url, error.read().decode()


@pytest.fixture
def fresh_clone():
    """``git clone`` of this checkout under /tmp: no instance/, no .venv, nothing compiled."""
    folder = Path(tempfile.mkdtemp(prefix="smt-clone-"))
    folder.chmod(0o755)
    clone = folder / "smultron"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run([sys.executable, "-m", "smultron.core.i18n", "compile"], cwd=clone,
                   env=_clone_env(clone), check=True)  # make run's `translations`
    assert not (clone / "instance").exists()
    wanted = clone / "instance" / "postgres"
    try:
        yield clone
    finally:
        for base in (wanted, fallback_folder(wanted)):
            EmbeddedPostgres(base).remove()
        shutil.rmtree(fallback_folder(wanted), ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_make_run_in_a_fresh_clone_serves_the_demo_it_loaded(fresh_clone):
    """`make run`'s sequence in a clone with no instance/ (as root here: the cluster's folder
    used to depend on whether instance/ existed yet, so serve started a second, empty one)."""
    _smultron(fresh_clone, "db", "upgrade")
    printed = _smultron(fresh_clone, "demo", "--if-empty")
    password = printed.split("password: ")[1].split()[0]
    email = next(line.split()[0] for line in printed.splitlines() if "@" in line)
    url = f"http://127.0.0.1:{_free_port()}"
    serve = subprocess.Popen(
        [sys.executable, "-c", "from smultron.cli import main; main()", "serve",
         "--port", url.rsplit(":", 1)[1]], cwd=fresh_clone, env=_clone_env(fresh_clone),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until_served(url, serve)
        status, landed, page = _log_in(url, email, password)
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(60)
        serve.stderr.close()
    assert status == 200, page[-2000:]
    assert "/login" not in landed, "the printed demo account did not log in"
    assert landed.startswith(f"{url}/") and 'action="/logout"' in page


# -- the shared CSS on every map --------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("role,path", [("planner", "/planner/"), ("official", "/reports"),
                                       ("planner", "/tiles/map")])
def test_map_attribution_links_are_underlined(guarded_page, live_server, world, role, path):
    """Not told apart by colour alone (axe's link-in-text-block, which axe can only decide
    over a plain background, so it is checked here directly too)."""
    browser_login(guarded_page, live_server, world.email(role))
    guarded_page.goto(f"{live_server}{path}")
    links = guarded_page.locator(".leaflet-control-attribution a")
    links.first.wait_for()
    decorations = links.evaluate_all(
        "links => links.map(a => getComputedStyle(a).textDecorationLine)")
    assert decorations and all("underline" in d for d in decorations), decorations
    assert run_axe(guarded_page) == []
