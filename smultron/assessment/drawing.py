"""The internal document's map, drawn on the server with Pillow (no tiles, no browser):
the plan area, its buffer, the favourite places as circles in their category's colour
and the scary places as purple triangles, with a scale bar and north arrow. Measured in
EPSG:3006; the public version draws the report's hexagons instead (reports.pdf)."""

from __future__ import annotations

import io

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import shape

from smultron.assessment.evidence import Evidence
from smultron.models import METRIC_SRID, SRID
from smultron.reports.pdf import SUPERSAMPLE, WIDTH, _draw_scale, _Frame, _rings

TO_METRIC = Transformer.from_crs(SRID, METRIC_SRID, always_xy=True)
PLAN_COLOUR = "#b71c1c"
SCARY_COLOUR = "#5b2a86"


def _to_metric(xy: np.ndarray) -> np.ndarray:
    x, y = TO_METRIC.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _outline(geometry) -> list[list[tuple[float, float]]]:
    data = geometry.__geo_interface__
    return [[tuple(p[:2]) for p in ring] for ring in _rings(dict(data))]


def map_png(ev: Evidence, lang: str = "sv") -> bytes:
    from PIL import Image, ImageDraw

    plan = shapely.transform(shape(ev.plan_geojson), _to_metric)
    buffered = plan.buffer(ev.buffer_m) if ev.buffer_m else plan
    points = [(TO_METRIC.transform(p.lon, p.lat), p) for p in ev.places]
    minx, miny, maxx, maxy = buffered.bounds
    xs = [minx, maxx, *(xy[0] for xy, _p in points)]
    ys = [miny, maxy, *(xy[1] for xy, _p in points)]
    frame = _Frame(xs, ys)
    s = SUPERSAMPLE
    image = Image.new("RGB", (WIDTH * s, int(frame.height) * s), "#f4f1ea")
    draw = ImageDraw.Draw(image, "RGBA")

    def xy(x: float, y: float) -> tuple[float, float]:
        px, py = frame.xy(x, y)
        return px * s, py * s

    for ring in _outline(buffered):
        draw.polygon([xy(*p) for p in ring], fill=(255, 255, 255, 255), outline="#8a8a8a",
                     width=2 * s)
    for ring in _outline(plan):
        draw.polygon([xy(*p) for p in ring], fill=(183, 28, 28, 30), outline=PLAN_COLOUR,
                     width=4 * s)
    for (x, y), place in sorted(points, key=lambda item: item[1].feeling == "scary"):
        cx, cy = xy(x, y)
        if place.feeling == "scary":
            r = 13 * s
            draw.polygon([(cx, cy - r), (cx - r, cy + r * 0.8), (cx + r, cy + r * 0.8)],
                         fill=(255, 255, 255, 230), outline=SCARY_COLOUR, width=4 * s)
        else:
            r = 10 * s
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=place.colour,
                         outline="#1d1d1f", width=2 * s)
    _draw_scale(draw, frame, lang)
    image = image.resize((WIDTH, int(frame.height)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
