"""E-mailing an invitation or reset link, when SMTP is configured (optional: without
it the admin hands the link over). Plain text, one message, no tracking."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from smultron.core.problems import N_, fail

SUBJECTS = {"invite": "Välkommen till Smultron / Welcome to Smultron",
            "reset": "Nytt lösenord i Smultron / A new password for Smultron"}
BODY = """Hej!

Öppna länken för att välja ditt lösenord i Smultron. Den fungerar en gång och går ut {expires}.

{url}

---

Hello,

Open the link to choose your password for Smultron. It works once and expires {expires}.

{url}
"""


def configured(config: dict) -> bool:
    return bool(config.get("SMTP_HOST") and config.get("MAIL_FROM"))


def message(config: dict, to: str, purpose: str, url: str, expires: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = config["MAIL_FROM"]
    mail["To"] = to
    mail["Subject"] = SUBJECTS[purpose]
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(BODY.format(url=url, expires=expires))
    return mail


def send_link(config: dict, to: str, purpose: str, url: str, expires: str) -> None:
    """Send the link; a refused or unreachable server is an error the admin can act on."""
    mail = message(config, to, purpose, url, expires)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config.get("SMTP_PORT") or 587,
                          timeout=15) as server:
            if config.get("SMTP_STARTTLS", True):
                server.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USER"):
                server.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
            server.send_message(mail)
    except (smtplib.SMTPException, OSError) as exc:
        raise fail(N_("The e-mail could not be sent (%(reason)s). Hand the link over "
                      "yourself."), status=502, reason=exc.__class__.__name__) from exc
