"""Geometry at the edges: GeoJSON <-> shapely <-> database (SRID always explicit)."""

from __future__ import annotations

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smultron.models import METRIC_SRID, SRID


def to_db(geometry: BaseGeometry, srid: int = SRID):
    return from_shape(geometry, srid=srid)


def from_db(value) -> BaseGeometry:
    return to_shape(value)


def to_geojson(value) -> dict:
    return mapping(from_db(value))


def from_geojson(data: dict) -> BaseGeometry:
    return shape(data)


def buffer_metres(column, metres: float):
    """SQL: ``column`` (EPSG:4326) buffered by ``metres``, measured in EPSG:3006."""
    return func.ST_Transform(
        func.ST_Buffer(func.ST_Transform(column, METRIC_SRID), metres, "quad_segs=16"), SRID)


def extent(session: Session, column, *where) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) around ``column`` of the rows ``where`` selects (its
    SRID's units), or None when there are none."""
    box = func.ST_Extent(column)
    row = session.execute(select(func.ST_XMin(box), func.ST_YMin(box), func.ST_XMax(box),
                                 func.ST_YMax(box)).where(*where)).one()
    return None if row[0] is None else tuple(row)


def leaflet_bounds(box: tuple[float, float, float, float] | None,
                   pad: float = 0.0) -> list[list[float]] | None:
    """[[south, west], [north, east]] (what Leaflet's fitBounds takes) of an extent."""
    if box is None:
        return None
    west, south, east, north = box
    return [[south - pad, west - pad], [north + pad, east + pad]]
