// The preschool editor's map: the point (click the map or drag the marker) and the
// neighbourhood (a circle preview, or an outline drawn and reshaped with leaflet-geoman).
// Every change is mirrored into the form's fields, which remain the keyboard way in.
import { createMap } from '../shared/background.js';
import { format } from '../shared/format.js';
import { readPolygon } from '../shared/geojson.js';
import { geomanLanguage } from '../shared/geoman-lang.js';
import { pageConfig } from '../shared/page-config.js';

const element = document.getElementById('preschool-map');
const config = pageConfig();
const { strings } = config;
const field = (name) => document.getElementById(`field-${name}`);
const lon = field('lon');
const lat = field('lat');
const radius = field('radius');
const outlineField = field('neighbourhood');
const status = document.getElementById('neighbourhood-status');
const drawButton = document.getElementById('draw-neighbourhood');
const circleButton = document.getElementById('circle-neighbourhood');

const say = (text) => { status.textContent = text; };

let map = null; // made by start()

// geoman's corner handles are for pointers only (the corner table is the keyboard way):
// keep them out of the tab order and the accessibility tree.
function quietHandles() {
  for (const handle of element.querySelectorAll('.marker-icon:not([aria-hidden])')) {
    handle.setAttribute('aria-hidden', 'true');
    handle.setAttribute('tabindex', '-1');
  }
}
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
  const point = marker?.getLatLng();
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
  renderCorners();
}

// The corners as a table: the keyboard (and screen-reader) way to read and reshape it.
const cornerBox = document.getElementById('corners');
const cornerRows = document.getElementById('corner-rows');

function setCorners(latlngs) {
  outline.setLatLngs([latlngs]);
  outline.pm.disable();
  outline.pm.enable({ allowSelfIntersection: false });
  writeOutline();
}

function cornerInput(value, label, id, onChange) {
  const input = document.createElement('input');
  Object.assign(input, { value: value.toFixed(6), id, inputMode: 'decimal', size: 11 });
  input.setAttribute('aria-label', label);
  input.addEventListener('change', () => {
    const number = Number.parseFloat(input.value.replace(',', '.'));
    if (Number.isFinite(number)) onChange(number);
  });
  return input;
}

function cornerButton(text, label, id, onClick) {
  const button = document.createElement('button');
  Object.assign(button, { type: 'button', className: 'button small', textContent: text, id });
  button.setAttribute('aria-label', label);
  button.title = label;
  button.addEventListener('click', onClick);
  return button;
}

function cornerRow(latlngs, index) {
  const n = index + 1;
  const row = document.createElement('tr');
  const head = document.createElement('th');
  head.scope = 'row';
  head.textContent = String(n);
  const update = (key) => (number) => {
    const next = latlngs.slice();
    next[index] = key === 'lng' ? L.latLng(next[index].lat, number)
      : L.latLng(number, next[index].lng);
    setCorners(next);
  };
  const cells = [
    cornerInput(latlngs[index].lng, format(strings.corner_lon, { n }), `corner-${n}-lon`,
      update('lng')),
    cornerInput(latlngs[index].lat, format(strings.corner_lat, { n }), `corner-${n}-lat`,
      update('lat')),
  ];
  const after = latlngs[(index + 1) % latlngs.length];
  const actions = document.createElement('td');
  actions.append(cornerButton('+', format(strings.add_corner, { n }), `corner-${n}-add`,
    () => {
      const middle = L.latLng((latlngs[index].lat + after.lat) / 2,
        (latlngs[index].lng + after.lng) / 2);
      setCorners([...latlngs.slice(0, index + 1), middle, ...latlngs.slice(index + 1)]);
    }));
  if (latlngs.length > 3) {
    actions.append(' ', cornerButton('−', format(strings.remove_corner, { n }),
      `corner-${n}-remove`, () => setCorners(latlngs.filter((_c, i) => i !== index))));
  }
  row.append(head, ...cells.map((input) => {
    const cell = document.createElement('td');
    cell.append(input);
    return cell;
  }), actions);
  return row;
}

function renderCorners() {
  const focused = document.activeElement?.id;
  cornerRows.replaceChildren();
  cornerBox.hidden = !outline;
  if (!outline) return;
  const latlngs = outline.getLatLngs()[0];
  latlngs.forEach((_corner, index) => {
    cornerRows.append(cornerRow(latlngs, index));
  });
  const again = focused && document.getElementById(focused);
  if (again && focused.startsWith('corner-')) again.focus();
}

function squareAround(point, metres) {
  const dLat = metres / 111320;
  const dLng = dLat / Math.cos((point.lat * Math.PI) / 180);
  return L.polygon([[point.lat - dLat, point.lng - dLng], [point.lat - dLat, point.lng + dLng],
    [point.lat + dLat, point.lng + dLng], [point.lat + dLat, point.lng - dLng]]);
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
  // Not a polygon: the server explains what is wrong with the text when the form is saved.
  const geometry = readPolygon(text);
  if (!geometry) return;
  const layer = L.geoJSON({ type: 'Feature', geometry }).getLayers()[0];
  useOutline(layer);
  say(`${strings.drawn} ${format(strings.corners, { count: corners(layer) })}`);
  renderCorners();
}

function useCircle() {
  if (outline) { outline.remove(); outline = null; }
  renderCorners();
  if (map.pm.globalDrawModeEnabled()) map.pm.disableDraw();
  outlineField.value = '';
  refreshCircle();
  say(strings.circle);
}

function drawNeighbourhood(event) {
  const point = marker?.getLatLng();
  if (event.detail === 0 && point) {
    // From the keyboard: start from a square the corner table can reshape.
    useOutline(squareAround(point, Number.parseInt(radius.value, 10) || config.default_radius));
    writeOutline();
    say(strings.square);
    document.getElementById('corner-1-lon').focus();
    return;
  }
  map.pm.enableDraw('Polygon', { allowSelfIntersection: false, snappable: false,
    templineStyle: { color: '#b00d28' }, pathOptions: { color: '#b00d28' } });
  say(strings.drawing);
}

function wire() {
  new MutationObserver(quietHandles).observe(map.getPane('markerPane'), { childList: true });
  map.on('click', (event) => {
    if (!map.pm.globalDrawModeEnabled()) placeMarker(event.latlng);
  });
  map.on('pm:create', (event) => {
    useOutline(event.layer);
    writeOutline();
  });
  drawButton.hidden = false;
  drawButton.addEventListener('click', drawNeighbourhood);
  circleButton.addEventListener('click', useCircle);
  for (const input of [lon, lat]) {
    input.addEventListener('change', () => {
      const point = typedPoint();
      if (point) { placeMarker(point, { typed: true }); map.panTo(point); }
    });
  }
  radius.addEventListener('input', refreshCircle);
  outlineField.addEventListener('change', showTypedOutline);
}

// The first view: the outline, else the circle, else the municipality's preschools.
function firstView() {
  if (outline) {
    map.fitBounds(outline.getBounds(), { padding: [20, 20] });
  } else if (circle) {
    map.fitBounds(circle.getBounds(), { padding: [20, 20] });
  } else if (config.bounds) {
    map.fitBounds(config.bounds, { padding: [20, 20], maxZoom: 14 });
  } else {
    map.setView([62.5, 16.5], 5);
  }
}

function start() {
  map = createMap(element, config.tiles, { keyboard: true, zoomSnap: 0.5 });
  geomanLanguage(map);
  wire();
  // A view first: layers added to a map without one are only attached later, and geoman
  // then finds no map to put an outline's corner handles on.
  map.setView([62.5, 16.5], 5);
  const typed = typedPoint();
  if (typed) placeMarker(typed, { typed: true });
  if (outlineField.value.trim()) showTypedOutline();
  firstView();
  element.dataset.ready = 'true';
}

start();
