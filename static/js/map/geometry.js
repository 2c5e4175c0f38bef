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
