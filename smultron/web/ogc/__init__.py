"""OGC API - Features at /ogc: what QGIS's "OGC API - Features" connection reads.

JSON (application/json, features as application/geo+json) by default, HTML for
browsers (Accept: text/html or f=html). Planners and admins only; QGIS sends
HTTP Basic (e-mail + API token), scripts Bearer, browsers their session.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, json, render_template, request, url_for
from flask_babel import gettext as _

from smultron.core.access import PLANNERS
from smultron.core.errors import AppError
from smultron.core.messages import translate
from smultron.ogc import features as ogc
from smultron.web.auth import current_viewer, role_required
from smultron.web.database import get_session
from smultron.web.photos import photo_url

bp = Blueprint("ogc", __name__, url_prefix="/ogc")
JSON, GEOJSON, HTML = "application/json", "application/geo+json", "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
REL = "http://www.opengis.net/def/rel/ogc/1.0/"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
COMMON_PARAMS = {"f", "lang"}
ITEMS_PARAMS = COMMON_PARAMS | {"limit", "bbox", "bbox-crs", "crs", "datetime", "after"}


def wants_html() -> bool:
    chosen = request.args.get("f")
    if chosen:
        if chosen not in ("json", "html", "geojson"):
            raise AppError(_("'f' must be json or html."))
        return chosen == "html"
    best = request.accept_mimetypes.best_match([JSON, GEOJSON, HTML], default=JSON)
    return best == HTML and request.accept_mimetypes[HTML] > request.accept_mimetypes[JSON]


def check_params(allowed: set[str]) -> None:
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise AppError(_("Unknown query parameter: %(names)s. Allowed here: %(allowed)s.",
                         names=", ".join(name[:40] for name in unknown[:10]),
                         allowed=", ".join(sorted(allowed))))


def link(endpoint: str, rel: str, media: str, title: str, **values) -> dict:
    return {"href": url_for(endpoint, _external=True, **values), "rel": rel, "type": media,
            "title": title}


def self_links(endpoint: str, media: str, **values) -> list[dict]:
    html = wants_html()
    return [link(endpoint, "self", HTML if html else media, _("This document"), **values,
                 f="html" if html else "json"),
            link(endpoint, "alternate", media if html else HTML,
                 _("This document as JSON") if html else _("This document as HTML"),
                 **values, f="json" if html else "html")]


def html_labels() -> dict:
    """Property names and coded values in the page's language (the HTML pages only: the
    JSON keeps the names and codes that QGIS filters on)."""
    from smultron.web.mapping_strings import age_group_labels, season_labels

    return {"properties": {
        "category": _("Category"), "category_sv": _("Category (Swedish)"),
        "feeling": _("Feeling"), "children_count": _("Children"), "age_group": _("Age group"),
        "season": _("Season"), "comment": _("Comment"), "preschool": _("Preschool"),
        "department": _("Department"), "session_language": _("The session's language"),
        "campaign": _("Campaign"), "created": _("Marked on"),
        "name": _("Name"), "unit_code": _("Unit code"), "address": _("Address"),
        "enrolled_children": _("Enrolled children"), "photos": _("Photos")},
        "values": {"feeling": {"favourite": _("Favourite place"), "scary": _("Scary place")},
                   "season": season_labels(), "age_group": age_group_labels()}}


def respond(data: dict, template: str, media: str = JSON, headers: dict | None = None):
    if wants_html():
        response = Response(render_template(template, data=data, labels=html_labels()),
                            mimetype=HTML)
    else:
        response = Response(json.dumps(data, ensure_ascii=False), mimetype=media)
    response.headers["Vary"] = "Accept, Authorization, Cookie"
    response.headers["Cache-Control"] = "private, no-store"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


@bp.get("")
@bp.get("/")
@role_required(*PLANNERS)
def landing():
    check_params(COMMON_PARAMS)
    data = {
        "title": _("Smultron – children's favourite places"),
        "description": _("Children's favourite places for planners (OGC API - Features)."),
        "links": self_links("ogc.landing", JSON) + [
            link("ogc.api", "service-desc", OPENAPI, _("The API definition (OpenAPI 3.0)")),
            link("ogc.api", "service-doc", HTML, _("The API documentation"), f="html"),
            link("ogc.conformance", "conformance", JSON, _("Conformance classes")),
            link("ogc.conformance", REL + "conformance", JSON, _("Conformance classes")),
            link("ogc.collections", "data", JSON, _("The collections")),
            link("ogc.collections", REL + "data", JSON, _("The collections")),
        ],
    }
    return respond(data, "ogc/landing.html")


@bp.get("/conformance")
@role_required(*PLANNERS)
def conformance():
    check_params(COMMON_PARAMS)
    return respond({"conformsTo": CONFORMANCE,
                    "links": self_links("ogc.conformance", JSON)}, "ogc/conformance.html")


def collection_document(collection: ogc.Collection, extent: list[float]) -> dict:
    """A collection in the request's language (its title and description too)."""
    cid = collection.id
    title = translate(collection.title, _)
    return {
        "id": cid, "title": title, "description": translate(collection.description, _),
        "itemType": "feature",
        "extent": {"spatial": {"bbox": [extent], "crs": ogc.CRS84},
                   "temporal": {"interval": [[None, None]],
                                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}},
        "crs": ogc.crs_list(), "storageCrs": ogc.STORAGE_CRS,
        "links": [
            link("ogc.collection", "self", JSON, title, collection_id=cid),
            link("ogc.collection", "alternate", HTML, title, collection_id=cid, f="html"),
            link("ogc.items", "items", GEOJSON, _("%(title)s: the features (GeoJSON)",
                                                  title=title), collection_id=cid, f="json"),
            link("ogc.items", "items", HTML, _("%(title)s: the features (HTML)", title=title),
                 collection_id=cid, f="html"),
            link("ogc.queryables", REL + "queryables", "application/schema+json",
                 _("Properties to filter on"), collection_id=cid),
        ],
    }


@bp.get("/collections")
@role_required(*PLANNERS)
def collections():
    check_params(COMMON_PARAMS)
    extent = ogc.spatial_extent(get_session())
    data = {"collections": [collection_document(c, extent) for c in ogc.COLLECTIONS.values()],
            "crs": ogc.crs_list(), "links": self_links("ogc.collections", JSON)}
    return respond(data, "ogc/collections.html")


@bp.get("/collections/<collection_id>")
@role_required(*PLANNERS)
def collection(collection_id: str):
    check_params(COMMON_PARAMS)
    found = ogc.get_collection(collection_id)
    data = collection_document(found, ogc.spatial_extent(get_session()))
    data["links"][:2] = self_links("ogc.collection", JSON, collection_id=collection_id)
    return respond(data, "ogc/collection.html")


@bp.get("/collections/<collection_id>/queryables")
@role_required(*PLANNERS)
def queryables(collection_id: str):
    check_params(COMMON_PARAMS)
    found = ogc.get_collection(collection_id)
    data = {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url_for("ogc.queryables", collection_id=collection_id, _external=True),
        "type": "object", "title": translate(found.title, _),
        "properties": {name: {"type": "string", "title": name} for name in found.queryables},
    }
    if wants_html():
        data.update(description=", ".join(found.queryables),
                    links=self_links("ogc.queryables", "application/schema+json",
                                     collection_id=collection_id))
        return respond(data, "ogc/collection.html")
    return respond(data, "ogc/collection.html", "application/schema+json")


def _item_query(found: ogc.Collection) -> ogc.ItemQuery:
    check_params(ITEMS_PARAMS | set(found.queryables))
    bbox_crs = ogc.parse_crs(request.args.get("bbox-crs"))
    properties = tuple((name, request.args[name]) for name in found.queryables
                       if request.args.get(name))
    return ogc.ItemQuery(found, limit=ogc.parse_limit(request.args.get("limit")),
                         after=request.args.get("after") or None,
                         srid=ogc.parse_crs(request.args.get("crs")),
                         bbox=ogc.parse_bbox(request.args.get("bbox"), bbox_crs),
                         interval=ogc.parse_datetime(request.args.get("datetime")),
                         properties=properties)


def _page_links(found: ogc.Collection, page: ogc.Page) -> list[dict]:
    args = {k: v for k, v in request.args.items() if k not in ("after", "f")}
    links = self_links("ogc.items", GEOJSON, collection_id=found.id,
                       **{**args, **({"after": request.args["after"]}
                                     if request.args.get("after") else {})})
    if page.next_after:
        html = wants_html()
        links.append(link("ogc.items", "next", HTML if html else GEOJSON, _("Next page"),
                          collection_id=found.id, **args, after=page.next_after,
                          f="html" if html else "json"))
    links.append(link("ogc.collection", "collection", JSON, translate(found.title, _),
                      collection_id=found.id))
    return links


@bp.get("/collections/<collection_id>/items")
@role_required(*PLANNERS)
def items(collection_id: str):
    found = ogc.get_collection(collection_id)
    query = _item_query(found)
    page = ogc.items(get_session(), current_viewer(), query, photo_url())
    data = {"type": "FeatureCollection", "features": page.features,
            "numberReturned": len(page.features),
            "timeStamp": datetime.now(UTC).replace(microsecond=0).isoformat()
            .replace("+00:00", "Z"),
            "links": _page_links(found, page)}
    return respond(data, "ogc/items.html", GEOJSON,
                   {"Content-Crs": f"<{ogc.crs_uri(query.srid)}>"})


@bp.get("/collections/<collection_id>/items/<feature_id>")
@role_required(*PLANNERS)
def item(collection_id: str, feature_id: str):
    check_params(COMMON_PARAMS | {"crs"})
    found = ogc.get_collection(collection_id)
    srid = ogc.parse_crs(request.args.get("crs"))
    feature = ogc.item(get_session(), current_viewer(), found, feature_id, srid, photo_url())
    feature["links"] = self_links("ogc.item", GEOJSON, collection_id=collection_id,
                                  feature_id=feature_id) + [
        link("ogc.collection", "collection", JSON, translate(found.title, _),
             collection_id=collection_id)]
    return respond(feature, "ogc/item.html", GEOJSON,
                   {"Content-Crs": f"<{ogc.crs_uri(srid)}>"})


@bp.get("/api")
@role_required(*PLANNERS)
def api():
    """A small OpenAPI 3.0 description of this API (the landing page's service-desc)."""
    from smultron.web.ogc.openapi import document

    check_params(COMMON_PARAMS)
    data = translate(document(url_for("ogc.landing", _external=True)), _)
    if wants_html():
        data["links"] = self_links("ogc.api", OPENAPI)
        return respond(data, "ogc/api.html")
    response = Response(json.dumps(data), mimetype="application/vnd.oai.openapi+json")
    response.headers["Content-Type"] = OPENAPI
    return response
