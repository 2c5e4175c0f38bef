"""Open data for everyone, no login (smultron/opendata): /open (the datasets, a map, the
figures, the downloads), /open/<id>/dcat.jsonld and metadata.xml, the product
specification, and an OGC API - Features collection per dataset under /ogc/open.

Everything here is read from a published dataset's newest frozen version: no request
computes a figure, and no address accepts an area, a threshold, a size or any other
parameter that could change one (an unknown parameter is a 400). Only /ogc/open's items
take ``bbox`` (QGIS sends its map's extent): it selects which published hexagons to send,
never what they say. Every response is rate-limited (SMULTRON_OPEN_RATE_LIMIT); the data
is ``Cache-Control: public, no-cache`` with an ETag of the version, so caches ask again
each time and an unpublished dataset is gone from every address at once.
"""

from __future__ import annotations

import hashlib

import shapely
from flask import Blueprint, Response, current_app, json, render_template, request, url_for
from flask_babel import gettext as _

from smultron import opendata, sitepages
from smultron.core import parsing
from smultron.core.errors import AppError
from smultron.core.messages import translate
from smultron.core.parsing import ParseError
from smultron.opendata import describe, formats
from smultron.opendata.titles import description_texts, title_texts
from smultron.web.database import get_session
from smultron.web.language import current_language
from smultron.web.page_config import page_config, tiles
from smultron.web.security import limiter

bp = Blueprint("opendata", __name__)
JSON, GEOJSON = "application/json", "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CONFORMANCE = ["http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
               "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
PAGE_PARAMS = {"lang"}
OGC_PARAMS = {"f", "lang"}
ITEMS_PARAMS = OGC_PARAMS | {"limit", "offset", "bbox"}
MAX_LIMIT = 10_000


def _rate() -> str:
    return current_app.config.get("OPEN_RATE_LIMIT", "120 per minute")


def check_params(allowed: set[str]) -> None:
    """No parameter but these: an area, a threshold, a size... is refused, not ignored."""
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise AppError(_("Unknown query parameter: %(names)s. Allowed here: %(allowed)s.",
                         names=", ".join(name[:40] for name in unknown[:10]),
                         allowed=", ".join(sorted(allowed)) or "–"))
    if "f" in request.args and request.args["f"] not in ("json", "geojson"):
        raise AppError(_("'f' must be json."))


def public(body, media: str, etag: str, filename: str | None = None) -> Response:
    response = Response(body, mimetype=media)
    response.headers["Cache-Control"] = "public, no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.set_etag(etag)
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response.make_conditional(request)


def _found(dataset_id: int):
    return opendata.public_version(get_session(), dataset_id)


def _etag(version) -> str:
    return f"open-{version.dataset_id}-{version.version}"


def _links(dataset_id: int) -> dict:
    def ext(endpoint: str, **values) -> str:
        return url_for(endpoint, _external=True, **values)
    return {"page": ext("opendata.dataset", dataset_id=dataset_id),
            "catalogue": ext("opendata.index"),
            "dcat": ext("opendata.dcat", dataset_id=dataset_id),
            "metadata": ext("opendata.metadata", dataset_id=dataset_id),
            "specification": ext("opendata.specification"),
            "ogc": ext("opendata.ogc_collection", collection_id=f"dataset-{dataset_id}"),
            "gpkg": ext("opendata.download", dataset_id=dataset_id, filename="data.gpkg"),
            "geojson": ext("opendata.download", dataset_id=dataset_id, filename="data.geojson"),
            "csv": ext("opendata.download", dataset_id=dataset_id, filename="cells.csv"),
            "figures": ext("opendata.download", dataset_id=dataset_id, filename="figures.csv")}


def _description(dataset, version) -> describe.Description:
    first = opendata.first_published(get_session(), dataset.id)
    return describe.Description(
        dataset_id=dataset.id, version=version.version,
        published=version.published_at.isoformat(timespec="seconds"),
        first_published=first.isoformat(timespec="seconds"),
        title=title_texts(version.content), description=description_texts(version.content),
        contact_email=sitepages.feedback_address(get_session()) or None,
        links=_links(dataset.id))


# -- pages -------------------------------------------------------------------------------

def _summary(dataset, version) -> dict:
    content = version.content
    lang = current_language()
    return {"id": dataset.id, "version": version.version, "content": content,
            "title": title_texts(content).get(lang, title_texts(content)["sv"]),
            "published_at": version.published_at, "links": _links(dataset.id),
            "licence": describe.LICENCES[content["licence"]]}


def _labels(content: dict) -> dict:
    from smultron.web.mapping_strings import age_group_labels, season_labels

    english = current_language() == "en"
    categories = {c["code"]: c["label_en"] if english else c["label_sv"]
                  for c in content["categories"]}
    return {"category": categories, "season": season_labels(),
            "age_group": age_group_labels(),
            "feeling": {"favourite": _("Favourite places"), "scary": _("Scary places")}}


def _render(datasets: list, shown) -> str:
    config = None
    if shown is not None:
        content = shown["content"]
        config = page_config(
            tiles=tiles(), data=shown["links"]["geojson"], extent=content["extent"],
            strings={"favourite": _("Favourite places"), "scary": _("Scary places"),
                     "children": _("children's choices"), "places": _("places"),
                     "layers": _("Hexagons"), "map": _("Map of the hexagons")},
            colours={"favourite": formats.FAVOURITE_COLOUR, "scary": formats.SCARY_COLOUR})
    return render_template("opendata/index.html", datasets=datasets, shown=shown,
                           labels=_labels(shown["content"]) if shown else {},
                           page_config=config)


@bp.get("/open")
@limiter.limit(_rate)
def index():
    check_params(PAGE_PARAMS)
    datasets = [_summary(d, v) for d, v in opendata.public_datasets(get_session())]
    return _page(_render(datasets, datasets[0] if datasets else None))


@bp.get("/open/<int:dataset_id>")
@limiter.limit(_rate)
def dataset(dataset_id: int):
    check_params(PAGE_PARAMS)
    found = _summary(*_found(dataset_id))
    return _page(_render([found], found))


@bp.get("/open/specification")
@limiter.limit(_rate)
def specification():
    check_params(PAGE_PARAMS)
    return _page(render_template("opendata/specification.html",
                                 fields=formats.CELL_FIELDS, figures=formats.FIGURE_FIELDS))


def _page(html: str) -> Response:
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


# -- downloads and descriptions -------------------------------------------------------------

DOWNLOADS = {"data.gpkg": "application/geopackage+sqlite3", "data.geojson": GEOJSON,
             "cells.csv": "text/csv; charset=utf-8", "figures.csv": "text/csv; charset=utf-8"}


@bp.get("/open/<int:dataset_id>/<any('data.gpkg', 'data.geojson', 'cells.csv', "
        "'figures.csv'):filename>")
@limiter.limit(_rate)
def download(dataset_id: int, filename: str):
    check_params(set())
    dataset_row, version = _found(dataset_id)
    content = version.content
    if filename == "data.gpkg":
        body = formats.geopackage(content, title_texts(content)["sv"])
    elif filename == "data.geojson":
        body = formats.geojson(content, dataset_row.id)
    elif filename == "cells.csv":
        body = formats.cells_csv(content)
    else:
        body = formats.figures_csv(content)
    stem = f"smultron-open-{dataset_row.id}-v{version.version}"
    return public(body, DOWNLOADS[filename], _etag(version), f"{stem}-{filename}")


@bp.get("/open/<int:dataset_id>/dcat.jsonld")
@limiter.limit(_rate)
def dcat(dataset_id: int):
    check_params(set())
    dataset_row, version = _found(dataset_id)
    return public(describe.dcat(version.content, _description(dataset_row, version)),
                  "application/ld+json", _etag(version))


@bp.get("/open/<int:dataset_id>/metadata.xml")
@limiter.limit(_rate)
def metadata(dataset_id: int):
    check_params(set())
    dataset_row, version = _found(dataset_id)
    return public(describe.iso19139(version.content, _description(dataset_row, version)),
                  "application/xml", _etag(version))


# -- OGC API - Features, no credentials ---------------------------------------------------

def _ogc(data: dict, media: str = JSON, etag: str = "open-ogc") -> Response:
    return public(json.dumps(data, ensure_ascii=False), media, etag)


def _link(endpoint: str, rel: str, media: str, title: str, **values) -> dict:
    return {"href": url_for(endpoint, _external=True, **values), "rel": rel, "type": media,
            "title": title}


@bp.get("/ogc/open")
@bp.get("/ogc/open/")
@limiter.limit(_rate)
def ogc_landing():
    check_params(OGC_PARAMS)
    return _ogc({"title": _("Smultron open data"),
                 "description": _("Children's favourite and scary places, anonymised on a "
                                  "fixed hexagon grid (OGC API - Features)."),
                 "links": [_link("opendata.ogc_landing", "self", JSON, _("This document")),
                           _link("opendata.ogc_conformance", "conformance", JSON,
                                 _("Conformance classes")),
                           _link("opendata.ogc_collections", "data", JSON,
                                 _("The collections")),
                           _link("opendata.ogc_api", "service-desc", OPENAPI,
                                 "OpenAPI 3.0")]},
                etag=_datasets_etag())


def _openapi(collections: list[str]) -> dict:
    """The service's OpenAPI 3.0 description (what QGIS reads first): no security, and
    the items' only parameters (limit, offset, bbox)."""
    ok = {"200": {"description": "OK"}}
    params = [{"name": name, "in": "query", "required": False, "schema": schema}
              for name, schema in (
                  ("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
                  ("offset", {"type": "integer", "minimum": 0}),
                  ("bbox", {"type": "array", "items": {"type": "number"}, "minItems": 4,
                            "maxItems": 6}))]
    paths = {path: {"get": {"responses": ok}} for path in ("/", "/conformance", "/collections")}
    for cid in collections:
        paths[f"/collections/{cid}"] = {"get": {"responses": ok}}
        paths[f"/collections/{cid}/items"] = {"get": {"parameters": params, "responses": ok}}
        paths[f"/collections/{cid}/items/{{featureId}}"] = {"get": {
            "parameters": [{"name": "featureId", "in": "path", "required": True,
                            "schema": {"type": "string"}}], "responses": ok}}
    return {"openapi": "3.0.3", "info": {"title": "Smultron open data", "version": "1.0"},
            "servers": [{"url": url_for("opendata.ogc_landing", _external=True)}],
            "paths": paths}


@bp.get("/ogc/open/api")
@limiter.limit(_rate)
def ogc_api():
    check_params(OGC_PARAMS)
    ids = [f"dataset-{d.id}" for d, _v in opendata.public_datasets(get_session())]
    return _ogc(_openapi(ids), OPENAPI, etag=_datasets_etag())


@bp.get("/ogc/open/conformance")
@limiter.limit(_rate)
def ogc_conformance():
    check_params(OGC_PARAMS)
    return _ogc({"conformsTo": CONFORMANCE})


def _datasets_etag() -> str:
    pairs = [f"{d.id}.{v.version}" for d, v in opendata.public_datasets(get_session())]
    return "open-" + "-".join(pairs)


def _collection(dataset_row, version) -> dict:
    cid = f"dataset-{dataset_row.id}"
    title = title_texts(version.content).get(current_language()) or title_texts(
        version.content)["en"]
    extent = version.content["extent"] or [-180, -90, 180, 90]
    period = version.content["period"]
    return {"id": cid, "title": title, "itemType": "feature",
            "description": description_texts(version.content).get(
                current_language(), description_texts(version.content)["en"]),
            "extent": {"spatial": {"bbox": [extent], "crs": CRS84},
                       "temporal": {"interval": [[period["start"], period["end"]]]}},
            "crs": [CRS84], "storageCrs": CRS84,
            "license": version.content["licence"],
            "links": [_link("opendata.ogc_collection", "self", JSON, title, collection_id=cid),
                      _link("opendata.ogc_items", "items", GEOJSON, title,
                            collection_id=cid),
                      {"href": describe.LICENCES[version.content["licence"]][0],
                       "rel": "license", "type": "text/html",
                       "title": version.content["licence"]},
                      _link("opendata.dcat", "describedby", "application/ld+json",
                            "DCAT-AP-SE", dataset_id=dataset_row.id)]}


@bp.get("/ogc/open/collections")
@limiter.limit(_rate)
def ogc_collections():
    check_params(OGC_PARAMS)
    found = opendata.public_datasets(get_session())
    return _ogc({"collections": [_collection(d, v) for d, v in found],
                 "links": [_link("opendata.ogc_collections", "self", JSON,
                                 _("The collections"))]}, etag=_datasets_etag())


def _collection_version(collection_id: str):
    number = collection_id.removeprefix("dataset-")
    dataset_id = parsing.identifier(number) if collection_id.startswith("dataset-") else None
    if dataset_id is None:
        return _found(0)  # not found, like any unknown dataset
    return _found(dataset_id)


@bp.get("/ogc/open/collections/<collection_id>")
@limiter.limit(_rate)
def ogc_collection(collection_id: str):
    check_params(OGC_PARAMS)
    dataset_row, version = _collection_version(collection_id)
    return _ogc(_collection(dataset_row, version), etag=_etag(version))


def _window() -> tuple[int, int]:
    limit = parsing.identifier(request.args.get("limit", "1000"))
    offset = parsing.identifier(request.args.get("offset", "1")) if request.args.get(
        "offset", "0") != "0" else 0
    if limit is None or offset is None:
        raise AppError(_("'limit' and 'offset' must be whole numbers."))
    return min(limit, MAX_LIMIT), offset


def _selected(cells: list[dict]) -> list[dict]:
    raw = request.args.get("bbox")
    if not raw:
        return cells
    try:
        area = shapely.box(*parsing.bbox(raw, bounds=parsing.DEGREES, allow_height=True))
    except ParseError as exc:
        raise AppError(translate(exc.message, _)) from None
    return [c for c in cells if area.intersects(shapely.geometry.shape(c["geometry"]))]


@bp.get("/ogc/open/collections/<collection_id>/items")
@limiter.limit(_rate)
def ogc_items(collection_id: str):
    check_params(ITEMS_PARAMS)
    dataset_row, version = _collection_version(collection_id)
    limit, offset = _window()
    cells = _selected(version.content["cells"])
    page = cells[offset:offset + limit]
    links = [_link("opendata.ogc_items", "self", GEOJSON, _("This page"),
                   collection_id=collection_id, **request.args)]
    if offset + limit < len(cells):
        links.append(_link("opendata.ogc_items", "next", GEOJSON, _("The next page"),
                           collection_id=collection_id,
                           **{**request.args, "offset": offset + limit, "limit": limit}))
    data = {"type": "FeatureCollection",
            "features": [formats.feature(c, version.content, dataset_row.id) for c in page],
            "numberMatched": len(cells), "numberReturned": len(page), "links": links}
    query = hashlib.sha256(request.query_string).hexdigest()[:16]
    return _ogc(data, GEOJSON, etag=f"{_etag(version)}-{query}")


@bp.get("/ogc/open/collections/<collection_id>/items/<feature_id>")
@limiter.limit(_rate)
def ogc_item(collection_id: str, feature_id: str):
    check_params(OGC_PARAMS)
    dataset_row, version = _collection_version(collection_id)
    cell = next((c for c in version.content["cells"] if c["id"] == feature_id), None)
    if cell is None:
        raise AppError(_("There is no such feature."), status=404)
    return _ogc(formats.feature(cell, version.content, dataset_row.id), GEOJSON,
                etag=f"{_etag(version)}-{feature_id[:40]}")
