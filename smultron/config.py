"""Configuration from the environment, with safe defaults.

Every setting has a default that is right for development on a laptop;
production (SMULTRON_ENV=production, the default under gunicorn) refuses to
start without SMULTRON_SECRET_KEY.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says what to set."""


DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_TILE_ATTRIBUTION = "© OpenStreetMap contributors"
MB = 1024 * 1024


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def from_environment(env: dict | None = None) -> dict:
    """Settings read from ``env`` (os.environ by default)."""
    env = dict(os.environ if env is None else env)
    return {
        "ENV": env.get("SMULTRON_ENV", "development"),
        "SECRET_KEY": env.get("SMULTRON_SECRET_KEY") or None,
        "DATABASE_URL": env.get("DATABASE_URL") or None,
        "REPORTS_DATABASE_URL": env.get("REPORTS_DATABASE_URL") or None,
        "REDIS_URL": env.get("REDIS_URL") or None,
        # The site's public address (https://smultron.kommun.se): links that leave the site
        # (the OpenAPI document's server, e-mailed links) use it, never the request's Host.
        "BASE_URL": (env.get("SMULTRON_BASE_URL") or "").rstrip("/") or None,
        "TILE_URL": env.get("SMULTRON_TILE_URL", DEFAULT_TILE_URL),
        "TILE_ATTRIBUTION": env.get("SMULTRON_TILE_ATTRIBUTION", DEFAULT_TILE_ATTRIBUTION),
        "ANONYMITY_THRESHOLD": _int(env, "SMULTRON_ANONYMITY_THRESHOLD", 5),
        "LOGIN_RATE_LIMIT": env.get("SMULTRON_LOGIN_RATE_LIMIT", "10 per minute"),
        "SESSION_COOKIE_SECURE": env.get("SMULTRON_INSECURE_COOKIES", "") != "1",
        # How many reverse proxies in front set X-Forwarded-For/-Proto/-Host (0: trust none).
        "PROXY_HOPS": _int(env, "SMULTRON_PROXY_HOPS", 0),
        # Request bodies: JSON, forms and the API at most this many bytes; the upload routes
        # (plan areas, preschool imports; marked with web.security.large_upload) more.
        "MAX_CONTENT_LENGTH": _int(env, "SMULTRON_MAX_BODY_MB", 2) * MB,
        "MAX_UPLOAD_LENGTH": _int(env, "SMULTRON_MAX_UPLOAD_MB", 20) * MB,
        # Optional: invitations and reset links can also be e-mailed (Administration).
        "SMTP_HOST": env.get("SMULTRON_SMTP_HOST") or None,
        "SMTP_PORT": _int(env, "SMULTRON_SMTP_PORT", 587),
        "SMTP_USER": env.get("SMULTRON_SMTP_USER") or None,
        "SMTP_PASSWORD": env.get("SMULTRON_SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": env.get("SMULTRON_SMTP_STARTTLS", "1") != "0",
        "MAIL_FROM": env.get("SMULTRON_MAIL_FROM") or None,
    }


def development_secret(instance_path: Path) -> str:
    """A secret generated once and kept in instance/, for development only."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def check(config: dict) -> None:
    """Refuse settings that are wrong or unsafe. Every entry point calls this: the app factory
    and the CLI (before any command touches the database)."""
    if config["ENV"] not in ("development", "production", "testing"):
        raise ConfigError("SMULTRON_ENV must be 'development', 'production' or 'testing'")
    if config["ENV"] == "production" and not config.get("SECRET_KEY"):
        raise ConfigError(
            "SMULTRON_SECRET_KEY is not set. Production needs a long random secret shared by "
            "every app instance, e.g. SMULTRON_SECRET_KEY=$(python3 -c "
            "'import secrets; print(secrets.token_urlsafe(48))')"
        )
    if config["ANONYMITY_THRESHOLD"] < 2:
        raise ConfigError("SMULTRON_ANONYMITY_THRESHOLD must be 2 or more")
    for name, key in (("SMULTRON_MAX_BODY_MB", "MAX_CONTENT_LENGTH"),
                      ("SMULTRON_MAX_UPLOAD_MB", "MAX_UPLOAD_LENGTH")):
        if not 0 < config.get(key, MB) <= 1024 * MB:
            raise ConfigError(f"{name} must be from 1 to 1024 (megabytes)")
    base = urlsplit(config.get("BASE_URL") or "https://x")
    if base.scheme not in ("http", "https") or not base.netloc or base.query or base.fragment:
        raise ConfigError("SMULTRON_BASE_URL must be the site's address, e.g. "
                          "https://smultron.kommun.se")
    if not 0 <= config.get("PROXY_HOPS", 0) <= 10:
        raise ConfigError("SMULTRON_PROXY_HOPS must be from 0 (no proxy) to 10: the number of "
                          "reverse proxies in front of the app that set X-Forwarded-For")
