"""Words for the codes in a report, in the reader's language.

Message ids are English; the web layer passes Flask-Babel's ``gettext`` as ``t``
(the Swedish translations are in translations/sv/LC_MESSAGES/reports.po).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from smultron.reports.aggregate import NO_ANSWER
from smultron.responses import STATUS_LABELS

Translate = Callable[[str], str]
LOCAL_TIME = ZoneInfo("Europe/Stockholm")  # the reports' readers are Swedish municipalities

FEELINGS = {"favourite": "Favourite places", "scary": "Scary places"}
SEASONS = {"summer": "Summer", "winter": "Winter", "all_year": "All year"}
AGE_GROUPS = {"1-2": "1–2 years", "3-4": "3–4 years", "5-6": "5–6 years",
              "mixed": "Mixed ages"}
ANSWERS = {**{status: label.msgid for status, label in STATUS_LABELS.items()},
           NO_ANSWER: "Not answered yet"}
LANGUAGES = {"sv": "Swedish", "en": "English", "fi": "Finnish", "fit": "Meänkieli",
             "se": "North Sámi", "other": "Another language", "unknown": "Not recorded"}
BANDS = {250: "Within 250 m", 500: "250–500 m", 1000: "500–1,000 m", 0: "Farther than 1,000 m"}
DIRECTIONS = {"N": "north", "NE": "north-east", "E": "east", "SE": "south-east", "S": "south",
              "SW": "south-west", "W": "west", "NW": "north-west"}
SCOPES = {"municipality": "The whole municipality", "preschool": "One preschool",
          "plan_area": "A plan area", "area": "A district drawn on the map"}
TABLE_TITLES = {
    "feeling": "Favourite and scary places",
    "category_favourite": "Favourite places by category",
    "category_scary": "Scary places by category",
    "season": "By season",
    "age_group": "By age group",
    "answer": "The planners' answers",
}


class Labeller:
    """Labels for one report in one language."""

    def __init__(self, report: dict, t: Translate, lang: str):
        self.t = t
        self.lang = lang
        self.categories = {c["id"]: c for c in report.get("categories", [])}
        self.preschools = {p["id"]: p["name"] for p in report.get("preschools", [])}
        for row in report.get("participation", []):
            self.preschools.setdefault(row["preschool"], row["name"])

    def category(self, category_id) -> str:
        row = self.categories.get(category_id)
        if row is None:
            return str(category_id)
        if self.lang == "en":
            return row["label_en"]
        return (row.get("labels") or {}).get(self.lang) or row["label_sv"]

    def key(self, table: str, key) -> str:
        if table.startswith("category"):
            return self.category(key)
        if table.startswith("distance"):
            return self.t(BANDS[key])
        if table == "preschool":
            return self.preschools.get(key, str(key))
        mapping = {"feeling": FEELINGS, "season": SEASONS, "age_group": AGE_GROUPS,
                   "answer": ANSWERS, "language": LANGUAGES}[table]
        return self.t(mapping.get(key, str(key)))

    def near(self, near: dict | None) -> str:
        """'420 m north-east of Förskolan A' (or 'at Förskolan A')."""
        if not near:
            return "–"
        if not near["direction"]:
            return self.t("at %(preschool)s") % {"preschool": near["preschool"]}
        return self.t("%(metres)s m %(direction)s of %(preschool)s") % {
            "metres": number(near["metres"], self.lang),
            "direction": self.t(DIRECTIONS[near["direction"]]),
            "preschool": near["preschool"]}

    def scope(self, about: dict) -> str:
        text = self.t(SCOPES[about["scope"]])
        return f"{text}: {about['scope_name']}" if about.get("scope_name") else text


def local_time(iso: str) -> str:
    """'2026-12-02 09:15' in Swedish local time, from an ISO time with its zone."""
    return datetime.fromisoformat(iso).astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M")


def file_name(about: dict, t: Translate, kind: str = "Report") -> str:
    """What the file is, for its name: smultron-report-kiruna-forskolan-a-hosten-2026-
    2026-12-02 (kind, municipality, area, campaigns, local date), ASCII only."""
    scope = about.get("scope_name") or t(SCOPES[about["scope"]])
    parts = [t(kind), about["municipality"], scope,
             *[c["name"] for c in about["campaigns"]], local_time(about["generated_at"])[:10]]
    return "smultron-" + "-".join(filter(None, (_slug(part) for part in parts)))[:150]


def _slug(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")


def number(value, lang: str) -> str:
    """12 345 (Swedish, Finnish, Meänkieli, North Sámi) or 12,345 (English); '–' for
    nothing."""
    if value is None:
        return "–"
    text = f"{value:,}"
    return text if lang == "en" else text.replace(",", "\u00a0")


def percent(part, whole, lang: str) -> str:
    if part is None or not whole:
        return "–"
    text = f"{100 * part / whole:.0f}%" if lang == "en" else f"{100 * part / whole:.0f} %"
    return text
