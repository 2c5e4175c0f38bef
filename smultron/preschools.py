"""Preschools: import from GeoPackage, GeoJSON or CSV (every row valid, or nothing)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from smultron.errors import AppError
from smultron.geo import buffer_metres, to_db
from smultron.models import Department, Municipality, Preschool

NEIGHBOURHOOD_METRES = 1000
LON_NAMES = ("lon", "longitude", "lng", "x")
LAT_NAMES = ("lat", "latitude", "y")


@dataclass
class Row:
    number: int
    name: str
    point: Point | None
    unit_code: str | None = None
    address: str | None = None
    enrolled_children: str | int | None = None
    departments: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated}


def import_file(session: Session, path: Path | io.BytesIO, filename: str,
                municipality_code: str | None = None) -> ImportResult:
    """Import preschools; raises AppError listing every bad row (row number and reason)."""
    municipality = _municipality(session, municipality_code)
    rows = read_rows(path, filename)
    if not rows:
        raise AppError(f"Nothing was imported: {filename} has no rows", status=422)
    problems = [f"row {row.number}: {p}" for row in rows for p in _row_problems(row)]
    if problems:
        raise AppError(f"Nothing was imported: {len(problems)} problem(s) in {filename}",
                       status=422, detail=problems)
    result = ImportResult()
    for row in rows:
        _upsert(session, municipality, row, result)
    session.flush()
    return result


def read_rows(source, filename: str) -> list[Row]:
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return _read_csv(source)
    if suffix in (".geojson", ".json", ".gpkg"):
        return _read_vector(source, suffix)
    raise AppError(f"'{filename}' is not a GeoPackage (.gpkg), GeoJSON (.geojson) or CSV file")


def _read_csv(source) -> list[Row]:
    raw = source.read() if hasattr(source, "read") else Path(source).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AppError("The CSV file is not UTF-8 text") from exc
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;\t")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    fields = {name.strip().lower(): name for name in reader.fieldnames or []}
    lon = next((fields[n] for n in LON_NAMES if n in fields), None)
    lat = next((fields[n] for n in LAT_NAMES if n in fields), None)
    if "name" not in fields or lon is None or lat is None:
        raise AppError("The CSV needs the columns name, lon and lat "
                       "(optional: unit_code, address, enrolled_children, departments)")
    return [_csv_row(number, record, fields, lon, lat)
            for number, record in enumerate(reader, start=2)]


def _csv_row(number: int, record: dict, fields: dict, lon: str, lat: str) -> Row:
    def get(name):
        return (record.get(fields.get(name, ""), "") or "").strip() or None

    try:
        point = Point(float(record[lon].replace(",", ".")), float(record[lat].replace(",", ".")))
    except (TypeError, ValueError, AttributeError):
        point = None
    departments = [d.strip() for d in (get("departments") or "").split(";") if d.strip()]
    return Row(number, get("name") or "", point, get("unit_code"), get("address"),
               get("enrolled_children"), departments)


def _read_vector(source, suffix: str) -> list[Row]:
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(source)
    except Exception as exc:  # noqa: BLE001 - GDAL's many failure types
        raise AppError(f"The file could not be read as {suffix[1:]}: {exc}") from exc
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    columns = {c.lower(): c for c in frame.columns}

    def value(record, name):
        column = columns.get(name)
        raw = record[column] if column else None
        return None if raw is None or raw != raw else str(raw).strip() or None  # NaN check

    rows = []
    for number, (_index, record) in enumerate(frame.iterrows(), start=1):
        geometry = record.geometry
        point = geometry if geometry is not None and geometry.geom_type == "Point" else None
        departments = [d.strip() for d in (value(record, "departments") or "").split(";")
                       if d.strip()]
        rows.append(Row(number, value(record, "name") or "", point, value(record, "unit_code"),
                        value(record, "address"), value(record, "enrolled_children"),
                        departments))
    return rows


def _row_problems(row: Row) -> list[str]:
    problems = []
    if not row.name:
        problems.append("the name is missing")
    elif len(row.name) > 200:
        problems.append("the name is longer than 200 characters")
    if row.point is None:
        problems.append("no point location (lon/lat) was found")
    elif not (-180 <= row.point.x <= 180 and -90 <= row.point.y <= 90):
        problems.append(f"the location {row.point.x}, {row.point.y} is not lon/lat in degrees")
    if row.enrolled_children is not None:
        try:
            enrolled = int(float(row.enrolled_children))
            if enrolled < 0:
                raise ValueError
            row.enrolled_children = enrolled
        except ValueError:
            problems.append(f"enrolled_children '{row.enrolled_children}' is not a whole "
                            "number of 0 or more")
    return problems


def _municipality(session: Session, code: str | None) -> Municipality:
    query = select(Municipality)
    if code:
        query = query.where(Municipality.code == code)
    found = session.scalars(query.limit(2)).all()
    if len(found) != 1:
        raise AppError("Name the municipality (--municipality CODE)" if found
                       else f"There is no municipality {code or ''}".strip())
    return found[0]


def _upsert(session: Session, municipality: Municipality, row: Row, result: ImportResult):
    condition = (Preschool.unit_code == row.unit_code) if row.unit_code else (
        (Preschool.municipality_id == municipality.id) & (Preschool.name == row.name))
    preschool = session.scalar(select(Preschool).where(condition))
    if preschool is None:
        preschool = Preschool(municipality_id=municipality.id, enrolled_children=0)
        preschool.neighbourhood = select(
            buffer_metres(to_db(row.point), NEIGHBOURHOOD_METRES)).scalar_subquery()
        session.add(preschool)
        result.created += 1
    else:
        result.updated += 1
    preschool.name, preschool.unit_code, preschool.address = row.name, row.unit_code, row.address
    if row.enrolled_children is not None:
        preschool.enrolled_children = row.enrolled_children
    preschool.location = to_db(row.point)
    session.flush()
    existing = {d.name for d in preschool.departments}
    for name in row.departments:
        if name not in existing:
            session.add(Department(preschool_id=preschool.id, name=name))
