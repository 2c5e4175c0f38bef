"""A real tile server on a loopback port, for the background maps: PNG tiles for any
/<z>/<x>/<y>.png, the requests it got (path and headers), and switches to make it fail
or ask for a key."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image


def png(colour=(120, 170, 110)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(out, format="PNG")
    return out.getvalue()


class TileServer:
    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200  # what every tile answers (e.g. 503 to fail)
        self.body = png()
        self.content_type = "image/png"
        self.key: str | None = None  # when set, tiles need ?key=<it> or X-Api-Key
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def template(self) -> str:
        return self.origin + "/{z}/{x}/{y}.png"

    def tile_requests(self) -> list[dict]:
        return [r for r in self.requests if r["path"].endswith(".png") or "?" in r["path"]]

    def reset(self):
        self.requests.clear()
        self.status, self.body, self.content_type, self.key = 200, png(), "image/png", None

    def close(self):
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the standard library's name)
                server.requests.append({"path": self.path, "headers": dict(self.headers)})
                if server.key and server.key not in self.path and \
                        self.headers.get("X-Api-Key") != server.key:
                    return self._answer(401, b"no key", "text/plain")
                return self._answer(server.status, server.body if server.status == 200
                                    else b"<html>upstream trouble</html>",
                                    server.content_type if server.status == 200
                                    else "text/html")

            def _answer(self, status: int, body: bytes, content_type: str):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler


_shared: TileServer | None = None


def shared() -> TileServer:
    """One tile server for this test process, started on first use: the default
    background map of every test app (SMULTRON_TILE_URL)."""
    global _shared
    if _shared is None:
        _shared = TileServer()
    return _shared
