"""Geometry at the edges: GeoJSON <-> shapely <-> database (SRID always explicit)."""

from __future__ import annotations

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func

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
