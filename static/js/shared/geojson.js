// GeoJSON typed or pasted into a text field: read without throwing, so that a map shows
// what it can while the server, on saving, explains what is wrong with the rest.

function isPosition(value) {
  return Array.isArray(value) && value.length >= 2 && value.every(Number.isFinite);
}

function isRings(value) {
  return Array.isArray(value) && value.length > 0
    && value.every((ring) => Array.isArray(ring) && ring.length >= 4 && ring.every(isPosition));
}

// ``text`` as JSON, or null when it is not JSON.
export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) return null;
    throw error;
  }
}

function polygonGeometry(geometry) {
  if (geometry?.type === 'Polygon') return isRings(geometry.coordinates);
  return geometry?.type === 'MultiPolygon' && Array.isArray(geometry.coordinates)
    && geometry.coordinates.length > 0 && geometry.coordinates.every(isRings);
}

// The Polygon or MultiPolygon geometry in ``text`` (bare or as a Feature), or null when
// the text holds none that a map can draw.
export function readPolygon(text) {
  const data = parseJson(text);
  const geometry = data?.type === 'Feature' ? data.geometry : data;
  return polygonGeometry(geometry) ? geometry : null;
}

// The GeoJSON in ``text`` when all it holds is polygons (a geometry, a Feature or a
// FeatureCollection of them), or null.
export function readPolygons(text) {
  const data = parseJson(text);
  if (data?.type === 'FeatureCollection') {
    const ok = Array.isArray(data.features) && data.features.length > 0
      && data.features.every((feature) => polygonGeometry(feature?.geometry));
    return ok ? data : null;
  }
  return readPolygon(text) ? data : null;
}
