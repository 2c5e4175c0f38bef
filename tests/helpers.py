"""Helpers shared by the test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import re
import threading
from contextlib import contextmanager

from werkzeug.serving import make_server

PAGE_CONFIG = re.compile(r'<script type="application/json" id="page-config">(.*?)</script>', re.S)


def page_config(html: str) -> dict:
    """The page's config as its scripts read it (the one JSON block of templates/base.html)."""
    found = PAGE_CONFIG.search(html)
    assert found, "the page has no page-config block"
    return json.loads(found.group(1))


def inline_scripts(html: str) -> list[str]:
    """The attributes of every <script> with a body (the JSON blocks; code never is)."""
    return [attrs for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
            if body.strip()]


class _InFlight:
    """Counts the requests the app is still answering, so a test's server can wait for
    them before the app's engine is disposed (a request still running then would leave
    its database connection to the garbage collector: a ResourceWarning in a later test)."""

    def __init__(self, app):
        self.app = app
        self.count = 0
        self.idle = threading.Condition()

    def __call__(self, environ, start_response):
        with self.idle:
            self.count += 1
        response = None
        try:
            response = self.app(environ, start_response)
            yield from response
        finally:
            if hasattr(response, "close"):
                response.close()  # WSGI: the server's close() reaches the app's iterable
            with self.idle:
                self.count -= 1
                self.idle.notify_all()

    def wait(self, seconds: float) -> None:
        with self.idle:
            self.idle.wait_for(lambda: self.count == 0, timeout=seconds)


@contextmanager
def serve(app):
    """``app`` served on 127.0.0.1 (a free port) in a thread; yields its base URL. On the way
    out it stops accepting and waits (up to 10 s) for the requests still being answered."""
    tracked = _InFlight(app)
    server = make_server("127.0.0.1", 0, tracked, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        tracked.wait(10)
        server.server_close()
