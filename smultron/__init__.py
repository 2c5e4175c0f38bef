"""Smultron: participatory mapping of preschool children's favourite places."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """The application factory: defaults, environment, then ``test_config``."""
    from smultron.core import config
    from smultron.web import (
        auth,
        blueprints,
        database,
        errors,
        language,
        params,
        register_template_helpers,
        security,
    )

    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"), instance_path=str(ROOT / "instance"),
                instance_relative_config=True)
    app.config.update(config.from_environment())
    if test_config:
        app.config.update(test_config)
    config.check(app.config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = config.development_secret(Path(app.instance_path))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="smultron_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=app.config["SESSION_COOKIE_SECURE"],
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in web.security, skipped for token auth
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session: tablets stay open all day
    )
    database.init_app(app)
    language.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    params.init_app(app)  # after the body limit; before the blueprints (their <int:> rules)
    errors.register(app)
    register_template_helpers(app)
    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    _trust_proxies(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind SMULTRON_PROXY_HOPS reverse proxies, the client's address, scheme and host
    come from their X-Forwarded-* headers (the login rate limit and the audit log see the
    person, not the proxy). With 0 hops those headers are ignored: anyone can forge them."""
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
