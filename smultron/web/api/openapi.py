"""The OpenAPI 3 document of the JSON API (/api/v1/openapi.json).

Written by hand, next to the code it describes; tests check that every /api/v1 route
is in it and that real responses match its schemas.
"""

from __future__ import annotations

from smultron import plans
from smultron.mapping_sessions import MAX_CHILDREN
from smultron.models import (
    AGE_GROUPS,
    COMMENT_STATES,
    FEELINGS,
    PHOTO_STATES,
    RESPONSE_MAX,
    RESPONSE_STATUSES,
    SEASONS,
)
from smultron.photos import MAX_PER_PLACE as MAX_PHOTOS
from smultron.places.reading import MAX_LIMIT
from smultron.places.validation import CODE as CODE_PATTERN
from smultron.places.validation import MAX_COMMENT, MAX_VERTICES

ID = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
CODE = CODE_PATTERN.pattern
LON = {"type": "number", "minimum": -180, "maximum": 180}
LAT = {"type": "number", "minimum": -90, "maximum": 90}
BBOX = {"type": "array", "prefixItems": [LON, LAT, LON, LAT], "items": False,
        "minItems": 4, "maxItems": 4}


def _position(bounds: tuple[float, float, float, float] | None = None) -> dict:
    """A position; ``bounds`` (west, south, east, north) narrow it to where places may be."""
    lon, lat = dict(LON), dict(LAT)
    if bounds:
        lon.update(minimum=bounds[0], maximum=bounds[2])
        lat.update(minimum=bounds[1], maximum=bounds[3])
    return {"type": "array", "minItems": 2, "maxItems": 3,
            "prefixItems": [lon, lat, {"type": "number"}],
            "description": "longitude, latitude (EPSG:4326), optional altitude (ignored)"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, media: str = "application/json") -> dict:
    return {"content": {media: {"schema": schema}}}


def _error(description: str) -> dict:
    return {"description": description, **_json(_ref("Error"))}


def _geometry_schemas(suffix: str = "", bounds=None) -> dict:
    """Point, LineString, Polygon and Geometry (one of them); ``suffix`` and ``bounds`` make
    the set that requests send, within the municipalities' bounding box."""
    position = _position(bounds)
    where = ("Inside the municipality's extent (within the bounds given here); "
             if suffix else "")
    return {
        f"Point{suffix}": {"type": "object", "required": ["type", "coordinates"], "properties": {
            "type": {"type": "string", "enum": ["Point"]}, "coordinates": position}},
        f"LineString{suffix}": {"type": "object", "required": ["type", "coordinates"],
                                "properties": {
            "type": {"type": "string", "enum": ["LineString"]},
            "coordinates": {"type": "array", "minItems": 2, "maxItems": MAX_VERTICES,
                            "items": position}}},
        f"Polygon{suffix}": {"type": "object", "required": ["type", "coordinates"],
                             "properties": {
            "type": {"type": "string", "enum": ["Polygon"]},
            "coordinates": {"type": "array", "minItems": 1, "items": {
                "type": "array", "minItems": 4, "items": position}}}},
        f"Geometry{suffix}": {
            "oneOf": [_ref(f"{kind}{suffix}") for kind in ("Point", "LineString", "Polygon")],
            "description": f"{where}areas must be valid (no self-intersection)."},
    }


def _place_schemas(categories: list[str]) -> dict:
    category = {"type": "string", "description": "a category code (GET /categories)"}
    if categories:
        category["enum"] = categories
    editable = {
        "category": category,
        "feeling": {"type": "string", "enum": list(FEELINGS), "default": "favourite"},
        "children_count": {"type": "integer", "minimum": 1, "maximum": MAX_CHILDREN,
                           "description": "at most the session's children_present"},
        "season": {"type": "string", "enum": list(SEASONS), "default": "all_year"},
        "age_group": {"type": "string", "enum": list(AGE_GROUPS),
                      "description": "defaults to the session's age group"},
        "comment": {"type": ["string", "null"], "maxLength": MAX_COMMENT,
                    "description": "what the children said; no personal identity numbers"},
    }
    stored = {
        **editable,
        "session": {"type": "string", "format": "uuid"},
        "preschool": {"type": "integer"}, "campaign": {"type": "integer"},
        "comment_state": {"type": "string", "enum": list(COMMENT_STATES)},
        "version": {"type": "integer", "minimum": 1},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "deleted_at": {"type": ["string", "null"], "format": "date-time"},
        "photos": {"type": "array", "items": {"type": "string", "format": "uuid"},
                   "maxItems": MAX_PHOTOS,
                   "description": "the place's photo ids, oldest first (hidden ones left out): "
                                  "GET /places/{place_id}/photos/{photo_id}"},
        "response_status": {"type": ["string", "null"], "enum": [*RESPONSE_STATUSES, None],
                            "description": "the planners' answer (PUT …/response)"},
        "response_text": {"type": ["string", "null"], "maxLength": RESPONSE_MAX},
        "response_plan": {"type": ["integer", "null"], "description": "a plan area's id"},
        "answered_at": {"type": ["string", "null"], "format": "date-time"},
    }
    return {
        "NewPlace": {"type": "object", "required": ["type", "id", "geometry", "properties"],
                     "properties": {
                         "type": {"type": "string", "enum": ["Feature"]},
                         "id": {"type": "string", "format": "uuid",
                                "description": "made by the client; a retry reuses it"},
                         "geometry": _ref("GeometryInput"),
                         "properties": {"type": "object",
                                        "required": ["session", "category", "children_count"],
                                        "properties": {**editable, "session": stored["session"]}},
                     }},
        "PlacePatch": {"type": "object", "properties": {
            "geometry": _ref("GeometryInput"),
            "properties": {"type": "object", "properties": {
                **editable, "version": {"type": "integer", "description":
                                        "the version changed (when If-Match is not sent)"}}}}},
        "Place": {"type": "object", "required": ["type", "id", "geometry", "properties"],
                  "properties": {
                      "type": {"type": "string", "enum": ["Feature"]},
                      "id": {"type": "string", "format": "uuid"},
                      "geometry": _ref("Geometry"),
                      "properties": {"type": "object", "properties": stored,
                                     "required": list(stored)}}},
        "PlaceCollection": {"type": "object",
                            "required": ["type", "features", "numberReturned", "links"],
                            "properties": {
                                "type": {"type": "string", "enum": ["FeatureCollection"]},
                                "features": {"type": "array", "items": _ref("Place")},
                                "numberReturned": {"type": "integer", "minimum": 0},
                                "next": {"type": ["string", "null"], "format": "uri"},
                                "links": {"type": "array", "items": _ref("Link")}}},
    }


def _answer_schemas() -> dict:
    status = {"type": "string", "enum": list(RESPONSE_STATUSES),
              "description": "kept (bevaras), improved (förbättras), changed (förändras), "
                             "not_possible (går inte), considering (utreds)"}
    answer = {"type": "object", "required": ["status", "text", "plan", "answered_at"],
              "properties": {"status": status,
                             "text": {"type": "string", "maxLength": RESPONSE_MAX},
                             "plan": {"type": ["integer", "null"]},
                             "answered_at": {"type": "string", "format": "date-time"}}}
    plan_properties = {"name": {"type": "string"}, "source": {"type": "string"},
                       "created_at": {"type": "string", "format": "date-time"},
                       "area_ha": {"type": "number"}}
    plan_place = {"type": "object", "properties": {
        "id": {"type": "string", "format": "uuid"},
        "relation": {"type": "string", "enum": ["inside", "near"]},
        "distance_m": {"type": "number"}, "category": {"type": "string"},
        "feeling": {"type": "string", "enum": list(FEELINGS)},
        "season": {"type": "string", "enum": list(SEASONS)},
        "children_count": {"type": "integer"}, "preschool": {"type": "string"},
        "comment": {"type": ["string", "null"], "description": "approved comments only"},
        "response": {"oneOf": [_ref("Answer"), {"type": "null"}]},
        "weighing": {"type": "object", "properties": {
            "consequence": {"type": "string"}, "measure": {"type": "string"}}}}}
    return {
        "AnswerInput": {"type": "object", "required": ["status"], "properties": {
            "status": status,
            "text": {"type": ["string", "null"], "maxLength": RESPONSE_MAX,
                     "description": "a reason a preschool teacher can read to the children; "
                                    "no personal identity numbers"},
            "plan": {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1,
                     "description": "a plan area's id (GET /plans)"}}},
        "Answer": answer,
        "AnswerWithHistory": {"type": "object", "required": ["response"], "properties": {
            "response": {"oneOf": [_ref("Answer"), {"type": "null"}]},
            "history": {"type": "array", "items": {"type": "object"},
                        "description": "every answer, newest first (planners and admins)"}}},
        "PlanInput": {"type": "object", "required": ["type"], "properties": {
            "type": {"type": "string", "enum": ["Feature", "FeatureCollection"]},
            "name": {"type": "string", "maxLength": 200,
                     "description": "the plan area's name (or the first feature's "
                                    "properties.name)"}},
            "description": "polygons in EPSG:4326 (or a legacy crs member), validated, "
                           "repaired and reprojected as an uploaded file"},
        "Plan": {"type": "object", "required": ["type", "id", "geometry", "properties"],
                 "properties": {
                     "type": {"type": "string", "enum": ["Feature"]},
                     "id": {"type": "integer"},
                     "geometry": {"type": "object"},
                     "properties": {"type": "object", "properties": {
                         **plan_properties, "buffer_m": {"type": "integer"},
                         "places": {"type": "array", "items": plan_place},
                         "assessment": {"type": "object"},
                         "decisions": {"type": "array", "items": {"type": "object"}},
                         "repairs": {"type": "array", "items": {"type": "string"}}}}}},
        "PlanCollection": {"type": "object", "required": ["type", "features"], "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"type": "object", "properties": {
                "type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "integer"},
                "geometry": {"type": "object"},
                "properties": {"type": "object", "properties": plan_properties}}}},
            "numberReturned": {"type": "integer"}}},
    }


def _other_schemas() -> dict:
    return {
        "Error": {"type": "object", "required": ["error", "detail"], "properties": {
            "error": {"type": "string", "description": "a message a person can act on"},
            "detail": {"description": "more detail; for invalid input {\"fields\": {name: "
                                      "message}}"}}},
        "Link": {"type": "object", "required": ["rel", "href"], "properties": {
            "rel": {"type": "string"}, "type": {"type": "string"},
            "href": {"type": "string", "format": "uri"}}},
        "Category": {"type": "object", "required": ["code", "label", "label_sv", "label_en",
                                                    "labels", "colour", "pictogram"],
                     "properties": {
            "code": {"type": "string"},
            "label": {"type": "string", "description": "in the request's language (?lang=)"},
            "label_sv": {"type": "string"}, "label_en": {"type": "string"},
            "labels": {"type": "object", "description": "the labels in fi, fit and se; a "
                       "missing one shows the Swedish label",
                       "additionalProperties": {"type": "string"}},
            "colour": {"type": "string"},
            "pictogram": {"type": "string", "description": "URL of an SVG"}}},
        "Photo": {"type": "object", "required": [
            "id", "place", "state", "width", "height", "taken_on", "created_at", "href",
            "thumb_href"], "properties": {
            "id": {"type": "string", "format": "uuid"},
            "place": {"type": "string", "format": "uuid"},
            "state": {"type": "string", "enum": list(PHOTO_STATES),
                      "description": "pending until a planner approves or hides it"},
            "width": {"type": "integer", "minimum": 1, "maximum": 1600},
            "height": {"type": "integer", "minimum": 1, "maximum": 1600},
            "taken_on": {"type": ["string", "null"], "format": "date",
                         "description": "the day the photo was taken (from the camera)"},
            "created_at": {"type": "string", "format": "date-time"},
            "href": {"type": "string"}, "thumb_href": {"type": "string"}}},
        "SessionSummary": {"type": "object", "required": [
            "id", "preschool", "campaign", "held_on", "children_present", "age_group",
            "finished", "places", "areas", "routes", "by_category"], "properties": {
            "id": {"type": "string", "format": "uuid"}, "preschool": {"type": "integer"},
            "campaign": {"type": "integer"}, "department": {"type": ["integer", "null"]},
            "held_on": {"type": "string", "format": "date"},
            "children_present": {"type": "integer"},
            "age_group": {"type": "string", "enum": list(AGE_GROUPS)},
            "finished": {"type": "boolean"}, "places": {"type": "integer"},
            "areas": {"type": "integer"}, "routes": {"type": "integer"},
            "by_category": {"type": "array", "items": {"type": "object", "properties": {
                "category": {"type": "string"}, "label": {"type": "string"},
                "places": {"type": "integer"}, "favourite": {"type": "integer"},
                "scary": {"type": "integer"}, "children": {"type": "integer"}}}}}},
    }


def _param(name: str, schema: dict, description: str, where: str = "query",
           required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required, "schema": schema,
            "description": description}


PLACE_ID = _param("place_id", {"type": "string", "format": "uuid"}, "the place's UUID",
                  "path", True)
IF_MATCH = _param("If-Match", {"type": "string"}, "the ETag (version) you changed",
                  "header")
COMMON_ERRORS = {"401": _error("not logged in / no valid token"),
                 "403": _error("your role may not do this (officials see no single places)")}
ETAG_HEADER = {"ETag": {"schema": {"type": "string"}, "description": "the place's version"}}


def _place_response(description: str, links: bool = False) -> dict:
    response = {"description": description, "headers": ETAG_HEADER,
                **_json(_ref("Place"), "application/geo+json")}
    if links:
        response["links"] = PLACE_LINKS
    return response


# What a client can do next with the place it was answered (stateful clients and fuzzers).
PLACE_LINKS = {
    name: {"operationId": operation, "parameters": {"place_id": "$response.body#/id"}}
    for name, operation in (("GetPlace", "getPlace"), ("PatchPlace", "patchPlace"),
                            ("DeletePlace", "deletePlace"))
}


def _list_parameters() -> list[dict]:
    return [
        {**_param("bbox", BBOX, "minLon,minLat,maxLon,maxLat (EPSG:4326); corners in "
                                "either order"), "style": "form", "explode": False},
        _param("campaign", ID, "campaign id"),
        _param("preschool", ID, "preschool id"),
        _param("session", {"type": "string", "format": "uuid"}, "mapping session id"),
        _param("category", {"type": "string", "pattern": f"^,*(?:{CODE},+)*(?:{CODE})?$"},
               "category code(s), comma-separated (empty: every category)"),
        _param("updated_since", {"type": "string", "format": "date-time"},
               "only places changed after this moment (with time zone)"),
        _param("include_deleted", {"type": "boolean"}, "also soft-deleted places"),
        _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
               f"page size (default 500, at most {MAX_LIMIT})"),
        _param("cursor", {"type": "string", "pattern": "^[A-Za-z0-9_-]{0,200}$"},
               "from the previous page's next link (opaque: any other value is a 400; "
               "empty is the first page)"),
    ]


def _paths() -> dict:
    return {
        "/places": {
            "get": {"summary": "Places the caller may see, oldest change first",
                    "operationId": "listPlaces", "parameters": _list_parameters(),
                    "responses": {"200": {"description": "a page of places", "headers": {
                        "Link": {"schema": {"type": "string"}, "description": "rel=next"}},
                        **_json(_ref("PlaceCollection"), "application/geo+json")},
                        "400": _error("a parameter is not valid"), **COMMON_ERRORS}},
            "post": {"summary": "Save a new place under the client's UUID (idempotent)",
                     "operationId": "createPlace",
                     "requestBody": {"required": True, "content": {
                         "application/json": {"schema": _ref("NewPlace")},
                         "application/geo+json": {"schema": _ref("NewPlace")}}},
                     "responses": {
                         "201": _place_response("created", links=True),
                         "200": _place_response("already saved with the same content",
                                                links=True),
                         "400": _error("not JSON"),
                         "409": _error("the id was used for a different place"),
                         "422": _error("invalid fields (detail.fields)"), **COMMON_ERRORS}},
        },
        "/places/{place_id}": {
            "parameters": [PLACE_ID],
            "get": {"summary": "One place", "operationId": "getPlace",
                    "responses": {"200": _place_response("the place"),
                                  "304": {"description": "not modified (If-None-Match)"},
                                  "404": _error("no such place (or not yours)"),
                                  **COMMON_ERRORS}},
            "patch": {"summary": "Change a place (merge patch of geometry and properties)",
                      "operationId": "patchPlace", "parameters": [IF_MATCH],
                      "requestBody": {"required": True, "content": {
                          "application/json": {"schema": _ref("PlacePatch")},
                          "application/merge-patch+json": {"schema": _ref("PlacePatch")}}},
                      "responses": {
                          "200": _place_response("the changed place"),
                          "400": _error("not JSON"),
                          "404": _error("no such place (or not yours)"),
                          "409": _error("stale version (sent in the body) or campaign closed"),
                          "412": _error("stale version (If-Match)"),
                          "422": _error("invalid fields (detail.fields)"),
                          "428": _error("no version sent"), **COMMON_ERRORS}},
            "delete": {"summary": "Delete a place (soft; a planner can restore it)",
                       "operationId": "deletePlace", "parameters": [IF_MATCH],
                       "responses": {"204": {"description": "deleted (also if it already was)"},
                                     "404": _error("no such place (or not yours)"),
                                     "409": _error("the campaign is closed"),
                                     "412": _error("stale version (If-Match)"),
                                     **COMMON_ERRORS}},
        },
        "/places/{place_id}/restore": {
            "parameters": [PLACE_ID],
            "post": {"summary": "Undo a delete (planners, admins)", "operationId": "restorePlace",
                     "responses": {"200": _place_response("the restored place"),
                                   "404": _error("no such place"), **COMMON_ERRORS}}},
        **_answer_paths(),
        "/sessions/{session_id}": {
            "parameters": [_param("session_id", {"type": "string", "format": "uuid"},
                                  "the mapping session's id", "path", True)],
            "get": {"summary": "A mapping session and its summary",
                    "operationId": "getSession",
                    "responses": {"200": {"description": "the session",
                                          **_json(_ref("SessionSummary"))},
                                  "404": _error("no such session (or not yours)"),
                                  **COMMON_ERRORS}}},
        **_photo_paths(),
        "/categories": {
            "get": {"summary": "The place categories", "operationId": "listCategories",
                    "responses": {"200": {"description": "categories", **_json(
                        {"type": "array", "items": _ref("Category")})},
                        "401": COMMON_ERRORS["401"]}}},
        "/openapi.json": {
            "get": {"summary": "This document", "operationId": "openapi", "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.1",
                                          **_json({"type": "object"})}}}},
    }


PHOTO_ID = _param("photo_id", {"type": "string", "format": "uuid"},
                  "the photo's UUID, made by the device (a retry reuses it)", "path", True)
PHOTO_ERRORS = {"401": COMMON_ERRORS["401"],
                "403": _error("your role may not do this (officials never see photos)"),
                "404": _error("no such place or photo (or not yours)")}
# PUT, GET and DELETE of one photo reach its bytes: in an object store (SMULTRON_PHOTO_STORE)
STORE_ERRORS = {**PHOTO_ERRORS,
                "503": _error("the photo store does not answer: nothing was saved or removed")}


def _photo_paths() -> dict:
    image = {"schema": {"type": "string", "format": "binary"}}
    return {
        "/places/{place_id}/photos": {
            "parameters": [PLACE_ID],
            "get": {"summary": "The photos of a place", "operationId": "listPhotos",
                    "responses": {"200": {"description": "the photos", **_json({
                        "type": "object", "required": ["photos", "max"], "properties": {
                            "photos": {"type": "array", "items": _ref("Photo")},
                            "max": {"type": "integer"}}})}, **PHOTO_ERRORS}}},
        "/places/{place_id}/photos/{photo_id}": {
            "parameters": [PLACE_ID, PHOTO_ID],
            "put": {"summary": "Add a photo of the place (never of a person): the image as the "
                               "body, at most 15 MB; re-encoded as JPEG of at most 1600 px "
                               "without any metadata; idempotent under the photo's UUID",
                    "operationId": "putPhoto",
                    "requestBody": {"required": True, "content": {
                        kind: image for kind in ("image/jpeg", "image/png", "image/webp",
                                                 "image/heic", "image/heif")}},
                    "responses": {
                        "201": {"description": "stored", **_json(_ref("Photo"))},
                        "200": {"description": "already stored with the same file",
                                **_json(_ref("Photo"))},
                        "400": _error("no body"),
                        "409": _error("the id was used for another file, the place has its "
                                      "3 photos, or the campaign is closed"),
                        "413": _error("larger than 15 MB"),
                        "415": _error("not a JPEG, PNG, WebP or HEIC image"),
                        "422": _error("truncated, damaged or too many pixels"),
                        **STORE_ERRORS}},
            "get": {"summary": "The photo as JPEG", "operationId": "getPhoto",
                    "parameters": [_param("size", {"type": "string", "enum": ["full", "thumb"]},
                                          "thumb: at most 320 px")],
                    "responses": {"200": {"description": "JPEG", "content": {
                        "image/jpeg": image}},
                        "304": {"description": "not modified (If-None-Match)"},
                        "400": _error("size is not full or thumb"), **STORE_ERRORS}},
            "delete": {"summary": "Remove a photo for good (also if it already was)",
                       "operationId": "deletePhoto",
                       "responses": {"204": {"description": "removed"}, **STORE_ERRORS}},
        },
    }


PLAN_ID = _param("plan_id", {"type": "string", "pattern": "^[0-9]{1,9}$"},
                 "the plan area's id", "path", True)
PLANNERS_ONLY = {"401": COMMON_ERRORS["401"],
                 "403": _error("planners and admins only (staff and officials get 403)")}


def _answer_paths() -> dict:
    geojson = "application/geo+json"
    return {
        "/places/{place_id}/response": {
            "parameters": [PLACE_ID],
            "get": {"summary": "The planners' shown answer to a place (and, for planners, "
                               "its history)", "operationId": "getPlaceResponse",
                    "responses": {"200": {"description": "the answer (null: none yet)",
                                          **_json(_ref("AnswerWithHistory"))},
                                  "404": _error("no such place (or not yours)"),
                                  **COMMON_ERRORS}},
            "put": {"summary": "Answer a place (planners, admins); replaces the shown answer, "
                               "the earlier ones are kept", "operationId": "putPlaceResponse",
                    "requestBody": {"required": True,
                                    "content": {"application/json": {
                                        "schema": _ref("AnswerInput")}}},
                    "responses": {"200": {"description": "the shown answer",
                                          **_json(_ref("Answer"))},
                                  "400": _error("not JSON"),
                                  "404": _error("no such place"),
                                  "422": _error("invalid fields (detail.fields)"),
                                  **PLANNERS_ONLY}}},
        "/plans": {
            "get": {"summary": "The plan areas (planners, admins)", "operationId": "listPlans",
                    "responses": {"200": {"description": "plan areas",
                                          **_json(_ref("PlanCollection"), geojson)},
                                  **PLANNERS_ONLY}},
            "post": {"summary": "Add a plan area from GeoJSON polygons",
                     "operationId": "createPlan",
                     "requestBody": {"required": True, "content": {
                         "application/json": {"schema": _ref("PlanInput")},
                         "application/geo+json": {"schema": _ref("PlanInput")}}},
                     "responses": {"201": {"description": "the plan area, with its places",
                                           **_json(_ref("Plan"), geojson)},
                                   "400": _error("not JSON"),
                                   "413": _error("too large"),
                                   "422": _error("invalid name or geometry (detail.field)"),
                                   **PLANNERS_ONLY}}},
        "/plans/{plan_id}": {
            "parameters": [PLAN_ID],
            "get": {"summary": "A plan area with the children's places inside and near it, "
                               "their answers and weighing, and its assessment",
                    "operationId": "getPlan",
                    "parameters": [_param("buffer", {"type": "integer", "minimum": 0,
                                                     "maximum": plans.MAX_BUFFER_M},
                                          "metres around the plan area (default 100)")],
                    "responses": {"200": {"description": "the plan area",
                                          **_json(_ref("Plan"), geojson)},
                                  "400": _error("a parameter is not valid"),
                                  "404": _error("no such plan area"), **PLANNERS_ONLY}}},
    }


API_PREFIX = "/api/v1"


def server_url(base_url: str | None) -> str:
    """The API's address for ``servers``: under the configured SMULTRON_BASE_URL, else a
    relative one (resolved against wherever the document was fetched). Never built from the
    request's Host header, which the client chooses."""
    return f"{base_url.rstrip('/')}{API_PREFIX}" if base_url else API_PREFIX


def document(server_url: str, categories: list[str] | None = None,
             bounds: tuple[float, float, float, float] | None = None) -> dict:
    """The document; ``categories`` (the known codes) become the category enum, ``bounds``
    (the municipalities' bounding box) the range of the coordinates a request sends."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Smultron API", "version": "1",
                 "description": "Children's favourite places (GeoJSON, EPSG:4326). Staff see "
                                "and change their own preschools' places; planners and admins "
                                "see all; officials no single places. Errors are "
                                "{\"error\", \"detail\"}, their messages in Swedish, or "
                                "in the language of ?lang= on any request (sv, en, fi, fit "
                                "Meänkieli, se North Sámi)."},
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}, {"basic": []}, {"cookie": []}],
        "paths": _paths(),
        "components": {
            "schemas": {**_geometry_schemas(), **_geometry_schemas("Input", bounds),
                        **_place_schemas(categories or []), **_answer_schemas(),
                        **_other_schemas()},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "an API token (smultron token create)"},
                "basic": {"type": "http", "scheme": "basic",
                          "description": "e-mail and an API token as the password"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "smultron_session",
                           "description": "the browser session; writes need X-CSRFToken"},
            },
        },
    }
