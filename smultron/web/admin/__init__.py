"""Administration in the browser (/admin, admins only): preschools, campaigns,
users, categories, retention, the audit log, the public pages' texts and open data.

Every route is behind one guard (anonymous -> login, other roles -> 403), and
every change writes one audit row in the same transaction as the change.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from flask_babel import gettext
from flask_login import current_user

from smultron.accounts import mail
from smultron.core import audit
from smultron.core.errors import AppError
from smultron.core.messages import translate
from smultron.core.problems import Invalid, parse_id
from smultron.web.database import get_session

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.role != "admin":
        abort(403)
    return None


MAX_SEARCH = 200


def search_text(name: str = "q") -> str:
    """A search box's text; longer than MAX_SEARCH characters is a 400 with a message."""
    text = request.args.get(name, "")
    if len(text) > MAX_SEARCH:
        raise AppError(gettext("The search text is longer than %(max)s characters: "
                               "shorten it.", max=MAX_SEARCH))
    return text


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def _labels():
    """Role and link names, and the local time zone, for admin and account templates."""
    from zoneinfo import ZoneInfo

    from smultron.core.passwords import MIN_PASSWORD_LENGTH

    return {
        "role_labels": role_labels(),
        "role_hints": {
            "staff": gettext("maps places with the children at their preschools"),
            "planner": gettext("sees every place, moderates comments, exports, connects QGIS"),
            "official": gettext("reads aggregated reports only"),
            "admin": gettext("everything under Administration")},
        "link_labels": link_labels(),
        "admin_timezone": ZoneInfo("Europe/Stockholm"),
        "min_password": MIN_PASSWORD_LENGTH,
        "can_email": mail.configured(current_app.config),
    }


def role_labels() -> dict:
    return {"staff": gettext("Preschool staff"), "planner": gettext("Planner"),
            "official": gettext("Official"), "admin": gettext("Administrator")}


def link_labels() -> dict:
    return {"invite": gettext("invitation"), "reset": gettext("password reset")}


@bp.app_template_filter("local_time")
def local_time(value) -> str:
    """A timestamp as Swedish local time, e.g. 2026-11-28 14:05."""
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo("Europe/Stockholm")).strftime("%Y-%m-%d %H:%M")


def db():
    return get_session()


def me():
    return current_user.user


def log(action: str, target: str | None = None, detail: dict | None = None) -> None:
    """One audit row for an admin change (committed with the change)."""
    audit.record(db(), action, me(), target=target[:300] if target else target, detail=detail,
                 ip=request.remote_addr)


def problems_of(exc: AppError) -> list[dict]:
    """[{field, message}] for the form's error summary and its fields, in the page's
    language."""
    if isinstance(exc, Invalid):
        return [{"field": p.field, "message": translate(p, gettext)} for p in exc.problems]
    lines = [{"field": None, "message": translate(exc.message, gettext)}]
    if isinstance(exc.detail, list):
        lines += [{"field": None, "message": translate(line, gettext)} for line in exc.detail]
    return lines


def message_of(exc: AppError) -> str:
    return "; ".join(item["message"] for item in problems_of(exc))


PAGE_SIZE = 100


def page_window() -> tuple[int, int, int]:
    """(page, limit, offset) from ?page=: one row more than shown tells if there is a next."""
    page = parse_id(request.args.get("page", "0")) or 0
    page = page if page < 100_000 else 0
    return page, PAGE_SIZE + 1, page * PAGE_SIZE


from smultron.web.admin import (  # noqa: E402,F401 - the routes attach themselves to bp
    actions,
    campaigns,
    categories,
    opendata,
    preschools,
    recordings,
    sso,
    system,
    users,
)

