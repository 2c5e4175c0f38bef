"""Translatable validation errors: the web layer shows them in the user's language,
the CLI in English."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from smultron.errors import AppError


def N_(message: str) -> str:  # noqa: N802 - the conventional name for "mark for translation"
    """Mark a message id for translation without translating it here."""
    return message


@dataclasses.dataclass(frozen=True)
class Problem:
    msgid: str
    field: str | None = None
    params: Mapping = dataclasses.field(default_factory=dict)

    def english(self) -> str:
        return self.msgid % dict(self.params) if self.params else self.msgid


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
             label: str = "") -> str | None:
        value = (form.get(name) or "").strip()
        if not value:
            if required:
                self.add(N_("%(label)s is missing"), name, label=label or name)
            return None
        if len(value) > max_length:
            self.add(N_("%(label)s is longer than %(max)s characters"), name,
                     label=label or name, max=max_length)
        return value

    def integer(self, form: Mapping, name: str, low: int, high: int, *, default=None,
                label: str = "") -> int | None:
        raw = (str(form.get(name) or "")).strip()
        if not raw:
            if default is None:
                self.add(N_("%(label)s is missing"), name, label=label or name)
            return default
        try:
            value = int(raw)
        except ValueError:
            self.add(N_("%(label)s must be a whole number"), name, label=label or name)
            return default
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
