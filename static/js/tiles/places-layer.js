// A Leaflet layer that draws the places vector tiles (/tiles/places/{z}/{x}/{y}.mvt) on
// canvases: clusters (a circle sized by its count, with the count) and single places
// (dots, routes and areas in their category's colour).
//
//   import { placesLayer } from "/static/js/tiles/places-layer.js";
//   const layer = placesLayer(L, { url: "/tiles/places", params: { campaign: 3 } }).addTo(map);
//   layer.on("load", () => …);            // every visible tile drawn
//   layer.featuresIn(map.getBounds());   // what is drawn in view: [{latlng, properties}]
import { HttpError, send } from "../shared/http.js";
import { decodeTile } from "./mvt.js";

const CLUSTER_COLOUR = "#6a1b9a";
const TILE = 256;

function shortCount(count) {
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)}M`;
  if (count >= 1e4) return `${Math.round(count / 1e3)}k`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)}k`;
  return String(count);
}

function drawClusters(ctx, layer, scale) {
  for (const feature of layer.features) {
    const [[[x, y]]] = feature.geometry;
    const count = feature.properties.count || 0;
    const radius = Math.min(28, 7 + 4 * Math.log10(Math.max(1, count)));
    ctx.beginPath();
    ctx.arc(x * scale, y * scale, radius, 0, 2 * Math.PI);
    ctx.fillStyle = CLUSTER_COLOUR;
    ctx.globalAlpha = 0.85;
    ctx.fill();
    ctx.globalAlpha = 1;
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#ffffff";
    ctx.stroke();
    ctx.fillStyle = "#ffffff";
    ctx.font = "bold 11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(shortCount(count), x * scale, y * scale);
  }
}

function drawPlaces(ctx, layer, scale) {
  for (const feature of layer.features) {
    const colour = feature.properties.colour || "#616161";
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    if (feature.type === 1) {
      for (const [[x, y]] of feature.geometry) {
        ctx.beginPath();
        ctx.arc(x * scale, y * scale, 5, 0, 2 * Math.PI);
        ctx.fill();
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = feature.properties.feeling === "scary" ? "#000000" : "#ffffff";
        ctx.stroke();
      }
      continue;
    }
    ctx.beginPath();
    for (const part of feature.geometry) {
      part.forEach(([x, y], i) => {
        if (i) ctx.lineTo(x * scale, y * scale);
        else ctx.moveTo(x * scale, y * scale);
      });
    }
    ctx.lineWidth = 3;
    if (feature.type === 3) {
      ctx.globalAlpha = 0.25;
      ctx.fill();
      ctx.globalAlpha = 1;
    }
    ctx.stroke();
  }
}

export function placesLayer(L, options) {
  const Layer = L.GridLayer.extend({
    initialize(opts) {
      L.GridLayer.prototype.initialize.call(this, { tileSize: TILE, maxZoom: 22, ...opts });
      this._decoded = new Map();
    },

    tileUrl(coords) {
      const query = new URLSearchParams(
        Object.entries(this.options.params || {}).filter(([, v]) => v !== null && v !== ""),
      ).toString();
      return `${this.options.url}/${coords.z}/${coords.x}/${coords.y}.mvt${query ? `?${query}` : ""}`;
    },

    createTile(coords, done) {
      const canvas = document.createElement("canvas");
      const ratio = window.devicePixelRatio || 1;
      canvas.width = TILE * ratio;
      canvas.height = TILE * ratio;
      const key = this._tileCoordsToKey(coords);
      send(this.tileUrl(coords), { accept: "application/vnd.mapbox-vector-tile" })
        .then((response) => {
          if (!response.ok) throw new HttpError(response, {});
          return response.arrayBuffer();
        })
        .then((buffer) => {
          const layers = decodeTile(buffer);
          this._decoded.set(key, { coords, layers });
          const ctx = canvas.getContext("2d");
          ctx.scale(ratio, ratio);
          for (const layer of Object.values(layers)) {
            const scale = TILE / layer.extent;
            (layer.name === "clusters" ? drawClusters : drawPlaces)(ctx, layer, scale);
          }
          done(null, canvas);
        })
        .catch((error) => done(error, canvas));
      return canvas;
    },

    _removeTile(key) {
      this._decoded.delete(key);
      L.GridLayer.prototype._removeTile.call(this, key);
    },

    // The features drawn in ``bounds``: [{latlng, layer, properties}].
    featuresIn(bounds) {
      const found = [];
      for (const { coords, layers } of this._decoded.values()) {
        if (coords.z !== this._tileZoom) continue;
        for (const layer of Object.values(layers)) {
          for (const feature of layer.features) {
            const [[[x, y]]] = feature.geometry;
            const point = L.point(coords.x * TILE + (x / layer.extent) * TILE,
                                  coords.y * TILE + (y / layer.extent) * TILE);
            const latlng = this._map.unproject(point, coords.z);
            if (bounds.contains(latlng)) found.push({ latlng, layer: layer.name, properties: feature.properties });
          }
        }
      }
      return found;
    },
  });
  return new Layer(options);
}
