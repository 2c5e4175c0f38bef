"""The anonymity rule, in one place: ``publish`` is the only way from the groups of
aggregate.RawReport to a report, and the cache only ever holds its output.

aggregate.py has already left out the small units and built every count from perturbed
atoms (its docstring). Here (k = ANONYMITY_THRESHOLD, default 5), on the true
``children_min``:
1. Primary: a cell, point, row or figure that rests on fewer than k children is withheld.
2. Map layers: withheld cells are left out and counted (how many), never located.
3. Tables whose rows add up to a published total: when the withheld rows of a table
   do not together rest on k children (the largest of them is below k), the next
   smallest shown row is withheld too, so that "total minus the shown rows" cannot
   reveal a small number. A table of one feeling (categories, distances) whose feeling's
   total is withheld never shows all its rows (it would publish that total).
4. Participation: a preschool whose every unit was left out is withheld, sessions
   included; one with some units left out shows the others and says so.
A shown count is never below k children's choices (nor below one place or session),
and withheld rows come after the shown ones (their place in the order would hint at
their size). Raw points, session ids, record keys and comments never leave aggregate.py.
"""

from __future__ import annotations

import numpy as np

from smultron.reports.aggregate import DIMENSIONS, RawReport

MIN_SHOWN_PLACES = 1  # a shown group has at least one place (and k children's choices)

# GROUPING() bit of each dimension (feeling is the highest bit).
_BITS = {name: 1 << (len(DIMENSIONS) - 1 - n) for n, name in enumerate(DIMENSIONS)}
ALL_BITS = (1 << len(DIMENSIONS)) - 1
TABLES = {  # name: (dimensions grouped by, feeling it is limited to)
    "feeling": (("feeling",), None),
    "category_favourite": (("feeling", "category"), "favourite"),
    "category_scary": (("feeling", "category"), "scary"),
    "season": (("season",), None),
    "age_group": (("age_group",), None),
    "distance_favourite": (("feeling", "band"), "favourite"),
    "distance_scary": (("feeling", "band"), "scary"),
    "preschool": (("preschool",), None),
    "answer": (("answer",), None),
    "language": (("language",), None),
}
TABLE_KEY = {"feeling": "feeling", "category_favourite": "category",
             "category_scary": "category", "season": "season", "age_group": "age_group",
             "distance_favourite": "band", "distance_scary": "band", "preschool": "preschool",
             "answer": "answer", "language": "language"}


def rests_on_enough(group: dict, k: int, measure: str = "children_min") -> bool:
    """Rule 1 (on a group, or element-wise on a map layer's columns)."""
    return group[measure] >= k


def suppress_group(rows: list[dict], k: int, measure: str = "children_min",
                   margin_withheld: bool = False) -> set[int]:
    """Indexes of the rows to withhold (primary and complementary suppression).

    ``margin_withheld``: the table's own total is withheld elsewhere (a per-feeling table
    whose feeling is withheld), so showing every row would publish it: then at least
    one row, resting on k children together with the others withheld, is withheld."""
    hidden = {n for n, row in enumerate(rows) if 0 < row[measure] < k}
    if margin_withheld and not hidden:
        shown = [n for n, row in enumerate(rows) if row[measure] > 0]
        if shown:
            hidden.add(min(shown, key=lambda n: (rows[n][measure], n)))
    while hidden and max(rows[n][measure] for n in hidden) < k:
        shown = [n for n, row in enumerate(rows) if n not in hidden and row[measure] > 0]
        if not shown:
            break
        hidden.add(min(shown, key=lambda n: (rows[n][measure], n)))
    return hidden


def _group_mask(dims: tuple[str, ...]) -> int:
    return ALL_BITS & ~sum(_BITS[d] for d in dims)


def _raw_rows(raw: RawReport, name: str) -> list[dict]:
    dims, feeling = TABLES[name]
    mask = _group_mask(dims)
    rows = [r for r in raw.dims_by_grouping.get(mask, ())
            if feeling is None or r["feeling"] == feeling]
    rows.sort(key=lambda r: str(r[TABLE_KEY[name]]))
    return rows


def _publish_table(raw: RawReport, name: str, k: int,
                   withheld_feelings: frozenset[str] = frozenset()) -> list[dict]:
    rows = _raw_rows(raw, name)
    hidden = suppress_group(rows, k, margin_withheld=TABLES[name][1] in withheld_feelings)
    published = [_row(r[TABLE_KEY[name]], r, n in hidden, k) for n, r in enumerate(rows)]
    published.sort(key=lambda r: (r["withheld"], -(r["children"] or 0)))  # stable: by key
    return published


def _publish_tables(raw: RawReport, k: int) -> dict:
    """All group tables. A per-feeling table (categories, distances) adds up to its
    feeling's total: when that total is withheld, the table may not show every row, or
    "all children minus these" would publish the other feeling's small total."""
    feeling = _publish_table(raw, "feeling", k)
    withheld = frozenset(r["key"] for r in feeling if r["withheld"])
    tables = {name: _publish_table(raw, name, k, withheld) for name in TABLES
              if name not in ("feeling", "language")}
    return {"feeling": feeling, **tables}


def _row(key, raw_row: dict, hidden: bool, k: int) -> dict:
    if hidden:
        return {"key": key, "withheld": True, "places": None, "children": None}
    return {"key": key, "withheld": False, **shown_counts(raw_row, k)}


def shown_counts(group: dict, k: int) -> dict:
    """A shown group's perturbed counts, never below what showing it already says: at
    least one place and k children's choices."""
    return {"places": max(group["places"], MIN_SHOWN_PLACES), "children": max(group["children"], k)}


def _rows_of(columns: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {name: column[mask] for name, column in columns.items()}


def _publish_cells(cells: dict[str, np.ndarray], k: int) -> tuple[list[dict], int]:
    """A map layer's shown cells (rule 1 and shown_counts, on columns: a country's tens of
    thousands of cells at once), most children first; and how many were withheld."""
    shown = rests_on_enough(cells, k)
    i, j = cells["i"][shown], cells["j"][shown]
    places = np.maximum(cells["places"][shown], MIN_SHOWN_PLACES)
    children = np.maximum(cells["children"][shown], k)
    order = np.lexsort((j, i, -children))
    columns = (i[order].tolist(), j[order].tolist(), places[order].tolist(),
               children[order].tolist())
    published = [{"i": a, "j": b, "places": p, "children": c}
                 for a, b, p, c in zip(*columns, strict=True)]
    return published, int(shown.size - np.count_nonzero(shown))


def _publish_participation(rows: list[dict], k: int) -> list[dict]:
    """Each preschool's units that rest on k children (aggregate.py left the others out):
    none of them = withheld, some = shown with ``partial``. Withheld rows come last."""
    published = []
    for row in rows:
        withheld = row["units_withheld"] > 0 and row["units_shown"] == 0
        item = {"preschool": row["preschool"], "name": row["name"], "enrolled": row["enrolled"],
                "withheld": withheld, "partial": row["units_withheld"] > 0 and not withheld,
                "sessions": None, "children": None}
        if not withheld and row["units_shown"]:
            item.update(sessions=max(row["sessions"], 1), children=max(row["children"], k))
        elif not withheld:
            item.update(sessions=0, children=0)
        published.append(item)
    published.sort(key=lambda r: r["withheld"])  # stable: by name within each
    return published


def _publish_languages(raw: RawReport, k: int) -> list[dict]:
    """Sessions, children taking part and children's choices by the sessions' language.
    A language rests on the fewer of its true children present and its choices'
    children_min; the rows add up to the report's totals, so they are suppressed as one
    table (primary and complementary)."""
    choices = {r["language"]: r for r in _raw_rows(raw, "language")}
    keys = sorted({r["language"] for r in raw.languages} | set(choices))
    sessions = {r["language"]: r for r in raw.languages}
    rows = []
    for key in keys:
        s = sessions.get(key, {"sessions": 0, "present": 0, "present_min": 0})
        c = choices.get(key, {"places": 0, "children": 0, "children_min": 0})
        rest = min(s["present_min"], c["children_min"]) if key in choices else s["present_min"]
        rows.append({"key": key, "rest": rest, "s": s, "c": c})
    hidden = suppress_group(rows, k, measure="rest")
    published = [_language_row(row, n in hidden, k) for n, row in enumerate(rows)]
    published.sort(key=lambda r: (r["withheld"], -(r["present"] or 0)))  # stable: by key
    return published


def _language_row(row: dict, hidden: bool, k: int) -> dict:
    if hidden:
        return {"key": row["key"], "withheld": True, "sessions": None, "present": None,
                "places": None, "children": None}
    s, c = row["s"], row["c"]
    choices = shown_counts(c, k) if c["children_min"] else {"places": 0, "children": 0}
    return {"key": row["key"], "withheld": False, "sessions": max(s["sessions"], 1),
            "present": max(s["present"], k), **choices}


def _publish_plans(plans: list[dict], k: int) -> list[dict]:
    published = []
    for plan in plans:
        item = {"id": plan["id"], "name": plan["name"], "geojson": plan["geojson"],
                "geojson_3006": plan["geojson_3006"]}
        for feeling in ("favourite", "scary"):
            hit = next((h for h in plan["hits"] if h["feeling"] == feeling), None)
            if hit is None:
                item[feeling] = {"withheld": False, "places": 0, "children": 0}
            else:
                item[feeling] = _row(feeling, hit, not rests_on_enough(hit, k), k)
                item[feeling].pop("key")
        published.append(item)
    return published


def publish(raw: RawReport, k: int) -> dict:
    """The report as anyone may see it: every figure rests on at least k children."""
    favourite, scary = (_rows_of(raw.hex, raw.hex["feeling"] == f) for f in ("favourite", "scary"))
    hex_cells, hex_withheld = _publish_cells(favourite, k)
    scary_cells, scary_withheld = _publish_cells(scary, k)
    heat_cells, heat_withheld = _publish_cells(raw.heat, k)
    total_ok = rests_on_enough(raw.total, k)
    participation = _publish_participation(raw.participation, k)
    shown = shown_counts(raw.total, k) if total_ok else {"places": None, "children": None}
    return {
        "k": k,
        "cell": raw.cell,
        "heat_cell": raw.heat_cell,
        # something rests on fewer than k children: a small group, or a preschool's campaign
        # whose every place was left out
        "too_few": not total_ok and (raw.total["children_min"] > 0 or any(
            row["withheld"] or row["partial"] for row in participation)),
        "totals": {
            **shown, "withheld": not total_ok and raw.total["children_min"] > 0,
            "sessions": sum(row["sessions"] or 0 for row in participation),
            "preschools_taking_part": sum(1 for row in participation if row["sessions"]),
        },
        "layers": {
            "favourite": {"cells": hex_cells, "withheld": hex_withheld},
            "scary": {"cells": scary_cells, "withheld": scary_withheld},
            "heat": {"cells": heat_cells, "withheld": heat_withheld},
        },
        "tables": _publish_tables(raw, k),
        "participation": participation,
        "languages": _publish_languages(raw, k),
        "plans": _publish_plans(raw.plans, k),
        "preschools": raw.preschools,
        "scope_outline": raw.scope_outline,
        "categories": raw.categories,
    }
