"""Admin: categories (labels, pictogram, colour, order, hidden; delete only unused)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from smultron import categories as domain
from smultron.core.errors import AppError
from smultron.models import Category
from smultron.web.admin import bp, db, log, problems_of


def _list(problems=None, status: int = 200):
    rows = domain.list_categories(db())
    return render_template("admin/categories.html", rows=rows, problems=problems or [],
                           missing=domain.missing_labels([row[0] for row in rows])), status


@bp.get("/categories")
def categories():
    return _list()


def _render(category: Category | None, form: dict, problems=None, status: int = 200):
    return render_template("admin/category_form.html", category=category, form=form,
                           pictograms=domain.pictograms(), problems=problems or [],
                           usage=domain.usage(db(), category) if category else 0), status


@bp.get("/categories/new")
def category_new():
    return _render(None, {"colour": "#616161", "pictogram": "other",
                          "sort_order": (len(domain.list_categories(db())) + 1) * 10})


@bp.post("/categories/new")
def category_create():
    try:
        category = domain.create(db(), domain.parse(request.form, with_code=True))
    except AppError as exc:
        db().rollback()
        return _render(None, request.form.to_dict(), problems_of(exc), exc.status)
    log("category_created", category.code, domain.summary(category))
    db().commit()
    flash(_("The category was added."), "info")
    return redirect(url_for("admin.categories"), 303)


@bp.get("/categories/<int:category_id>")
def category_edit(category_id: int):
    category = domain.get(db(), category_id)
    return _render(category, {**domain.summary(category), "code": category.code})


@bp.post("/categories/<int:category_id>")
def category_update(category_id: int):
    category = domain.get(db(), category_id)
    try:
        changes = domain.update(db(), category, domain.parse(request.form, with_code=False))
    except AppError as exc:
        db().rollback()
        category = domain.get(db(), category_id)
        return _render(category, {**request.form.to_dict(), "code": category.code},
                       problems_of(exc), exc.status)
    log("category_updated", category.code, changes)
    db().commit()
    flash(_("The changes were saved."), "info")
    return redirect(url_for("admin.categories"), 303)


@bp.post("/categories/<int:category_id>/move")
def category_move(category_id: int):
    category = domain.get(db(), category_id)
    direction = -1 if request.form.get("direction") == "up" else 1
    domain.move(db(), category, direction)
    log("category_moved", category.code, {"direction": "up" if direction < 0 else "down"})
    db().commit()
    return redirect(url_for("admin.categories", _anchor=f"category-{category.id}"), 303)


@bp.post("/categories/<int:category_id>/delete")
def category_delete(category_id: int):
    category = domain.get(db(), category_id)
    detail = {"code": category.code, **domain.summary(category)}
    try:
        domain.delete(db(), category)
    except AppError as exc:
        db().rollback()
        return _list(problems_of(exc), exc.status)
    log("category_deleted", detail["code"], detail)
    db().commit()
    flash(_("The category was deleted."), "info")
    return redirect(url_for("admin.categories"), 303)
