"""Parsing what comes in, at the edge and without Flask: ids, whole numbers, text, JSON
documents and bounding boxes, each bounded.

Every refusal is a ``ParseError`` holding a translatable ``Message``; the web layer turns it
into a 400 (or, for an id in a path, a 404) in the user's language. The rules:

- digits are the ASCII ``0``-``9`` only (``str.isdigit`` also takes ``²`` and ``٣``, which
  ``int()`` refuses or reads as another number);
- whole numbers lie within PostgreSQL's ``integer`` (ids, counts) or ``bigint``;
- text holds no NUL or other control character (PostgreSQL cannot store NUL) and has a
  length limit;
- JSON is at most ``MAX_JSON_DEPTH`` levels deep and has no ``NaN`` or ``Infinity``
  (nor a number too large to be finite);
- a bounding box is four (or six) finite numbers within the coordinate system's range.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable

from smultron.core.messages import M, Message

Label = str  # a field's label (a Message) or a parameter's name, quoted()

INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1  # PostgreSQL's integer
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1  # and bigint
MAX_ID = INTEGER_MAX
MAX_JSON_DEPTH = 32  # a GeoJSON FeatureCollection of MultiPolygons is 7 deep
MAX_JSON_CHARACTERS = 20 * 2**20

_DIGITS = re.compile(r"[0-9]+")
_SIGNED = re.compile(r"[+-]?[0-9]+")
# NUL and the other C0 control characters but tab and line breaks, and DEL
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\n\r\x0b\x0c\x85\u2028\u2029]")


class ParseError(Exception):
    """A value that cannot be taken as it is; ``message`` says what would be. Not a
    ValueError: a ``except ValueError`` meant for something else must not swallow it."""

    def __init__(self, message: Message):
        super().__init__(str(message))
        self.message = message


def quoted(name: str) -> str:
    """A parameter's name as a label: ``'limit'`` (a name, in no language)."""
    return "'" + name + "'"


def is_digits(value) -> bool:
    """True for plain ASCII digits (not ``²``, not ``-1``, not ``1.0``, not empty)."""
    return isinstance(value, str) and _DIGITS.fullmatch(value) is not None


def looks_numeric(value: str) -> bool:
    """True for what a person meant as a whole number, ASCII or not (``12``, ``-3``, ``²``):
    the values an integer parameter must refuse clearly rather than take as a name."""
    stripped = value.strip().lstrip("+-")
    return bool(stripped) and all(char.isdigit() for char in stripped)


def integer(raw, low: int = INTEGER_MIN, high: int = INTEGER_MAX, *,
            label: Label = "") -> int:
    """``raw`` (a str of ASCII digits with an optional sign, or an int) within
    ``low``..``high``, else ParseError."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        value_text = raw.strip() if isinstance(raw, str) else ""
        if not _SIGNED.fullmatch(value_text) or len(value_text) > 21:
            raise ParseError(M("%(label)s must be a whole number", label=_label(label)))
        value = int(value_text)
    if not low <= value <= high:
        raise ParseError(between(label, low, high))
    return value


def optional_integer(raw, low: int = INTEGER_MIN, high: int = INTEGER_MAX, *,
                     label: Label = "", default: int | None = None) -> int | None:
    """Like ``integer``, but ``default`` for None or an empty string."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    return integer(raw, low, high, label=label)


def identifier(raw) -> int | None:
    """A database id (1..MAX_ID) from plain ASCII digits or an int, else None: a caller
    answers None with "there is no such ..." (404)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if 1 <= raw <= MAX_ID else None
    if not isinstance(raw, str):
        return None
    stripped = raw.strip()
    if not is_digits(stripped) or len(stripped) > 10 or not 1 <= int(stripped) <= MAX_ID:
        return None
    return int(stripped)


def identifiers(raw: Iterable) -> list[int] | None:
    """Every value an id, in order without repeats, or None if any is not one."""
    ids = [identifier(value) for value in raw]
    if None in ids:
        return None
    return list(dict.fromkeys(ids))


def has_control_characters(value: str) -> bool:
    """NUL or another control character that no field may hold (tab and line breaks may)."""
    return _CONTROL.search(value) is not None


def text(raw, max_length: int, *, label: Label = "", multiline: bool = False,
         strip: bool = True) -> str:
    """``raw`` as a str of at most ``max_length`` characters without control characters
    (and on one line unless ``multiline``), else ParseError. None becomes ''."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ParseError(M("%(label)s must be text", label=_label(label)))
    value = raw.strip() if strip else raw
    if len(value) > max_length:
        raise ParseError(too_long(label, max_length))
    if has_control_characters(value):
        raise ParseError(control_character(label))
    if not multiline and _LINE_BREAK.search(value):
        raise ParseError(M("%(label)s must be on one line", label=_label(label)))
    return value


def too_long(label: Label, max_length: int) -> Message:
    return M("%(label)s is longer than %(max)s characters", label=_label(label),
             max=max_length)


def control_character(label: Label) -> Message:
    return M("%(label)s contains a control character (such as NUL) that cannot be saved",
             label=_label(label))


def between(label: Label, low, high) -> Message:
    return M("%(label)s must be between %(low)s and %(high)s", label=_label(label),
             low=low, high=high)


def _label(label: Label) -> Label:
    return label or M("The value")


def finite(raw, low: float = -math.inf, high: float = math.inf, *,
           label: Label = "") -> float:
    """A finite number (from an int, a float or a str, ``,`` as the decimal sign too)
    within ``low``..``high``, else ParseError."""
    value = _float(raw)
    if value is None or not math.isfinite(value):
        raise ParseError(M("%(label)s must be a number", label=_label(label)))
    if not low <= value <= high:
        raise ParseError(between(label, low, high))
    return value


def _float(raw) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw) if abs(raw) < 1e308 or isinstance(raw, float) else None
    if not isinstance(raw, str) or not 0 < len(raw.strip()) <= 64 or not raw.isascii():
        return None
    try:
        return float(raw.strip().replace(",", "."))
    except ValueError:
        return None


# -- JSON ------------------------------------------------------------------------------

def _not_finite(_constant: str):
    raise ValueError("not finite")


def _finite_float(number: str) -> float:
    value = float(number)
    if not math.isfinite(value):
        raise ValueError("not finite")
    return value


def json_document(raw, *, label: Label = "", max_depth: int = MAX_JSON_DEPTH,
                  max_characters: int = MAX_JSON_CHARACTERS, finite: bool = True):
    """``raw`` (str or bytes) parsed as JSON, at most ``max_depth`` levels deep and (unless
    ``finite`` is False) without NaN or Infinity, else ParseError. An already parsed value
    is checked the same way."""
    label = label or M("The request body")
    if isinstance(raw, bytes | bytearray):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError(M("%(label)s is not valid JSON", label=label)) from None
    if not isinstance(raw, str):
        check_json(raw, label=label, max_depth=max_depth, finite=finite)
        return raw
    if len(raw) > max_characters:
        raise ParseError(too_long(label, max_characters))
    strict = {"parse_constant": _not_finite, "parse_float": _finite_float} if finite else {}
    try:
        value = json.loads(raw, **strict)
    except RecursionError:  # the parser's own limit, some 1,000 levels
        raise ParseError(too_deep(label, max_depth)) from None
    except ValueError as exc:  # JSONDecodeError, NaN, 1e400, a 5,000-digit integer
        if str(exc) == "not finite":
            raise ParseError(not_finite(label)) from None
        raise ParseError(M("%(label)s is not valid JSON", label=label)) from None
    check_json(value, label=label, max_depth=max_depth, finite=finite)
    return value


def check_json(value, *, label: Label = "", max_depth: int = MAX_JSON_DEPTH,
               finite: bool = True) -> None:
    """ParseError if ``value`` (parsed JSON) nests deeper than ``max_depth`` or (unless
    ``finite`` is False) holds a number that is not finite or an integer outside bigint."""
    label = label or M("The request body")
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise ParseError(too_deep(label, max_depth))
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif finite and (isinstance(item, float) and not math.isfinite(item) or (
                isinstance(item, int) and not BIGINT_MIN <= item <= BIGINT_MAX)):
            raise ParseError(not_finite(label))


def too_deep(label: Label, max_depth: int) -> Message:
    return M("%(label)s is nested more than %(max)s levels deep", label=label, max=max_depth)


def not_finite(label: Label) -> Message:
    return M("%(label)s holds a number that is not finite or too large", label=label)


# -- bounding boxes ----------------------------------------------------------------------

# The range of coordinates in the reference systems Smultron offers: degrees of the globe,
# the SWEREF 99 grids' metres (well beyond Sweden, but finite and representable).
DEGREES = (-180.0, -90.0, 180.0, 90.0)
METRES = (-1e7, -1e7, 1e7, 1e7)


def bbox(raw: str, *, bounds: tuple[float, float, float, float] = DEGREES,
         allow_height: bool = False, yx: bool = False) -> tuple[float, float, float, float]:
    """``minx,miny,maxx,maxy`` (with ``allow_height``, also the six numbers
    ``minx,miny,minz,maxx,maxy,maxz``; with ``yx``, each corner northing first, as EPSG
    orders latitude/longitude and SWEREF 99) as finite numbers within ``bounds``, lower
    corner first, else ParseError. Returned x first."""
    parts = raw.split(",") if isinstance(raw, str) and len(raw) <= 400 else []
    if allow_height and len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    numbers = [_float(part) for part in parts]
    if len(numbers) != 4 or not all(v is not None and math.isfinite(v) for v in numbers):
        raise ParseError(M("'bbox' must be four numbers: minx,miny,maxx,maxy."))
    if yx:
        numbers = [numbers[1], numbers[0], numbers[3], numbers[2]]
    west, south, east, north = numbers
    low_x, low_y, high_x, high_y = bounds
    if not (low_x <= west <= high_x and low_x <= east <= high_x
            and low_y <= south <= high_y and low_y <= north <= high_y):
        raise ParseError(M("'bbox' lies outside the coordinate system's range."))
    if west > east or south > north:
        raise ParseError(M("'bbox': the lower corner must come before the upper corner."))
    return west, south, east, north
