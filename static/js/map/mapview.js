// The Leaflet map: tiles, the neighbourhood and the preschool, the places (earlier ones
// clustered), popups built from DOM nodes (text stays text), drawing with leaflet-geoman.
/* global L */
import { category, config, t } from './config.js';
import { kindOf } from './geometry.js';
import { geomanLanguage } from '../shared/geoman-lang.js';

export const map = L.map('map', {
  keyboard: true,
  keyboardPanDelta: 60,
  tapTolerance: 20,
  zoomSnap: 0.5,
  maxZoom: 19, // also without a tile layer (the clusters need it)
});
const layers = {
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

// Every node with words is built with textContent: nothing shown is parsed as HTML.
function textNode(tag, text, className = '') {
  const element = document.createElement(tag);
  element.textContent = text;
  if (className) element.className = className;
  return element;
}

function preschoolImage() {
  const img = document.createElement('img');
  img.src = config.preschool.pictogram;
  img.alt = '';
  return img;
}

export function setUpMap() {
  // An empty tile URL means no background map (SMULTRON_TILE_URL=""): no layer, no request.
  if (config.tiles.url) {
    L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: 19 }).addTo(map);
  }
  const area = L.geoJSON(config.preschool.neighbourhood, {
    style: { color: '#b00d28', weight: 3, dashArray: '8 6', fillOpacity: 0.04 },
    interactive: false,
  }).addTo(map);
  const [lon, lat] = config.preschool.location.coordinates;
  L.marker([lat, lon], {
    icon: L.divIcon({ className: 'preschool-icon', html: preschoolImage(), iconSize: [40, 40] }),
    keyboard: false,
    interactive: false,
  }).addTo(map);
  map.fitBounds(area.getBounds(), { padding: [10, 10] });
  map.getContainer().setAttribute('aria-label', t('map_label'));
  map.getContainer().setAttribute('role', 'application');
  geomanLanguage(map);
  // leaflet-geoman's vertex and hint markers are for the pointer; keyboard users have the
  // "Add a point at the cross" and "Finish drawing" buttons.
  map.on('layeradd', ({ layer }) => {
    const element = layer.getElement && layer.getElement();
    if (element && element.classList.contains('marker-icon')) {
      element.removeAttribute('role');
      element.setAttribute('tabindex', '-1');
      element.setAttribute('aria-hidden', 'true');
    }
  });
  layers.earlier.addTo(map);
  layers.shapes.addTo(map);
  layers.session.addTo(map);
}

function describe(feature) {
  const p = feature.properties;
  const cat = category(p.category);
  return `${cat.label} (${t(p.feeling)}), ${p.children_count} ${p.children_count === 1 ? t('child') : t('children')}`;
}

function popupContent(entry, actions) {
  const { feature } = entry;
  const p = feature.properties;
  const box = textNode('div', '', 'place-popup');
  const title = textNode('h3', `${category(p.category).label} · ${t(`place_kind_${kindOf(feature.geometry)}`)}`);
  const count = `${p.children_count} ${p.children_count === 1 ? t('child') : t('children')}`;
  const facts = textNode('p', `${t(p.feeling)} · ${count} · ${config.season_labels[p.season] || p.season}`);
  box.append(title, facts);
  if (p.comment) box.append(textNode('p', `“${p.comment}”`, 'said'));
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

function icon(entry) {
  const p = entry.feature.properties;
  const cat = category(p.category);
  const classes = ['place-icon', p.feeling];
  if (entry.state !== 'saved') classes.push(entry.error ? 'refused' : 'pending');
  const html = document.createElement('span');
  const ring = document.createElement('span');
  ring.className = 'ring';
  ring.style.setProperty('--ring', cat.colour);
  const img = document.createElement('img');
  img.src = cat.pictogram;
  img.alt = '';
  ring.append(img);
  const label = document.createElement('span');
  label.className = 'visually-hidden';
  label.textContent = describe(entry.feature);
  html.append(ring, label);
  return L.divIcon({ className: classes.join(' '), html, iconSize: [44, 44], iconAnchor: [22, 22], popupAnchor: [0, -20] });
}

function layerFor(entry, actions) {
  const { feature } = entry;
  const cat = category(feature.properties.category);
  let layer;
  if (feature.geometry.type === 'Point') {
    const [lon, lat] = feature.geometry.coordinates;
    layer = L.marker([lat, lon], { icon: icon(entry), keyboard: true, riseOnHover: true });
  } else {
    layer = L.geoJSON(feature, {
      style: {
        color: cat.colour,
        weight: feature.geometry.type === 'LineString' ? 6 : 3,
        fillOpacity: 0.2,
        dashArray: feature.properties.feeling === 'scary' ? '10 6' : null,
      },
    }).getLayers()[0];
  }
  layer.bindPopup(() => popupContent(entry, actions), { maxWidth: 320 });
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
    if (entry.mine) layers.session.addLayer(layer);
    else if (entry.feature.geometry.type === 'Point') layers.earlier.addLayer(layer);
    else layers.shapes.addLayer(layer);
  }
}

export function layerOf(id) {
  return byId.get(id);
}

export function openPopup(id) {
  const layer = byId.get(id);
  if (!layer) return;
  if (layers.earlier.hasLayer(layer)) {
    layers.earlier.zoomToShowLayer(layer, () => layer.openPopup());
  } else {
    layer.openPopup();
  }
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
