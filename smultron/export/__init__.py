"""Exports for planners: GeoPackage (styled, for QGIS), GeoJSON and CSV of the
filtered places (the filters and the shared places query are in
``smultron.places.query``); ``layers`` the layer SELECTs,
``gpkg`` / ``geojson`` / ``csv`` the writers."""
