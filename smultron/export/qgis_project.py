"""The QGIS project inside a GeoPackage export: ``qgis_projects``, project ``Smultron``.

Written here as QGIS project XML (the .qgs format of QGIS 3.22), without QGIS. QGIS's
GeoPackage project storage keeps a project in the table ``qgis_projects(name TEXT PRIMARY
KEY, metadata BLOB, content BLOB)``, not registered in ``gpkg_contents``: ``content`` is
the project zipped like a .qgz file, as hexadecimal text; ``metadata`` is JSON with the
last modification time (UTC) and user. QGIS lists the project under the file in its
browser panel and in *Project > Open From > GeoPackage*.

The project: the export's CRS; the layers in groups in drawing order, each with the
default style of ``layer_styles``; map themes; an A3 landscape print layout. A theme
that filters (favourite, scary, winter, summer) switches the place layers to a named
style of their own: a rule-based renderer with the theme's filter as its one parent
rule and the default style's categories and symbols under it. Map themes keep exactly
that (layer visibility and style), so one layer per dataset is enough; filtered copies
of the layers would fill the layer tree with twelve near-identical layers.

Layer sources are relative, ``./<file name>|layername=<layer>``, with the name the file
is given (the download's name on the web, the output path with ``smultron export``):
QGIS 3.22 resolves them against the folder of the GeoPackage the project is read from,
so the file can be moved or copied anywhere; QGIS has no way to name "the GeoPackage this
project is in", so a renamed file needs its old name back (or the layers pointed at it).

Texts the planner's data can contain (campaign and preschool names in the filters) reach
the layout as project variables (``@smultron_title`` …), never as label text: QGIS
evaluates ``[% … %]`` in a label's text as an expression, not in a variable's value.
"""

from __future__ import annotations

import copy
import io
import json
import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pyproj import CRS, Transformer

from smultron.core.messages import M, Message
from smultron.export.styles import QGIS_VERSION
from smultron.places.query import LOCAL_TZ

PROJECT_NAME = "Smultron"
QGIS_METADATA_URI = "http://mrcc.com/qgis.dtd"
ELLIPSOID = "EPSG:7019"  # GRS 1980, SWEREF 99's: the scale bar measures on it
PAGE = (420.0, 297.0)  # A3 landscape, mm
MAP_BOX = (10.0, 30.0, 310.0, 238.0)  # x, y, width, height on the page, mm

# Groups from the top of the layer tree (drawn last, on top) to the bottom.
GROUPS = (
    (M("Plan conflicts"), ("plan_conflicts",)),
    (M("Children's places"), ("places_points", "places_routes", "places_areas",
                              "place_photos")),
    (M("Preschools and neighbourhoods"), ("preschools", "neighbourhoods")),
    (M("Density"), ("density_hex",)),
)
HIDDEN_AT_START = {"density_hex"}  # shown by the Density theme
PLACE_LAYERS = {"places_points", "places_routes", "places_areas", "plan_conflicts"}
BACKGROUND = {"preschools", "neighbourhoods"}
PHOTOS = "place_photos"  # export.photos.LAYER: related to each place layer by place_id
PHOTO_PARENTS = ("places_points", "places_areas", "places_routes")


@dataclass(frozen=True)
class Theme:
    name: Message
    filter: str | None  # a QGIS expression on the place layers, or None: default style
    shows: frozenset[str]


THEMES = (
    Theme(M("Favourite places"), "\"feeling\" = 'favourite'", frozenset(PLACE_LAYERS | BACKGROUND)),
    Theme(M("Scary places"), "\"feeling\" = 'scary'", frozenset(PLACE_LAYERS | BACKGROUND)),
    Theme(M("Winter"), "\"season\" IN ('winter', 'all_year')",
          frozenset(PLACE_LAYERS | BACKGROUND)),
    Theme(M("Summer"), "\"season\" IN ('summer', 'all_year')",
          frozenset(PLACE_LAYERS | BACKGROUND)),
    Theme(M("Density"), None, frozenset({"density_hex"} | BACKGROUND)),
)


@dataclass(frozen=True)
class About:
    """What the project says about its export."""

    file_name: str  # the name the GeoPackage is given: the layers' sources name it
    srid: int
    filters: str  # the filters' description
    exported_at: str  # ISO 8601, UTC
    source: str
    threshold: int
    lang: str = "sv"
    t: Callable[[object], str] = field(default=str)  # a Message in the export's language

    @property
    def day(self) -> str:
        return datetime.fromisoformat(self.exported_at).astimezone(
            ZoneInfo(LOCAL_TZ)).date().isoformat()


@dataclass(frozen=True)
class FileParts:
    """What the project takes from the GeoPackage already written."""

    styles: dict[str, str]  # table -> default style (QML)
    metadata: dict[str, str]  # table -> QGIS metadata document
    extent: tuple[float, float, float, float] | None  # of every layer, in the export's CRS


def store(path: Path, layers: Sequence, about: About) -> None:
    """Write the project for ``layers`` (each with ``name``, ``geometry_type`` and
    ``title``) into the GeoPackage at ``path`` as the project ``Smultron``."""
    parts = read_parts(path)
    names = [layer.name for layer in layers if layer.name in parts.styles]
    titles = {layer.name: about.t(layer.title) for layer in layers}
    kinds = {layer.name: layer.geometry_type for layer in layers}
    document = project_xml([(n, titles[n], kinds[n]) for n in names], about, parts)
    write_project(path, document, about.exported_at)


def read_parts(path: Path) -> FileParts:
    with closing(sqlite3.connect(path)) as db:
        styles = dict(db.execute(
            "SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault "
            "ORDER BY id"))
        metadata = dict(db.execute(
            "SELECT r.table_name, m.metadata FROM gpkg_metadata m "
            "JOIN gpkg_metadata_reference r ON r.md_file_id = m.id "
            "WHERE m.md_standard_uri = ? AND r.reference_scope = 'table'",
            (QGIS_METADATA_URI,)))
        boxes = db.execute(
            "SELECT min(min_x), min(min_y), max(max_x), max(max_y) FROM gpkg_contents "
            "WHERE data_type = 'features' AND min_x IS NOT NULL").fetchone()
    return FileParts(styles, metadata, None if boxes[0] is None else tuple(boxes))


def write_project(path: Path, document: bytes, exported_at: str) -> None:
    """Store ``document`` (a .qgs) the way QGIS's GeoPackage project storage does."""
    modified = datetime.fromisoformat(exported_at).replace(tzinfo=None)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as qgz:
        entry = zipfile.ZipInfo(f"{PROJECT_NAME}.qgs", modified.timetuple()[:6])
        qgz.writestr(entry, document, zipfile.ZIP_DEFLATED)
    metadata = json.dumps({"last_modified_time": modified.isoformat(timespec="seconds"),
                           "last_modified_user": PROJECT_NAME})
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE IF NOT EXISTS qgis_projects("
                   "name TEXT PRIMARY KEY, metadata BLOB, content BLOB)")
        db.execute("INSERT OR REPLACE INTO qgis_projects (name, metadata, content) "
                   "VALUES (?, ?, ?)", (PROJECT_NAME, metadata, archive.getvalue().hex()))


# --- the project document -------------------------------------------------------------

def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in attrib.items()})
    if text is not None:
        element.text = text
    return element


def project_xml(layers: list[tuple[str, str, str]], about: About, parts: FileParts) -> bytes:
    """The .qgs document: ``layers`` are (table, title, OGR geometry type)."""
    t = about.t
    root = ET.Element("qgis", {"version": QGIS_VERSION, "projectname": PROJECT_NAME})
    _sub(root, "homePath", path="")
    _sub(root, "title", t(M("Children's favourite places")))
    _spatialrefsys(_sub(root, "projectCrs"), about.srid)
    present = [name for name, _title, _kind in layers]
    root.append(_layer_tree(layers, about))
    projectlayers = _sub(root, "projectlayers")
    for name, title, kind in layers:
        projectlayers.append(_map_layer(name, title, kind, about, parts))
    extent = map_extent(parts.extent, about.srid)
    root.append(_properties(about))
    root.append(_themes(present, t))
    root.append(_relations(present, t))
    root.append(_project_metadata(about))
    _sub(root, "Layouts").append(_layout(about, extent))
    view = _sub(root, "ProjectViewSettings", rotation="0", UseProjectScales="0")
    _spatialrefsys(_sub(view, "DefaultViewExtent", **_box(extent)), about.srid)
    root.append(_canvas(extent, about.srid))
    ET.indent(root, space=" ")
    return (b"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + ET.tostring(root, encoding="utf-8"))


def _spatialrefsys(parent: ET.Element, srid: int) -> None:
    crs = CRS.from_epsg(srid)
    srs = _sub(parent, "spatialrefsys")
    _sub(srs, "wkt", crs.to_wkt())
    _sub(srs, "srid", str(srid))
    _sub(srs, "authid", f"EPSG:{srid}")
    _sub(srs, "description", crs.name)
    _sub(srs, "geographicflag", "true" if crs.is_geographic else "false")


def layer_id(name: str) -> str:
    """A layer's id in the project: QGIS 3.22 ignores an id of 10 characters or fewer
    (and makes a new one, which the layer tree and the themes do not know)."""
    return f"smultron_{name}"


def _source(about: About, name: str) -> str:
    return f"./{about.file_name}|layername={name}"


def _grouped(present: list[str]) -> list[tuple[object, list[str]]]:
    return [(title, [n for n in names if n in present]) for title, names in GROUPS
            if any(n in present for n in names)]


def _layer_tree(layers: list[tuple[str, str, str]], about: About) -> ET.Element:
    titles = {name: title for name, title, _kind in layers}
    tree = ET.Element("layer-tree-group")
    for group_title, names in _grouped(list(titles)):
        group = _sub(tree, "layer-tree-group", name=about.t(group_title),
                     checked="Qt::Checked", expanded="1")
        for name in names:
            checked = "Qt::Unchecked" if name in HIDDEN_AT_START else "Qt::Checked"
            _sub(group, "layer-tree-layer", id=layer_id(name), name=titles[name],
                 providerKey="ogr",
                 source=_source(about, name), checked=checked, expanded="1")
    return tree


def _map_layer(name: str, title: str, kind: str, about: About, parts: FileParts) -> ET.Element:
    style = _own_xml(parts.styles[name])
    layer = ET.Element("maplayer", {"type": "vector", "geometry": _geometry(kind),
                                    "labelsEnabled": style.get("labelsEnabled", "0")})
    _sub(layer, "id", layer_id(name))
    _sub(layer, "datasource", _source(about, name))
    _sub(layer, "layername", title)
    _spatialrefsys(_sub(layer, "srs"), about.srid)
    if name in parts.metadata:
        metadata = _own_xml(parts.metadata[name])
        metadata.tag = "resourceMetadata"
        layer.append(metadata)
    _sub(layer, "provider", "ogr", encoding="UTF-8")
    layer.append(_style_manager(name, style, about.t))
    layer.extend(copy.deepcopy(list(style)))
    return layer


def _own_xml(text: str) -> ET.Element:
    """A document this export has just written itself (styles.py's QML, gpkg.py's
    metadata): every text in it was escaped there, so it declares no entities."""
    return ET.fromstring(text)  # noqa: S314 - our own output, see above


def _geometry(ogr_type: str) -> str:
    return {"Point": "Point", "LineString": "Line", "Polygon": "Polygon",
            "None": "No geometry"}.get(ogr_type.removeprefix("Multi"), "Unknown")


def _style_manager(name: str, style: ET.Element, t) -> ET.Element:
    """The default style (the layer's own XML) and, for a place layer with a categorised
    renderer, one style per filtering theme."""
    manager = ET.Element("map-layer-style-manager", current="default")
    _sub(manager, "map-layer-style", name="default")
    renderer = style.find("renderer-v2")
    if name not in PLACE_LAYERS or renderer is None or renderer.get("type") != "categorizedSymbol":
        return manager
    for theme in THEMES:
        if theme.filter is None:
            continue
        themed = copy.deepcopy(style)
        themed.remove(themed.find("renderer-v2"))
        themed.insert(0, filtered_renderer(renderer, theme.filter, t(theme.name)))
        _sub(manager, "map-layer-style", name=t(theme.name)).append(themed)
    return manager


def _quoted_field(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def filtered_renderer(categorized: ET.Element, expression: str, label: str) -> ET.Element:
    """A rule-based renderer: one rule ``expression`` (shown as ``label`` in the legend)
    holding a rule per category of ``categorized``, with its symbols."""
    renderer = ET.Element("renderer-v2", type="RuleRenderer", symbollevels="0",
                          enableorderby="0", forceraster="0")
    parent = _sub(_sub(renderer, "rules"), "rule", filter=expression, label=label)
    field_name = _quoted_field(categorized.get("attr", ""))
    for category in categorized.find("categories"):
        _sub(parent, "rule", symbol=category.get("symbol"), label=category.get("label"),
             filter=f"{field_name} = {_literal(category.get('value', ''))}")
    renderer.append(copy.deepcopy(categorized.find("symbols")))
    return renderer


def _themes(present: list[str], t) -> ET.Element:
    presets = ET.Element("visibility-presets")
    groups = [t(title) for title, _names in _grouped(present)]
    for theme in THEMES:
        name = t(theme.name)
        preset = _sub(presets, "visibility-preset", name=name, **{
            "has-expanded-info": "1", "has-checked-group-info": "1"})
        for layer in present:
            if layer in theme.shows:
                styled = theme.filter is not None and layer in PLACE_LAYERS
                _sub(preset, "layer", id=layer_id(layer), visible="1", expanded="1",
                     style=name if styled else "default")
        checked = _sub(preset, "checked-group-nodes")
        expanded = _sub(preset, "expanded-group-nodes")
        for group in groups:
            _sub(checked, "checked-group-node", id=group)
            _sub(expanded, "expanded-group-node", id=group)
    return presets


def relation_id(parent: str) -> str:
    return f"smultron_photos_of_{parent}"


def _relations(present: list[str], t) -> ET.Element:
    """The photos' relation to each place layer (QGIS shows a place's photos in its form,
    the photos' own form showing the picture)."""
    relations = ET.Element("relations")
    if PHOTOS not in present:
        return relations
    for parent in (name for name in PHOTO_PARENTS if name in present):
        relation = _sub(relations, "relation", id=relation_id(parent),
                        name=t(M("Photos of the place")), strength="Association",
                        referencingLayer=layer_id(PHOTOS), referencedLayer=layer_id(parent))
        _sub(relation, "fieldRef", referencingField="place_id", referencedField="place_id")
    return relations


def texts(about: About) -> dict[str, str]:
    """The project variables the layout's labels show."""
    t = about.t
    return {
        "smultron_title": t(M("Children's favourite places")),
        "smultron_subtitle": t(M("Filters: %(filters)s. Exported %(day)s.",
                                 filters=t(about.filters), day=about.day)),
        "smultron_source": t(M("Source: %(source)s, %(day)s. Coordinate system: "
                               "EPSG:%(srid)d.", source=about.source, day=about.day,
                               srid=about.srid)),
        "smultron_note": t(M(
            "No child is stored as a person: a place says how many children of which age "
            "group chose it. Density hexagons resting on fewer than %(threshold)d children "
            "are left out, so that no small group can be singled out.",
            threshold=about.threshold)),
    }


def _properties(about: About) -> ET.Element:
    properties = ET.Element("properties")
    _sub(_sub(properties, "Paths"), "Absolute", "false", type="bool")
    _sub(_sub(properties, "Measure"), "Ellipsoid", ELLIPSOID, type="QString")
    _sub(_sub(properties, "SpatialRefSys"), "ProjectionsEnabled", "1", type="int")
    variables = _sub(properties, "Variables")
    names = _sub(variables, "variableNames", type="QStringList")
    values = _sub(variables, "variableValues", type="QStringList")
    for key, value in texts(about).items():
        _sub(names, "value", key)
        _sub(values, "value", value)
    return properties


def _project_metadata(about: About) -> ET.Element:
    metadata = ET.Element("projectMetadata")
    values = texts(about)
    _sub(metadata, "identifier", PROJECT_NAME)
    _sub(metadata, "language", about.lang)
    _sub(metadata, "type", "project")
    _sub(metadata, "title", values["smultron_title"])
    _sub(metadata, "abstract", "\n".join(
        values[k] for k in ("smultron_subtitle", "smultron_source", "smultron_note")))
    _sub(metadata, "author", about.source)
    _sub(metadata, "creation", datetime.fromisoformat(about.exported_at)
         .replace(tzinfo=None).isoformat(timespec="seconds"))
    return metadata


# --- the map's extent -------------------------------------------------------------------

def map_extent(data: tuple[float, float, float, float] | None,
               srid: int) -> tuple[float, float, float, float]:
    """The data's extent with a margin, widened to the layout map's proportions (the
    CRS's area of use when the export has no features)."""
    if data is None:
        data = _area_of_use(srid)
    xmin, ymin, xmax, ymax = data
    margin = 0.08 * max(xmax - xmin, ymax - ymin) or (0.005 if srid == 4326 else 500.0)
    xmin, ymin, xmax, ymax = xmin - margin, ymin - margin, xmax + margin, ymax + margin
    ratio = MAP_BOX[2] / MAP_BOX[3]
    width, height = xmax - xmin, ymax - ymin
    if width / height < ratio:
        grow = (height * ratio - width) / 2
        xmin, xmax = xmin - grow, xmax + grow
    else:
        grow = (width / ratio - height) / 2
        ymin, ymax = ymin - grow, ymax + grow
    return xmin, ymin, xmax, ymax


def _area_of_use(srid: int) -> tuple[float, float, float, float]:
    if srid == 4326:
        return 10.0, 55.0, 24.2, 69.1  # Sweden, not the whole world
    west, south, east, north = CRS.from_epsg(srid).area_of_use.bounds
    return Transformer.from_crs(4326, srid, always_xy=True).transform_bounds(
        west, south, east, north)


def _box(extent: tuple[float, float, float, float]) -> dict[str, str]:
    return dict(zip(("xmin", "ymin", "xmax", "ymax"), (f"{v:.6f}" for v in extent),
                    strict=True))


def _canvas(extent, srid: int) -> ET.Element:
    canvas = ET.Element("mapcanvas", name="theMapCanvas", annotationsVisible="1")
    _sub(canvas, "units", "degrees" if srid == 4326 else "meters")
    box = _sub(canvas, "extent")
    for key, value in _box(extent).items():
        _sub(box, key, value)
    _sub(canvas, "rotation", "0")
    _spatialrefsys(_sub(canvas, "destinationsrs"), srid)
    return canvas


# --- the print layout ---------------------------------------------------------------------

LAYOUT_TYPES = {"page": 65638, "map": 65639, "picture": 65640, "label": 65641,
                "legend": 65642, "scalebar": 65646}
NORTH_ARROW = ":/images/north_arrows/layout_default_north_arrow.svg"  # built into QGIS


def _item(parent: ET.Element, kind: str, item_id: str, box, z: int, **attrib) -> ET.Element:
    x, y, width, height = box
    return _sub(parent, "LayoutItem", type=LAYOUT_TYPES[kind], id=item_id,
                uuid=f"{{smultron-{item_id}}}", position=f"{x:g},{y:g},mm",
                positionOnPage=f"{x:g},{y:g},mm", size=f"{width:g},{height:g},mm",
                zValue=z, visibility="1", referencePoint="0", **attrib)


def _label(parent: ET.Element, item_id: str, box, z: int, text: str, size: int,
           bold: bool = False) -> None:
    label = _item(parent, "label", item_id, box, z, labelText=text, htmlState="0",
                  halign="1", valign="32", marginX="0", marginY="0", frame="false",
                  background="false")
    weight = 75 if bold else 50
    _sub(label, "LabelFont", description=f"Sans Serif,{size},-1,5,{weight},0,0,0,0,0",
         style="")
    _sub(label, "FontColor", red="33", green="33", blue="33", alpha="255")


def _layout(about: About, extent) -> ET.Element:
    layout = ET.Element("Layout", name=about.t(M("A3 landscape")), units="mm",
                        printResolution="300", worldFileMap="")
    pages = _sub(layout, "PageCollection")
    _item(pages, "page", "page", (0, 0, *PAGE), 0, frame="false", background="true")
    side = MAP_BOX[0] + MAP_BOX[2] + 8
    _label(layout, "title", (10, 8, 400, 12), 10, "[% @smultron_title %]", 22, bold=True)
    _label(layout, "subtitle", (10, 20, 400, 8), 10, "[% @smultron_subtitle %]", 11)
    the_map = _item(layout, "map", "map", MAP_BOX, 1, frame="true", background="true",
                    keepLayerSet="false", followPreset="false", followPresetName="",
                    drawCanvasItems="true", mapRotation="0", outlineWidthM="0.3,mm")
    _sub(the_map, "Extent", **_box(extent))
    _sub(the_map, "LayerSet")
    right, top = MAP_BOX[0] + MAP_BOX[2], MAP_BOX[1]
    _item(layout, "picture", "north_arrow", (right - 18, top + 4, 14, 20), 5,
          file=NORTH_ARROW, mode="0", northMode="0", northOffset="0", resizeMode="0",
          anchorPoint="0", mapUuid="{smultron-map}", svgFillColor="255,255,255,255",
          svgBorderColor="0,0,0,255", svgBorderWidth="0.2", frame="false",
          background="false")
    _scalebar(layout, about, extent, (MAP_BOX[0] + 5, top + MAP_BOX[3] - 18, 80, 14))
    _legend(layout, about, (side, top, PAGE[0] - side - 10, MAP_BOX[3]))
    _label(layout, "source", (MAP_BOX[0], top + MAP_BOX[3] + 4, MAP_BOX[2], 16), 3,
           "[% @smultron_source %]\n[% @smultron_note %]", 8)
    return layout


LEGEND_FONTS = {"title": (14, 75, 3.0), "group": (11, 75, 2.5), "subgroup": (10, 50, 2.0),
                "symbol": (9, 50, 1.5), "symbolLabel": (9, 50, 1.5)}  # pt, weight, margin


def _legend(layout: ET.Element, about: About, box) -> None:
    """The legend of what the map shows (filtered by the map's content), in fonts small
    enough for three place layers of ten categories each."""
    legend = _item(layout, "legend", "legend", box, 2, map_uuid="{smultron-map}",
                   title=about.t(M("Legend")), legendFilterByMap="1", resizeToContents="1",
                   columnCount="1", symbolWidth="6", symbolHeight="3.5", frame="false",
                   background="true")
    styles = _sub(legend, "styles")
    for name, (size, weight, margin) in LEGEND_FONTS.items():
        side = "marginBottom" if name == "title" else "marginTop"
        style = _sub(styles, "style", name=name, alignment="1", indent="0", **{side: margin})
        if name == "symbolLabel":
            style.set("marginLeft", "2")
        _sub(style, "styleFont", style="",
             description=f"Sans Serif,{size},-1,5,{weight},0,0,0,0,0")


def _scalebar(layout: ET.Element, about: About, extent, box) -> None:
    width_m = extent[2] - extent[0]
    if about.srid == 4326:
        width_m *= 111_320 * 0.38  # a degree of longitude at 67.5° N, roughly
    units = ("kilometers", "km") if width_m > 8000 else ("meters", "m")
    bar = _item(layout, "scalebar", "scale_bar", box, 4, mapUuid="{smultron-map}",
          style="Single Box", unitType=units[0], unitLabel=units[1], numSegments="2",
          numSegmentsLeft="0", numSubdivisions="1", numUnitsPerSegment="1",
          segmentSizeMode="1", minBarWidth="30", maxBarWidth="70", height="3",
          numMapUnitsPerScaleBarUnit="1",
          alignment="0", labelBarSpace="3", boxContentSpace="1", frame="false",
          background="true")
    _sub(bar, "text-style", fontFamily="Sans Serif", fontSize="9", fontSizeUnit="Point",
         textColor="33,33,33,255", textOpacity="1", fontWeight="50", namedStyle="")
