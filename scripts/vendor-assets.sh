#!/usr/bin/env bash
# Copies the pinned front-end packages (package.json) into static/vendor/<name>-<version>/
# and writes static/vendor/manifest.json. The result is committed: no CDN, no npm at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp package.json package-lock.json "$work/"  # the lock: the same files every time
(cd "$work" && npm ci --omit=dev --no-audit --no-fund --ignore-scripts --silent)
rm -rf static/vendor; mkdir -p static/vendor
copy() {  # copy PACKAGE FOLDER-NAME FILES...
  local pkg=$1 name=$2; shift 2
  local version; version=$(node -p "require('$work/node_modules/$pkg/package.json').version")
  local dest="static/vendor/$name-$version"; mkdir -p "$dest"
  for f in "$@"; do cp -r "$work/node_modules/$pkg/$f" "$dest/"; done
  cp "$work/node_modules/$pkg/LICENSE"* "$dest/" 2>/dev/null || true
  echo "  \"$name\": \"$name-$version\"," >> "$work/manifest"
}
copy leaflet leaflet dist/leaflet.js dist/leaflet.css dist/images
copy leaflet.markercluster leaflet.markercluster dist/leaflet.markercluster.js dist/MarkerCluster.css dist/MarkerCluster.Default.css
copy @geoman-io/leaflet-geoman-free leaflet-geoman dist/leaflet-geoman.js dist/leaflet-geoman.css
copy leaflet.heat leaflet.heat dist/leaflet-heat.js
copy axe-core axe-core axe.min.js
{ echo "{"; sed '$ s/,$//' "$work/manifest"; echo "}"; } > static/vendor/manifest.json
cat static/vendor/manifest.json
