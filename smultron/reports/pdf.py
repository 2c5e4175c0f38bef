"""The PDF of a report: WeasyPrint over an HTML page whose map is an SVG drawn here
from the published cells (EPSG:3006, metres): no browser, no tiles, no network."""

from __future__ import annotations

import math
from html import escape

from smultron.reports.labels import Labeller, number
from smultron.reports.render import (
    MAP_HEXAGONS,
    PLAN_COLOUR,
    SCARY_COLOUR,
    class_breaks,
    colour_for,
)

WIDTH = 1000  # SVG user units across the map
MARGIN = 0.06


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    """Everything is inline: WeasyPrint is not allowed to fetch anything."""
    from weasyprint import HTML

    def refuse(url: str, *args, **kwargs):
        raise ValueError(f"the report PDF fetches nothing ({url})")

    return HTML(string=html, base_url=base_url, url_fetcher=refuse).write_pdf()


class _Frame:
    """EPSG:3006 metres -> SVG units (y down), keeping the aspect ratio."""

    def __init__(self, xs: list[float], ys: list[float]):
        minx, maxx, miny, maxy = min(xs), max(xs), min(ys), max(ys)
        span = max(maxx - minx, maxy - miny, 500.0)
        pad = span * MARGIN
        self.minx, self.maxy = minx - pad, maxy + pad
        self.scale = WIDTH / (max(maxx - minx, 1.0) + 2 * pad)
        self.height = min(max((maxy - miny + 2 * pad) * self.scale, 300.0), 1300.0)
        self.scale = min(self.scale, self.height / (maxy - miny + 2 * pad))

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return round((x - self.minx) * self.scale, 1), round((self.maxy - y) * self.scale, 1)


def _extent(report: dict) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for layer in ("favourite", "scary"):
        for cell in report["layers"][layer]["cells"][:MAP_HEXAGONS]:
            xs += [cell["x"] - report["cell"], cell["x"] + report["cell"]]
            ys += [cell["y"] - report["cell"], cell["y"] + report["cell"]]
    for school in report["preschools"]:
        xs.append(school["x"])
        ys.append(school["y"])
    outline = (report["scope_outline"] or {}).get("geojson_3006")
    for ring in _rings(outline):
        xs += [p[0] for p in ring]
        ys += [p[1] for p in ring]
    return xs, ys


def _rings(geometry: dict | None) -> list[list[list[float]]]:
    if not geometry:
        return []
    if geometry["type"] == "Polygon":
        return geometry["coordinates"]
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


def _hexagon(frame: _Frame, x: float, y: float, size: float) -> str:
    points = []
    for n in range(6):
        angle = math.radians(60 * n)
        points.append(frame.xy(x + size * math.cos(angle), y + size * math.sin(angle)))
    return " ".join(f"{px},{py}" for px, py in points)


def _path(frame: _Frame, geometry: dict | None) -> str:
    parts = []
    for ring in _rings(geometry):
        coords = [frame.xy(p[0], p[1]) for p in ring]
        parts.append("M" + " L".join(f"{x},{y}" for x, y in coords) + " Z")
    return " ".join(parts)


def _scale_bar(frame: _Frame, lang: str) -> str:
    target = (WIDTH / 5) / frame.scale  # metres in a fifth of the width
    nice = max(n for n in (50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000,
                           100000) if n <= max(target, 50))
    length = nice * frame.scale
    label = f"{number(nice // 1000, lang)} km" if nice >= 1000 else f"{nice} m"
    y = frame.height - 18
    return (f'<g class="scale"><rect x="18" y="{y - 16}" width="{length + 70:.1f}" height="30" '
            f'fill="#fff" fill-opacity="0.85"/><path d="M24,{y} h{length:.1f}" stroke="#1d1d1f" '
            f'stroke-width="3"/><text x="{length + 30:.1f}" y="{y + 5}" font-size="16">'
            f'{label}</text></g><text x="{WIDTH - 30}" y="34" font-size="22" '
            f'font-weight="bold" text-anchor="middle">N</text><path d="M{WIDTH - 30},40 '
            f'l-8,18 h16 z" fill="#1d1d1f"/>')


def svg_map(report: dict, labels: Labeller) -> str:
    """The report map as an inline SVG (hexagons, scary cells, plan areas, preschools,
    most-loved areas, a scale bar and north arrow)."""
    xs, ys = _extent(report)
    if not xs:
        return ""
    frame = _Frame(xs, ys)
    cells = report["layers"]["favourite"]["cells"][:MAP_HEXAGONS]
    breaks = class_breaks([c["children"] for c in cells])
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {frame.height:.0f}" '
           f'role="img" aria-label="{escape(labels.t("Map of the report"))}" '
           f'font-family="sans-serif">',
           f'<rect width="{WIDTH}" height="{frame.height:.0f}" fill="#f4f1ea"/>']
    outline = (report["scope_outline"] or {}).get("geojson_3006")
    if outline:
        out.append(f'<path d="{_path(frame, outline)}" fill="#ffffff" stroke="#1d1d1f" '
                   f'stroke-width="1.5" stroke-dasharray="3 5"/>')
    for cell in cells:
        out.append(f'<polygon points="{_hexagon(frame, cell["x"], cell["y"], report["cell"])}" '
                   f'fill="{colour_for(cell["children"], breaks)}" stroke="#7f0a1d" '
                   f'stroke-width="0.5"/>')
    for cell in report["layers"]["scary"]["cells"][:MAP_HEXAGONS]:
        out.append(f'<polygon points="{_hexagon(frame, cell["x"], cell["y"], report["cell"])}" '
                   f'fill="{SCARY_COLOUR}" fill-opacity="0.25" stroke="{SCARY_COLOUR}" '
                   f'stroke-width="1.5" stroke-dasharray="4 3"/>')
    for plan in report["plans"]:
        out.append(f'<path d="{_path(frame, plan["geojson_3006"])}" fill="none" '
                   f'stroke="{PLAN_COLOUR}" stroke-width="2" stroke-dasharray="8 5"/>')
    for school in report["preschools"]:
        x, y = frame.xy(school["x"], school["y"])
        out.append(f'<circle cx="{x}" cy="{y}" r="6" fill="#fff" stroke="#1d1d1f" '
                   f'stroke-width="2.5"/><text x="{x + 9}" y="{y - 7}" font-size="13" '
                   f'fill="#1d1d1f">{escape(school["name"])}</text>')
    for cluster in report["clusters"]:
        x, y = frame.xy(cluster["x"], cluster["y"])
        out.append(f'<circle cx="{x}" cy="{y}" r="12" fill="#1b5e20"/><text x="{x}" '
                   f'y="{y + 5}" font-size="14" font-weight="bold" fill="#fff" '
                   f'text-anchor="middle">{cluster["rank"]}</text>')
    out.append(_scale_bar(frame, labels.lang))
    out.append("</svg>")
    return "".join(out)
