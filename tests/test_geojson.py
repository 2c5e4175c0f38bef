"""The one reader of drawn areas (smultron/core/geojson.py): bounded before any geometry
work, and every refusal a message of the caller's or the shared reader's."""

from __future__ import annotations

import json

import pytest

from smultron.core import geojson
from smultron.core.messages import M
from smultron.core.parsing import ParseError

KIND = geojson.DrawnArea(not_geojson=M("not geojson"), not_polygon=M("not a polygon"),
                         max_corners=10, too_many_corners=M("too many corners"))
MANY = geojson.DrawnArea(not_geojson=M("not geojson"), not_polygon=M("not a polygon"),
                         max_corners=100, one=False, valid=False)
SQUARE = [[20.2, 67.8], [20.3, 67.8], [20.3, 67.9], [20.2, 67.9], [20.2, 67.8]]
BOWTIE = [[20.2, 67.8], [20.3, 67.9], [20.3, 67.8], [20.2, 67.9], [20.2, 67.8]]


def polygon(ring=SQUARE):
    return {"type": "Polygon", "coordinates": [ring]}


def refusal(raw, kind=KIND) -> str:
    with pytest.raises(ParseError) as caught:
        geojson.read_polygons(raw, kind)
    return caught.value.message.msgid


@pytest.mark.parametrize("raw", [
    json.dumps(polygon()),
    {"type": "Feature", "geometry": polygon(), "properties": {}},
    {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": polygon()}]},
    {"type": "MultiPolygon", "coordinates": [[SQUARE]]},
])
def test_one_polygon_in_any_wrapping(raw):
    [found] = geojson.read_polygons(raw, KIND)
    assert found.is_valid and found.bounds == (20.2, 67.8, 20.3, 67.9)


@pytest.mark.parametrize(("raw", "msgid"), [
    ("{not json", "not geojson"),
    ("[1, 2]", "not geojson"),
    ({"type": "FeatureCollection", "features": "no"}, "not geojson"),
    ({"type": "Point", "coordinates": [20, 67]}, "not a polygon"),
    ({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]}, "not a polygon"),
    ({"type": "MultiPolygon", "coordinates": []}, "not a polygon"),
    ({"type": "Polygon", "coordinates": []}, "An area's coordinates are a list of rings."),
    (polygon([[20.2, 67.8], [20.3, 67.8], [20.3, 67.9], [20.2, 67.8]] * 3), "too many corners"),
    (polygon([[20.2, 67.8], [20.3, 67.8], [20.3, 67.9], [20.2, 67.9]]),
     "An area's outline must end where it starts."),
    (polygon([[1e400, 67.8]] * 5), "Coordinates must be numbers."),
    (polygon([[200, 67.8], [20.3, 67.8], [20.3, 67.9], [200, 67.8]]),
     "Longitude must be between -180 and 180 and latitude between -90 and 90 (in that "
     "order, in degrees)."),
    (polygon(BOWTIE), "The outline crosses itself near longitude, latitude %(where)s. Draw "
                      "it again without crossing lines."),
])
def test_what_is_not_a_drawn_area_says_why(raw, msgid):
    assert refusal(raw) == msgid


def test_a_huge_area_is_refused_before_it_is_read():
    ring = [[20.2, 67.8]] * 1_000_000  # counted, never turned into positions or shapes
    assert refusal({"type": "Polygon", "coordinates": [ring]}) == "too many corners"
    assert refusal("x" * (KIND.max_characters + 1)) == "too many corners"


def test_several_polygons_and_an_invalid_one_when_the_caller_repairs():
    found = geojson.read_polygons({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": polygon(BOWTIE)},
        {"type": "Feature", "geometry": None},
        {"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": [[SQUARE]]}},
    ]}, MANY)
    assert len(found) == 2 and not found[0].is_valid and found[1].is_valid
    assert refusal({"type": "FeatureCollection", "features": []}, MANY) == "not a polygon"


def test_another_geometry_type_is_named_where_the_caller_says_so():
    named = geojson.DrawnArea(not_geojson=M("not geojson"), not_polygon=M("not a polygon"),
                              max_corners=10, other_type="polygons, not a %(kind)s")
    with pytest.raises(ParseError) as caught:
        geojson.read_polygons({"type": "Point", "coordinates": [20, 67]}, named)
    assert str(caught.value.message) == "polygons, not a Point"
    assert refusal({"type": "Point", "coordinates": [20, 67]}) == "not a polygon"
    assert refusal({"type": "<b>", "coordinates": []}, named) == "not a polygon"
