// The preschool editor's map: the point (click the map or drag the marker) and the
// neighbourhood (a circle preview, or an outline drawn and reshaped with leaflet-geoman).
// Every change is mirrored into the form's fields, which remain the keyboard way in.
/* global L */

const element = document.getElementById('preschool-map');
const config = JSON.parse(element.dataset.config);
const strings = JSON.parse(element.dataset.strings);
const field = (name) => document.getElementById(`field-${name}`);
const lon = field('lon');
const lat = field('lat');
const radius = field('radius');
const outlineField = field('neighbourhood');
const status = document.getElementById('neighbourhood-status');
const drawButton = document.getElementById('draw-neighbourhood');
const circleButton = document.getElementById('circle-neighbourhood');

const format = (text, values) => text.replace(/\{(\w+)\}/g, (_m, key) => values[key]);
const say = (text) => { status.textContent = text; };

const map = L.map(element, { keyboard: true, zoomSnap: 0.5 });
if (config.tileUrl) {
  L.tileLayer(config.tileUrl, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
}
map.pm.setLang(config.lang === 'sv' ? 'sv' : 'en');

let marker = null;
let outline = null;
let circle = null;

function typedPoint() {
  const x = Number.parseFloat(lon.value.replace(',', '.'));
  const y = Number.parseFloat(lat.value.replace(',', '.'));
  return Number.isFinite(x) && Number.isFinite(y) && Math.abs(y) <= 90 && Math.abs(x) <= 180
    ? L.latLng(y, x) : null;
}

function refreshCircle() {
  if (circle) { circle.remove(); circle = null; }
  const point = marker && marker.getLatLng();
  const metres = Number.parseInt(radius.value, 10);
  if (outline || !point || !Number.isFinite(metres)) return;
  circle = L.circle(point, { radius: metres, dashArray: '6 6', weight: 2, color: '#7f0a1d',
    interactive: false }).addTo(map);
}

function placeMarker(latlng, { typed = false } = {}) {
  if (!marker) {
    marker = L.marker(latlng, { draggable: true, autoPan: true, title: strings.marker,
      alt: strings.marker }).addTo(map);
    marker.on('dragend', () => placeMarker(marker.getLatLng()));
  } else {
    marker.setLatLng(latlng);
  }
  if (!typed) {
    lon.value = latlng.lng.toFixed(6);
    lat.value = latlng.lat.toFixed(6);
    say(format(strings.placed, { lon: lon.value, lat: lat.value }));
  }
  refreshCircle();
}

function corners(layer) {
  return layer.getLatLngs()[0].length;
}

function writeOutline() {
  outlineField.value = JSON.stringify(outline.toGeoJSON().geometry);
  say(`${strings.drawn} ${format(strings.corners, { count: corners(outline) })}`);
}

function useOutline(layer) {
  if (outline) outline.remove();
  outline = layer.addTo(map);
  outline.setStyle({ color: '#b00d28', weight: 3, fillOpacity: 0.08 });
  outline.pm.enable({ allowSelfIntersection: false });
  outline.on('pm:edit', writeOutline);
  refreshCircle();
}

function showTypedOutline() {
  const text = outlineField.value.trim();
  if (!text) { useCircle(); return; }
  try {
    const data = JSON.parse(text);
    const layer = L.geoJSON(data.type === 'Feature' ? data : { type: 'Feature', geometry: data })
      .getLayers()[0];
    if (layer instanceof L.Polygon) {
      useOutline(layer);
      say(`${strings.drawn} ${format(strings.corners, { count: corners(layer) })}`);
    }
  } catch {
    // The server explains what is wrong with the text when the form is saved.
  }
}

function useCircle() {
  if (outline) { outline.remove(); outline = null; }
  if (map.pm.globalDrawModeEnabled()) map.pm.disableDraw();
  outlineField.value = '';
  refreshCircle();
  say(strings.circle);
}

map.on('click', (event) => {
  if (!map.pm.globalDrawModeEnabled()) placeMarker(event.latlng);
});
map.on('pm:create', (event) => {
  useOutline(event.layer);
  writeOutline();
});

drawButton.hidden = false;
drawButton.addEventListener('click', () => {
  map.pm.enableDraw('Polygon', { allowSelfIntersection: false, snappable: false,
    templineStyle: { color: '#b00d28' }, pathOptions: { color: '#b00d28' } });
  say(strings.drawing);
});
circleButton.addEventListener('click', useCircle);
for (const input of [lon, lat]) {
  input.addEventListener('change', () => {
    const point = typedPoint();
    if (point) { placeMarker(point, { typed: true }); map.panTo(point); }
  });
}
radius.addEventListener('input', refreshCircle);
outlineField.addEventListener('change', showTypedOutline);

const start = typedPoint();
if (start) placeMarker(start, { typed: true });
if (outlineField.value.trim()) showTypedOutline();
if (outline) {
  map.fitBounds(outline.getBounds(), { padding: [20, 20] });
} else if (circle) {
  map.fitBounds(circle.getBounds(), { padding: [20, 20] });
} else if (config.bounds) {
  map.fitBounds(config.bounds, { padding: [20, 20], maxZoom: 14 });
} else {
  map.setView([62.5, 16.5], 5);
}
element.dataset.ready = 'true';
