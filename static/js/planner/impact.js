// The plan-impact map: the plan area, its buffer ring and the places (filled = inside,
// ring = near), coloured by category. The same places are listed in the table below.
const element = document.getElementById("impact-map");
if (element && window.L) {
  const config = JSON.parse(element.dataset.config || "{}");
  const plan = JSON.parse(element.dataset.plan);
  const places = JSON.parse(element.dataset.places || "[]");
  const map = L.map(element, { keyboard: true });
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  const planLayer = L.geoJSON(plan, { style: { color: "#b71c1c", weight: 2, fillOpacity: 0.08 } });
  map.fitBounds(planLayer.getBounds().pad(0.3));  // a view first: vectors need one
  planLayer.addTo(map);
  for (const place of places) {
    const [lon, lat] = place.geometry.coordinates;
    const inside = place.relation === "inside";
    L.circleMarker([lat, lon], {
      radius: 7, color: place.colour, weight: inside ? 1 : 3,
      fillColor: place.colour, fillOpacity: inside ? 0.9 : 0.1,
    }).bindTooltip(place.label).addTo(map);
  }
  element.dataset.ready = "true";
}
