"""The publishable version's figures: from the plan area's published report only.

The report (smultron.reports, scope "plan_area": every 250 m square the plan area covers
or touches) has already applied the anonymity rule: perturbed counts, every cell, row or
figure resting on fewer than k children withheld, the next smallest withheld too where a
total would reveal it. Nothing here counts places itself: the figures, the hexagons and
which categories may be named come from that report, so this version can say no more
than the reports do. The planner's own texts (weighing, answers) are listed by category,
never with a place's position, preschool or count.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from smultron.assessment import WEIGHING_LABELS
from smultron.assessment.evidence import Evidence, in_language_order
from smultron.core.messages import M
from smultron.mapping_sessions import language_names
from smultron.models import Campaign
from smultron.reports import build_report
from smultron.reports.filters import DEFAULT_CELL_OTHER, MAX_CAMPAIGNS, ReportFilters
from smultron.reports.labels import FEELINGS, Labeller


def plan_report(session: Session, ev: Evidence, k: int, cache=None) -> dict | None:
    """The published report of the plan area over the campaigns its places came from."""
    names = ev.campaigns[:MAX_CAMPAIGNS]
    if not names:
        return None
    ids = tuple(sorted(session.scalars(select(Campaign.id).where(
        Campaign.name.in_(names), Campaign.municipality_id == ev.plan.municipality_id))))
    if not ids:
        return None
    filters = ReportFilters(ev.plan.municipality_id, ids, "plan_area", None, ev.plan.id, None,
                            DEFAULT_CELL_OTHER, None)
    return build_report(session, filters, k, cache)


def _figure(w, value) -> str:
    if value is None:
        return w.t(M("withheld (fewer than %(k)d children)", k=w.k))
    return w.n(value)


def _labels(w, report: dict) -> Labeller:
    return Labeller(report, w.gettext, w.lang)


def heard(w, ev: Evidence, report: dict | None) -> None:
    w.heading(M("Who was heard"), id_="heard")
    if ev.campaigns:
        w.para(M("Campaigns: %(names)s.", names=", ".join(ev.campaigns)))
    rows = [[row["name"], _figure(w, None if row["withheld"] else row["sessions"]),
             _figure(w, None if row["withheld"] else row["children"]), w.n(row["enrolled"])]
            for row in (report or {}).get("participation", [])]
    w.table(M("Children taking part, by preschool"),
            [M("Preschool"), M("Sessions"), M("Children taking part"), M("Enrolled")], rows,
            "table-heard")
    languages = in_language_order({code for h in ev.heard for code in h.languages})
    if languages:
        w.para(M("Languages the sessions were held in: %(languages)s.",
                 languages=language_names(languages, w.gettext)))
    w.para(M("Figures from the report of the plan area's 250 m squares, under the anonymity "
             "rule."), "note")


def _table(w, report: dict, name: str, caption, first) -> None:
    labels = _labels(w, report)
    rows = [[labels.key(name, row["key"]),
             _figure(w, None if row["withheld"] else row["places"]),
             _figure(w, None if row["withheld"] else row["children"])]
            for row in report["tables"][name]]
    w.table(caption, [first, M("Places"), M("Children's choices")], rows, f"table-{name}")


def said(w, ev: Evidence, report: dict | None) -> None:
    w.heading(M("What the children said"), id_="said")
    if report is None:
        w.para(M("No children's places are inside or near the plan area."), "note")
        return
    totals = report["totals"]
    w.para(M("In the 250 m squares the plan area covers or touches: %(places)s places, "
             "chosen %(children)s times by children.", places=_figure(w, totals["places"]),
             children=_figure(w, totals["children"])))
    for name, caption, first in (
            ("category_favourite", M(FEELINGS["favourite"]), M("Category")),
            ("category_scary", M(FEELINGS["scary"]), M("Category")),
            ("season", M("By season"), M("Season"))):
        _table(w, report, name, caption, first)
    shown = _shown_categories(report)
    w.heading(M("In the children's words"), 2)
    quotes = [p for p in ev.places if p.comment and (p.feeling, p.category) in shown]
    if not quotes:
        w.para(M("No approved comments from categories that rest on %(k)d children or more.",
                 k=w.k), "note")
    for p in quotes:
        w.quote(p.comment, p.category_label)


def _shown_categories(report: dict) -> set[tuple[str, str]]:
    """(feeling, category code) of the categories the report shows (not withheld)."""
    codes = {c["id"]: c["code"] for c in report.get("categories", [])}
    shown = set()
    for feeling in ("favourite", "scary"):
        for row in report["tables"][f"category_{feeling}"]:
            if not row["withheld"] and row["key"] in codes:
                shown.add((feeling, codes[row["key"]]))
    return shown


def weighing(w, ev: Evidence, report: dict | None) -> None:
    """The planner's weighing by category, without positions, preschools or counts."""
    w.heading(M("The places and how they were weighed"), id_="weighing")
    grouped: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for p in ev.places:
        group = grouped[p.category_label]
        for field in ("consequence", "measure"):
            text = getattr(p, field).strip()
            if text and text not in group[field]:
                group[field].append(text)
    rows = [[label, " ".join(g["consequence"]), " ".join(g["measure"])]
            for label, g in sorted(grouped.items()) if g["consequence"] or g["measure"]]
    w.table(M("The weighing by category"), [M("Category"), WEIGHING_LABELS["consequence"],
                                             WEIGHING_LABELS["measure"]], rows,
            "table-weighing")
    w.para(M("By category only: which place a text is about is in the internal version."),
           "note")
