// The open data map (/open): the published hexagons of favourite and of scary places of
// one dataset, read from its GeoJSON download (same site), with the background map through
// /basemap/. data-state on the map element: "loading", then "ready" once drawn.
import { createMap } from "../shared/background.js";
import { pageConfig } from "../shared/page-config.js";

const element = document.getElementById("open-map");

// Darker and more opaque where more children chose the hexagon's places.
function style(colour, most) {
  return (feature) => ({
    color: colour,
    weight: 1,
    fillColor: colour,
    fillOpacity: 0.15 + 0.6 * (feature.properties.children / most),
  });
}

function tooltip(strings, feature) {
  const p = feature.properties;
  return [strings[p.feeling], ": ", p.children, " ", strings.children, ", ", p.places, " ",
    strings.places].join("");
}

function layerOf(config, features, feeling, most) {
  const chosen = features.filter((f) => f.properties.feeling === feeling);
  return L.geoJSON({ type: "FeatureCollection", features: chosen }, {
    style: style(config.colours[feeling], most),
    onEachFeature: (feature, layer) => {
      const text = document.createElement("span");
      text.textContent = tooltip(config.strings, feature);
      layer.bindTooltip(text);
    },
  });
}

async function start() {
  const config = pageConfig();
  if (!element || !config.data) return;
  const map = createMap(element, config.tiles, { keyboard: true });
  const [w, s, e, n] = config.extent || [17.8, 67.0, 23.6, 69.1];
  map.fitBounds([[s, w], [n, e]], { padding: [12, 12] });
  const response = await fetch(config.data, { credentials: "omit" });
  if (!response.ok) {
    element.dataset.state = "failed";
    return;
  }
  const data = await response.json();
  const most = Math.max(1, ...data.features.map((f) => f.properties.children));
  const favourite = L.layerGroup().addTo(map);
  const scary = L.layerGroup().addTo(map);
  const overlays = {};
  overlays[config.strings.favourite] = favourite;
  overlays[config.strings.scary] = scary;
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  const select = document.getElementById("open-category");
  // Only the hexagons where the chosen category alone rests on enough children.
  const draw = () => {
    const code = select ? select.value : "";
    const chosen = data.features.filter((f) => !code || f.properties.categories.split(",").includes(code));
    favourite.clearLayers().addLayer(layerOf(config, chosen, "favourite", most));
    scary.clearLayers().addLayer(layerOf(config, chosen, "scary", most));
    element.dataset.shown = String(chosen.length);
  };
  draw();
  select?.addEventListener("change", draw);
  element.dataset.state = "ready";
}

start();
