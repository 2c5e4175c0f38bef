"""The PDF of a report: WeasyPrint over an HTML page whose map is a PNG drawn here
with Pillow from the published cells (EPSG:3006, metres): no browser, no tiles, no
network."""

from __future__ import annotations

import base64
import io
import math

from smultron.reports.labels import Labeller, number
from smultron.reports.render import (
    MAP_HEXAGONS,
    MAP_SCARY_HEXAGONS,
    PLAN_COLOUR,
    SCARY_COLOUR,
    class_breaks,
    colour_for,
)

WIDTH = 1600  # pixels across the map image
SUPERSAMPLE = 2
MARGIN = 0.06
PDF_NAMED_PRESCHOOLS = 40  # more names would cover the map (they are in the tables)


def html_to_pdf(html: str) -> bytes:
    """Everything is inline: WeasyPrint may read data: URLs and nothing else."""
    from weasyprint import HTML, URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    # tagged (PDF/UA-1): headings, tables and the map's text alternative reach screen readers
    return HTML(string=html, url_fetcher=fetcher).write_pdf(pdf_variant="pdf/ua-1")


class _Frame:
    """EPSG:3006 metres -> SVG units (y down), keeping the aspect ratio."""

    def __init__(self, xs: list[float], ys: list[float]):
        minx, maxx, miny, maxy = min(xs), max(xs), min(ys), max(ys)
        span = max(maxx - minx, maxy - miny, 500.0)
        pad = span * MARGIN
        self.minx, self.maxy = minx - pad, maxy + pad
        self.scale = WIDTH / (max(maxx - minx, 1.0) + 2 * pad)
        self.height = min(max((maxy - miny + 2 * pad) * self.scale, 480.0), 2000.0)
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


def map_png(report: dict, labels: Labeller) -> bytes | None:
    """The report map as a PNG (hexagons, scary cells, plan areas, preschools, most-loved
    areas, a scale bar and north arrow), drawn with Pillow at twice the size and scaled
    down for smooth edges. A raster keeps WeasyPrint fast however many cells there are."""
    from PIL import Image, ImageDraw

    xs, ys = _extent(report)
    if not xs:
        return None
    frame = _Frame(xs, ys)
    size = (WIDTH * SUPERSAMPLE, int(frame.height) * SUPERSAMPLE)
    image = Image.new("RGB", size, "#f4f1ea")
    draw = ImageDraw.Draw(image, "RGBA")

    def xy(x: float, y: float) -> tuple[float, float]:
        px, py = frame.xy(x, y)
        return px * SUPERSAMPLE, py * SUPERSAMPLE

    def hexagon(x: float, y: float) -> list[tuple[float, float]]:
        edge = max(report["cell"], 3 / frame.scale)  # at least 3 px, however large the area
        return [xy(x + edge * math.cos(math.radians(60 * n)),
                   y + edge * math.sin(math.radians(60 * n))) for n in range(6)]

    outline = (report["scope_outline"] or {}).get("geojson_3006")
    for ring in _rings(outline):
        draw.polygon([xy(*p[:2]) for p in ring], fill="#ffffff", outline="#1d1d1f",
                     width=2 * SUPERSAMPLE)
    cells = report["layers"]["favourite"]["cells"][:MAP_HEXAGONS]
    breaks = class_breaks([c["children"] for c in cells])
    for cell in cells:
        draw.polygon(hexagon(cell["x"], cell["y"]), fill=colour_for(cell["children"], breaks),
                     outline="#7f0a1d", width=SUPERSAMPLE)
    for cell in report["layers"]["scary"]["cells"][:MAP_SCARY_HEXAGONS]:
        draw.polygon(hexagon(cell["x"], cell["y"]), fill=(91, 42, 134, 70),
                     outline=SCARY_COLOUR, width=2 * SUPERSAMPLE)
    for plan in report["plans"]:
        for ring in _rings(plan["geojson_3006"]):
            draw.line([xy(*p[:2]) for p in ring], fill=PLAN_COLOUR, width=3 * SUPERSAMPLE)
    _draw_points(draw, report, xy, image.size)
    _draw_scale(draw, frame, labels.lang)
    image = image.resize((WIDTH, int(frame.height)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(name, size)
    except OSError:
        return ImageFont.load_default(size)


def _draw_points(draw, report: dict, xy, size: tuple[int, int]) -> None:
    """Preschools (named while few enough) and the numbered most-loved areas. Names sit in
    a white box beside their point, at the first of four places where they cover no other
    name; a name with no free place is left out (every name is in the tables)."""
    s = SUPERSAMPLE
    named = len(report["preschools"]) <= PDF_NAMED_PRESCHOOLS
    radius = (9 if named else 4) * s
    for school in report["preschools"]:
        x, y = xy(school["x"], school["y"])
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill="#ffffff",
                     outline="#1d1d1f", width=(4 if named else 2) * s)
    bold = _font(26 * s, bold=True)
    taken = []
    for cluster in report["clusters"]:
        x, y = xy(cluster["x"], cluster["y"])
        draw.ellipse((x - 20 * s, y - 20 * s, x + 20 * s, y + 20 * s), fill="#1b5e20",
                     outline="#ffffff", width=3 * s)
        draw.text((x, y), str(cluster["rank"]), fill="#ffffff", font=bold, anchor="mm")
        taken.append((x - 20 * s, y - 20 * s, x + 20 * s, y + 20 * s))
    if named:
        for school in report["preschools"]:
            _label(draw, xy(school["x"], school["y"]), school["name"], taken, size)


def _label(draw, point, text: str, taken: list, size) -> None:
    s = SUPERSAMPLE
    font, pad, gap = _font(28 * s), 6 * s, 14 * s
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font, anchor="ls")
    width, height = right - left + 2 * pad, bottom - top + 2 * pad
    x, y = point
    for bx, by in ((x + gap, y - height / 2), (x - gap - width, y - height / 2),
                   (x - width / 2, y - gap - height), (x - width / 2, y + gap)):
        box = (bx, by, bx + width, by + height)
        inside = box[0] >= 0 and box[1] >= 0 and box[2] <= size[0] and box[3] <= size[1]
        if inside and not any(_overlap(box, other) for other in taken):
            draw.rounded_rectangle(box, radius=4 * s, fill=(255, 255, 255, 235),
                                   outline="#1d1d1f", width=s)
            draw.text((bx + pad - left, by + pad - top), text, fill="#1d1d1f", font=font,
                      anchor="ls")
            taken.append(box)
            return


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _draw_scale(draw, frame: _Frame, lang: str) -> None:
    s = SUPERSAMPLE
    target = (WIDTH / 5) / frame.scale  # metres in a fifth of the width
    nice = max(n for n in (50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000,
                           100000) if n <= max(target, 50))
    length = nice * frame.scale
    label = f"{number(nice // 1000, lang)} km" if nice >= 1000 else f"{nice} m"
    y = (frame.height - 30) * s
    draw.rectangle((14 * s, y - 26 * s, (length + 150) * s, y + 22 * s),
                   fill=(255, 255, 255, 220))
    draw.line((24 * s, y, (24 + length) * s, y), fill="#1d1d1f", width=5 * s)
    for end in (24, 24 + length):
        draw.line((end * s, y - 10 * s, end * s, y + 10 * s), fill="#1d1d1f", width=4 * s)
    draw.text(((length + 40) * s, y), label, fill="#1d1d1f", font=_font(28 * s), anchor="lm")
    north_x = (WIDTH - 40) * s
    draw.text((north_x, 34 * s), "N", fill="#1d1d1f", font=_font(36 * s, bold=True),
              anchor="mm")
    draw.polygon([(north_x, 58 * s), (north_x - 12 * s, 86 * s), (north_x + 12 * s, 86 * s)],
                 fill="#1d1d1f")


def map_data_uri(report: dict, labels: Labeller) -> str | None:
    png = map_png(report, labels)
    return "data:image/png;base64," + base64.b64encode(png).decode() if png else None
