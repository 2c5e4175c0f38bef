// Drawing a plan area: the polygon goes into the GeoJSON text box (shared/polygon-field.js),
// over the preschools and their neighbourhoods (shared/orientation.js). A repaired area
// waiting for the planner's check (``review`` in the page's config) is drawn on its own map.
import { createMap } from "../shared/background.js";
import { orientation } from "../shared/orientation.js";
import { pageConfig } from "../shared/page-config.js";
import { polygonField } from "../shared/polygon-field.js";

function baseMap(element, config) {
  const map = createMap(element, config.tiles, { keyboard: true });
  if (config.bounds) map.fitBounds(config.bounds);
  else map.setView([62.5, 16.5], 5);
  orientation(map, config.orientation);
  return map;
}

function drawingMap(element, field, config) {
  polygonField(baseMap(element, config), element, field);
  element.dataset.ready = "true";
}

function reviewMap(element, config) {
  const map = baseMap(element, config);
  const repaired = L.geoJSON(config.review, {
    style: { color: "#b71c1c", weight: 2, fillOpacity: 0.15 },
  }).addTo(map);
  map.fitBounds(repaired.getBounds().pad(0.2));
  element.dataset.ready = "true";
  document.getElementById("plan-review-h")?.focus();
}

function start() {
  const config = pageConfig();
  const element = document.getElementById("plan-draw-map");
  const field = document.getElementById("plan-geojson");
  if (element && field) drawingMap(element, field, config);
  const review = document.getElementById("plan-review-map");
  if (review && config.review) reviewMap(review, config);
}

if (window.L) start();
