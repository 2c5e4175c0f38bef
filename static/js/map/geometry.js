// Small geometry helpers (GeoJSON order: longitude, latitude).
function insideRing(point, ring) {
  let inside = false;
  const [x, y] = point;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function positions(geometry) {
  if (geometry.type === 'Point') return [geometry.coordinates];
  if (geometry.type === 'LineString') return geometry.coordinates;
  return geometry.coordinates.flat();
}

export function insidePolygon(point, polygon) {
  const [outer, ...holes] = polygon.coordinates;
  return insideRing(point, outer) && !holes.some((hole) => insideRing(point, hole));
}

export function allInside(geometry, polygon) {
  return positions(geometry).every((p) => insidePolygon(p, polygon));
}

export function kindOf(geometry) {
  return { Point: 'point', LineString: 'route', Polygon: 'area' }[geometry.type];
}

// Where an area's or a route's pictogram goes: the middle of a route (its middle point,
// or the middle of its middle stretch), the centre of gravity of an area's outline
// (computed from its first corner, which keeps the sums small and exact enough).
export function labelPoint(geometry) {
  if (geometry.type === 'Point') return geometry.coordinates;
  if (geometry.type === 'LineString') {
    const line = geometry.coordinates;
    const [a, b] = [line[Math.floor((line.length - 1) / 2)], line[Math.ceil((line.length - 1) / 2)]];
    return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  }
  const ring = geometry.coordinates[0];
  const [ox, oy] = ring[0];
  let area = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < ring.length - 1; i += 1) {
    const [x0, y0] = [ring[i][0] - ox, ring[i][1] - oy];
    const [x1, y1] = [ring[i + 1][0] - ox, ring[i + 1][1] - oy];
    const cross = x0 * y1 - x1 * y0;
    area += cross;
    x += (x0 + x1) * cross;
    y += (y0 + y1) * cross;
  }
  if (area === 0) return ring[0];
  return [ox + x / (3 * area), oy + y / (3 * area)];
}

export function round(value) {
  return Math.round(value * 1e7) / 1e7;
}

export function pointAt(latlng) {
  return { type: 'Point', coordinates: [round(latlng.lng), round(latlng.lat)] };
}

export function fromLayer(layer) {
  const geometry = layer.toGeoJSON(8).geometry;
  if (geometry.type === 'Polygon') {
    geometry.coordinates = geometry.coordinates.map((ring) => ring.map(([x, y]) => [round(x), round(y)]));
  } else if (geometry.type === 'LineString') {
    geometry.coordinates = geometry.coordinates.map(([x, y]) => [round(x), round(y)]);
  } else if (geometry.type === 'Point') {
    geometry.coordinates = geometry.coordinates.map(round);
  }
  return geometry;
}
