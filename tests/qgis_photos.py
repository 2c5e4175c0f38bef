"""Run by Debian's /usr/bin/python3 (PyQGIS, QGIS 3.22), not by pytest: open the project
``Smultron`` stored in the GeoPackage ``argv[1]`` as QGIS does and print, as JSON, what a
planner sees of the photos: the ``place_photos`` layer, its relations to the place layers,
the photos of the place ``argv[2]`` read back as images, and the photos' form rendered for
the first of them (its HTML widget, in QGIS's own WebKit view).

    python3 tests/qgis_photos.py FILE.gpkg PLACE_ID
"""

import json
import os
import sys
import time

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from qgis.core import (  # noqa: E402 - QT_QPA_PLATFORM first
    QgsApplication,
    QgsAttributeEditorContainer,
    QgsAttributeEditorElement,
    QgsAttributeEditorHtmlElement,
    QgsProject,
)
from qgis.gui import QgsAttributeEditorContext, QgsHtmlWidgetWrapper  # noqa: E402
from qgis.PyQt import sip  # noqa: E402
from qgis.PyQt.QtCore import QByteArray  # noqa: E402
from qgis.PyQt.QtGui import QImage  # noqa: E402
from qgis.PyQt.QtWebKitWidgets import QWebView  # noqa: E402

IMAGE_SHOWN = "(function () { var i = document.getElementById('photo');" \
              " return i && i.complete ? i.naturalWidth + 'x' + i.naturalHeight : ''; })()"


def html_elements(container) -> list:
    """The form's HTML widgets (sip hands them out as the base class: cast by type)."""
    found = []
    for child in container.children():
        if child.type() == QgsAttributeEditorElement.AeTypeHtmlElement:
            found.append(sip.cast(child, QgsAttributeEditorHtmlElement))
        elif child.type() == QgsAttributeEditorElement.AeTypeContainer:
            found += html_elements(sip.cast(child, QgsAttributeEditorContainer))
    return found


def shown_in_form(layer, feature, html: str) -> str:
    """The photo's size as the form's HTML widget shows it ('' if it shows no image)."""
    wrapper = QgsHtmlWidgetWrapper(layer, None, None)
    wrapper.setHtmlCode(html)
    wrapper.setContext(QgsAttributeEditorContext())
    view = wrapper.widget()
    if not view.inherits("QWebView"):  # a QGIS built without WebKit shows no HTML widget
        return f"no WebKit: {view.metaObject().className()}"
    view = sip.cast(view, QWebView)
    wrapper.setFeature(feature)
    frame = view.page().mainFrame()
    deadline = time.monotonic() + 20
    shown = ""
    while not shown and time.monotonic() < deadline:
        QgsApplication.processEvents()
        shown = frame.evaluateJavaScript(IMAGE_SHOWN) or ""
        time.sleep(0.05)
    return shown


def day(value) -> str | None:
    """A date attribute as ISO text (None for NULL, which PyQGIS hands out as a QVariant)."""
    return value.toString("yyyy-MM-dd") if hasattr(value, "toString") else None


def photos_of(layer, relation, parent_id: str) -> list[dict]:
    parents = relation.referencedLayer()
    parent = next(f for f in parents.getFeatures() if f["place_id"] == parent_id)
    out = []
    for feature in relation.getRelatedFeatures(parent):
        blob = feature["photo"]
        image = QImage()
        loaded = image.loadFromData(QByteArray(blob), "JPEG")
        out.append({"photo_id": feature["photo_id"], "taken_on": day(feature["taken_on"]),
                    "image": [image.width(), image.height()] if loaded else None,
                    "bytes": len(blob)})
    return out


def main() -> None:
    app = QgsApplication([], True)  # noqa: F841 - widgets: the form's HTML view
    app.initQgis()
    project = QgsProject.instance()
    read = project.read(f"geopackage:{sys.argv[1]}?projectName=Smultron")
    layer = project.mapLayer("smultron_place_photos")
    result = {"read": read, "layer": None}
    if layer is not None:
        config = layer.editFormConfig()
        htmls = html_elements(config.invisibleRootContainer())
        result["layer"] = {"valid": layer.isValid(), "features": layer.featureCount(),
                           "spatial": layer.isSpatial(), "name": layer.name(),
                           "form_layout": int(config.layout()),
                           "photo_widget": layer.editorWidgetSetup(
                               layer.fields().indexOf("photo")).type(),
                           "html_widgets": len(htmls)}
        relations = project.relationManager().referencingRelations(layer)
        result["relations"] = {r.id(): {"valid": r.isValid(),
                                        "parent": r.referencedLayerId(),
                                        "fields": [list(pair) for pair in
                                                   r.fieldPairs().items()]}
                               for r in relations}
        points = next(r for r in relations
                      if r.referencedLayerId() == "smultron_places_points")
        result["photos"] = photos_of(layer, points, sys.argv[2])
        first = next(iter(points.getRelatedFeatures(next(
            f for f in points.referencedLayer().getFeatures()
            if f["place_id"] == sys.argv[2]))), None)
        if first is not None and htmls:
            result["form_shows"] = shown_in_form(layer, first, htmls[0].htmlCode())
    print(json.dumps(result), flush=True)
    os._exit(0)  # QGIS 3.22 can crash while tearing down offscreen; the answer is out


if __name__ == "__main__":
    main()
