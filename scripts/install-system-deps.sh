#!/usr/bin/env bash
# Installs what Smultron needs from the platform's package manager, only when missing.
#   install-system-deps.sh server        PostgreSQL + PostGIS, xmlsec1 (SAML single sign-on's
#                                         signatures, through pysaml2)
#   install-system-deps.sh server test   + Chromium, gdal-bin, python3-gdal, QGIS (python3-qgis),
#                                         poppler-utils and LibreOffice Writer for the test suite,
#                                         Ceph's RADOS Gateway (a real S3-compatible object store for
#                                         the photo store's tests), and Node.js with npm (node)
#   install-system-deps.sh node          Node.js and npm: the JavaScript linter (Biome) and tests (node --test)
#   install-system-deps.sh bench         + wrk, the load tool of bench/api.py (optional)
#   install-system-deps.sh topology      Patroni, etcd, HAProxy, pgbouncer and Redis: the production
#                                         topology of deploy/ (make topology; tests/test_topology.py)
set -euo pipefail

need_server=0; need_test=0; need_bench=0; need_node=0; need_topology=0
for arg in "$@"; do
  case "$arg" in
    server) need_server=1 ;; test) need_test=1; need_node=1 ;; bench) need_bench=1 ;;
    node) need_node=1 ;; topology) need_topology=1 ;;
  esac
done

have_postgis() {
  local ctl
  for ctl in /usr/share/postgresql/*/extension/postgis.control \
             /opt/homebrew/share/postgresql*/extension/postgis.control \
             /usr/local/share/postgresql*/extension/postgis.control; do
    [ -e "$ctl" ] && return 0
  done
  return 1
}

if [ "$(uname)" = "Darwin" ]; then
  command -v brew >/dev/null || { echo "Homebrew is needed: https://brew.sh" >&2; exit 1; }
  [ $need_server = 1 ] && ! have_postgis && brew install postgresql@15 postgis
  [ $need_server = 1 ] && ! command -v xmlsec1 >/dev/null && brew install libxmlsec1
  [ $need_test = 1 ] && ! command -v ogrinfo >/dev/null && brew install gdal
  [ $need_test = 1 ] && [ ! -e "/Applications/Chromium.app" ] && brew install --cask chromium
  [ $need_bench = 1 ] && ! command -v wrk >/dev/null && brew install wrk
  [ $need_node = 1 ] && ! command -v npm >/dev/null && brew install node
  exit 0
fi

command -v apt-get >/dev/null || {
  echo "Install PostgreSQL with PostGIS 3 (and, for tests, Chromium and gdal-bin) with your package manager." >&2
  exit 1
}
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

pkgs=(); lean=()
if [ $need_server = 1 ] && ! have_postgis; then
  pg=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n1)
  if [ -n "$pg" ]; then pkgs+=("postgresql-$pg-postgis-3"); else pkgs+=(postgresql postgis); fi
fi
if [ $need_server = 1 ]; then
  # SAML 2.0 single sign-on: pysaml2 signs and checks signatures with xmlsec1
  command -v xmlsec1 >/dev/null || pkgs+=(xmlsec1)
fi
if [ $need_test = 1 ]; then
  command -v chromium >/dev/null || pkgs+=(chromium)
  command -v ogrinfo >/dev/null || pkgs+=(gdal-bin)
  # GDAL's GeoPackage validator (tests) runs on Debian's Python bindings
  /usr/bin/python3 -c 'import osgeo_utils, osgeo.gdal' 2>/dev/null || pkgs+=(python3-gdal)
  # QGIS itself opens the exports in the tests (PyQGIS on Debian's Python, about 1 GB)
  { /usr/bin/python3 -c 'import qgis.core' && dpkg -s qgis-providers; } >/dev/null 2>&1 ||
    pkgs+=(python3-qgis qgis-providers)
  # the child impact assessment: its PDF read back with pdftotext, its Word file opened by
  # LibreOffice (converted headless, as a planner's office suite would open it)
  command -v pdftotext >/dev/null || pkgs+=(poppler-utils)
  command -v soffice >/dev/null || pkgs+=(libreoffice-writer-nogui)
  # a real S3-compatible object store for the photo store (tests/s3_server.py): Ceph's RADOS
  # Gateway on a one-OSD cluster of its own (about 190 MB, without the recommended extras)
  for bin in radosgw ceph-mon ceph-osd; do command -v $bin >/dev/null || lean+=($bin); done
fi
if [ $need_topology = 1 ]; then
  # deploy/'s topology on one machine: a two-node Patroni cluster with one etcd, HAProxy in
  # front of the app instances and of the cluster, pgbouncer (transaction mode), Redis
  command -v patroni >/dev/null || pkgs+=(patroni)
  command -v etcd >/dev/null || pkgs+=(etcd-server)
  command -v haproxy >/dev/null || pkgs+=(haproxy)
  command -v pgbouncer >/dev/null || pkgs+=(pgbouncer)
  command -v redis-server >/dev/null || pkgs+=(redis-server)
fi
if [ $need_bench = 1 ]; then
  command -v wrk >/dev/null || pkgs+=(wrk)
fi
if [ $need_node = 1 ]; then
  # Debian's nodejs (18 on bookworm: node --test and Biome's launcher both run on it)
  command -v node >/dev/null || pkgs+=(nodejs)
  command -v npm >/dev/null || pkgs+=(npm)
fi
[ ${#pkgs[@]} -eq 0 ] && [ ${#lean[@]} -eq 0 ] && exit 0

echo "Installing ${pkgs[*]} ${lean[*]} …"
$SUDO apt-get update -qq
if [ ${#pkgs[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi
if [ ${#lean[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${lean[@]}" >/dev/null
fi
