"""The one parsing layer (smultron/core/parsing.py): ids, whole numbers, text, JSON and
bounding boxes, with hypothesis for the values a person or an attacker might send."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smultron.core import parsing
from smultron.core.parsing import ParseError


@pytest.mark.parametrize("raw", ["²", "٣", "1²", "", " ", "-1", "+1", "1.0", "0x1", "1_000",
                                 "9" * 25, "2147483648", "0", "1e3", "a\x00", None, 1.5,
                                 True, 0, -3, 2**31])
def test_identifier_refuses_what_is_not_a_plain_id(raw):
    assert parsing.identifier(raw) is None


@pytest.mark.parametrize("raw,expected", [("1", 1), (" 42 ", 42), ("2147483647", 2**31 - 1),
                                          ("0007", 7), (12, 12)])
def test_identifier_takes_plain_ids(raw, expected):
    assert parsing.identifier(raw) == expected


@given(st.text(max_size=30))
def test_identifier_never_raises_and_stays_in_range(raw):
    value = parsing.identifier(raw)
    assert value is None or (1 <= value <= parsing.MAX_ID and raw.strip().isascii())


@given(st.text(max_size=30))
def test_integer_gives_a_bounded_int_or_a_parse_error(raw):
    try:
        value = parsing.integer(raw, 0, 1000, label="'limit'")
    except ParseError as exc:
        assert "'limit'" in str(exc)
        assert exc.message.msgid
    else:
        assert 0 <= value <= 1000


def test_integer_says_the_range_and_refuses_superscripts_and_huge_numbers():
    with pytest.raises(ParseError, match="must be a whole number"):
        parsing.integer("²", 1, 9, label="'page'")
    with pytest.raises(ParseError, match="between 1 and 9"):
        parsing.integer("10", 1, 9)
    with pytest.raises(ParseError):
        parsing.integer("9" * 25)
    assert parsing.integer("-2147483648") == parsing.INTEGER_MIN
    with pytest.raises(ParseError):
        parsing.integer("-2147483649")
    assert parsing.integer(" +3 ", 0, 5) == 3
    assert parsing.optional_integer("", default=7) == 7
    assert parsing.optional_integer(None) is None
    with pytest.raises(ParseError):
        parsing.integer(True)


def test_looks_numeric_sees_what_a_person_meant_as_a_number():
    assert parsing.looks_numeric("²") and parsing.looks_numeric("-12")
    assert not parsing.looks_numeric("Hösten 2026") and not parsing.looks_numeric("")


def test_identifiers_keep_order_and_refuse_any_bad_one():
    assert parsing.identifiers(["3", "1", "3"]) == [3, 1]
    assert parsing.identifiers(["1", "²"]) is None


@pytest.mark.parametrize("raw", ["a\x00b", "\x07", "x\x7f", "\x1b[31m"])
def test_text_refuses_control_characters(raw):
    with pytest.raises(ParseError, match="NUL"):
        parsing.text(raw, 100, label="'name'")


def test_text_limits_and_lines():
    assert parsing.text("  Förskolan ²  ", 20) == "Förskolan ²"
    assert parsing.text(None, 5) == ""
    assert parsing.text("a\tb\nc", 10, multiline=True) == "a\tb\nc"
    with pytest.raises(ParseError, match="one line"):
        parsing.text("a\nb", 10)
    with pytest.raises(ParseError, match="longer than 3"):
        parsing.text("abcd", 3, label="'code'")
    with pytest.raises(ParseError):
        parsing.text(["a"], 3)


@given(st.text(max_size=50))
def test_text_gives_storable_text_or_a_parse_error(raw):
    try:
        value = parsing.text(raw, 20, multiline=True)
    except ParseError:
        return
    assert "\x00" not in value and len(value) <= 20


@pytest.mark.parametrize("raw", ["NaN", "inf", "-Infinity", "1e308e", "1e400", "", "²",
                                 "1" * 100, None, True])
def test_finite_refuses_what_is_not_a_finite_number(raw):
    with pytest.raises(ParseError):
        parsing.finite(raw, label="'lat'")


def test_finite_takes_numbers_with_either_decimal_sign():
    assert parsing.finite("67,85") == 67.85
    assert parsing.finite(3) == 3.0
    assert parsing.finite("1e308") == 1e308
    with pytest.raises(ParseError, match="between -90 and 90"):
        parsing.finite("91", -90, 90, label="'lat'")


@pytest.mark.parametrize("raw", ["[" * 3000 + "]" * 3000, '{"a":' * 5000 + "1" + "}" * 5000,
                                 "[" * 40 + "]" * 40])
def test_json_refuses_deep_nesting(raw):
    with pytest.raises(ParseError, match="nested more than"):
        parsing.json_document(raw)


@pytest.mark.parametrize("raw", ["NaN", "[Infinity]", '{"a": -Infinity}', "[1e400]",
                                 "9" * 5000, "[" + "9" * 25 + "]", "{", b"\xff", "",
                                 "[1, 2,]"])
def test_json_refuses_what_is_not_finite_json(raw):
    with pytest.raises(ParseError):
        parsing.json_document(raw, label="'area'")


def test_json_takes_geojson_and_checks_parsed_values():
    polygon = {"type": "Polygon", "coordinates": [[[20, 67], [21, 67], [21, 68], [20, 67]]]}
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {
            "type": "MultiPolygon", "coordinates": [polygon["coordinates"]]}}]}
    assert parsing.json_document(json.dumps(collection)) == collection
    assert parsing.json_document(json.dumps(polygon).encode()) == polygon
    assert parsing.json_document(polygon) is polygon
    with pytest.raises(ParseError):
        parsing.json_document({"a": math.nan})
    with pytest.raises(ParseError, match="longer than 2"):
        parsing.json_document("[1]", max_characters=2)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda children: st.lists(children) | st.dictionaries(st.text(),
                                                                          children),
                    max_leaves=30))
def test_json_round_trip_or_parse_error(value):
    try:
        raw = json.dumps(value)
    except ValueError:
        return
    try:
        parsed = parsing.json_document(raw)
    except ParseError:
        return
    assert json.dumps(parsed) == raw


def test_bbox_checks_numbers_range_and_order():
    assert parsing.bbox("20,67,21,68") == (20, 67, 21, 68)
    assert parsing.bbox("20,67,0,21,68,5", allow_height=True) == (20, 67, 21, 68)
    for raw in ("1e308,1e308,1e308,1e308", "NaN,0,1,1", "1,2,3", "a,b,c,d", "0,0,inf,1",
                "21,67,20,68", "181,0,182,1", ",".join(["1"] * 200)):
        with pytest.raises(ParseError):
            parsing.bbox(raw)
    assert parsing.bbox("700000,7500000,720000,7540000", bounds=parsing.METRES)
    with pytest.raises(ParseError, match="outside"):
        parsing.bbox("1e308,1e308,1e308,1e308", bounds=parsing.METRES)


@given(st.lists(st.one_of(st.floats(), st.text(max_size=8)), min_size=0, max_size=7))
def test_bbox_gives_four_finite_ordered_numbers_or_a_parse_error(parts):
    try:
        box = parsing.bbox(",".join(map(str, parts)))
    except ParseError:
        return
    west, south, east, north = box
    assert all(math.isfinite(v) for v in box) and west <= east and south <= north


def test_json_bodies_may_leave_nan_to_their_fields_but_not_depth():
    assert math.isnan(parsing.json_document('[NaN]', finite=False)[0])
    assert parsing.json_document("[" + "9" * 25 + "]", finite=False) == [int("9" * 25)]
    with pytest.raises(ParseError, match="nested"):
        parsing.json_document("[" * 40 + "]" * 40, finite=False)


def test_bbox_in_epsg_axis_order():
    assert parsing.bbox("67,20,68,21", yx=True) == (20, 67, 21, 68)
