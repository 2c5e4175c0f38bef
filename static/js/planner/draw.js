// Drawing a plan area: the polygon goes into the GeoJSON text box (shared/polygon-field.js),
// over the preschools and their neighbourhoods (shared/orientation.js). A repaired area
// waiting for the planner's check is drawn on its own map.
import { addBackground } from "../shared/background.js";
import { orientation } from "../shared/orientation.js";
import { polygonField } from "../shared/polygon-field.js";

function baseMap(element) {
  const config = JSON.parse(element.dataset.config || "{}");
  const map = L.map(element, { keyboard: true });
  addBackground(map, config.tiles);
  if (config.bounds) map.fitBounds(config.bounds);
  else map.setView([62.5, 16.5], 5);
  orientation(map, config.orientation);
  return map;
}

const element = document.getElementById("plan-draw-map");
const field = document.getElementById("plan-geojson");
if (element && field && window.L) {
  polygonField(baseMap(element), element, field);
  element.dataset.ready = "true";
}

const review = document.getElementById("plan-review-map");
if (review && window.L) {
  const map = baseMap(review);
  const repaired = L.geoJSON(JSON.parse(review.dataset.plan), {
    style: { color: "#b71c1c", weight: 2, fillOpacity: 0.15 },
  }).addTo(map);
  map.fitBounds(repaired.getBounds().pad(0.2));
  review.dataset.ready = "true";
  document.getElementById("plan-review-h")?.focus();
}
