// The report map, drawn from ``map`` in the page's config (shared/page-config.js) with the
// vendored Leaflet and leaflet.heat. Every name and label is data: tooltips get DOM nodes
// whose text is set with textContent, and the layer control gets escaped text. Nothing
// from the data becomes HTML or code.
import { backgroundChoices, backgroundLayer, NONE, rememberBackground, startingBackground } from "../shared/background.js";
import { pageConfig } from "../shared/page-config.js";

const SWEDEN = [62.0, 16.0];
const SCARY = "#5b2a86";
const PLAN = "#1a56c4";

// A DOM node holding ``text`` as text.
function textNode(text, className = "") {
  const node = document.createElement("span");
  if (className) node.className = className;
  node.textContent = text;
  return node;
}

// Leaflet's layer control writes a layer's name as HTML: give it the text escaped.
function escaped(text) {
  return textNode(text).outerHTML;
}

// One GeoJSON layer of hexagons; each one's tooltip is its label, as text.
function hexagons(cells, style, renderer) {
  const features = cells.map((cell) => ({ type: "Feature", geometry: cell.geometry, properties: cell }));
  return L.geoJSON(features, {
    renderer,
    style: (feature) => style(feature.properties),
    onEachFeature: (feature, layer) => layer.bindTooltip(() => textNode(feature.properties.label)),
  });
}

function preschools(data, renderer) {
  const style = { renderer, radius: 6, color: "#1d1d1f", weight: 2, fillColor: "#ffffff", fillOpacity: 1 };
  const group = L.featureGroup();
  for (const school of data.named) {
    L.circleMarker([school.lat, school.lon], style)
      .bindTooltip(() => textNode(school.name))
      .addTo(group);
  }
  for (const point of data.points) {
    L.circleMarker(point, { ...style, radius: 3, weight: 1, interactive: false }).addTo(group);
  }
  return group;
}

function clusters(items) {
  const group = L.featureGroup();
  for (const cluster of items) {
    const icon = L.divIcon({
      html: textNode(String(cluster.rank), "report-cluster-number"),
      className: "report-cluster", iconSize: [26, 26], iconAnchor: [13, 13],
    });
    L.marker([cluster.lat, cluster.lon], { icon })
      .bindTooltip(() => textNode(cluster.label))
      .addTo(group);
  }
  return group;
}

function outline(geometry) {
  const style = { color: "#1d1d1f", weight: 2, fill: false, dashArray: "2 4" };
  return L.geoJSON(geometry || [], { style, interactive: false });
}

function plans(items) {
  const group = L.featureGroup();
  for (const plan of items) {
    L.geoJSON(plan.geometry, { style: { color: PLAN, weight: 2, fillOpacity: 0.05, dashArray: "6 4" } })
      .bindTooltip(() => textNode(plan.name))
      .addTo(group);
  }
  return group;
}

// The background maps as the layer control's choices (and "none"), the one chosen on this
// device on the map; a change is remembered for every map (shared/background.js).
function backgrounds(map, tiles) {
  const choices = backgroundChoices(tiles);
  const bases = {};
  if (!choices.length) return bases;
  const start = startingBackground(choices);
  const names = new Map();
  for (const choice of choices) {
    const layer = backgroundLayer(choice);
    names.set(layer, choice.name);
    bases[escaped(choice.label)] = layer;
    if (choice.name === start) layer.addTo(map);
  }
  const none = L.layerGroup();
  names.set(none, NONE);
  bases[escaped(tiles.strings.none)] = none;
  if (start === NONE) none.addTo(map);
  map.on("baselayerchange", (event) => rememberBackground(names.get(event.layer)));
  return bases;
}

// Draws ``data`` (the report's map data) into ``element``; returns the Leaflet map.
export function drawReportMap(element, data) {
  const map = L.map(element, { preferCanvas: true }).setView(SWEDEN, 5);
  // The preschools above the numbered most-loved areas (markers, z-index 600).
  map.createPane("preschools").style.zIndex = 620;
  const canvas = L.canvas();
  const bases = backgrounds(map, data.tiles);
  const layers = {};
  Object.assign(layers, {
    heat: L.heatLayer(data.heat, { radius: 18, blur: 14, minOpacity: 0.35, maxZoom: 15 }),
    favourite: hexagons(data.favourite, (cell) => ({
      fillColor: cell.colour, color: "#7f0a1d", weight: 0.6, fillOpacity: 0.7 }), canvas),
    scary: hexagons(data.scary, () => ({
      fillColor: SCARY, color: SCARY, weight: 2, fillOpacity: 0.25, dashArray: "4 3" }), canvas),
    plans: plans(data.plans),
    outline: outline(data.outline),
    clusters: clusters(data.clusters),
    // SVG: a canvas above the markers would take their pointer events
    preschools: preschools(data.preschools, L.svg({ pane: "preschools" })),
  });
  const overlays = {};
  for (const [key, layer] of Object.entries(layers)) {
    overlays[escaped(data.names[key])] = layer;
    if (data.on.includes(key)) layer.addTo(map);
  }
  // open beside the map on a wide screen; a button on a phone, where it would cover the map
  const narrow = window.matchMedia("(max-width: 40rem)").matches;
  L.control.layers(bases, overlays, { collapsed: narrow }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  if (data.bounds) map.fitBounds(data.bounds, { padding: [12, 12] });
  element.dataset.ready = "true";
  return map;
}

const element = document.getElementById("report-map");
const data = pageConfig().map;
if (element && data && window.L) drawReportMap(element, data);
