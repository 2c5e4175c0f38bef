"""The poster's map, drawn on the server: the neighbourhood, the preschool and the scale
bar drawn with Pillow in the reports' frame (smultron.reports.pdf), then every place as
its category's pictogram (scary places in a purple triangle) on top, as SVG, so the
pictograms stay sharp in print. No tiles, no browser, no network."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from xml.sax.saxutils import quoteattr

from smultron.assessment.drawing import SCARY_COLOUR, TO_METRIC
from smultron.feedback.answers import Card
from smultron.reports.pdf import MARGIN, SUPERSAMPLE, WIDTH, _draw_scale, _Frame, _rings

PICTOGRAM = 96  # map units (of WIDTH across) per pictogram
SCARY_R = 46
ASPECT = 38 / 19.5  # the poster's map box (templates/feedback/poster_pdf.html), width / height


def _frame(area: dict, school: tuple[float, float], points: list) -> _Frame:
    xs, ys = [school[0]], [school[1]]
    for ring in _rings(area):
        xs += [p[0] for p in ring]
        ys += [p[1] for p in ring]
    xs += [xy[0] for xy, _card in points]
    ys += [xy[1] for xy, _card in points]
    # widen (or heighten) the extent to the poster's box, so the map fills it
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    grow_x, grow_y = max(height * ASPECT - width, 0) / 2, max(width / ASPECT - height, 0) / 2
    # the frame pads both sides by the same margin: pad x by more to keep the aspect
    grow_x += max(width + 2 * grow_x, 500.0) * MARGIN * (ASPECT - 1)
    return _Frame([min(xs) - grow_x, max(xs) + grow_x], [min(ys) - grow_y, max(ys) + grow_y])


def _base_png(frame: _Frame, area: dict, lang: str) -> bytes:
    from PIL import Image, ImageDraw

    s = SUPERSAMPLE
    image = Image.new("RGB", (WIDTH * s, int(frame.height) * s), "#f4f1ea")
    draw = ImageDraw.Draw(image, "RGBA")
    for ring in _rings(area):
        draw.polygon([tuple(c * s for c in frame.xy(*p[:2])) for p in ring],
                     fill="#ffffff", outline="#1b5e20", width=6 * s)
    _draw_scale(draw, frame, lang)
    image = image.resize((WIDTH, int(frame.height)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def scary_marker(x: float, y: float, r: float) -> str:
    """The purple triangle that marks a scary place (also the legend's symbol)."""
    points = f"{x},{y - r} {x - r * 1.1},{y + r * 0.75} {x + r * 1.1},{y + r * 0.75}"
    return (f'<polygon points="{points}" fill="#ffffff" stroke="{SCARY_COLOUR}" '
            f'stroke-width="{r / 5:.1f}" stroke-linejoin="round"/>')


def scary_symbol_uri() -> str:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
           + scary_marker(50, 52, 40) + "</svg>")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _image(uri: str, x: float, y: float, size: float) -> str:
    return (f'<image href={quoteattr(uri)} x="{x - size / 2:.1f}" y="{y - size / 2:.1f}" '
            f'width="{size}" height="{size}"/>')


def map_svg(cards: list[Card], area: dict, school: tuple[float, float],
            pictogram_uri: Callable[[str], str], lang: str) -> str:
    """The map as an SVG document."""
    points = [(TO_METRIC.transform(c.lon, c.lat), c) for c in cards]
    frame = _frame(area, school, points)
    png = base64.b64encode(_base_png(frame, area, lang)).decode()
    height = int(frame.height)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
             f'width="{WIDTH}" height="{height}">',
             f'<image href="data:image/png;base64,{png}" x="0" y="0" width="{WIDTH}" '
             f'height="{height}"/>']
    sx, sy = frame.xy(*school)
    parts.append(_image(pictogram_uri("preschool"), sx, sy, PICTOGRAM * 1.4))
    for (x, y), card in sorted(points, key=lambda item: item[1].feeling == "scary"):
        px, py = frame.xy(x, y)
        if card.feeling == "scary":
            parts.append(scary_marker(px, py, SCARY_R))
            parts.append(_image(pictogram_uri(card.pictogram), px, py + 12, PICTOGRAM * 0.6))
        else:
            parts.append(_image(pictogram_uri(card.pictogram), px, py, PICTOGRAM))
    parts.append("</svg>")
    return "".join(parts)
