"""OGC API - Features (Part 1 Core, GeoJSON, HTML; Part 2 CRS) over the places.

``features`` holds the domain side (collections, parameter parsing, paged
queries; no Flask); ``smultron.web.ogc`` adapts it to HTTP.
"""
