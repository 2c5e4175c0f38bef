"""A compact OpenAPI 3.0 description of /ogc (the landing page's service-desc)."""

from __future__ import annotations

from smultron.ogc.features import COLLECTIONS, crs_list

GEOJSON = "application/geo+json"


def _param(name: str, description: str, schema: dict, where: str = "query") -> dict:
    return {"name": name, "in": where, "required": where == "path",
            "description": description, "schema": schema}


ITEM_PARAMS = [
    _param("limit", "Features per page (1-10000, default 100).",
           {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}),
    _param("bbox", "minx,miny,maxx,maxy (CRS84 unless bbox-crs).",
           {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6}),
    _param("bbox-crs", "The CRS of bbox.", {"type": "string", "format": "uri",
                                              "enum": crs_list()}),
    _param("crs", "The CRS of the response (axis order of the CRS).",
           {"type": "string", "format": "uri", "enum": crs_list()}),
    _param("datetime", "Created at: an instant or an interval (a/b, '..' open).",
           {"type": "string"}),
    _param("after", "Paging cursor (from the 'next' link).", {"type": "string"}),
]


def document(base_url: str) -> dict:
    paths = {
        "/": {"get": {"summary": "Landing page", "responses": {"200": {"description": "OK"}}}},
        "/conformance": {"get": {"summary": "Conformance classes",
                                 "responses": {"200": {"description": "OK"}}}},
        "/collections": {"get": {"summary": "Collections",
                                 "responses": {"200": {"description": "OK"}}}},
    }
    for cid, collection in COLLECTIONS.items():
        filters = [_param(name, f"Only features with this {name} (comma = or).",
                          {"type": "string"}) for name in collection.queryables]
        paths[f"/collections/{cid}"] = {"get": {
            "summary": collection.title, "responses": {"200": {"description": "OK"}}}}
        paths[f"/collections/{cid}/items"] = {"get": {
            "summary": f"{collection.title}: features", "parameters": ITEM_PARAMS + filters,
            "responses": {"200": {"description": "A FeatureCollection",
                                  "content": {GEOJSON: {}}},
                          "400": {"description": "A parameter is wrong"}}}}
        paths[f"/collections/{cid}/items/{{featureId}}"] = {"get": {
            "summary": f"{collection.title}: one feature",
            "parameters": [_param("featureId", "The feature id", {"type": "string"}, "path")],
            "responses": {"200": {"description": "A Feature", "content": {GEOJSON: {}}},
                          "404": {"description": "No such feature"}}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Smultron OGC API - Features", "version": "1.0"},
        "servers": [{"url": base_url.rstrip("/")}],
        "components": {"securitySchemes": {
            "basic": {"type": "http", "scheme": "basic",
                      "description": "Your e-mail and an API token"},
            "bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"basic": []}, {"bearer": []}],
        "paths": paths,
    }
