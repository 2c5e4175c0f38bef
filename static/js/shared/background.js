// The background of every map: the operator's background maps (smultron/web/basemaps.py
// ``choices()``: ``{url, attribution, choices: [{name, label, kind, url, attribution,
// min_zoom, max_zoom}], strings}``), all served through /basemap/ on this site. The
// person's choice (a map, an aerial photo, none) is remembered on the device for every
// map, and for "Keep the map for offline use". An empty list: no background, no request.
// Every Leaflet map of the app is made by createMap() below, when its page starts.
const REMEMBERED = 'smultron.basemap';
export const NONE = 'none';
let pickers = 0;

// Storage the browser refuses (private mode, blocked site data, full): the choice is
// not remembered, and a map starts with the default.
function refused(error) {
  if (!['SecurityError', 'QuotaExceededError'].includes(error.name)) throw error;
  console.warn('The background map chosen is not remembered on this device:', error.message);
}

export function rememberedBackground() {
  try {
    return localStorage.getItem(REMEMBERED);
  } catch (error) {
    refused(error);
    return null;
  }
}

export function rememberBackground(name) {
  try {
    localStorage.setItem(REMEMBERED, name);
  } catch (error) {
    refused(error);
  }
}

// The choices of ``tiles``; an older page config with only ``{url, attribution}`` is one.
export function backgroundChoices(tiles) {
  if (tiles?.choices) return tiles.choices;
  if (!tiles?.url) return [];
  return [{ name: 'default', label: '', url: tiles.url, attribution: tiles.attribution || '', min_zoom: 0, max_zoom: 19 }];
}

// The name to start with: the remembered one when it is still offered, else the default.
export function startingBackground(choices) {
  const name = rememberedBackground();
  if (name === NONE || choices.some((choice) => choice.name === name)) return name;
  return choices[0]?.name ?? NONE;
}

// The attribution is the operator's text; Leaflet shows it as HTML, so it is escaped.
function escaped(text) {
  const span = document.createElement('span');
  span.textContent = text || '';
  return span.innerHTML;
}

// The Leaflet layer of one choice (tiles at its own zoom levels, enlarged beyond them).
export function backgroundLayer(choice) {
  return L.tileLayer(choice.url, {
    attribution: escaped(choice.attribution),
    minNativeZoom: choice.min_zoom ?? 0,
    maxNativeZoom: choice.max_zoom ?? 19,
    maxZoom: 19,
  });
}

function radio(group, value, text, checked, onPick) {
  const label = document.createElement('label');
  const input = document.createElement('input');
  Object.assign(input, { type: 'radio', name: group, value, checked });
  input.addEventListener('change', () => onPick(value));
  const span = document.createElement('span');
  span.textContent = text;
  label.append(input, span);
  return label;
}

function picker(map, tiles, choices, current, onPick) {
  const control = L.control({ position: 'topright' });
  control.onAdd = () => {
    const box = document.createElement('details');
    box.className = 'basemap-picker';
    const summary = document.createElement('summary');
    summary.textContent = tiles.strings?.picker || 'Background';
    const fieldset = document.createElement('fieldset');
    const legend = document.createElement('legend');
    legend.className = 'visually-hidden';
    legend.textContent = tiles.strings?.legend || summary.textContent;
    fieldset.append(legend);
    pickers += 1;
    const group = `basemap-${pickers}`;
    for (const choice of choices) {
      fieldset.append(radio(group, choice.name, choice.label, choice.name === current, onPick));
    }
    fieldset.append(radio(group, NONE, tiles.strings?.none || 'None', current === NONE, onPick));
    box.append(summary, fieldset);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  control.addTo(map);
  return control;
}

// Leaflet's own words on every map in the page's language (tiles.strings): the zoom
// buttons' names and the title of the attribution's Leaflet link.
function controlsLanguage(map, strings) {
  if (!strings) return;
  if (map.zoomControl && strings.zoom_in) {
    const { position } = map.zoomControl.options;
    map.removeControl(map.zoomControl);
    map.zoomControl = L.control
      .zoom({ position, zoomInTitle: strings.zoom_in, zoomOutTitle: strings.zoom_out })
      .addTo(map);
  }
  if (map.attributionControl && strings.leaflet) {
    const link = document.createElement('a');
    link.href = 'https://leafletjs.com';
    link.title = strings.leaflet; // an attribute set as text: outerHTML escapes it
    link.textContent = 'Leaflet';
    map.attributionControl.setPrefix(link.outerHTML);
  }
}

// Puts the background on ``map`` with a picker in its corner (``{ picker: false }``: none,
// e.g. where the page has its own layer control). Returns {layers, current, show(name)}.
export function addBackground(map, tiles, { picker: withPicker = true } = {}) {
  controlsLanguage(map, tiles?.strings);
  const choices = backgroundChoices(tiles);
  const layers = new Map(choices.map((choice) => [choice.name, backgroundLayer(choice)]));
  const state = { layers, current: NONE };
  state.show = (name) => {
    for (const layer of layers.values()) layer.remove();
    state.current = layers.has(name) ? name : NONE;
    layers.get(state.current)?.addTo(map);
    map.getContainer().dataset.background = state.current;
  };
  if (!choices.length) return state;
  state.show(startingBackground(choices));
  if (withPicker && tiles.choices) {
    picker(map, tiles, choices, state.current, (name) => {
      state.show(name);
      rememberBackground(name);
    });
  }
  return state;
}

// A map in ``element`` (Leaflet ``options``) over the background ``tiles`` (the page
// config's ``tiles``), with its picker.
export function createMap(element, tiles, options = {}) {
  const map = L.map(element, options);
  addBackground(map, tiles);
  return map;
}
