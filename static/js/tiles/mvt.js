// A minimal Mapbox Vector Tile reader: layers, features, properties and geometry in tile
// coordinates (0..extent). Enough for the places tiles (points, lines, polygons).

function reader(bytes) {
  return { bytes, pos: 0, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

function varint(r) {
  let result = 0;
  let factor = 1;
  for (;;) {
    const byte = r.bytes[r.pos++];
    result += (byte & 0x7f) * factor;
    if (byte < 0x80) return result;
    factor *= 128;
  }
}

function* fields(r, end) {
  while (r.pos < end) {
    const key = varint(r);
    const number = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      yield [number, varint(r)];
    } else if (wire === 2) {
      const length = varint(r);
      const start = r.pos;
      r.pos += length;
      yield [number, { start, end: start + length }];
    } else if (wire === 1) {
      yield [number, r.view.getFloat64(r.pos, true)];
      r.pos += 8;
    } else if (wire === 5) {
      yield [number, r.view.getFloat32(r.pos, true)];
      r.pos += 4;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
}

const text = new TextDecoder();

function packed(r, span) {
  const saved = r.pos;
  r.pos = span.start;
  const out = [];
  while (r.pos < span.end) out.push(varint(r));
  r.pos = saved;
  return out;
}

function value(r, span) {
  const saved = r.pos;
  r.pos = span.start;
  let result = null;
  for (const [number, v] of fields(r, span.end)) {
    if (number === 1) result = text.decode(r.bytes.subarray(v.start, v.end));
    else if (number === 6) result = (v % 2 === 1) ? -(v + 1) / 2 : v / 2;  // sint (zigzag)
    else result = v;  // float, double, int, uint, bool
  }
  r.pos = saved;
  return result;
}

function geometry(commands) {
  const parts = [];
  let x = 0;
  let y = 0;
  let part = null;
  for (let i = 0; i < commands.length;) {
    const command = commands[i] & 7;
    const count = commands[i] >> 3;
    i += 1;
    if (command === 7) {  // ClosePath
      if (part?.length) part.push(part[0]);
      continue;
    }
    for (let n = 0; n < count; n += 1) {
      const dx = commands[i++];
      const dy = commands[i++];
      x += (dx >> 1) ^ -(dx & 1);
      y += (dy >> 1) ^ -(dy & 1);
      if (command === 1) {  // MoveTo starts a new part
        part = [];
        parts.push(part);
      }
      part.push([x, y]);
    }
  }
  return parts;
}

function layer(r, span) {
  const out = { name: "", extent: 4096, features: [] };
  const keys = [];
  const values = [];
  const raw = [];
  const outer = r.pos;
  r.pos = span.start;
  for (const [number, v] of fields(r, span.end)) {
    if (number === 1) out.name = text.decode(r.bytes.subarray(v.start, v.end));
    else if (number === 2) raw.push(v);
    else if (number === 3) keys.push(text.decode(r.bytes.subarray(v.start, v.end)));
    else if (number === 4) values.push(value(r, v));
    else if (number === 5) out.extent = v;
  }
  for (const span2 of raw) {
    const saved = r.pos;
    r.pos = span2.start;
    const feature = { type: 0, properties: {}, geometry: [] };
    for (const [number, v] of fields(r, span2.end)) {
      if (number === 2) {
        const tags = packed(r, v);
        for (let i = 0; i < tags.length; i += 2) feature.properties[keys[tags[i]]] = values[tags[i + 1]];
      } else if (number === 3) {
        feature.type = v;  // 1 point, 2 line, 3 polygon
      } else if (number === 4) {
        feature.geometry = geometry(packed(r, v));
      }
    }
    r.pos = saved;
    out.features.push(feature);
  }
  r.pos = outer;
  return out;
}

// {layer name: {extent, features: [{type, properties, geometry: [[[x, y], …], …]}]}}
export function decodeTile(buffer) {
  const r = reader(new Uint8Array(buffer));
  const layers = {};
  for (const [number, v] of fields(r, r.bytes.length)) {
    if (number === 3) {
      const decoded = layer(r, v);
      layers[decoded.name] = decoded;
    }
  }
  return layers;
}
