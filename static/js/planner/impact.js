// The plan-impact map: the plan area, the places (filled = inside, ring = near), coloured
// by category, over the preschools and their neighbourhoods. The same places are listed
// in the table below. Category names are set as text (a DOM node), never as HTML.
import { createMap } from "../shared/background.js";
import { orientation } from "../shared/orientation.js";
import { pageConfig } from "../shared/page-config.js";

function textNode(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span;
}

function impactMap(element, config) {
  const map = createMap(element, config.tiles, { keyboard: true });
  const planLayer = L.geoJSON(config.plan, { style: { color: "#b71c1c", weight: 2, fillOpacity: 0.08 } });
  map.fitBounds(planLayer.getBounds().pad(0.3));  // a view first: vectors need one
  planLayer.addTo(map);
  orientation(map, config.orientation);
  for (const place of config.places || []) {
    const [lon, lat] = place.geometry.coordinates;
    const inside = place.relation === "inside";
    L.circleMarker([lat, lon], {
      radius: 7, color: place.colour, weight: inside ? 1 : 3,
      fillColor: place.colour, fillOpacity: inside ? 0.9 : 0.1,
    }).bindTooltip(textNode(place.label)).addTo(map);
  }
  element.dataset.ready = "true";
}

const element = document.getElementById("impact-map");
if (element && window.L) impactMap(element, pageConfig());
