// The Leaflet map: tiles, the neighbourhood and the preschool, the places (earlier ones
// clustered), popups built from DOM nodes (text stays text), drawing with leaflet-geoman.
/* global L */
import { answerText, category, config, t } from './config.js';
import { kindOf, labelPoint } from './geometry.js';
import { addBackground } from '../shared/background.js';
import { geomanLanguage } from '../shared/geoman-lang.js';

// The map (made by setUpMap) and its layers of places.
export let map = null;
let layers = null;
let preschoolAt = null;

function placeLayers() {
  return {
    earlier: L.markerClusterGroup({
      disableClusteringAtZoom: 18,
      showCoverageOnHover: false,
      iconCreateFunction: (cluster) => L.divIcon({
        html: textNode('span', String(cluster.getChildCount())),
        className: 'cluster-icon',
        iconSize: [48, 48],
      }),
    }),
    shapes: L.featureGroup(),
    session: L.featureGroup(),
  };
}

// Every node with words is built with textContent: nothing shown is parsed as HTML.
function textNode(tag, text, className = '') {
  const element = document.createElement(tag);
  element.textContent = text;
  if (className) element.className = className;
  return element;
}

function image(src, size = 0) {
  const img = document.createElement('img');
  img.src = src;
  img.alt = '';
  if (size) Object.assign(img, { width: size, height: size });
  return img;
}

// The preschool's house, in its own pane above the places and their numbered circles
// (map.css: .leaflet-preschool-pane), below the popups; a pin pointing down at its point
// from just above it, so that a numbered circle there still shows its number.
function addPreschool() {
  map.createPane('preschool');
  L.marker(preschoolAt, {
    icon: L.divIcon({
      className: 'preschool-icon', html: image(config.preschool.pictogram), iconSize: [36, 46], iconAnchor: [18, 56],
    }),
    keyboard: false,
    interactive: false,
    pane: 'preschool',
  }).addTo(map);
}

// Whether a point on the map is (on screen) on the preschool's house.
export function onPreschool(latlng) {
  return map.latLngToContainerPoint(latlng).distanceTo(map.latLngToContainerPoint(preschoolAt)) < 28;
}

// What the markers mean: this session's places, the preschool's earlier ones, the house.
function addLegend() {
  const legend = L.control({ position: 'topleft' });
  legend.onAdd = () => {
    const box = textNode('details', '', 'map-legend');
    box.open = map.getSize().x > 600;
    const list = textNode('ul', '');
    const item = (sample, text) => {
      const li = textNode('li', '');
      li.append(sample, textNode('span', text));
      list.append(li);
    };
    item(textNode('span', '', 'legend-sample mine'), t('legend_mine'));
    item(textNode('span', '', 'legend-sample earlier'), t('legend_earlier'));
    item(image(config.preschool.pictogram, 24), t('legend_preschool'));
    box.append(textNode('summary', t('legend')), list);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  legend.addTo(map);
}

// Makes the map in ``element``: the background, the neighbourhood, the preschool, the
// legend and the (empty) layers of places; returns it (also exported as ``map``).
export function setUpMap(element) {
  map = L.map(element, {
    keyboard: true,
    keyboardPanDelta: 60,
    tapTolerance: 20,
    zoomSnap: 0.5,
    maxZoom: 19, // also without a tile layer (the clusters need it)
  });
  layers = placeLayers();
  const [lon, lat] = config.preschool.location.coordinates;
  preschoolAt = L.latLng(lat, lon);
  // The background chosen on this device (map, aerial photo, none), through /basemap/; no
  // background maps configured (SMULTRON_TILE_URL=""): no layer, no request.
  addBackground(map, config.tiles);
  const area = L.geoJSON(config.preschool.neighbourhood, {
    style: { color: '#b00d28', weight: 3, dashArray: '8 6', fillOpacity: 0.04 },
    interactive: false,
  }).addTo(map);
  addPreschool();
  // The neighbourhood fits above the buttons at the map's foot, so the house starts above
  // the cross, not under it: "Place here" at once does not mark the preschool.
  map.fitBounds(area.getBounds(), { paddingTopLeft: [10, 10], paddingBottomRight: [10, 150] });
  addLegend();
  map.getContainer().setAttribute('aria-label', t('map_label'));
  map.getContainer().setAttribute('role', 'application');
  geomanLanguage(map);
  // leaflet-geoman's vertex and hint markers are for the pointer; keyboard users have the
  // "Add a point at the cross" and "Finish drawing" buttons.
  map.on('layeradd', ({ layer }) => {
    const element = layer.getElement?.();
    if (element?.classList.contains('marker-icon')) {
      element.removeAttribute('role');
      element.setAttribute('tabindex', '-1');
      element.setAttribute('aria-hidden', 'true');
    }
  });
  layers.earlier.addTo(map);
  layers.shapes.addTo(map);
  layers.session.addTo(map);
  return map;
}

function describe(feature) {
  const p = feature.properties;
  const cat = category(p.category);
  const kind = feature.geometry.type === 'Point' ? '' : ` · ${t(`place_kind_${kindOf(feature.geometry)}`)}`;
  return `${cat.label}${kind} (${t(p.feeling)}), ${p.children_count} ${p.children_count === 1 ? t('child') : t('children')}`;
}

function popupContent(entry, actions) {
  const { feature } = entry;
  const p = feature.properties;
  const box = textNode('div', '', 'place-popup');
  box.tabIndex = -1; // "Show on the map" puts the focus here; Escape closes it
  box.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') map.closePopup();
  });
  const title = textNode('h2', `${category(p.category).label} · ${t(`place_kind_${kindOf(feature.geometry)}`)}`);
  const count = `${p.children_count} ${p.children_count === 1 ? t('child') : t('children')}`;
  const facts = textNode('p', `${t(p.feeling)} · ${count} · ${config.season_labels[p.season] || p.season}`);
  box.append(title, facts);
  if (p.comment) box.append(textNode('p', `“${p.comment}”`, 'said'));
  const answer = answerText(p);
  if (answer) box.append(textNode('p', answer, 'planners-answer'));
  if (entry.state !== 'saved') {
    box.append(textNode('p', entry.error || t('waiting'), entry.error ? 'status-failed' : 'status-waiting'));
  }
  const row = textNode('div', '', 'popup-actions');
  for (const [key, handler] of actions(entry)) {
    const button = textNode('button', t(key), 'button');
    button.type = 'button';
    button.addEventListener('click', () => handler(entry, button));
    row.append(button);
  }
  box.append(row);
  return box;
}

// A place's marker: its pictogram in a ring of its category's colour; this session's big
// and outlined, the preschool's earlier ones smaller and greyed (see the legend).
function icon(entry) {
  const p = entry.feature.properties;
  const cat = category(p.category);
  const classes = ['place-icon', p.feeling, entry.mine ? 'mine' : 'earlier'];
  if (entry.state !== 'saved') classes.push(entry.error ? 'refused' : 'pending');
  const ring = textNode('span', '', 'ring');
  ring.style.setProperty('--ring', cat.colour);
  ring.append(image(cat.pictogram));
  const html = textNode('span', '');
  html.append(ring, textNode('span', describe(entry.feature), 'visually-hidden'));
  const size = entry.mine ? 44 : 34;
  return L.divIcon({
    className: classes.join(' '), html, iconSize: [size, size], iconAnchor: [size / 2, size / 2], popupAnchor: [0, -size / 2],
  });
}

function shapeStyle(entry) {
  const { feature, mine } = entry;
  const line = feature.geometry.type === 'LineString';
  return {
    color: category(feature.properties.category).colour,
    weight: (line ? 6 : 3) - (mine ? 0 : 2),
    opacity: mine ? 1 : 0.6,
    fillOpacity: mine ? 0.2 : 0.08,
    dashArray: feature.properties.feeling === 'scary' ? '10 6' : null,
  };
}

// A place on the map; an area or a route also carries its pictogram (``layer.badge``),
// which opens the same popup and is reachable from the keyboard.
function layerFor(entry, actions) {
  const { feature } = entry;
  const content = () => popupContent(entry, actions);
  let layer;
  if (feature.geometry.type === 'Point') {
    const [lon, lat] = feature.geometry.coordinates;
    layer = L.marker([lat, lon], { icon: icon(entry), keyboard: true, riseOnHover: true });
  } else {
    layer = L.geoJSON(feature, { style: shapeStyle(entry) }).getLayers()[0];
    const [lon, lat] = labelPoint(feature.geometry);
    layer.badge = L.marker([lat, lon], { icon: icon(entry), keyboard: true });
    layer.badge.bindPopup(content, { maxWidth: 320 });
  }
  layer.bindPopup(content, { maxWidth: 320 });
  layer.placeId = feature.id;
  return layer;
}

const byId = new Map();

// Draws every entry ({feature, state, error, mine}); mine = of this session.
export function render(entries, actions) {
  for (const group of Object.values(layers)) group.clearLayers();
  byId.clear();
  for (const entry of entries) {
    const layer = layerFor(entry, actions);
    byId.set(entry.feature.id, layer);
    let group = layers.shapes;
    if (entry.mine) group = layers.session;
    else if (entry.feature.geometry.type === 'Point') group = layers.earlier;
    group.addLayer(layer);
    if (layer.badge) group.addLayer(layer.badge);
  }
}

export function layerOf(id) {
  return byId.get(id);
}

// Opens the place's popup (zooming into its numbered circle first); ``then(popup)``.
export function openPopup(id, then = null) {
  const layer = byId.get(id);
  if (!layer) return;
  const open = () => {
    layer.openPopup();
    if (layer.getPopup()?.isOpen()) then?.(layer.getPopup());
  };
  if (layers.earlier.hasLayer(layer)) layers.earlier.zoomToShowLayer(layer, open);
  else open();
}

// A temporary marker where a new place is being made.
let draft = null;
export function showDraft(geometry) {
  clearDraft();
  draft = L.geoJSON(geometry, {
    pointToLayer: (_f, latlng) => L.circleMarker(latlng, { radius: 14, color: '#1a56c4', weight: 4, fillOpacity: 0.3 }),
    style: { color: '#1a56c4', weight: 4, dashArray: '4 4' },
    interactive: false,
  }).addTo(map);
}

// Keeps the place being made in view when the panel makes the map narrower.
export function keepDraftInView() {
  if (!draft) return;
  map.invalidateSize({ pan: false });
  map.panInside(draft.getBounds().getCenter(), { padding: [60, 60] });
}

export function clearDraft() {
  if (draft) draft.remove();
  draft = null;
}
