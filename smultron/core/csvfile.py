"""One CSV writer for every CSV the app offers (planner exports, the reports'
participation table, the admin's preschools and audit log).

- Text that a spreadsheet would run as a formula (a cell beginning with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return, OWASP's list) gets a leading ``'`` so that it
  stays text: what the children said, a preschool's name or a logged e-mail is typed by
  someone. A plain number written as text ("-12.5") is left alone.
- Two dialects: comma-separated with a decimal point, and semicolon-separated with a
  decimal comma (what Excel expects in Swedish).
- A UTF-8 byte order mark first, so that Excel reads å, ä and ö.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
BATCH = 2000  # rows per piece of a streamed file


@dataclass(frozen=True)
class Dialect:
    name: str
    delimiter: str
    decimal: str


COMMA = Dialect("comma", ",", ".")
SEMICOLON = Dialect("semicolon", ";", ",")
DIALECTS = {d.name: d for d in (COMMA, SEMICOLON)}


def dialect_for(name: str | None, language: str = "sv") -> Dialect:
    """The dialect ``name`` ("comma" or "semicolon"); without one, the language's
    (semicolon and decimal comma as Excel set to Swedish, Finnish or North Sámi expects;
    comma for English). None for an unknown name."""
    if not name:
        return COMMA if language == "en" else SEMICOLON
    return DIALECTS.get(name)


def cell(value, dialect: Dialect = COMMA):
    """One value as written into a cell: numbers with the dialect's decimal sign, text
    that would start a formula neutralised, None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float | Decimal):
        return str(value).replace(".", dialect.decimal)
    if isinstance(value, int):
        return value
    text = str(value)
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def stream(rows: Iterable[Iterable], dialect: Dialect = COMMA) -> Iterator[str]:
    """The CSV text in pieces (the BOM and the first row first, then BATCH rows a piece)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator="\r\n")
    yield BOM
    for number, row in enumerate(rows):
        writer.writerow([cell(value, dialect) for value in row])
        if number % BATCH == 0:
            yield _take(buffer)
    yield _take(buffer)


def text(rows: Iterable[Iterable], dialect: Dialect = COMMA) -> str:
    """The whole CSV as one string."""
    return "".join(stream(rows, dialect))


def _take(buffer: io.StringIO) -> str:
    value = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return value
