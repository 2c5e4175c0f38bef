"""Configuration from the environment, with safe defaults.

Every setting has a default that is right for development on a laptop;
production (SMULTRON_ENV=production, the default under gunicorn) refuses to
start without SMULTRON_SECRET_KEY.
"""

from __future__ import annotations

import ipaddress
import json
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
        # Reports read from that replica while its data is at most this many seconds old,
        # else from the primary (smultron/core/replica.py).
        "REPLICA_MAX_LAG": _int(env, "SMULTRON_REPLICA_MAX_LAG", 60),
        "REDIS_URL": env.get("REDIS_URL") or None,
        # "transaction" when DATABASE_URL (and REPORTS_DATABASE_URL) lead to a pooler that hands
        # each transaction to any server connection (pgbouncer's pool_mode = transaction).
        "DB_POOLER": (env.get("SMULTRON_DB_POOLER") or "").strip().lower() or None,
        # The site's public address (https://smultron.kommun.se): links that leave the site
        # (the OpenAPI document's server, e-mailed links) use it, never the request's Host.
        "BASE_URL": (env.get("SMULTRON_BASE_URL") or "").rstrip("/") or None,
        "TILE_URL": env.get("SMULTRON_TILE_URL", DEFAULT_TILE_URL),
        "TILE_ATTRIBUTION": env.get("SMULTRON_TILE_ATTRIBUTION", DEFAULT_TILE_ATTRIBUTION),
        # Background maps served through /basemap/ (smultron/basemaps): JSON or @file;
        # a tile file of the app's own; the disk cache of the tiles fetched upstream.
        "BASEMAPS": env.get("SMULTRON_BASEMAPS") or None,
        "BASEMAP_FILE": env.get("SMULTRON_BASEMAP_FILE") or None,
        "BASEMAP_CACHE_MB": _int(env, "SMULTRON_BASEMAP_CACHE_MB", 512),
        "BASEMAP_CACHE_DIR": env.get("SMULTRON_BASEMAP_CACHE_DIR") or None,
        "ANONYMITY_THRESHOLD": _int(env, "SMULTRON_ANONYMITY_THRESHOLD", 5),
        # Open data (/open): no public figure rests on fewer children than this.
        "OPEN_THRESHOLD": _int(env, "SMULTRON_OPEN_THRESHOLD", 10),
        "OPEN_RATE_LIMIT": env.get("SMULTRON_OPEN_RATE_LIMIT", "120 per minute"),
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
        **_oidc(env),
        **_saml(env),
        **_photo_store(env),
    }


def _photo_store(env: dict) -> dict:
    """Where photos' bytes go: PostgreSQL (unset, the default) or an S3-compatible object
    store (smultron/photos/store.py). Its credentials are the standard AWS_ACCESS_KEY_ID
    and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, a role...), read by boto3 itself."""
    return {
        "PHOTO_STORE": (env.get("SMULTRON_PHOTO_STORE") or "").strip() or None,
        "PHOTO_STORE_ENDPOINT": (env.get("SMULTRON_PHOTO_STORE_ENDPOINT") or "").strip()
        or None,
        "PHOTO_STORE_REGION": env.get("SMULTRON_PHOTO_STORE_REGION") or None,
        "PHOTO_STORE_ADDRESSING": env.get("SMULTRON_PHOTO_STORE_ADDRESSING") or None,
    }


OIDC_DEFAULT_SCOPES = "openid email profile"


def _role_map(env: dict, name: str) -> dict:
    raw_map = env.get(name) or ""
    try:
        return json.loads(raw_map) if raw_map.strip() else {}
    except ValueError as exc:
        raise ConfigError(f"{name} must be JSON, e.g. "
                          '{"smultron-staff": "staff", "smultron-planners": "planner"}') from exc


def _oidc(env: dict) -> dict:
    """Single sign-on through an OpenID Connect provider (all unset: no SSO at all)."""
    role_map = _role_map(env, "SMULTRON_OIDC_ROLE_MAP")
    return {
        "OIDC_ISSUER": (env.get("SMULTRON_OIDC_ISSUER") or "").strip() or None,
        "OIDC_CLIENT_ID": env.get("SMULTRON_OIDC_CLIENT_ID") or None,
        "OIDC_CLIENT_SECRET": env.get("SMULTRON_OIDC_CLIENT_SECRET") or None,
        "OIDC_NAME": env.get("SMULTRON_OIDC_NAME") or None,
        "OIDC_SCOPES": env.get("SMULTRON_OIDC_SCOPES") or OIDC_DEFAULT_SCOPES,
        "OIDC_ROLE_CLAIM": env.get("SMULTRON_OIDC_ROLE_CLAIM") or "groups",
        "OIDC_ROLE_MAP": role_map,
        "OIDC_PRESCHOOL_CLAIM": env.get("SMULTRON_OIDC_PRESCHOOL_CLAIM") or None,
    }


def _saml(env: dict) -> dict:
    """Single sign-on through a SAML 2.0 identity provider (Skolfederation, FedKom); all
    unset: no SAML at all."""
    return {
        # The IdP's metadata: a file or an https:// address (one IdP, or a federation's
        # aggregate with SMULTRON_SAML_IDP_ENTITY_ID naming the municipality's IdP).
        "SAML_IDP_METADATA": (env.get("SMULTRON_SAML_IDP_METADATA") or "").strip() or None,
        "SAML_IDP_ENTITY_ID": env.get("SMULTRON_SAML_IDP_ENTITY_ID") or None,
        # The federation's metadata signing certificate: the metadata must be signed by it.
        "SAML_IDP_METADATA_CERT": env.get("SMULTRON_SAML_IDP_METADATA_CERT") or None,
        "SAML_ENTITY_ID": env.get("SMULTRON_SAML_ENTITY_ID") or None,
        "SAML_NAME": env.get("SMULTRON_SAML_NAME") or None,
        "SAML_KEY_FILE": env.get("SMULTRON_SAML_KEY_FILE") or None,
        "SAML_CERT_FILE": env.get("SMULTRON_SAML_CERT_FILE") or None,
        "SAML_ROLE_ATTRIBUTE": env.get("SMULTRON_SAML_ROLE_ATTRIBUTE") or "eduPersonEntitlement",
        "SAML_ROLE_MAP": _role_map(env, "SMULTRON_SAML_ROLE_MAP"),
        "SAML_PRESCHOOL_ATTRIBUTE": env.get("SMULTRON_SAML_PRESCHOOL_ATTRIBUTE")
        or "sisSchoolUnitCode",
    }


def secure_or_loopback(url: str) -> bool:
    """https, or http to this machine (a provider for development and tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def check_role_map(name: str, role_map) -> None:
    from smultron.models import ROLES

    if not isinstance(role_map, dict) or not role_map:
        raise ConfigError(f"{name} must be a JSON object from claim values to roles, e.g. "
                          '{"smultron-staff": "staff"}')
    wrong = sorted(str(role) for role in role_map.values() if role not in ROLES)
    if wrong:
        raise ConfigError(f"{name} names unknown roles ({', '.join(wrong)}): use "
                          f"{', '.join(ROLES)}")


def _check_oidc(config: dict) -> None:
    names = ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_NAME", "OIDC_PRESCHOOL_CLAIM")
    issuer = config.get("OIDC_ISSUER")
    if not issuer:
        if any(config.get(name) for name in names) or config.get("OIDC_ROLE_MAP"):
            raise ConfigError("SMULTRON_OIDC_ISSUER is not set: set it (the provider's "
                              "address) or unset every SMULTRON_OIDC_* variable")
        return
    if not secure_or_loopback(issuer):
        raise ConfigError("SMULTRON_OIDC_ISSUER must be an https:// address")
    for name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_NAME"):
        if not config.get(name):
            raise ConfigError(f"SMULTRON_{name} is not set (single sign-on needs it)")
    check_role_map("SMULTRON_OIDC_ROLE_MAP", config.get("OIDC_ROLE_MAP"))


def _check_saml(config: dict) -> None:
    names = ("SAML_ENTITY_ID", "SAML_NAME", "SAML_KEY_FILE", "SAML_CERT_FILE")
    metadata = config.get("SAML_IDP_METADATA")
    if not metadata:
        if any(config.get(name) for name in names) or config.get("SAML_ROLE_MAP"):
            raise ConfigError("SMULTRON_SAML_IDP_METADATA is not set: set it (the identity "
                              "provider's metadata, a file or an https:// address) or unset "
                              "every SMULTRON_SAML_* variable")
        return
    if "://" in metadata:
        if not secure_or_loopback(metadata):
            raise ConfigError("SMULTRON_SAML_IDP_METADATA must be a file or an https:// "
                              "address")
    elif not Path(metadata).is_file():
        raise ConfigError(f"SMULTRON_SAML_IDP_METADATA: there is no file {metadata}")
    for name in names:
        if not config.get(name):
            raise ConfigError(f"SMULTRON_{name} is not set (SAML single sign-on needs it)")
    for name in ("SAML_KEY_FILE", "SAML_CERT_FILE", "SAML_IDP_METADATA_CERT"):
        if config.get(name) and not Path(config[name]).is_file():
            raise ConfigError(f"SMULTRON_{name}: there is no file {config[name]}")
    check_role_map("SMULTRON_SAML_ROLE_MAP", config.get("SAML_ROLE_MAP"))


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
    if config.get("OPEN_THRESHOLD", 10) < config["ANONYMITY_THRESHOLD"]:
        raise ConfigError("SMULTRON_OPEN_THRESHOLD must not be below "
                          "SMULTRON_ANONYMITY_THRESHOLD (open data is seen by everyone)")
    for name, key in (("SMULTRON_MAX_BODY_MB", "MAX_CONTENT_LENGTH"),
                      ("SMULTRON_MAX_UPLOAD_MB", "MAX_UPLOAD_LENGTH")):
        if not 0 < config.get(key, MB) <= 1024 * MB:
            raise ConfigError(f"{name} must be from 1 to 1024 (megabytes)")
    base = urlsplit(config.get("BASE_URL") or "https://x")
    if base.scheme not in ("http", "https") or not base.netloc or base.query or base.fragment:
        raise ConfigError("SMULTRON_BASE_URL must be the site's address, e.g. "
                          "https://smultron.kommun.se")
    if config.get("DB_POOLER") not in (None, "session", "transaction"):
        raise ConfigError("SMULTRON_DB_POOLER must be 'transaction' (pgbouncer's pool_mode = "
                          "transaction in front of the database), 'session' or unset")
    if not 0 <= config.get("PROXY_HOPS", 0) <= 10:
        raise ConfigError("SMULTRON_PROXY_HOPS must be from 0 (no proxy) to 10: the number of "
                          "reverse proxies in front of the app that set X-Forwarded-For")
    _check_oidc(config)
    _check_saml(config)
    _check_basemaps(config)
    _check_photo_store(config)


def _check_photo_store(config: dict) -> None:
    from smultron.photos import store

    try:
        settings = store.parse(config)
    except store.ConfigError as exc:
        raise ConfigError(str(exc)) from exc
    if settings is None:
        if config.get("PHOTO_STORE_ENDPOINT"):
            raise ConfigError("SMULTRON_PHOTO_STORE_ENDPOINT is set but SMULTRON_PHOTO_STORE "
                              "is not s3://BUCKET/PREFIX: set both, or neither")
        return
    if settings.endpoint and not secure_or_loopback(settings.endpoint):
        raise ConfigError("SMULTRON_PHOTO_STORE_ENDPOINT must be an https:// address (the "
                          "object store's S3 API), e.g. https://s3.kommun.se")


def _check_basemaps(config: dict) -> None:
    from smultron.basemaps import BasemapError, configured
    from smultron.basemaps.sources import file_info

    if not 0 <= config.get("BASEMAP_CACHE_MB", 0) <= 1024 * 1024:
        raise ConfigError("SMULTRON_BASEMAP_CACHE_MB must be from 0 (no cache) to 1048576")
    try:
        for basemap in configured(config):
            if basemap.file:
                file_info(basemap.file)
    except BasemapError as exc:
        raise ConfigError(str(exc)) from exc
