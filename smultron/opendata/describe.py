"""How a published dataset is described for the portals: DCAT-AP-SE as JSON-LD (for
Sveriges dataportal) and ISO 19139 XML (the Swedish national metadata profile as far as
it applies: identification, contact, licence, extent, reference system, distribution,
lineage). Both are made from the frozen content and plain values; ``links`` holds the
absolute addresses (the web layer builds them)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from xml.etree import ElementTree as ET  # noqa: N817 - writing only, never parsing

LICENCES = {
    "CC0-1.0": ("https://creativecommons.org/publicdomain/zero/1.0/",
                "Creative Commons CC0 1.0 Universal (public domain)"),
    "CC-BY-4.0": ("https://creativecommons.org/licenses/by/4.0/",
                  "Creative Commons Attribution 4.0 International (CC BY 4.0)"),
}
EU_FORMAT = "http://publications.europa.eu/resource/authority/file-type/"
IANA = "https://www.iana.org/assignments/media-types/"
THEME = "http://publications.europa.eu/resource/authority/data-theme/SOCI"
DISTRIBUTIONS = (  # (link key, EU file type, media type, title)
    ("gpkg", "GPKG", "application/geopackage+sqlite3", "GeoPackage (EPSG:3006, QGIS styles)"),
    ("geojson", "GEOJSON", "application/geo+json", "GeoJSON (EPSG:4326)"),
    ("csv", "CSV", "text/csv", "CSV, one row per hexagon"),
    ("figures", "CSV", "text/csv", "CSV, the figures by feeling, category, season, age"),
)
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/", "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#", "owl": "http://www.w3.org/2002/07/owl#",
    "gsp": "http://www.opengis.net/ont/geosparql#",
}


@dataclass(frozen=True)
class Description:
    dataset_id: int
    version: int
    published: str  # ISO date-time of this version
    first_published: str
    title: dict[str, str]  # language: text
    description: dict[str, str]
    contact_email: str | None
    links: dict[str, str]  # page, dcat, metadata, specification, ogc, gpkg, geojson, csv, ...


def _texts(values: dict[str, str]) -> list[dict]:
    return [{"@value": text, "@language": lang} for lang, text in values.items()]


def bbox_wkt(extent: list[float] | None) -> str | None:
    if not extent:
        return None
    w, s, e, n = extent
    return f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))"


def _distributions(content: dict, d: Description) -> list[dict]:
    licence = {"@id": LICENCES[content["licence"]][0]}
    items = [{"@id": d.links[key] + "#distribution", "@type": "dcat:Distribution",
              "dct:title": title, "dcat:accessURL": {"@id": d.links[key]},
              "dcat:downloadURL": {"@id": d.links[key]},
              "dct:format": {"@id": EU_FORMAT + eu}, "dcat:mediaType": {"@id": IANA + media},
              "dct:license": licence} for key, eu, media, title in DISTRIBUTIONS]
    items.append({"@id": d.links["ogc"] + "#distribution", "@type": "dcat:Distribution",
                  "dct:title": "OGC API - Features", "dcat:accessURL": {"@id": d.links["ogc"]},
                  "dct:format": {"@id": EU_FORMAT + "JSON"},
                  "dcat:mediaType": {"@id": IANA + "application/geo+json"},
                  "dct:conformsTo": {"@id": "http://www.opengis.net/spec/ogcapi-features-1/"
                                            "1.0/conf/core"},
                  "dct:license": licence})
    return items


def dcat(content: dict, d: Description) -> str:
    """The DCAT-AP-SE description (a catalogue with the one dataset) as JSON-LD."""
    period = {"@type": "dct:PeriodOfTime",
              "dcat:startDate": {"@value": content["period"]["start"], "@type": "xsd:date"}}
    if content["period"]["end"]:
        period["dcat:endDate"] = {"@value": content["period"]["end"], "@type": "xsd:date"}
    publisher = {"@id": d.links["page"] + "#publisher", "@type": "foaf:Agent",
                 "foaf:name": content["municipality"]["name"]}
    contact = {"@type": "vcard:Organization", "vcard:fn": content["municipality"]["name"]}
    if d.contact_email:
        contact["vcard:hasEmail"] = {"@id": f"mailto:{d.contact_email}"}
    dataset = {
        "@id": d.links["page"], "@type": "dcat:Dataset",
        "dct:identifier": d.links["page"], "dct:title": _texts(d.title),
        "dct:description": _texts(d.description), "dct:publisher": publisher,
        "dcat:contactPoint": contact, "dct:license": {"@id": LICENCES[content["licence"]][0]},
        "dct:temporal": period, "dcat:theme": {"@id": THEME},
        "dcat:keyword": [{"@value": w, "@language": "sv"} for w in
                         ("barn", "förskola", "barnkonsekvensanalys", "medborgardialog")],
        "dct:issued": {"@value": d.first_published, "@type": "xsd:dateTime"},
        "dct:modified": {"@value": d.published, "@type": "xsd:dateTime"},
        "owl:versionInfo": str(d.version), "dcat:landingPage": {"@id": d.links["page"]},
        "dct:conformsTo": {"@id": d.links["specification"]},
        "dcat:spatialResolutionInMeters": {"@value": str(content["hex_size"]),
                                           "@type": "xsd:decimal"},
        "dcat:distribution": _distributions(content, d),
    }
    wkt = bbox_wkt(content["extent"])
    if wkt:
        dataset["dct:spatial"] = {"@type": "dct:Location",
                                  "dcat:bbox": {"@value": wkt, "@type": "gsp:wktLiteral"}}
    catalogue = {"@id": d.links["catalogue"], "@type": "dcat:Catalog",
                 "dct:title": _texts({"sv": "Smultron – öppna data", "en": "Smultron open data"}),
                 "dct:description": _texts({"sv": "Barns smultronställen, anonymiserade.",
                                            "en": "Children's favourite places, anonymised."}),
                 "dct:publisher": publisher, "dcat:dataset": {"@id": d.links["page"]}}
    return json.dumps({"@context": CONTEXT, "@graph": [catalogue, dataset]},
                      ensure_ascii=False, indent=1)


NS = {"gmd": "http://www.isotc211.org/2005/gmd", "gco": "http://www.isotc211.org/2005/gco",
      "gml": "http://www.opengis.net/gml/3.2", "gmx": "http://www.isotc211.org/2005/gmx",
      "xlink": "http://www.w3.org/1999/xlink"}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _el(parent, path: str, text: str | None = None, **attrs):
    """Add the chain of elements ``path`` ('gmd:a/gmd:b/gco:CharacterString') under parent."""
    node = parent
    for name in path.split("/"):
        node = ET.SubElement(node, _q(name))
    for key, value in attrs.items():
        node.set(_q(key.replace("__", ":")) if "__" in key else key, value)
    if text is not None:
        node.text = text
    return node


def _party(parent, path: str, content: dict, email: str | None, role: str) -> None:
    party = _el(parent, path + "/gmd:CI_ResponsibleParty")
    _el(party, "gmd:organisationName/gco:CharacterString", content["municipality"]["name"])
    if email:
        _el(party, "gmd:contactInfo/gmd:CI_Contact/gmd:address/gmd:CI_Address/"
                   "gmd:electronicMailAddress/gco:CharacterString", email)
    _el(party, "gmd:role/gmd:CI_RoleCode", role,
        codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_RoleCode",
        codeListValue=role)


def _identification(root, content: dict, d: Description) -> None:
    ident = _el(root, "gmd:identificationInfo/gmd:MD_DataIdentification")
    citation = _el(ident, "gmd:citation/gmd:CI_Citation")
    _el(citation, "gmd:title/gco:CharacterString", d.title["sv"])
    date = _el(citation, "gmd:date/gmd:CI_Date")
    _el(date, "gmd:date/gco:DateTime", d.published[:19])
    _el(date, "gmd:dateType/gmd:CI_DateTypeCode", "publication",
        codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_DateTypeCode",
        codeListValue="publication")
    _el(citation, "gmd:edition/gco:CharacterString", str(d.version))
    _el(ident, "gmd:abstract/gco:CharacterString", d.description["sv"])
    _party(ident, "gmd:pointOfContact", content, d.contact_email, "owner")
    keywords = _el(ident, "gmd:descriptiveKeywords/gmd:MD_Keywords")
    for word in ("barn", "förskola", "medborgardialog"):
        _el(keywords, "gmd:keyword/gco:CharacterString", word)
    url, name = LICENCES[content["licence"]]
    legal = _el(ident, "gmd:resourceConstraints/gmd:MD_LegalConstraints")
    _el(legal, "gmd:useLimitation/gco:CharacterString", name)
    _el(legal, "gmd:accessConstraints/gmd:MD_RestrictionCode", "otherRestrictions",
        codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml"
                 "#MD_RestrictionCode", codeListValue="otherRestrictions")
    _el(legal, "gmd:otherConstraints/gmx:Anchor", name, xlink__href=url)
    _el(ident, "gmd:spatialRepresentationType/gmd:MD_SpatialRepresentationTypeCode", "vector",
        codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml"
                 "#MD_SpatialRepresentationTypeCode", codeListValue="vector")
    _el(ident, "gmd:spatialResolution/gmd:MD_Resolution/gmd:distance/gco:Distance",
        str(content["hex_size"]), uom="m")
    _el(ident, "gmd:language/gmd:LanguageCode", "swe",
        codeList="http://www.loc.gov/standards/iso639-2/", codeListValue="swe")
    _el(ident, "gmd:topicCategory/gmd:MD_TopicCategoryCode", "society")
    _extent(ident, content)


def _extent(ident, content: dict) -> None:
    extent = _el(ident, "gmd:extent/gmd:EX_Extent")
    if content["extent"]:
        box = _el(extent, "gmd:geographicElement/gmd:EX_GeographicBoundingBox")
        for name, value in zip(("westBoundLongitude", "eastBoundLongitude",
                                "southBoundLatitude", "northBoundLatitude"),
                               (content["extent"][0], content["extent"][2],
                                content["extent"][1], content["extent"][3]), strict=True):
            _el(box, f"gmd:{name}/gco:Decimal", f"{value:.6f}")
    period = _el(extent, "gmd:temporalElement/gmd:EX_TemporalExtent/gmd:extent/gml:TimePeriod",
                 gml__id="period")
    _el(period, "gml:beginPosition", content["period"]["start"])
    end = _el(period, "gml:endPosition", content["period"]["end"])
    if not content["period"]["end"]:
        end.set("indeterminatePosition", "now")


def iso19139(content: dict, d: Description) -> bytes:
    """The ISO 19139 metadata record of the dataset (UTF-8 XML)."""
    root = ET.Element(_q("gmd:MD_Metadata"))
    _el(root, "gmd:fileIdentifier/gco:CharacterString", d.links["page"])
    _el(root, "gmd:language/gmd:LanguageCode", "swe",
        codeList="http://www.loc.gov/standards/iso639-2/", codeListValue="swe")
    _el(root, "gmd:characterSet/gmd:MD_CharacterSetCode", "utf8",
        codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml"
                 "#MD_CharacterSetCode", codeListValue="utf8")
    _el(root, "gmd:hierarchyLevel/gmd:MD_ScopeCode", "dataset",
        codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#MD_ScopeCode",
        codeListValue="dataset")
    _party(root, "gmd:contact", content, d.contact_email, "pointOfContact")
    _el(root, "gmd:dateStamp/gco:DateTime", d.published[:19])
    _el(root, "gmd:metadataStandardName/gco:CharacterString",
        "SS-EN ISO 19115:2005 (Svensk nationell metadataprofil)")
    _el(root, "gmd:referenceSystemInfo/gmd:MD_ReferenceSystem/gmd:referenceSystemIdentifier/"
              "gmd:RS_Identifier/gmd:code/gmx:Anchor", "EPSG:3006",
        xlink__href="http://www.opengis.net/def/crs/EPSG/0/3006")
    _identification(root, content, d)
    options = _el(root, "gmd:distributionInfo/gmd:MD_Distribution/gmd:transferOptions/"
                        "gmd:MD_DigitalTransferOptions")
    for key, _eu, media, title in DISTRIBUTIONS:
        online = _el(options, "gmd:onLine/gmd:CI_OnlineResource")
        _el(online, "gmd:linkage/gmd:URL", d.links[key])
        _el(online, "gmd:name/gco:CharacterString", title)
        _el(online, "gmd:description/gco:CharacterString", media)
    lineage = _el(root, "gmd:dataQualityInfo/gmd:DQ_DataQuality")
    _el(lineage, "gmd:scope/gmd:DQ_Scope/gmd:level/gmd:MD_ScopeCode", "dataset",
        codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#MD_ScopeCode",
        codeListValue="dataset")
    _el(lineage, "gmd:lineage/gmd:LI_Lineage/gmd:statement/gco:CharacterString",
        f"Places marked by preschool children with their staff, aggregated on a fixed "
        f"{content['hex_size']} m hexagon grid (EPSG:3006, origin 0,0); every figure rests "
        f"on at least {content['threshold']} children, counts perturbed by ±1.")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
