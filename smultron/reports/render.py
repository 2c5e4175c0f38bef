"""The report map with folium, every file from static/vendor/ (no CDN), readable
without tiles. Returns the parts a page embeds: script and stylesheet URLs, the map
<div>, and folium's script (the page gives it the request's CSP nonce)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import folium
from folium.plugins import HeatMap

from smultron.reports.labels import Labeller, Translate, number

# Light to dark: each class is darker; the legend repeats the thresholds in words.
CLASS_COLOURS = ("#fde0c5", "#facba6", "#f59e72", "#e5604d", "#b0283c")
SCARY_COLOUR = "#5b2a86"
PLAN_COLOUR = "#1a56c4"
SWEDEN = [62.0, 16.0]
# The page stays light whatever the data: the map draws at most this many hexagons and
# heat squares (those with the most children's choices); the tables and the report data
# hold them all.
MAP_HEXAGONS = 800
MAP_SCARY_HEXAGONS = 400
MAP_HEAT_SQUARES = 2500
MAP_NAMED_PRESCHOOLS = 500


@dataclass
class MapParts:
    scripts: list[str]
    stylesheets: list[str]
    html: str
    script: str
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


def render_map(report: dict, *, t: Translate, lang: str, tile_url: str | None,
               tile_attribution: str, vendor: Callable[[str, str], str]) -> MapParts:
    labels = Labeller(report, t, lang)
    # Vector layers on a canvas: thousands of hexagons draw fast; the tables carry the text.
    fmap = folium.Map(location=SWEDEN, zoom_start=5, tiles=None, control_scale=True,
                      prefer_canvas=True)
    fmap.default_js = [("leaflet", vendor("leaflet", "leaflet.js"))]
    fmap.default_css = [("leaflet_css", vendor("leaflet", "leaflet.css"))]
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=tile_attribution, name=t("Background map"),
                         max_zoom=19).add_to(fmap)
    _heat(report, t, vendor).add_to(fmap)
    breaks = class_breaks([c["children"] for c in report["layers"]["favourite"]["cells"]])
    _hex_layer(report["layers"]["favourite"]["cells"][:MAP_HEXAGONS],
               t("Hexagons: favourite places"),
               labels, lambda c: {"fillColor": colour_for(c, breaks), "color": "#7f0a1d",
                                  "weight": 0.6, "fillOpacity": 0.7}).add_to(fmap)
    _hex_layer(report["layers"]["scary"]["cells"][:MAP_SCARY_HEXAGONS], t("Scary places"),
               labels,
               lambda c: {"fillColor": SCARY_COLOUR, "color": SCARY_COLOUR, "weight": 2,
                          "fillOpacity": 0.25, "dashArray": "4 3"}, show=True).add_to(fmap)
    _plans(report, t).add_to(fmap)
    if report["scope_outline"]:
        _outline(report, t).add_to(fmap)
    _clusters(report, t, labels).add_to(fmap)
    _preschools(report, t).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    bounds = map_bounds(report)
    if bounds:
        fmap.fit_bounds(bounds, padding=(12, 12))
    root = fmap.get_root()
    root.render()
    return MapParts(scripts=[vendor("leaflet", "leaflet.js"),
                             vendor("leaflet.heat", "leaflet-heat.js")],
                    stylesheets=[vendor("leaflet", "leaflet.css")],
                    html=root.html.render(), script=root.script.render(),
                    legend=legend(breaks, t, lang, report["k"]), drawn=drawn_counts(report))


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


def _heat(report: dict, t: Translate, vendor) -> HeatMap:
    cells = report["layers"]["heat"]["cells"][:MAP_HEAT_SQUARES]
    top = max((c["children"] for c in cells), default=1)
    points = [[round(c["lat"], 5), round(c["lon"], 5), round(c["children"] / top, 3)]
              for c in cells]
    heat = HeatMap(points or [[0, 0, 0]], name=t("Heatmap: favourite places"),
                   radius=18, blur=14, min_opacity=0.35, max_zoom=15,
                   show=bool(points))
    heat.default_js = [("leaflet-heat.js", vendor("leaflet.heat", "leaflet-heat.js"))]
    return heat


def _hex_layer(cells: list[dict], name: str, labels: Labeller, style, show: bool = True):
    t, lang = labels.t, labels.lang
    features = [{
        "type": "Feature", "id": cell["id"], "geometry": _rounded(cell["geojson"]),
        "properties": {
            "children": cell["children"],
            "label": t("%(children)s children's choices, %(places)s places – %(near)s") % {
                "children": number(cell["children"], lang),
                "places": number(cell["places"], lang), "near": labels.near(cell["near"])}},
    } for cell in cells]
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name=name, show=show,
        style_function=lambda f: style(f["properties"]["children"]),
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False) if features else None)


def _rounded(geometry: dict) -> dict:
    return {"type": geometry["type"], "coordinates": [
        [[round(x, 5), round(y, 5)] for x, y in ring] for ring in geometry["coordinates"]]}


def _plans(report: dict, t: Translate):
    group = folium.FeatureGroup(name=t("Plan areas"), show=bool(report["plans"]))
    for plan in report["plans"]:
        folium.GeoJson(plan["geojson"], name=plan["name"], control=False,
                       style_function=lambda _f: {"color": PLAN_COLOUR, "weight": 2,
                                                  "fillOpacity": 0.05, "dashArray": "6 4"},
                       tooltip=plan["name"]).add_to(group)
    return group


def _outline(report: dict, t: Translate):
    return folium.GeoJson(
        (report["scope_outline"] or {}).get("geojson") or {"type": "FeatureCollection",
                                                             "features": []},
        name=t("Report area"), style_function=lambda _f: {
            "color": "#1d1d1f", "weight": 2, "fill": False, "dashArray": "2 4"})


def _clusters(report: dict, t: Translate, labels: Labeller):
    group = folium.FeatureGroup(name=t("Most-loved areas"))
    for cluster in report["clusters"]:
        tip = t("Most-loved area %(rank)s: %(children)s children's choices") % {
            "rank": cluster["rank"], "children": number(cluster["children"], labels.lang)}
        folium.Marker([cluster["lat"], cluster["lon"]], tooltip=tip, icon=folium.DivIcon(
            html=f'<span class="report-cluster-number">{cluster["rank"]}</span>',
            class_name="report-cluster", icon_size=(26, 26), icon_anchor=(13, 13))
        ).add_to(group)
    return group


def _preschools(report: dict, t: Translate):
    """One GeoJSON layer of circle markers: named up to MAP_NAMED_PRESCHOOLS, beyond that
    one unnamed MultiPoint (the names are in the tables), so the page stays light."""
    schools = report["preschools"]
    if len(schools) > MAP_NAMED_PRESCHOOLS:
        features = [{"type": "Feature", "properties": {"name": t("Preschools")}, "geometry": {
            "type": "MultiPoint",
            "coordinates": [[round(s["lon"], 3), round(s["lat"], 3)] for s in schools]}}]
    else:
        features = [{"type": "Feature", "properties": {"name": s["name"]}, "geometry": {
            "type": "Point", "coordinates": [round(s["lon"], 5), round(s["lat"], 5)]}}
            for s in schools]
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name=t("Preschools"),
        marker=folium.CircleMarker(radius=6, color="#1d1d1f", weight=2, fill=True,
                                   fill_color="#ffffff", fill_opacity=1),
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False) if features else None)


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
