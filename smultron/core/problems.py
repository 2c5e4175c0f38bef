"""Translatable validation errors: the web layer shows them in the user's language,
the CLI in English."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from smultron.accounts import EMAIL
from smultron.core import parsing
from smultron.core.errors import AppError


def N_(message: str) -> str:  # noqa: N802 - the conventional name for "mark for translation"
    """Mark a message id for translation without translating it here."""
    return message


@dataclasses.dataclass(frozen=True)
class Problem:
    msgid: str
    field: str | None = None
    params: Mapping = dataclasses.field(default_factory=dict)

    def english(self) -> str:
        """The message in English; a Problem given as a parameter is rendered too."""
        if not self.params:
            return self.msgid
        return self.msgid % {key: value.english() if isinstance(value, Problem) else value
                             for key, value in self.params.items()}


# Characters no form field may hold (PostgreSQL cannot store NUL, and the other control
# characters only ever arrive by accident or attack) and ids: smultron/core/parsing.py.
has_control_characters = parsing.has_control_characters
parse_id = parsing.identifier
MAX_ID = parsing.MAX_ID
MAX_EMAIL = 254


class Invalid(AppError):
    """One or more problems with the input; nothing was saved."""

    status = 422

    def __init__(self, problems: list[Problem], status: int | None = None):
        self.problems = list(problems)
        super().__init__("; ".join(p.english() for p in self.problems), status=status,
                         detail=[p.english() for p in self.problems])


def fail(msgid: str, field: str | None = None, status: int | None = None, **params) -> Invalid:
    """An Invalid with one problem (``raise fail(...)``)."""
    return Invalid([Problem(msgid, field, params)], status=status)


class Collector:
    """Gathers every problem of a form before raising them together."""

    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, msgid: str, field: str | None = None, **params) -> None:
        self.problems.append(Problem(msgid, field, params))

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
