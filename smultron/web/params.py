"""The edge of every request, before any view reads it (the rules are in
smultron/core/parsing.py):

- ``<int:...>`` in a URL takes ASCII digits within PostgreSQL's integer only (werkzeug's
  own takes ``٣`` and 25 digits): anything else is no such page (404);
- no query parameter, form field or file name holds a NUL character (PostgreSQL can
  neither store nor search for one), and a query parameter that carries an id or a count
  holds no number beyond PostgreSQL's integer: else 400;
- If-Match is a short tag whose number fits;
- a JSON body is at most ``parsing.MAX_JSON_DEPTH`` deep (its fields refuse NaN).

Everything else is the route's to parse, with the same functions: a form shows its other
problems (a control character, a number out of its range) at the field they are in.
A refusal is a ``ParseError``: 400 with its message in the user's language, through the
app's one error path."""

from __future__ import annotations

from flask import Flask, Request, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

from smultron.core import parsing
from smultron.core.messages import M
from smultron.core.parsing import ParseError

# Query parameters that carry an id or a count wherever they appear: a value written in
# ASCII digits must fit PostgreSQL's integer (a route that also takes a name, such as a
# campaign's, still gets the name; ``²`` is the route's to refuse).
NUMERIC_NAMES = frozenset({
    "buffer", "campaign", "campaign_id", "cell", "compare", "department", "department_id",
    "hex", "limit", "municipality", "municipality_id", "plan_area", "preschool", "preschools",
})
# ``next`` (where to go after a login or a language switch) is checked by
# ``security.safe_next``, which drops a bad one: the login goes on.
NOT_CHECKED = frozenset({"next"})
MAX_IF_MATCH = 100
NUL_REFUSED = M("The address or the form holds a NUL character, which cannot be saved or "
                "searched for: remove it and try again.")


class StrictIntegerConverter(IntegerConverter):
    """``<int:name>``: ASCII digits only, within PostgreSQL's integer unless ``max`` says
    less; anything else does not match the rule (404)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, parsing.INTEGER_MAX if max is None else max,
                         signed)


class StrictJSONProvider(DefaultJSONProvider):
    """Request bodies (``request.get_json()``) parsed with the depth limit."""

    def loads(self, s, **kwargs):
        # NaN and 1e400 are the fields' to refuse, at the field (a place's coordinates)
        return parsing.json_document(s, finite=False)


class SmultronRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None):
        if isinstance(e, ParseError):
            raise e
        return super().on_json_loading_failed(e)


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: the converter applies to the rules as they are
    added."""
    app.url_map.converters["int"] = StrictIntegerConverter
    app.json = StrictJSONProvider(app)
    app.request_class = SmultronRequest
    app.before_request(check_request)


def check_request() -> None:
    for name, value in request.args.items(multi=True):
        if name not in NOT_CHECKED:
            check_parameter(name, value)
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            if name not in NOT_CHECKED:
                refuse_nul(name, value)
        for name, upload in request.files.items(multi=True):
            refuse_nul(name, upload.filename or "")
    check_if_match(request.headers.get("If-Match"))


def refuse_nul(*values: str) -> None:
    if any("\x00" in value for value in values):
        raise ParseError(NUL_REFUSED)


def check_parameter(name: str, value: str) -> None:
    """ParseError for a NUL character in a query parameter, or a number beyond integer in
    one of NUMERIC_NAMES (a list of them too: ``campaign=1,2``)."""
    refuse_nul(name, value)
    if name in NUMERIC_NAMES:
        for part in value.split(","):
            if parsing.is_digits(part.strip().lstrip("-")):
                parsing.integer(part, label=parsing.quoted(name))


def check_if_match(tag: str | None) -> None:
    """If-Match is short, and a version in it (``"3"``, ``W/"3"``) fits integer."""
    if not tag:
        return
    label = parsing.quoted("If-Match")
    if len(tag) > MAX_IF_MATCH:
        raise ParseError(parsing.too_long(label, MAX_IF_MATCH))
    if parsing.has_control_characters(tag):
        raise ParseError(parsing.control_character(label))
    for part in tag.split(","):
        version = part.strip().removeprefix("W/").strip('"')
        if parsing.is_digits(version):
            parsing.integer(version, 0, parsing.INTEGER_MAX, label=label)
