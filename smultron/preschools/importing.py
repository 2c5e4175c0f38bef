"""Preschools: import from GeoPackage, GeoJSON or CSV (every row valid, or nothing).

A file is bounded before it is read: at most MAX_FILE_MB megabytes and MAX_ROWS
preschools, a GeoPackage only with plain tables (no views or virtual tables, which can
make a small file produce any number of rows), and at most MAX_PROBLEMS problems listed.
Each row gets the checks of the admin form (``smultron.preschools.editing.check_fields``
and ``outside_municipality``).
"""

from __future__ import annotations

import csv
import io
import sqlite3
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from smultron.core.geo import buffer_metres, to_db
from smultron.core.problems import N_, Collector, Invalid, Problem
from smultron.models import Department, Municipality, Preschool
from smultron.preschools import editing as rules

NEIGHBOURHOOD_METRES = 1000
MAX_FILE_MB = 20
MAX_ROWS = 20_000
MAX_PROBLEMS = 50
MAX_DEPARTMENTS = 50
LON_NAMES = ("lon", "longitude", "lng", "x")
LAT_NAMES = ("lat", "latitude", "y")
SQLITE_HEADER = b"SQLite format 3\x00"
FIELDS = ("name", "unit_code", "address", "enrolled_children", "departments")


class Refused(Invalid):
    """The file or some of its rows were refused; nothing was imported. In English, the
    first problem is the message and the others are the detail (the command line
    prints both)."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.message = self.problems[0]
        self.detail = self.problems[1:]


def refused(msgid: str, **params) -> Refused:
    return Refused([Problem(msgid, None, params)])


@dataclass
class Row:
    """One preschool as read from the file: the form's fields as text."""

    number: int
    values: dict
    departments: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated}


def import_file(session: Session, source: Path | io.BytesIO, filename: str,
                municipality_code: str | None = None) -> ImportResult:
    """Import preschools; raises Refused listing the bad rows (row number and reason)."""
    municipality = _municipality(session, municipality_code)
    rows = read_rows(_read_bounded(source), filename)
    if not rows:
        raise refused(N_("Nothing was imported: %(file)s has no rows"), file=filename)
    checked, problems = _check_rows(session, municipality, rows)
    if problems:
        shown = [Problem(N_("Nothing was imported. Problems in %(file)s: %(count)s"),
                         params={"count": len(problems), "file": filename}),
                 *problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            shown.append(Problem(N_("… and %(count)s more"),
                                 params={"count": len(problems) - MAX_PROBLEMS}))
        raise Refused(shown)
    result = ImportResult()
    for row, fields in checked:
        _upsert(session, municipality, row, fields, result)
    session.flush()
    return result


def _read_bounded(source) -> bytes:
    """The file's bytes, refused when it is larger than MAX_FILE_MB."""
    limit = MAX_FILE_MB * 1024 * 1024
    if hasattr(source, "read"):
        data = source.read(limit + 1)
    else:
        with Path(source).open("rb") as file:
            data = file.read(limit + 1)
    if len(data) > limit:
        raise refused(N_("The file is larger than %(max)s MB: split it into smaller files"),
                      max=MAX_FILE_MB)
    return data


def read_rows(data: bytes, filename: str) -> list[Row]:
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return _read_csv(data)
    if suffix == ".gpkg":
        return _read_vector(data, _geopackage_layer(data))
    if suffix in (".geojson", ".json"):
        if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            raise refused(N_("%(file)s is not a GeoJSON file"), file=filename)
        return _read_vector(data, None)
    raise refused(N_("%(file)s is not a GeoPackage (.gpkg), GeoJSON (.geojson) or CSV file"),
                  file=filename)


def _too_many() -> Refused:
    return refused(N_("The file has more than %(max)s preschools: split it into smaller "
                      "files"), max=MAX_ROWS)


# -- CSV ---------------------------------------------------------------------------------

def _read_csv(data: bytes) -> list[Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refused(N_("The CSV file is not UTF-8 text")) from exc
    header = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=header.count)  # the header's most frequent separator
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        columns = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as exc:
        raise refused(N_("Row %(row)s cannot be read as CSV: a value is too long, or a "
                         "quote or line break is out of place"), row=1) from exc
    lon = next((columns.index(n) for n in LON_NAMES if n in columns), None)
    lat = next((columns.index(n) for n in LAT_NAMES if n in columns), None)
    if "name" not in columns or lon is None or lat is None:
        raise refused(N_("The CSV needs the columns name, lon and lat (optional: unit_code, "
                         "address, enrolled_children, departments)"))
    wanted = {name: columns.index(name) for name in FIELDS if name in columns}
    wanted.update(lon=lon, lat=lat)
    return _csv_records(reader, wanted)


def _csv_records(reader, wanted: dict) -> list[Row]:
    rows = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue  # an empty line, e.g. at the end
            if len(rows) == MAX_ROWS:
                raise _too_many()
            values = {name: record[i] if i < len(record) else "" for name, i in wanted.items()}
            rows.append(_row(reader.line_num, values))
    except csv.Error as exc:
        raise refused(N_("Row %(row)s cannot be read as CSV: a value is too long, or a "
                         "quote or line break is out of place"), row=reader.line_num) from exc
    return rows


def _row(number: int, values: dict) -> Row:
    departments = [d.strip() for d in str(values.pop("departments", "") or "").split(";")
                   if d.strip()]
    for name in ("lon", "lat"):
        values[name] = str(values.get(name) or "").replace(",", ".")
    return Row(number, values, departments)


# -- GeoPackage and GeoJSON --------------------------------------------------------------

def _geopackage_layer(data: bytes) -> str:
    """The GeoPackage's layer of preschools: a plain table (never a view or a virtual
    table, which could produce any number of rows from a small file)."""
    if not data.startswith(SQLITE_HEADER):
        raise refused(N_("The file is not a GeoPackage"))
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(data)
        steps = iter(range(10_000))  # a bounded amount of work, whatever the file holds
        connection.set_progress_handler(lambda: next(steps, None) is None, 1000)
        return _plain_feature_table(connection)
    except sqlite3.DatabaseError as exc:
        raise refused(N_("The file is not a GeoPackage")) from exc
    finally:
        connection.close()


def _plain_feature_table(connection: sqlite3.Connection) -> str:
    objects = dict(connection.execute(
        "SELECT name, CASE WHEN type = 'view' THEN 'view' WHEN sql LIKE 'CREATE VIRTUAL%' "
        "AND name NOT LIKE 'rtree\\_%' ESCAPE '\\' THEN 'virtual' ELSE type END "
        "FROM sqlite_master WHERE type IN ('table', 'view')").fetchall())
    odd = sorted(name for name, kind in objects.items() if kind != "table")
    if odd:
        raise refused(N_("The GeoPackage holds a view or a virtual table (%(names)s): "
                         "save the preschools as a plain layer"), names=", ".join(odd[:5]))
    if objects.get("gpkg_contents") != "table":
        raise refused(N_("The file is not a GeoPackage"))
    layers = [name for (name,) in connection.execute(
        "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' LIMIT 10")]
    if not layers or layers[0] not in objects:
        raise refused(N_("The GeoPackage has no layer of points"))
    generated = connection.execute(
        "SELECT count(*) FROM pragma_table_xinfo(?) WHERE hidden <> 0", (layers[0],))
    if generated.fetchone()[0]:
        raise refused(N_("The GeoPackage's layer %(name)s has computed columns: save the "
                         "preschools as a plain layer"), name=layers[0])
    return layers[0]


def _read_vector(data: bytes, layer: str | None) -> list[Row]:
    import pyogrio

    try:
        with warnings.catch_warnings():  # GDAL reads the bytes from a name with no suffix
            warnings.filterwarnings("ignore", "File /vsimem/.* non conformant file extension")
            frame = pyogrio.read_dataframe(data, layer=layer, max_features=MAX_ROWS + 1)
    except Exception as exc:  # noqa: BLE001 - GDAL's many failure types
        raise refused(N_("The file could not be read: %(reason)s"),
                      reason=str(exc)[:300]) from exc
    if len(frame) > MAX_ROWS:
        raise _too_many()
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    columns = {c.lower(): c for c in frame.columns if c != frame.geometry.name}
    rows = []
    for number, record in enumerate(frame.to_dict("records"), start=1):
        values = {name: _text(record.get(columns[name])) for name in FIELDS if name in columns}
        geometry = record.get(frame.geometry.name)
        if geometry is not None and geometry.geom_type == "Point" and not geometry.is_empty:
            values.update(lon=repr(geometry.x), lat=repr(geometry.y))
        rows.append(_row(number, values))
    return rows


def _text(value) -> str:
    """A cell as the form would have it typed: 30.0 is 30, nothing is empty."""
    if value is None or value != value:  # None or NaN
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- the checks and the import ------------------------------------------------------------

def _check_rows(session: Session, municipality: Municipality,
                rows: list[Row]) -> tuple[list, list[Problem]]:
    """Each row through the form's checks; the problems are prefixed with the row."""
    checked, problems = [], []
    for row in rows:
        found = Collector()
        fields = rules.check_fields(row.values, found)
        if not row.values.get("lon") or not row.values.get("lat"):
            found.problems = [p for p in found.problems if p.field not in ("lon", "lat")]
            found.add(N_("No point location (lon/lat) was found"), "lon")
        _check_departments(row, found)
        problems += [Problem(N_("Row %(row)s: %(problem)s"), p.field,
                             {"row": row.number, "problem": p}) for p in found.problems]
        checked.append((row, fields))
    placed = [(row, fields) for row, fields in checked if fields.point is not None]
    outside = rules.outside_municipality(session, municipality,
                                         [fields.point for _row, fields in placed])
    for position in sorted(outside):
        problems.append(Problem(N_("Row %(row)s: %(problem)s"), "lon", {
            "row": placed[position][0].number,
            "problem": Problem(rules.OUTSIDE, "lon", {"municipality": municipality.name})}))
    problems.sort(key=lambda p: p.params["row"])
    return checked, problems


def _check_departments(row: Row, found: Collector) -> None:
    if len(row.departments) > MAX_DEPARTMENTS:
        found.add(N_("More than %(max)s departments"), "departments", max=MAX_DEPARTMENTS)
        return
    for name in row.departments:
        found.check_text(name, "departments", rules.DEPARTMENT_MAX,
                         label=N_("The department's name"))


def _municipality(session: Session, code: str | None) -> Municipality:
    query = select(Municipality)
    if code:
        query = query.where(Municipality.code == code)
    found = session.scalars(query.limit(2)).all()
    if len(found) == 1:
        return found[0]
    if found:
        raise refused(N_("Name the municipality (--municipality CODE)"))
    raise refused(N_("There is no municipality %(code)s"), code=code or "")


def _upsert(session: Session, municipality: Municipality, row: Row, fields,
            result: ImportResult) -> None:
    condition = (Preschool.unit_code == fields.unit_code) if fields.unit_code else (
        (Preschool.municipality_id == municipality.id) & (Preschool.name == fields.name))
    preschool = session.scalar(select(Preschool).where(condition))
    if preschool is None:
        preschool = Preschool(municipality_id=municipality.id, enrolled_children=0)
        preschool.neighbourhood = select(
            buffer_metres(to_db(fields.point), NEIGHBOURHOOD_METRES)).scalar_subquery()
        session.add(preschool)
        result.created += 1
    else:
        result.updated += 1
    preschool.name, preschool.unit_code = fields.name, fields.unit_code
    preschool.address = fields.address
    if row.values.get("enrolled_children", "").strip():
        preschool.enrolled_children = fields.enrolled_children
    preschool.location = to_db(fields.point)
    session.flush()
    existing = {d.name for d in preschool.departments}
    for name in row.departments:
        if name not in existing:
            session.add(Department(preschool_id=preschool.id, name=name))
