"""Translatable validation errors: the web layer shows them in the user's language,
the CLI in English."""

from __future__ import annotations

from collections.abc import Mapping

from smultron.accounts import EMAIL
from smultron.core import parsing
from smultron.core.errors import AppError
from smultron.core.messages import Message


def N_(message: str) -> str:  # noqa: N802 - the conventional name for "mark for translation"
    """Mark a message id for translation without translating it here."""
    return message


class Problem(Message):
    """A Message about one field of the input (``field`` None: about the whole of it).

    A ``label`` parameter is a message id too (``N_("The name")``), translated with the
    rest; a Problem given as a parameter (an import row's problem) is rendered inside."""

    field: str | None

    def __new__(cls, msgid: str, field: str | None = None, params: Mapping | None = None):
        params = dict(params or {})
        if type(params.get("label")) is str:
            params["label"] = Message(params["label"])
        self = super().__new__(cls, msgid, params)
        self.field = field
        return self

    @classmethod
    def of(cls, message: Message, field: str | None) -> Problem:
        """``message`` (from ``M(...)``) as a problem with ``field``."""
        return cls(getattr(message, "msgid", str(message)), field,
                   getattr(message, "params", None))


# Characters no form field may hold (PostgreSQL cannot store NUL, and the other control
# characters only ever arrive by accident or attack) and ids: smultron/core/parsing.py.
has_control_characters = parsing.has_control_characters
parse_id = parsing.identifier
MAX_ID = parsing.MAX_ID
MAX_EMAIL = 254


class Invalid(AppError):
    """The one validation error: one or more problems with the input, each about a field
    or the whole; nothing was saved. The message is the problems together (translated
    like any Message), the detail lists them, or is what the caller gives (the places' API
    answers ``{"fields": {field: message}}``)."""

    status = 422

    def __init__(self, problems: list[Problem], status: int | None = None,
                 message: Message | None = None, detail=None):
        self.problems = list(problems)
        super().__init__(message or _together(self.problems), status=status,
                         detail=list(self.problems) if detail is None else detail)

    @classmethod
    def of_fields(cls, fields: dict[str, Message], message: Message | None = None,
                  status: int | None = None) -> Invalid:
        """A message per field, answered as ``{"fields": {field: message}}``."""
        return cls([Problem.of(text, name) for name, text in fields.items()], status=status,
                   message=message, detail={"fields": dict(fields)})

    @property
    def fields(self) -> dict[str, Problem]:
        """The first problem of each field."""
        found: dict[str, Problem] = {}
        for problem in self.problems:
            if problem.field is not None:
                found.setdefault(problem.field, problem)
        return found


def _together(problems: list[Problem]) -> Message:
    """The problems as one message, "first; second; ...", each translated in its place."""
    if len(problems) == 1:
        return problems[0]
    names = {"p" + str(number): problem for number, problem in enumerate(problems)}
    return Message("; ".join("%(" + name + ")s" for name in names), names)


def fail(msgid: str, field: str | None = None, status: int | None = None, **params) -> Invalid:
    """An Invalid with one problem (``raise fail(...)``)."""
    return Invalid([Problem(msgid, field, params)], status=status)


class Collector:
    """Gathers every problem of a form before raising them together."""

    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, msgid: str, field: str | None = None, **params) -> None:
        self.problems.append(Problem(msgid, field, params))

    def add_message(self, message: Message, field: str | None = None) -> None:
        """A Message (``M(...)``, a ParseError's) as a problem of ``field``."""
        self.problems.append(Problem.of(message, field))

    def raise_if_any(self) -> None:
        if self.problems:
            raise Invalid(self.problems)

    def text(self, form: Mapping, name: str, max_length: int, *, required: bool = True,
             label: str = "", multiline: bool = False) -> str | None:
        return self.check_text(form.get(name), name, max_length, required=required,
                               label=label, multiline=multiline)

    def check_text(self, raw, name: str, max_length: int, *, required: bool = True,
                   label: str = "", multiline: bool = False) -> str | None:
        """A stripped text of at most ``max_length`` characters, without control
        characters, on one line unless ``multiline`` (None when it is empty)."""
        value = str(raw or "").strip()
        label = label or name
        if not value:
            if required:
                self.add(N_("%(label)s is missing"), name, label=label)
            return None
        if len(value) > max_length:
            self.add(N_("%(label)s is longer than %(max)s characters"), name,
                     label=label, max=max_length)
        elif has_control_characters(value):
            self.add(N_("%(label)s contains a control character (such as NUL) that cannot "
                        "be saved"), name, label=label)
        elif not multiline and ("\n" in value or "\r" in value):
            self.add(N_("%(label)s must be on one line"), name, label=label)
        return value

    def email(self, form: Mapping, name: str, *, required: bool = True) -> str:
        """An e-mail address (lower case), or "" when it is optional and empty."""
        value = str(form.get(name) or "").strip().lower()
        if not value and not required:
            return ""
        if len(value) > MAX_EMAIL:
            self.add(N_("%(label)s is longer than %(max)s characters"), name,
                     label=N_("The e-mail address"), max=MAX_EMAIL)
        elif not EMAIL.match(value) or has_control_characters(value):
            self.add(N_("Type an e-mail address, e.g. name@kommun.se"), name)
        return value

    def ids(self, raw: list, name: str,
            msgid: str = N_("Choose preschools from the list")) -> tuple[int, ...]:
        """Ids chosen from a list (checkboxes); anything else is one problem."""
        ids = [parse_id(value) for value in raw]
        if None in ids:
            self.add(msgid, name)
            return ()
        return tuple(sorted(set(ids)))

    def integer(self, form: Mapping, name: str, low: int, high: int, *, default=None,
                label: str = "") -> int | None:
        raw = (str(form.get(name) or "")).strip()
        if not raw:
            if default is None:
                self.add(N_("%(label)s is missing"), name, label=label or name)
            return default
        if not parsing.is_digits(raw.removeprefix("-")):  # int() also takes "٣" and "1_000"
            self.add(N_("%(label)s must be a whole number"), name, label=label or name)
            return default
        value = int(raw)
        if not low <= value <= high:
            self.add(N_("%(label)s must be between %(low)s and %(high)s"), name,
                     label=label or name, low=low, high=high)
        return value

    def number(self, form: Mapping, name: str, low: float, high: float, *,
               label: str = "") -> float | None:
        raw = (str(form.get(name) or "")).strip().replace(",", ".")
        if not raw:
            self.add(N_("%(label)s is missing"), name, label=label or name)
            return None
        try:
            value = float(raw)
        except ValueError:
            self.add(N_("%(label)s must be a number"), name, label=label or name)
            return None
        if not low <= value <= high:
            self.add(N_("%(label)s must be between %(low)s and %(high)s"), name,
                     label=label or name, low=low, high=high)
            return None
        return value
