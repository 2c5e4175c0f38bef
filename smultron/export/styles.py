"""QGIS default styles (QML) for the exported layers, stored in ``layer_styles``.

QGIS (3.22 and later) applies the row with ``useAsDefault`` when it opens a
layer from a GeoPackage, provided ``f_table_schema`` is '' (not NULL) and
``f_geometry_column`` names the geometry column. The places are categorised
by category with the web map's colours; scary places are triangles, and a
marker grows with the number of children who chose the place. The hexagons
are graduated by children.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

import pyarrow as pa

from smultron.core.messages import M

QGIS_VERSION = "3.22.0-Białowieża"
HEX_RAMP = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")


@dataclass(frozen=True)
class CategoryStyle:
    code: str
    label: str
    colour: str  # '#rrggbb'


def _rgba(colour: str, alpha: int = 255) -> str:
    colour = colour.lstrip("#")
    r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{alpha}"


def _options(values: dict[str, str]) -> str:
    inner = "".join(f'<Option name={quoteattr(k)} type="QString" value={quoteattr(str(v))}/>'
                    for k, v in values.items())
    return f'<Option type="Map">{inner}</Option>'


def _data_defined(properties: dict[str, str]) -> str:
    """Data-defined symbol properties: {property name: QGIS expression}."""
    if not properties:
        return ""
    inner = "".join(
        f'<Option name={quoteattr(name)} type="Map">'
        '<Option name="active" type="bool" value="true"/>'
        f'<Option name="expression" type="QString" value={quoteattr(expr)}/>'
        '<Option name="type" type="int" value="3"/></Option>'
        for name, expr in properties.items())
    return ('<data_defined_properties><Option type="Map">'
            '<Option name="name" type="QString" value=""/>'
            f'<Option name="properties" type="Map">{inner}</Option>'
            '<Option name="type" type="QString" value="collection"/>'
            '</Option></data_defined_properties>')


MARKER_SIZE = 'coalesce(scale_linear("children_count", 1, 20, 2.6, 6.5), 2.6)'
MARKER_SHAPE = "if(\"feeling\" = 'scary', 'triangle', 'circle')"


def _symbol(kind: str, name: str, colour: str, *, alpha: int = 255) -> str:
    """One QGIS symbol: kind 'marker', 'line' or 'fill'."""
    if kind == "marker":
        layer_class, props, defined = "SimpleMarker", {
            "name": "circle", "color": _rgba(colour), "outline_color": "255,255,255,255",
            "outline_width": "0.4", "outline_width_unit": "MM", "size": "3.2",
            "size_unit": "MM", "outline_style": "solid", "joinstyle": "bevel",
        }, {"size": MARKER_SIZE, "name": MARKER_SHAPE}
    elif kind == "line":
        layer_class, props, defined = "SimpleLine", {
            "line_color": _rgba(colour), "line_width": "1.2", "line_width_unit": "MM",
            "line_style": "solid", "capstyle": "round", "joinstyle": "round",
        }, {"outlineStyle": "if(\"feeling\" = 'scary', 'dash', 'solid')"}
    else:
        layer_class, props, defined = "SimpleFill", {
            "color": _rgba(colour, alpha), "style": "solid",
            "outline_color": _rgba(colour), "outline_width": "0.6",
            "outline_width_unit": "MM", "outline_style": "solid", "joinstyle": "bevel",
        }, {}
    return (f'<symbol type="{kind}" name={quoteattr(name)} alpha="1" clip_to_extent="1" '
            'force_rhr="0">'
            f'<layer class="{layer_class}" enabled="1" locked="0" pass="0">'
            f"{_options(props)}{_data_defined(defined)}</layer></symbol>")


def _document(renderer: str, geometry: str, labeling: str = "") -> str:
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}" styleCategories="Symbology|Labeling|Fields|MapTips" '
        f'labelsEnabled="{1 if labeling else 0}">'
        f"{renderer}{labeling}<layerGeometryType>{geometry}</layerGeometryType></qgis>")


# Swedish column names in QGIS's attribute table and forms (the columns stay English).
ALIASES = {
    "category": "Kategori (kod)", "category_sv": "Kategori", "feeling": "Känsla",
    "children_count": "Antal barn", "age_group": "Åldersgrupp", "season": "Årstid",
    "comment": "Vad barnen sa", "preschool": "Förskola", "department": "Avdelning",
    "session_language": "Kartläggningens språk",
    "campaign": "Kampanj", "created": "Markerad", "place_id": "Plats-id",
    "name": "Namn", "unit_code": "Enhetskod", "address": "Adress",
    "enrolled_children": "Inskrivna barn", "sessions": "Kartläggningstillfällen",
    "children_reached": "Barn som deltagit", "participation_pct": "Deltagande (%)",
    "places": "Platser", "children_choices": "Barnens val", "area_ha": "Yta (ha)",
    "children": "Barn", "favourite": "Smultronställen", "scary": "Läskiga platser",
    "relation": "Läge", "distance_m": "Avstånd (m)",
    "response_status": "Svar", "response_text": "Svarets motivering",
    "response_plan": "Svarets plan", "answered_at": "Besvarad",
    "consequence": "Konsekvens för barnen", "measure": "Åtgärd (hur platsen vägdes in)",
    "photo": "Foto", "photo_id": "Foto-id", "taken_on": "Fotograferad",
    "width": "Bredd (px)", "height": "Höjd (px)",
}
MAP_TIPS = {
    "places": ('"category_sv"', "<b>[% \"category_sv\" %]</b> – [% \"children_count\" %] barn, "
               "[% \"feeling\" %]<br>[% \"preschool\" %]<br><i>[% \"comment\" %]</i>"),
    "preschools": ('"name"', "<b>[% \"name\" %]</b><br>[% \"children_reached\" %] av "
                   "[% \"enrolled_children\" %] barn har deltagit"),
    "density_hex": ('"children"', "[% \"places\" %] platser, [% \"children\" %] barns val"),
}


def with_fields(document: str, tips: str | None = None) -> str:
    """Add the Swedish aliases (and a map tip / display expression) to a style document."""
    aliases = "".join(f'<alias field={quoteattr(k)} name={quoteattr(v)}/>'
                      for k, v in ALIASES.items())
    extra = f"<aliases>{aliases}</aliases>"
    if tips in MAP_TIPS:
        preview, tip = MAP_TIPS[tips]
        extra += (f"<previewExpression>{escape(preview)}</previewExpression>"
                  f"<mapTip>{escape(tip)}</mapTip>")
    return document.replace("<layerGeometryType>", extra + "<layerGeometryType>", 1)


GEOMETRY_CODES = {"marker": 0, "line": 1, "fill": 2}


def categorized(field: str, kind: str, classes: list[tuple[str, str, str]],
                fill_alpha: int = 110) -> str:
    """A categorised renderer: classes = [(value, label, '#colour')]."""
    categories = "".join(
        f'<category value={quoteattr(value)} label={quoteattr(label)} symbol="{i}" '
        'render="true"/>' for i, (value, label, _colour) in enumerate(classes))
    symbols = "".join(_symbol(kind, str(i), colour, alpha=fill_alpha)
                      for i, (_v, _l, colour) in enumerate(classes))
    renderer = (f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} '
                'symbollevels="0" enableorderby="0" forceraster="0">'
                f"<categories>{categories}</categories><symbols>{symbols}</symbols>"
                "</renderer-v2>")
    return _document(renderer, str(GEOMETRY_CODES[kind]))


def single(kind: str, colour: str, fill_alpha: int = 0, outline_dash: bool = False) -> str:
    symbol = _symbol(kind, "0", colour, alpha=fill_alpha)
    if outline_dash:
        symbol = symbol.replace('value="solid"/><Option name="joinstyle"',
                                'value="dash"/><Option name="joinstyle"', 1)
    renderer = (f'<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" '
                f'forceraster="0"><symbols>{symbol}</symbols></renderer-v2>')
    return _document(renderer, str(GEOMETRY_CODES[kind]))


def graduated(field: str, breaks: list[float], ramp=HEX_RAMP) -> str:
    """A graduated fill renderer with len(breaks) - 1 classes."""
    ranges, symbols = [], []
    for i, (lower, upper) in enumerate(zip(breaks, breaks[1:], strict=False)):
        label = f"{lower:g} – {upper:g}"
        ranges.append(f'<range lower="{lower:g}" upper="{upper:g}" label={quoteattr(label)} '
                      f'symbol="{i}" render="true"/>')
        colour = ramp[min(i, len(ramp) - 1)]
        symbols.append(_symbol("fill", str(i), colour, alpha=200))
    renderer = (f'<renderer-v2 type="graduatedSymbol" attr={quoteattr(field)} '
                'graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0" '
                f'forceraster="0"><ranges>{"".join(ranges)}</ranges>'
                f'<symbols>{"".join(symbols)}</symbols>'
                '<mode name="quantile"/></renderer-v2>')
    return _document(renderer, "2")


def labelled(document: str, field: str) -> str:
    """Add simple labels of ``field`` to a style document."""
    labeling = (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName={quoteattr(field)} isExpression="0" fontSize="9" '
        'fontSizeUnit="Point" textColor="30,30,30,255" textOpacity="1" '
        'fontFamily="Sans Serif" namedStyle="Bold">'
        '<text-buffer bufferDraw="1" bufferSize="1" bufferSizeUnits="MM" '
        'bufferColor="255,255,255,255" bufferOpacity="0.9"/></text-style>'
        '<placement placement="6" dist="2" distUnits="MM" offsetType="0"/>'
        '<rendering scaleVisibility="1" scaleMin="1" scaleMax="60000" obstacle="1"/>'
        "</settings></labeling>")
    return document.replace('labelsEnabled="0">', 'labelsEnabled="1">', 1).replace(
        "<layerGeometryType>", labeling + "<layerGeometryType>", 1)


def hex_breaks(values: list[int], classes: int = 5) -> list[float]:
    """Quantile class breaks over the children counts of the hexagons."""
    if not values:
        return [0, 1]
    ordered = sorted(values)
    breaks = [float(ordered[0])]
    for i in range(1, classes):
        value = float(ordered[min(len(ordered) - 1, (len(ordered) * i) // classes)])
        if value > breaks[-1]:
            breaks.append(value)
    if float(ordered[-1]) > breaks[-1] or len(breaks) == 1:
        breaks.append(float(ordered[-1]) + (0 if float(ordered[-1]) > breaks[-1] else 1))
    return breaks


PHOTO_FIELDS = ("fid", "place_id", "photo_id", "taken_on", "width", "height", "photo")
# The form's HTML widget (QGIS runs it in WebKit with the feature's ``expression`` object):
# the BLOB becomes a data: address, so the photo needs no file beside the GeoPackage.
PHOTO_HTML = (
    '<img id="photo" alt={alt} style="max-width:100%;max-height:70vh">'
    "<script>var data = expression.evaluate('to_base64(\"photo\")');"
    "if (data) {{ document.getElementById('photo').src = 'data:image/jpeg;base64,' + data; }}"
    "</script>")


def _widget(field: str) -> str:
    kind = "Binary" if field == "photo" else "TextEdit"
    return (f'<field name={quoteattr(field)} configurationFlags="None">'
            f'<editWidget type="{kind}"><config><Option/></config></editWidget></field>')


def photo_style(t=str) -> str:
    """The photos' default style: a form that shows the photo above its day and ids, read
    only (``t`` translates the alternative text into the export's language)."""
    html = PHOTO_HTML.format(alt=quoteattr(t(M("Photo of the place"))))
    fields = "".join(
        f'<attributeEditorField name="{name}" index="{PHOTO_FIELDS.index(name)}" '
        'showLabel="1"/>' for name in ("taken_on", "place_id", "photo_id"))
    read_only = "".join(f'<field name="{name}" editable="0"/>' for name in PHOTO_FIELDS)
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}" styleCategories="Fields|Forms|MapTips">'
        f"<fieldConfiguration>{''.join(_widget(f) for f in PHOTO_FIELDS)}"
        "</fieldConfiguration>"
        '<editform tolerant="1"></editform><editforminit/>'
        "<editforminitcodesource>0</editforminitcodesource>"
        "<editforminitfilepath></editforminitfilepath><editforminitcode></editforminitcode>"
        "<featformsuppress>0</featformsuppress><editorlayout>tablayout</editorlayout>"
        "<attributeEditorForm>"
        f'<attributeEditorContainer name={quoteattr(ALIASES["photo"])} showLabel="1" '
        'groupBox="0" columnCount="1" visibilityExpressionEnabled="0" '
        'visibilityExpression="">'
        f'<attributeEditorHtmlElement name="photo_view" showLabel="0">{escape(html)}'
        f"</attributeEditorHtmlElement>{fields}</attributeEditorContainer>"
        "</attributeEditorForm>"
        f"<editable>{read_only}</editable>"
        "<previewExpression>\"taken_on\"</previewExpression>"
        "<layerGeometryType>4</layerGeometryType></qgis>")


PLAN_RELATIONS = [("inside", M("Inside the plan area"), "#c62828"),
                  ("near", M("Within the buffer"), "#ef6c00")]


def layer_styles(categories: list[CategoryStyle], hex_values: list[int],
                 layer_names: list[str], geometry_column: str = "geom",
                 t=str) -> pa.Table:
    """The ``layer_styles`` rows for the layers of one export; ``t`` translates a Message
    into the export's language."""
    classes = [(c.code, c.label, c.colour) for c in categories]
    relations = [(value, t(label), colour) for value, label, colour in PLAN_RELATIONS]
    qml = {
        "places_points": with_fields(categorized("category", "marker", classes), "places"),
        "places_areas": with_fields(categorized("category", "fill", classes), "places"),
        "places_routes": with_fields(categorized("category", "line", classes), "places"),
        "preschools": with_fields(labelled(single("marker", "#263238"), "name"), "preschools"),
        "neighbourhoods": with_fields(single("fill", "#37474f", fill_alpha=0,
                                             outline_dash=True)),
        "density_hex": with_fields(graduated("children", hex_breaks(hex_values)),
                                   "density_hex"),
        "plan_conflicts": with_fields(categorized("relation", "marker", relations),
                                      "places"),
        "place_photos": with_fields(photo_style(t)),
    }
    names = [n for n in layer_names if n in qml]
    # QGIS looks a table without geometry up by an empty geometry column
    return styles_table([(n, "" if n == "place_photos" else geometry_column, qml[n],
                          t(M("Smultron default style for %(layer)s", layer=n)))
                         for n in names])


def styles_table(rows: list[tuple[str, str, str, str]]) -> pa.Table:
    """A GeoPackage's ``layer_styles`` table (QGIS's default styles) from (layer, geometry
    column, QML, description) rows: each the layer's default style."""
    now = datetime.now(UTC).replace(microsecond=0)
    count = len(rows)
    return pa.table({
        "f_table_catalog": pa.array([""] * count, pa.string()),
        "f_table_schema": pa.array([""] * count, pa.string()),
        "f_table_name": pa.array([r[0] for r in rows], pa.string()),
        "f_geometry_column": pa.array([r[1] for r in rows], pa.string()),
        "styleName": pa.array([f"{r[0]} (Smultron)" for r in rows], pa.string()),
        "styleQML": pa.array([r[2] for r in rows], pa.string()),
        "styleSLD": pa.array([""] * count, pa.string()),
        "useAsDefault": pa.array([True] * count, pa.bool_()),
        "description": pa.array([r[3] for r in rows], pa.string()),
        "owner": pa.array([""] * count, pa.string()),
        "ui": pa.array([None] * count, pa.string()),
        "update_time": pa.array([now] * count, pa.timestamp("ms", tz="UTC")),
    })
