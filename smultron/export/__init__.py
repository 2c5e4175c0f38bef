"""Exports for planners: GeoPackage (styled, for QGIS), GeoJSON and CSV of the
filtered places. ``query`` holds the filters and the shared places query,
``layers`` the layer SELECTs, ``gpkg`` / ``geojson`` / ``csv`` the writers."""
