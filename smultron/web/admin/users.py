"""Admin: users, roles, preschool scoping, invitation and reset links, tokens."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from smultron.accounts import mail
from smultron.accounts import users as domain
from smultron.core.errors import AppError
from smultron.models import ROLES, Preschool, User
from smultron.web.admin import (
    PAGE_SIZE,
    bp,
    db,
    local_time,
    log,
    me,
    page_window,
    problems_of,
    search_text,
)


@bp.get("/users")
def users():
    text, role = search_text(), request.args.get("role", "")
    page, limit, offset = page_window()
    users = domain.list_users(db(), text, role, limit, offset)
    return render_template("admin/users.html", rows=users[:PAGE_SIZE], q=text, role=role,
                           roles=ROLES, more=len(users) > PAGE_SIZE, page=page)


def _choices():
    return list(db().scalars(select(Preschool).order_by(Preschool.archived_at.is_not(None),
                                                        Preschool.name)))


def _render(user: User | None, form: dict, chosen, problems=None, status: int = 200):
    return render_template(
        "admin/user_form.html", user=user, form=form, chosen=set(map(str, chosen)),
        roles=ROLES, preschools=_choices(), problems=problems or [],
        tokens=domain.tokens(db(), user) if user else [],
        link=domain.link_state(db(), user) if user else None), status


def _show_link(user: User, purpose: str, status: int = 200, action: str = "link_issued",
               detail: dict | None = None):
    """Issue a link and show it once; the audit row (one per change) names its expiry."""
    token, expires_at = domain.issue_link(db(), user, purpose)
    url = url_for("account.set_password", token=token, _external=True)
    emailed, problems = _email(user, purpose, url, expires_at)
    log(action, user.email, {**(detail or {}), "link": purpose, "emailed": emailed,
                             "link_expires_at": expires_at.isoformat()})
    db().commit()
    return render_template("admin/link.html", user=user, url=url, purpose=purpose,
                           expires_at=expires_at, emailed=emailed, problems=problems), status


def _email(user: User, purpose: str, url: str, expires_at) -> tuple[bool, list]:
    """E-mail the link when the admin asked for it and SMTP is configured."""
    config = current_app.config
    if request.form.get("send_email") != "on" or not mail.configured(config):
        return False, []
    try:
        mail.send_link(config, user.email, purpose, url, local_time(expires_at))
    except AppError as exc:
        return False, problems_of(exc)
    return True, []


@bp.get("/users/new")
def user_new():
    return _render(None, {"role": "staff"}, [])


@bp.post("/users/new")
def user_create():
    chosen = request.form.getlist("preschools")
    try:
        user = domain.create(db(), domain.parse(db(), request.form, chosen))
    except AppError as exc:
        db().rollback()
        return _render(None, request.form.to_dict(), chosen, problems_of(exc), exc.status)
    return _show_link(user, "invite", 201, "user_created", domain.summary(user))


@bp.get("/users/<int:user_id>")
def user_edit(user_id: int):
    user = domain.get(db(), user_id)
    return _render(user, {"role": user.role}, [p.id for p in user.preschools])


@bp.post("/users/<int:user_id>")
def user_update(user_id: int):
    user = domain.get(db(), user_id)
    chosen = request.form.getlist("preschools")
    try:
        data = domain.parse(db(), request.form, chosen, with_email=False)
        changes = domain.update_access(db(), user, data, me())
    except AppError as exc:
        db().rollback()
        return _render(domain.get(db(), user_id), request.form.to_dict(), chosen,
                       problems_of(exc), exc.status)
    if changes:
        log("user_updated", user.email, changes)
        db().commit()
    flash(_("The changes to %(email)s were saved.", email=user.email), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id), 303)


def _set_active(user_id: int, active: bool):
    user = domain.get(db(), user_id)
    try:
        changed = domain.set_active(db(), user, active, me())
    except AppError as exc:
        db().rollback()
        user = domain.get(db(), user_id)
        return _render(user, {"role": user.role}, [p.id for p in user.preschools],
                       problems_of(exc), exc.status)
    if changed:
        log("user_reactivated" if active else "user_deactivated", user.email)
        db().commit()
    flash(_("%(email)s can log in again.", email=user.email) if active else
          _("%(email)s is deactivated: their sessions, tokens and links no longer work.",
            email=user.email), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id), 303)


@bp.post("/users/<int:user_id>/deactivate")
def user_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/reactivate")
def user_reactivate(user_id: int):
    return _set_active(user_id, True)


@bp.post("/users/<int:user_id>/link")
def user_link(user_id: int):
    user = domain.get(db(), user_id)
    purpose = "invite" if request.form.get("purpose") == "invite" else "reset"
    try:
        return _show_link(user, purpose)
    except AppError as exc:
        db().rollback()
        user = domain.get(db(), user_id)
        return _render(user, {"role": user.role}, [p.id for p in user.preschools],
                       problems_of(exc), exc.status)


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
def user_token_revoke(user_id: int, token_id: int):
    user = domain.get(db(), user_id)
    token, changed = domain.revoke_token(db(), user, token_id)
    if changed:
        log("token_revoked", user.email, {"name": token.name, "prefix": token.prefix})
        db().commit()
    flash(_("The token %(name)s was revoked.", name=token.name), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id, _anchor="tokens"), 303)


@bp.post("/users/<int:user_id>/erase")
def user_erase(user_id: int):
    user = domain.get(db(), user_id)
    try:
        pseudonym = domain.erase(db(), user, me())
    except AppError as exc:
        db().rollback()
        user = domain.get(db(), user_id)
        return _render(user, {"role": user.role}, [p.id for p in user.preschools],
                       problems_of(exc), exc.status)
    log("user_erased", f"user #{user.id}", {"now": pseudonym})
    db().commit()
    flash(_("The account's personal data was erased; it is now %(email)s.", email=pseudonym),
          "info")
    return redirect(url_for("admin.user_edit", user_id=user.id), 303)
