"""Admin: single sign-on, whether roles come from the provider and whether staff must
use it (the accounts themselves are under Users)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from smultron.models import SsoAccount
from smultron.sso import settings as sso_settings
from smultron.web import sso
from smultron.web.admin import bp, db, log


@bp.get("/sso")
def sso_page():
    return render_template("admin/sso.html", backends=sso.backends(),
                           choices=sso_settings.read(db()),
                           accounts=db().scalar(select(func.count(SsoAccount.id))))


@bp.post("/sso")
def sso_save():
    changes = sso_settings.save(db(), sso_settings.parse(request.form))
    if changes:
        log("sso_settings_changed", None, changes)
        db().commit()
    flash(_("The single sign-on settings were saved."), "info")
    return redirect(url_for("admin.sso_page"), 303)
