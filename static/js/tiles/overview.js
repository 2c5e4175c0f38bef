// The overview map: every place the viewer may see, drawn from vector tiles, with a table
// of the largest groups in view (keyboard users move the map from there too).
// data-state on the map element: "loading" while tiles load, "idle" once all are drawn.
import { createMap } from "../shared/background.js";
import { format } from "../shared/format.js";
import { answerDialog } from "./answer.js";
import { orientation } from "../shared/orientation.js";
import { pageConfig } from "../shared/page-config.js";
import { placesLayer } from "./places-layer.js";

const element = document.getElementById("places-map");
const status = document.getElementById("overview-status");
const rows = document.getElementById("overview-rows");
const TABLE_ROWS = 10;

// A count from a tile ("1 234 places" in Swedish, via format); 0 when the tile has none.
const count = (value) => Number(value || 0);

// [how many, what]: a group says how many children chose its places and how many are
// scary; a single place its category and feeling.
function describe(config, found) {
  const p = found.properties;
  if (found.layer === "clusters") {
    return [format(config.labels.places, { n: count(p.count) }),
      format(config.labels.group, { children: count(p.children), scary: count(p.scary) })];
  }
  const category = config.categories[p.category] || p.category;
  const feeling = p.feeling === "scary" ? config.labels.scary : config.labels.favourite;
  return ["1", [category, " (", feeling, ")"].join("")];
}

// A planner's Answer button beside a single place (none for groups or for staff).
function answerCell(item, what, openAnswer, label) {
  const cell = document.createElement("td");
  if (!openAnswer || item.layer === "clusters" || !item.properties.id) return cell;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button small secondary";
  button.textContent = label;
  button.setAttribute("aria-label", `${label}: ${what}`);
  button.addEventListener("click", () => openAnswer(item.properties.id, what, button));
  cell.append(button);
  return cell;
}

function fillTable(map, layer, config, openAnswer) {
  const found = layer.featuresIn(map.getBounds());
  const total = found.reduce((sum, f) => sum + (f.layer === "clusters" ? f.properties.count : 1), 0);
  status.textContent = format(config.labels.in_view, { n: count(total) });
  found.sort((a, b) => (b.properties.count || 1) - (a.properties.count || 1));
  rows.replaceChildren(...found.slice(0, TABLE_ROWS).map((item) => {
    const [count, what] = describe(config, item);
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = count;
    const td = document.createElement("td");
    td.textContent = what;
    const action = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button small";
    button.textContent = item.layer === "clusters" ? config.labels.zoom : config.labels.show;
    button.addEventListener("click", () => {
      map.setView(item.latlng, Math.min(map.getZoom() + (item.layer === "clusters" ? 3 : 0), 19));
      element.focus();
    });
    action.append(button);
    tr.append(th, td, action);
    if (config.answer) tr.append(answerCell(item, what, openAnswer, config.answer.labels.answer));
    return tr;
  }));
}

function overview(config) {
  const map = createMap(element, config.tiles, { keyboard: true, minZoom: 3 });
  const layer = placesLayer(window.L, { url: config.places_tiles, params: config.params });
  const announce = (message) => {
    status.textContent = message;
  };
  const openAnswer = config.answer ? answerDialog(config.answer, announce) : null;
  layer.on("loading", () => {
    element.dataset.state = "loading";
    status.textContent = config.labels.loading;
  });
  layer.on("load", () => {
    element.dataset.state = "idle";
    element.dataset.idleAt = String(performance.now());
    fillTable(map, layer, config, openAnswer);
  });
  layer.on("tileerror", () => {
    status.textContent = config.labels.failed;
  });
  layer.addTo(map);
  orientation(map, config.orientation);
  // A view in the address (#zoom/lat/lon) wins: links to a place, bookmarks, benchmarks.
  const view = /^#(\d+)\/(-?[\d.]+)\/(-?[\d.]+)$/.exec(window.location.hash);
  if (view) map.setView([Number(view[2]), Number(view[3])], Number(view[1]));
  else if (config.bounds) map.fitBounds(config.bounds);
  else map.setView([62.5, 16.5], 5);
  map.on("moveend", () => {
    if (element.dataset.state === "idle") fillTable(map, layer, config, openAnswer);
  });
  window.smultronOverview = { map, layer };
}

if (element && window.L) overview(pageConfig());
