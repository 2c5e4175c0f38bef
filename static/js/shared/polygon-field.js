// A polygon drawn on a Leaflet map (leaflet-geoman) kept in a GeoJSON text field, which
// can also be typed or pasted (keyboard users); the server validates whatever arrives.
// Used by the planner's plan areas and the reports' districts.
import { readPolygons } from "./geojson.js";
import { geomanLanguage } from "./geoman-lang.js";

const HIDDEN_TOOLS = {
  position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false,
  drawCircle: false, drawText: false, cutPolygon: false, rotateMode: false,
  editMode: false, dragMode: false, removalMode: false,
};

// geoman's buttons carry their name only as the parent's title: give the links a name.
function nameTheButtons(element) {
  for (const link of element.querySelectorAll(".leaflet-buttons-control-button")) {
    const title = link.closest("[title]")?.getAttribute("title");
    if (title) link.setAttribute("aria-label", title);
  }
}

// Wires ``map`` (in ``element``) and ``field`` together; ``onPolygon`` runs whenever the
// field gets a polygon (drawn, or typed as GeoJSON polygons). What is not drawn is
// explained by the server when the form is sent.
export function polygonField(map, element, field, onPolygon = null) {
  let drawn = null;
  const show = (geojson) => {
    if (drawn) map.removeLayer(drawn);
    drawn = L.geoJSON(geojson).addTo(map);
    map.fitBounds(drawn.getBounds(), { padding: [10, 10] });
  };
  const typed = readPolygons(field.value);
  if (typed) show(typed);
  if (map.pm) {
    geomanLanguage(map);
    map.pm.addControls(HIDDEN_TOOLS);
    nameTheButtons(element);
    map.on("pm:create", (event) => {
      if (drawn) map.removeLayer(drawn);
      drawn = event.layer;
      field.value = JSON.stringify(event.layer.toGeoJSON().geometry);
      onPolygon?.();
    });
  }
  field.addEventListener("change", () => {
    const polygons = readPolygons(field.value);
    if (!polygons) return;
    show(polygons);
    onPolygon?.();
  });
}
