// The preschools and their neighbourhoods on a Leaflet map, to orient by (the planner's
// and the reports' drawing maps, the plan page, /tiles/map). The data is JSON from
// /tiles/preschools.json for the map's view; names are set as text, never as HTML.
//
//   import { orientation } from "../shared/orientation.js";
//   orientation(map, pageConfig().orientation);
import { HttpError, Offline, getJson } from "./http.js";

const MIN_ZOOM = 9; // farther out, a dot per preschool says little
const PERMANENT_LABELS = 25; // at most this many preschools in view: names always shown
const COLOUR = "#37474f";

function textNode(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span;
}

function legendControl(L) {
  const control = L.control({ position: "bottomleft" });
  control.onAdd = () => {
    const box = L.DomUtil.create("div", "orientation-legend");
    Object.assign(box.style, {
      background: "#ffffff", color: "#1a1a1a", padding: "2px 6px", maxWidth: "16rem",
      fontSize: "0.8rem", borderRadius: "4px", boxShadow: "0 1px 3px rgba(0,0,0,0.4)",
    });
    box.hidden = true;
    return box;
  };
  return control;
}

function draw(L, group, data) {
  const preschools = data.features.filter((f) => f.properties.kind === "preschool").length;
  const permanent = preschools <= PERMANENT_LABELS;
  group.clearLayers();
  L.geoJSON(data, {
    pane: "orientation",
    interactive: false,
    style: { color: COLOUR, weight: 1.5, dashArray: "5 5", fill: false },
    pointToLayer: (_feature, latlng) => L.circleMarker(latlng, {
      pane: "orientation", radius: 5, color: "#ffffff", weight: 2, fillColor: COLOUR,
      fillOpacity: 1, interactive: false,
    }),
    onEachFeature: (feature, layer) => {
      if (feature.properties.kind !== "preschool") return;
      layer.bindTooltip(textNode(feature.properties.name), {
        permanent, direction: "top", offset: [0, -6], className: "orientation-label",
      });
    },
  }).addTo(group);
}

export function orientation(map, url) {
  const L = window.L;
  if (!url || !L) return null;
  if (!map.getPane("orientation")) {
    map.createPane("orientation").style.zIndex = 350; // under what is drawn (400)
  }
  const group = L.layerGroup().addTo(map);
  const legend = legendControl(L).addTo(map);
  let pending = null;

  async function load() {
    if (pending) pending.abort();
    if (map.getZoom() < MIN_ZOOM) {
      group.clearLayers();
      return;
    }
    pending = new AbortController();
    const bounds = map.getBounds();
    const bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map((v, i) => Math.max(i % 2 ? -90 : -180, Math.min(i % 2 ? 90 : 180, v)).toFixed(5));
    let data;
    try {
      data = await getJson(`${url}?${new URLSearchParams({ bbox: bbox.join(",") })}`, { signal: pending.signal });
    } catch (error) {
      if (error.name === "AbortError") return; // the map moved on: a newer request runs
      if (!(error instanceof HttpError || error instanceof Offline)) throw error;
      // only an aid to orient by: the map works without it (and tries at the next move)
      console.warn("The preschools to orient by could not be loaded:", error.message);
      return;
    }
    draw(L, group, data);
    const box = legend.getContainer();
    box.textContent = [data.labels.legend, data.truncated ? data.labels.more : ""].join(" ").trim();
    box.hidden = false;
    map.getContainer().dataset.orientation = String(data.features.length / 2);
  }

  map.on("moveend", load);
  map.whenReady(load);
  return group;
}
