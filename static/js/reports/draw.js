// The report form: draw a district on a Leaflet map (leaflet-geoman); the polygon goes
// into the GeoJSON text field, which can also be typed or pasted (keyboard users).
const element = document.getElementById("draw-map");
const field = document.getElementById("area");
const areaRadio = document.querySelector('input[name="scope"][value="area"]');
if (element && field && window.L) {
  const map = L.map(element).setView([62.0, 16.0], 5);
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { attribution: element.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  let drawn = null;
  // a view to start from: the municipality's preschools when the page names them
  const start = element.dataset.bounds ? JSON.parse(element.dataset.bounds) : null;
  if (start) map.fitBounds(start, { padding: [10, 10] });
  const show = (geojson) => {
    if (drawn) map.removeLayer(drawn);
    drawn = L.geoJSON(geojson).addTo(map);
    map.fitBounds(drawn.getBounds(), { padding: [10, 10] });
  };
  try {
    if (field.value.trim()) show(JSON.parse(field.value));
  } catch (error) { /* the server explains a broken polygon */ }
  if (map.pm) {
    map.pm.addControls({ position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false,
      drawCircle: false, drawText: false, cutPolygon: false, rotateMode: false, editMode: false, dragMode: false });
    // geoman's buttons carry their name only as the parent's title: give the links a name
    for (const link of element.querySelectorAll(".leaflet-buttons-control-button")) {
      const title = link.closest("[title]")?.getAttribute("title");
      if (title) link.setAttribute("aria-label", title);
    }
    map.on("pm:create", (event) => {
      if (drawn) map.removeLayer(drawn);
      drawn = event.layer;
      field.value = JSON.stringify(event.layer.toGeoJSON().geometry);
      if (areaRadio) areaRadio.checked = true;
    });
  }
  field.addEventListener("change", () => {
    try { show(JSON.parse(field.value)); if (areaRadio) areaRadio.checked = true; } catch (error) { /* shown on submit */ }
  });
}
