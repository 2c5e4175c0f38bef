// Drawing a plan area: the polygon goes into the GeoJSON text box (shared/polygon-field.js).
import { polygonField } from "../shared/polygon-field.js";

const element = document.getElementById("plan-draw-map");
const field = document.getElementById("plan-geojson");
if (element && field && window.L) {
  const config = JSON.parse(element.dataset.config || "{}");
  const map = L.map(element, { keyboard: true }).setView([67.855, 20.225], 11);
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  polygonField(map, element, field);
}
