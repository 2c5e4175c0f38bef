"""Run by Debian's /usr/bin/python3 (PyQGIS, QGIS 3.22), not by pytest: open the project
``Smultron`` stored in the GeoPackage ``argv[1]`` as QGIS does, apply each map theme,
export each print layout to ``argv[2]/<layout>.pdf``, and print what was found as JSON.

    python3 tests/qgis_open_project.py FILE.gpkg OUT_FOLDER
"""

import json
import os
import sys

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from qgis.core import (  # noqa: E402 - QT_QPA_PLATFORM first
    QgsApplication,
    QgsExpressionContextUtils,
    QgsLayerTreeModel,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsProject,
    QgsProjectItem,
    QgsRenderContext,
)


def drawn(layer) -> int:
    """How many of the layer's features its current renderer draws."""
    context = QgsRenderContext()
    context.expressionContext().appendScopes(
        QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    renderer = layer.renderer().clone()
    renderer.startRender(context, layer.fields())
    count = 0
    for feature in layer.getFeatures():
        context.expressionContext().setFeature(feature)
        count += bool(renderer.willRenderFeature(feature, context))
    renderer.stopRender(context)
    return count


def layers(project) -> dict:
    return {layer.id(): {
        "name": layer.name(), "valid": layer.isValid(), "source": layer.source(),
        "crs": layer.crs().authid(),
        "renderer": layer.renderer().type() if layer.renderer() else None,
        "styles": layer.styleManager().styles(), "features": layer.featureCount(),
        "metadata_title": layer.metadata().title()}
        for layer in project.mapLayers().values()}


def themes(project) -> dict:
    root = project.layerTreeRoot()
    model = QgsLayerTreeModel(root)
    out = {}
    for name in project.mapThemeCollection().mapThemes():
        project.mapThemeCollection().applyTheme(name, root, model)
        out[name] = {node.layerId(): {"style": node.layer().styleManager().currentStyle(),
                                      "drawn": drawn(node.layer())}
                     for node in root.findLayers() if node.isVisible()}
    return out


KINDS = {QgsLayoutItemMap: "map", QgsLayoutItemLegend: "legend",
         QgsLayoutItemScaleBar: "scale_bar", QgsLayoutItemPicture: "picture",
         QgsLayoutItemLabel: "label"}


def layouts(project, folder: str) -> dict:
    out = {}
    for layout in project.layoutManager().printLayouts():
        page = layout.pageCollection().page(0).pageSize()
        info = {"page_mm": [page.width(), page.height()], "items": {}, "labels": []}
        for item in layout.items():
            kind = next((k for cls, k in KINDS.items() if isinstance(item, cls)), None)
            if kind:
                info["items"][kind] = info["items"].get(kind, 0) + 1
            if kind == "label":
                info["labels"].append(item.currentText())
            if kind == "picture":
                info["picture"] = item.picturePath()
        pdf = os.path.join(folder, f"{layout.name()}.pdf")
        settings = QgsLayoutExporter.PdfExportSettings()
        info["pdf_result"] = QgsLayoutExporter(layout).exportToPdf(pdf, settings)
        info["pdf"] = pdf
        out[layout.name()] = info
    return out


def browser_projects(path: str) -> list[str]:
    """The projects QGIS's browser panel lists under the file (double-click opens one)."""
    found = []
    for provider in QgsApplication.dataItemProviderRegistry().providers():
        item = provider.createDataItem(path, None)
        if item is not None:
            found += [child.name() for child in item.createChildren()
                      if isinstance(child, QgsProjectItem)]
    return found


def main() -> None:
    app = QgsApplication([], False)  # noqa: F841 - must live while QGIS works
    app.initQgis()
    project = QgsProject.instance()
    read = project.read(f"geopackage:{sys.argv[1]}?projectName=Smultron")
    result = {"read": read, "crs": project.crs().authid(), "title": project.title(),
              "layers": layers(project), "browser": browser_projects(sys.argv[1]),
              "tree": [[group.name(), [node.layerId() for node in group.children()]]
                       for group in project.layerTreeRoot().children()]}
    result["layouts"] = layouts(project, sys.argv[2])
    result["themes"] = themes(project)
    print(json.dumps(result), flush=True)
    os._exit(0)  # QGIS 3.22 can crash while tearing down offscreen; the answer is out


if __name__ == "__main__":
    main()
