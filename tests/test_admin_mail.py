"""Optional e-mail of invitation and reset links (SMTP configured), against a small
SMTP server in this process; without SMTP the admin hands the link over."""

import email
import socketserver
import threading
from email import policy

import pytest
from sqlalchemy import select

from smultron import create_app
from smultron.models import User
from tests.admin_helpers import AdminClient, last_audit, one_time_link
from tests.conftest import app_config


class SmtpSink(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        self.messages = []


class SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to receive one message per transaction."""

    def reply(self, text: str) -> None:
        self.wfile.write(f"{text}\r\n".encode())

    def handle(self):
        self.reply("220 sink ready")
        recipients, lines, in_data = [], [], False
        for raw in self.rfile:
            line = raw.decode().rstrip("\r\n")
            if in_data:
                if line == ".":
                    in_data = False
                    self.server.messages.append((list(recipients), "\n".join(lines)))
                    recipients.clear()
                    lines.clear()
                    self.reply("250 queued")
                else:
                    lines.append(line[1:] if line.startswith("..") else line)
                continue
            verb = line[:4].upper()
            if verb == "RCPT":
                recipients.append(line.split(":", 1)[1].strip(" <>"))
            if verb == "DATA":
                in_data = True
                self.reply("354 end with .")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def sink():
    server = SmtpSink()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def app(database_url, sink):
    app = create_app(app_config(database_url, SMTP_HOST="127.0.0.1",
                                SMTP_PORT=sink.server_address[1], SMTP_STARTTLS=False,
                                MAIL_FROM="smultron@kiruna.se"))
    yield app
    app.extensions["smultron.engine"].dispose()


def test_an_invitation_is_e_mailed_when_smtp_is_configured(client, auth, db, world, sink):
    admin = AdminClient(client, auth, world.email("admin"))
    assert 'name="send_email"' in admin.get("/admin/users/new").get_data(as_text=True)
    response = admin.post("/admin/users/new", {"email": "ny@example.org", "role": "planner",
                                               "send_email": "on"})
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    link = one_time_link(page)
    assert "ny@example.org" in page
    [(recipients, raw)] = sink.messages
    assert recipients == ["ny@example.org"]
    message = email.message_from_string(raw, policy=policy.default)
    assert message["From"] == "smultron@kiruna.se" and "Smultron" in message["Subject"]
    assert link in message.get_content()
    assert last_audit(db).detail["emailed"] is True


def test_a_reset_link_is_e_mailed_only_when_asked(client, auth, db, world, sink):
    admin = AdminClient(client, auth, world.email("admin"))
    staff = world.users["staff_a"]
    admin.post(f"/admin/users/{staff.id}/link", {"purpose": "reset"})
    assert sink.messages == []
    admin.post(f"/admin/users/{staff.id}/link", {"purpose": "reset", "send_email": "on"})
    assert [r for r, _raw in sink.messages] == [[staff.email]]


def test_an_unreachable_server_still_shows_the_link(client, auth, db, world, sink, app):
    app.config["SMTP_PORT"] = 9  # nothing listens there
    admin = AdminClient(client, auth, world.email("admin"))
    response = admin.post("/admin/users/new", {"email": "ny@example.org", "role": "planner",
                                               "send_email": "on"})
    assert response.status_code == 201
    assert one_time_link(response.get_data(as_text=True))
    assert 'role="alert"' in response.get_data(as_text=True)
    assert last_audit(db).detail["emailed"] is False
    assert db.scalar(select(User).where(User.email == "ny@example.org")) is not None
