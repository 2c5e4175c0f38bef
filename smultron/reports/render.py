"""The report map as data: everything the page's map module (static/js/reports/
report-map.js) draws, as one JSON document. No code is generated here: names and labels
are plain strings that the module sets as text, never as HTML."""

from __future__ import annotations

from dataclasses import dataclass

from smultron.reports.labels import Labeller, Translate, number

# Light to dark: each class is darker; the legend repeats the thresholds in words.
CLASS_COLOURS = ("#fde0c5", "#facba6", "#f59e72", "#e5604d", "#b0283c")
SCARY_COLOUR = "#5b2a86"
PLAN_COLOUR = "#1a56c4"
# The page stays light whatever the data: the map draws at most this many hexagons and
# heat squares (those with the most children's choices); the tables and the report data
# hold them all.
MAP_HEXAGONS = 800
MAP_SCARY_HEXAGONS = 400
MAP_HEAT_SQUARES = 2500
MAP_NAMED_PRESCHOOLS = 500


@dataclass
class MapParts:
    data: dict  # what the map module draws (JSON)
    legend: list[dict]
    drawn: dict  # layer -> how many cells the map draws


def drawn_counts(report: dict) -> dict:
    layers = report["layers"]
    return {"favourite": min(len(layers["favourite"]["cells"]), MAP_HEXAGONS),
            "scary": min(len(layers["scary"]["cells"]), MAP_SCARY_HEXAGONS),
            "heat": min(len(layers["heat"]["cells"]), MAP_HEAT_SQUARES)}


def class_breaks(values: list[int], classes: int = len(CLASS_COLOURS)) -> list[int]:
    """Upper bounds of up to ``classes`` classes of roughly equal size (quantiles)."""
    if not values:
        return []
    ordered = sorted(values)
    breaks = []
    for n in range(1, classes + 1):
        bound = ordered[min(len(ordered) - 1, (len(ordered) * n) // classes - 1 if n < classes
                            else len(ordered) - 1)]
        if not breaks or bound > breaks[-1]:
            breaks.append(bound)
    return breaks


def colour_for(value: int, breaks: list[int]) -> str:
    for n, bound in enumerate(breaks):
        if value <= bound:
            return CLASS_COLOURS[n + len(CLASS_COLOURS) - len(breaks)]
    return CLASS_COLOURS[-1]


def render_map(report: dict, *, t: Translate, lang: str, tiles: dict | None) -> MapParts:
    """What the report map shows, as JSON-ready data (the page embeds it in a
    ``<script type="application/json">`` and the map module draws it); ``tiles`` are the
    background maps (smultron/web/basemaps.py ``choices``)."""
    labels = Labeller(report, t, lang)
    layers = report["layers"]
    breaks = class_breaks([c["children"] for c in layers["favourite"]["cells"]])
    data = {
        "tiles": tiles if tiles and tiles.get("choices") else None,
        "bounds": map_bounds(report),
        "names": {"background": t("Background map"), "heat": t("Heatmap: favourite places"),
                  "favourite": t("Hexagons: favourite places"), "scary": t("Scary places"),
                  "plans": t("Plan areas"), "outline": t("Report area"),
                  "clusters": t("Most-loved areas"), "preschools": t("Preschools")},
        "on": _layers_on(report),
        "heat": _heat(layers["heat"]["cells"][:MAP_HEAT_SQUARES]),
        "favourite": [_hexagon(c, labels, colour_for(c["children"], breaks))
                      for c in layers["favourite"]["cells"][:MAP_HEXAGONS]],
        "scary": [_hexagon(c, labels, SCARY_COLOUR)
                  for c in layers["scary"]["cells"][:MAP_SCARY_HEXAGONS]],
        "plans": [{"name": plan["name"], "geometry": plan["geojson"]} for plan in report["plans"]],
        "outline": (report["scope_outline"] or {}).get("geojson"),
        "clusters": [_cluster(c, t, lang) for c in report["clusters"]],
        "preschools": _preschools(report),
    }
    return MapParts(data=data, legend=legend(breaks, t, lang, report["k"]),
                    drawn=drawn_counts(report))


def _layers_on(report: dict) -> list[str]:
    """The layers shown at first: the hexagons rather than the heatmap (they tell the
    same), plan areas only in a plan area's report."""
    on = ["background", "favourite", "scary", "outline", "clusters", "preschools"]
    if report["about"]["scope"] == "plan_area":
        on.append("plans")
    return on


def legend(breaks: list[int], t: Translate, lang: str, k: int) -> list[dict]:
    """The hexagon classes in words ("5–12"); no shown cell has fewer than k children."""
    items, low = [], k - 1
    offset = len(CLASS_COLOURS) - len(breaks)
    for n, bound in enumerate(breaks):
        start = low + 1
        text = (number(bound, lang) if start >= bound
                else f"{number(start, lang)}–{number(bound, lang)}")
        items.append({"colour": CLASS_COLOURS[n + offset], "text": text})
        low = bound
    return items


def _heat(cells: list[dict]) -> list[list[float]]:
    top = max((c["children"] for c in cells), default=1)
    return [[round(c["lat"], 5), round(c["lon"], 5), round(c["children"] / top, 3)]
            for c in cells]


def _hexagon(cell: dict, labels: Labeller, colour: str) -> dict:
    label = labels.t("%(children)s children's choices, %(places)s places – %(near)s") % {
        "children": number(cell["children"], labels.lang),
        "places": number(cell["places"], labels.lang), "near": labels.near(cell["near"])}
    return {"geometry": _rounded(cell["geojson"]), "colour": colour, "label": label}


def _rounded(geometry: dict) -> dict:
    return {"type": geometry["type"], "coordinates": [
        [[round(x, 5), round(y, 5)] for x, y in ring] for ring in geometry["coordinates"]]}


def _cluster(cluster: dict, t: Translate, lang: str) -> dict:
    label = t("Most-loved area %(rank)s: %(children)s children's choices") % {
        "rank": cluster["rank"], "children": number(cluster["children"], lang)}
    return {"rank": cluster["rank"], "lat": round(cluster["lat"], 5),
            "lon": round(cluster["lon"], 5), "label": label}


def _preschools(report: dict) -> dict:
    """Named points up to MAP_NAMED_PRESCHOOLS; beyond that unnamed points (the names are
    in the tables), so the page stays light."""
    schools = report["preschools"]
    if len(schools) > MAP_NAMED_PRESCHOOLS:
        return {"named": [], "points": [[round(s["lat"], 3), round(s["lon"], 3)]
                                        for s in schools]}
    return {"named": [{"name": s["name"], "lat": round(s["lat"], 5), "lon": round(s["lon"], 5)}
                      for s in schools], "points": []}


def map_bounds(report: dict) -> list[list[float]] | None:
    """[[south, west], [north, east]] of what the map shows."""
    lats, lons = [], []
    for name in ("favourite", "scary"):
        for cell in report["layers"][name]["cells"]:
            lats.append(cell["lat"])
            lons.append(cell["lon"])
    for school in report["preschools"]:
        lats.append(school["lat"])
        lons.append(school["lon"])
    outline = (report["scope_outline"] or {}).get("geojson")
    if outline:
        for ring in outline["coordinates"][:1] if outline["type"] == "Polygon" else [
                r for poly in outline["coordinates"] for r in poly[:1]]:
            for lon, lat in ring:
                lats.append(lat)
                lons.append(lon)
    if not lats:
        return None
    pad = 0.004
    return [[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]]
