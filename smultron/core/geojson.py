"""Reading GeoJSON geometries that people send or draw, bounded and in longitude/latitude:
positions, rings, and the polygons of a drawn area (a district, a neighbourhood, a plan
area).

The coordinates are checked as lists of numbers before shapely sees them, so a huge,
non-finite or out-of-range coordinate is a message, not an exception or minutes of work.
Every refusal is a ``ParseError`` holding a translatable Message: the readers of places
(``smultron.places.validation``), of report districts, preschool neighbourhoods and drawn
plan areas turn it into their own error at their own field.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from smultron.core import parsing
from smultron.core.messages import M, Message
from smultron.core.parsing import ParseError

MAX_RINGS = 20  # an outline and at most 19 holes
LOCATION = re.compile(r"\[\s*([-+\d.eE]+)[ ,]+([-+\d.eE]+)\s*\]")
Position = tuple[float, float]


def _number(value) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer with hundreds of digits
        return False


def position(value) -> Position | Message:
    """(longitude, latitude) from a GeoJSON position, or what is wrong with it."""
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        return M("Each position is a list of two numbers: longitude and latitude.")
    if not all(_number(v) for v in value):
        return M("Coordinates must be numbers.")
    lon, lat = float(value[0]), float(value[1])
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        return M("Longitude must be between -180 and 180 and latitude between -90 and 90 "
                 "(in that order, in degrees).")
    return lon, lat


def positions(values, minimum: int, max_corners: int) -> list[Position] | Message:
    """At least ``minimum`` and at most ``max_corners`` positions."""
    if not isinstance(values, list | tuple):
        return M("The coordinates are not a list of positions.")
    if len(values) < minimum:
        return M("At least %(n)d positions are needed here.", n=minimum)
    if len(values) > max_corners:
        return M("Too many points: at most %(n)d.", n=max_corners)
    result = []
    for value in values:
        parsed = position(value)
        if isinstance(parsed, Message):
            return parsed
        result.append(parsed)
    return result


def rings(values, max_corners: int) -> list[list[Position]] | Message:
    """A polygon's closed rings (the outline, then its holes), at most ``max_corners``
    positions in all."""
    if not isinstance(values, list | tuple) or not values:
        return M("An area's coordinates are a list of rings.")
    if len(values) > MAX_RINGS:
        return M("Too many holes in the area: at most %(n)d.", n=MAX_RINGS - 1)
    found = []
    for value in values:
        ring = positions(value, 4, max_corners)
        if isinstance(ring, Message):
            return ring
        if ring[0] != ring[-1]:
            return M("An area's outline must end where it starts.")
        found.append(ring)
    if sum(len(ring) for ring in found) > max_corners:
        return M("Too many points: at most %(n)d.", n=max_corners)
    return found


def invalid_shape(geometry: BaseGeometry) -> Message | None:
    """None for a valid geometry, else what is wrong with it (and near where)."""
    if geometry.is_valid:
        return None
    reason = explain_validity(geometry)
    found = LOCATION.search(reason)
    where = f"{float(found.group(1)):.6f}, {float(found.group(2)):.6f}" if found else "?"
    if "self-intersection" in reason.lower():
        return M("The outline crosses itself near longitude, latitude %(where)s. Draw it "
                 "again without crossing lines.", where=where)
    if isinstance(geometry, LineString):
        return M("A route needs at least two different points.")
    return M("The area is not valid (%(reason)s).", reason=reason)


@dataclass(frozen=True)
class DrawnArea:
    """How to read one kind of drawn area, and what to say when it is not one."""

    not_geojson: Message  # the text is not a GeoJSON document
    not_polygon: Message  # it holds something other than the polygon(s) asked for
    max_corners: int  # corners in all (the outlines and their holes)
    max_characters: int = parsing.MAX_JSON_CHARACTERS
    one: bool = True  # exactly one polygon (else one or more: Polygons, MultiPolygons)
    valid: bool = True  # refuse an invalid outline (else the caller repairs it)
    too_many_corners: Message | None = None  # else "Too many points: at most N."
    # "... the file has a %(kind)s.": what to say of another GeoJSON geometry type
    other_type: str | None = None

    def too_many(self) -> ParseError:
        return ParseError(self.too_many_corners
                          or M("Too many points: at most %(n)d.", n=self.max_corners))


def read_polygons(raw, kind: DrawnArea) -> list[Polygon]:
    """The polygons of a drawn area from GeoJSON text (or its parsed document): a
    Polygon or MultiPolygon, a Feature holding one, or a FeatureCollection of them; else
    ParseError with what is wrong."""
    if isinstance(raw, str):
        if len(raw) > kind.max_characters:
            raise kind.too_many()
        try:
            raw = parsing.json_document(raw)
        except ParseError:
            raise ParseError(kind.not_geojson) from None
    parts = [part for geometry in _geometries(raw, kind) for part in _parts(geometry, kind)]
    if sum(_corners(part) for part in parts) > kind.max_corners:
        raise kind.too_many()
    polygons = [_polygon(part, kind) for part in parts]
    if not polygons or (kind.one and len(polygons) != 1):
        raise ParseError(kind.not_polygon)
    return polygons


def _geometries(data, kind: DrawnArea) -> list:
    """The geometry objects a document holds (a Feature's, a FeatureCollection's)."""
    if not isinstance(data, dict):
        raise ParseError(kind.not_geojson)
    if data.get("type") == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
            raise ParseError(kind.not_geojson)
        return [feature.get("geometry") for feature in features if feature.get("geometry")]
    if data.get("type") == "Feature":
        return [data.get("geometry")]
    return [data]


OTHER_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "GeometryCollection")


def _parts(geometry, kind: DrawnArea) -> list:
    """The rings of each polygon of a Polygon or MultiPolygon object (not yet checked)."""
    found = geometry.get("type") if isinstance(geometry, dict) else None
    if found in OTHER_TYPES and kind.other_type:
        raise ParseError(Message(kind.other_type, {"kind": found}))
    if found not in ("Polygon", "MultiPolygon"):
        raise ParseError(kind.not_polygon)
    coordinates = geometry.get("coordinates")
    parts = [coordinates] if geometry["type"] == "Polygon" else coordinates
    if not isinstance(parts, list | tuple) or not parts:
        raise ParseError(kind.not_polygon)
    return parts


def _corners(part) -> int:
    """The positions of a polygon's rings, counted before any is read (0 for what is not a
    list of rings: ``rings`` says what is wrong with it)."""
    if not isinstance(part, list | tuple):
        return 0
    return sum(len(ring) for ring in part if isinstance(ring, list | tuple))


def _polygon(part, kind: DrawnArea) -> Polygon:
    found = rings(part, kind.max_corners)
    if isinstance(found, Message):
        raise ParseError(found)
    polygon = Polygon(found[0], found[1:])
    problem = invalid_shape(polygon) if kind.valid else None
    if problem is not None:
        raise ParseError(problem)
    return polygon
