// Drawing a plan area: the leaflet-geoman polygon goes into the GeoJSON text box, which can
// also be typed or pasted (keyboard users); the server validates whatever arrives.
const element = document.getElementById("plan-draw-map");
const field = document.getElementById("plan-geojson");
if (element && field && window.L) {
  const config = JSON.parse(element.dataset.config || "{}");
  const map = L.map(element, { keyboard: true }).setView([67.855, 20.225], 11);
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  let drawn = null;
  const show = (geojson) => {
    if (drawn) map.removeLayer(drawn);
    drawn = L.geoJSON(geojson).addTo(map);
    map.fitBounds(drawn.getBounds(), { padding: [10, 10] });
  };
  if (map.pm) {
    map.pm.addControls({
      position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false,
      drawCircle: false, drawText: false, cutPolygon: false, rotateMode: false,
      editMode: false, dragMode: false, removalMode: false,
    });
    // geoman's buttons carry their name only as the parent's title: give the links a name
    for (const link of element.querySelectorAll(".leaflet-buttons-control-button")) {
      const title = link.closest("[title]")?.getAttribute("title");
      if (title) link.setAttribute("aria-label", title);
    }
    map.on("pm:create", (event) => {
      if (drawn) map.removeLayer(drawn);
      drawn = event.layer;
      field.value = JSON.stringify(event.layer.toGeoJSON().geometry);
    });
  }
  field.addEventListener("change", () => {
    try { show(JSON.parse(field.value)); } catch (error) { /* the server explains */ }
  });
}
