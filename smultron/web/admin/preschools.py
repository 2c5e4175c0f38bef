"""Admin: preschools (map editor for point and neighbourhood), departments, import."""

from __future__ import annotations

import json

from flask import (
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import func, select

from smultron.core import csvfile
from smultron.core.errors import AppError
from smultron.core.geo import from_db
from smultron.models import Municipality, Preschool
from smultron.preschools import editing as domain
from smultron.preschools import importing as importer
from smultron.web.admin import (
    PAGE_SIZE,
    bp,
    db,
    log,
    page_window,
    problems_of,
    search_text,
)
from smultron.web.page_config import page_config, tiles
from smultron.web.security import large_upload


@bp.get("/preschools")
def preschools():
    archived = request.args.get("archived") == "1"
    text = search_text()
    page, limit, offset = page_window()
    rows = domain.list_preschools(db(), archived, text, limit, offset)
    return render_template("admin/preschools.html", rows=rows[:PAGE_SIZE],
                           more=len(rows) > PAGE_SIZE, page=page,
                           show_archived=archived, q=text)


def _map_strings() -> dict:
    """The words of the preschool map (static/js/admin/preschool-map.js)."""
    return {
        "drawn": _("A drawn outline will be saved."),
        "circle": _("A circle will be saved."),
        "drawing": _("Click the map at each corner of the neighbourhood; click the first "
                     "corner again to finish."),
        "placed": _("The preschool is placed at {lon}, {lat}."),
        "marker": _("The preschool"),
        "corners": _("The outline has {count} corners."),
        "corner_lon": _("Longitude of corner {n}"),
        "corner_lat": _("Latitude of corner {n}"),
        "add_corner": _("Add after corner {n}"),
        "remove_corner": _("Remove corner {n}"),
        "square": _("A square outline was drawn around the preschool: change its corners in "
                    "the table or drag them on the map."),
    }


def _map_config(preschool: Preschool | None) -> dict:
    config = {"tiles": tiles(), "default_radius": domain.DEFAULT_RADIUS, "bounds": _bounds(),
              "strings": _map_strings()}
    if preschool is not None:
        config.update(domain.geojson(preschool))
    return page_config(geoman=True, **config)


def _bounds():
    """[[south, west], [north, east]] of the preschools, or of the municipalities."""
    box = db().scalar(select(func.ST_Extent(Preschool.location)))
    if box is None:
        box = db().scalar(select(func.ST_Extent(Municipality.extent)))
    if box is None:
        return None
    numbers = [float(v) for v in box[4:-1].replace(",", " ").split()]
    west, south, east, north = numbers
    return [[south, west], [north, east]]


def _form_from(preschool: Preschool) -> dict:
    point = from_db(preschool.location)
    return {"name": preschool.name, "unit_code": preschool.unit_code or "",
            "address": preschool.address or "", "enrolled_children": preschool.enrolled_children,
            "lon": f"{point.x:.6f}", "lat": f"{point.y:.6f}", "radius": domain.DEFAULT_RADIUS,
            "municipality_id": preschool.municipality_id,
            "neighbourhood": json.dumps(domain.geojson(preschool)["neighbourhood"])}


def _render_form(preschool: Preschool | None, form: dict, problems=None, status: int = 200):
    return render_template(
        "admin/preschool_form.html", preschool=preschool, form=form, problems=problems or [],
        municipalities=domain.municipalities(db()), page_config=_map_config(preschool),
        has_history=preschool is not None and domain.has_history(db(), preschool),
        staff=domain.staff_of(db(), preschool) if preschool else [],
        area_km2=domain.neighbourhood_km2(db(), preschool) if preschool else None), status


@bp.get("/preschools/new")
def preschool_new():
    return _render_form(None, {"radius": domain.DEFAULT_RADIUS, "enrolled_children": 0})


@bp.post("/preschools/new")
def preschool_create():
    departments = [n.strip() for n in request.form.get("departments", "").split(";")
                   if n.strip()]
    try:
        data = domain.parse(db(), request.form)
        preschool = domain.create(db(), data, departments)
    except AppError as exc:
        db().rollback()
        return _render_form(None, request.form.to_dict(), problems_of(exc), exc.status)
    log("preschool_created", preschool.name, {**domain.summary(preschool),
                                              "departments": departments})
    db().commit()
    flash(_("%(name)s was added.", name=preschool.name), "info")
    return redirect(url_for("admin.preschool_edit", preschool_id=preschool.id), 303)


@bp.get("/preschools/<int:preschool_id>")
def preschool_edit(preschool_id: int):
    preschool = domain.get(db(), preschool_id)
    return _render_form(preschool, _form_from(preschool))


@bp.post("/preschools/<int:preschool_id>")
def preschool_update(preschool_id: int):
    preschool = domain.get(db(), preschool_id)
    try:
        changes = domain.update(db(), preschool, domain.parse(db(), request.form))
    except AppError as exc:
        db().rollback()
        return _render_form(domain.get(db(), preschool_id), request.form.to_dict(),
                            problems_of(exc), exc.status)
    log("preschool_updated", preschool.name, changes)
    db().commit()
    flash(_("The changes to %(name)s were saved.", name=preschool.name), "info")
    return redirect(url_for("admin.preschool_edit", preschool_id=preschool.id), 303)


def _action(preschool_id: int, work, action: str, message: str):
    """Run one change on a preschool; on a refusal show the page again with the reason."""
    preschool = domain.get(db(), preschool_id)
    try:
        detail = work(preschool)
    except AppError as exc:
        db().rollback()
        preschool = domain.get(db(), preschool_id)
        return _render_form(preschool, _form_from(preschool), problems_of(exc), exc.status)
    log(action, preschool.name if action != "preschool_deleted" else detail["name"],
        detail or None)
    db().commit()
    flash(message % {"name": detail.get("name", "") if detail else preschool.name}, "info")
    if action == "preschool_deleted":
        return redirect(url_for("admin.preschools"), 303)
    return redirect(url_for("admin.preschool_edit", preschool_id=preschool_id), 303)


@bp.post("/preschools/<int:preschool_id>/archive")
def preschool_archive(preschool_id: int):
    return _action(preschool_id, lambda p: domain.archive(db(), p), "preschool_archived",
                   _("%(name)s is archived: it is no longer offered for new mapping."))


@bp.post("/preschools/<int:preschool_id>/restore")
def preschool_restore(preschool_id: int):
    return _action(preschool_id, lambda p: domain.restore(db(), p), "preschool_restored",
                   _("%(name)s is active again."))


@bp.post("/preschools/<int:preschool_id>/delete")
def preschool_delete(preschool_id: int):
    def work(preschool):
        detail = {"name": preschool.name, **domain.summary(preschool)}
        domain.delete(db(), preschool)
        return detail

    return _action(preschool_id, work, "preschool_deleted", _("%(name)s was deleted."))


@bp.post("/preschools/<int:preschool_id>/departments")
def department_add(preschool_id: int):
    def work(preschool):
        department = domain.add_department(db(), preschool, request.form.get("department", ""))
        return {"department": department.name}

    return _action(preschool_id, work, "department_added", _("The department was added."))


@bp.post("/preschools/<int:preschool_id>/departments/<int:department_id>/rename")
def department_rename(preschool_id: int, department_id: int):
    def work(preschool):
        department = domain.get_department(db(), preschool, department_id)
        old = domain.rename_department(db(), department, request.form.get("department", ""))
        return {"department": [old, department.name]}

    return _action(preschool_id, work, "department_renamed", _("The department was renamed."))


@bp.post("/preschools/<int:preschool_id>/departments/<int:department_id>/delete")
def department_delete(preschool_id: int, department_id: int):
    def work(preschool):
        department = domain.get_department(db(), preschool, department_id)
        name = department.name
        domain.delete_department(db(), department)
        return {"department": name}

    return _action(preschool_id, work, "department_deleted", _("The department was deleted."))


def _import_page(problems=(), status: int = 200, **extra):
    return render_template("admin/preschool_import.html", problems=list(problems),
                           municipalities=domain.municipalities(db()),
                           max_rows=importer.MAX_ROWS, max_mb=importer.MAX_FILE_MB,
                           max_problems=importer.MAX_PROBLEMS, **extra), status


@bp.route("/preschools/import", methods=["GET", "POST"])
@large_upload
def preschool_import():
    if request.method == "GET":
        return _import_page()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise AppError(_("Choose a file to import"))
        code = request.form.get("municipality") or None
        result = importer.import_file(db(), upload.stream, upload.filename, code)
    except AppError as exc:
        db().rollback()
        return _import_page(problems_of(exc), exc.status)
    if request.form.get("check_only") == "on":
        db().rollback()
        return _import_page(checked=result, filename=upload.filename)
    log("preschools_imported", upload.filename, result.as_dict())
    db().commit()
    flash(_("Imported %(created)s new and updated %(updated)s preschools.",
            **result.as_dict()), "info")
    return redirect(url_for("admin.preschools"), 303)


@bp.get("/preschools.csv")
def preschools_csv():
    rows = domain.csv_rows(db(), request.args.get("archived") == "1")
    return Response(csvfile.text(rows), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="smultron-preschools.csv"'})
