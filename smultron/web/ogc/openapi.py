"""A compact OpenAPI 3.0 description of /ogc (the landing page's service-desc)."""

from __future__ import annotations

from smultron.core.messages import M
from smultron.ogc.features import COLLECTIONS, crs_list

GEOJSON = "application/geo+json"


def _param(name: str, description: str, schema: dict, where: str = "query") -> dict:
    return {"name": name, "in": where, "required": where == "path",
            "description": description, "schema": schema}


ITEM_PARAMS = [
    _param("limit", M("Features per page (1-10000, default 100)."),
           {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}),
    _param("bbox", M("minx,miny,maxx,maxy (CRS84 unless bbox-crs)."),
           {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6}),
    _param("bbox-crs", M("The CRS of bbox."), {"type": "string", "format": "uri",
                                              "enum": crs_list()}),
    _param("crs", M("The CRS of the response (axis order of the CRS)."),
           {"type": "string", "format": "uri", "enum": crs_list()}),
    _param("datetime", M("Created at: an instant or an interval (a/b, '..' open)."),
           {"type": "string"}),
    _param("after", M("Paging cursor (from the 'next' link)."), {"type": "string"}),
]


def document(base_url: str) -> dict:
    """The description, its texts as Messages (English; the web layer translates them)."""
    ok = {"200": {"description": "OK"}}
    paths = {
        "/": {"get": {"summary": M("Landing page"), "responses": ok}},
        "/conformance": {"get": {"summary": M("Conformance classes"), "responses": ok}},
        "/collections": {"get": {"summary": M("Collections"), "responses": ok}},
    }
    for cid, collection in COLLECTIONS.items():
        filters = [_param(name, M("Only features with this %(name)s (comma = or).", name=name),
                          {"type": "string"}) for name in collection.queryables]
        paths[f"/collections/{cid}"] = {"get": {"summary": collection.title, "responses": ok}}
        paths[f"/collections/{cid}/items"] = {"get": {
            "summary": M("%(title)s: features", title=collection.title),
            "parameters": ITEM_PARAMS + filters,
            "responses": {"200": {"description": M("A FeatureCollection"),
                                  "content": {GEOJSON: {}}},
                          "400": {"description": M("A parameter is wrong")}}}}
        paths[f"/collections/{cid}/items/{{featureId}}"] = {"get": {
            "summary": M("%(title)s: one feature", title=collection.title),
            "parameters": [_param("featureId", M("The feature id"), {"type": "string"},
                                  "path")],
            "responses": {"200": {"description": M("A Feature"), "content": {GEOJSON: {}}},
                          "404": {"description": M("No such feature")}}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": M("Smultron OGC API - Features"), "version": "1.0"},
        "servers": [{"url": base_url.rstrip("/")}],
        "components": {"securitySchemes": {
            "basic": {"type": "http", "scheme": "basic",
                      "description": M("Your e-mail and an API token")},
            "bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"basic": []}, {"bearer": []}],
        "paths": paths,
    }
