"""SAML 2.0 (Skolfederation, FedKom) without Flask: the service provider's pysaml2
configuration from Smultron's settings, the identity provider's metadata, and a checked
response's subject and attributes as an ``Identity``.

pysaml2 checks the response (the signature against the IdP's metadata, the audience, the
InResponseTo of a request we sent, NotOnOrAfter, the destination); the routes are in
``smultron/web/sso/saml.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import requests
from defusedxml import ElementTree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from saml2.sigver import CryptoBackendXmlSec1, SignatureError, get_xmlsec_binary

from smultron.sso import Identity, Refused
from smultron.sso.claims import ClaimMapping

KEY = "saml"
TIMEOUT = 10  # seconds to fetch the IdP's metadata
MAX_METADATA = 64 * 1024 * 1024  # bytes: a federation's aggregate is large, not this large
MAX_VALUES = 50  # values kept of one attribute
MAX_VALUE = 500  # characters of one value
# Where an e-mail address may be: mail (eduPerson's, also as its OID's friendly name), or
# an eduPersonPrincipalName that is one.
EMAIL_ATTRIBUTES = ("mail", "email", "eduPersonPrincipalName")


class MetadataError(RuntimeError):
    """The identity provider's metadata is not usable (not SAML metadata, no such IdP)."""


class MetadataUnreachable(MetadataError):
    """The identity provider's metadata address did not answer with it."""


@dataclass(frozen=True)
class Settings:
    entity_id: str
    name: str
    key_file: str
    cert_file: str
    idp_metadata: str  # a file or an address
    idp_entity_id: str | None
    mapping: ClaimMapping
    metadata_cert: str | None = None  # the metadata must be signed with its key

    @classmethod
    def from_config(cls, config: Mapping) -> Settings | None:
        if not config.get("SAML_IDP_METADATA"):
            return None
        return cls(config["SAML_ENTITY_ID"], config["SAML_NAME"], config["SAML_KEY_FILE"],
                   config["SAML_CERT_FILE"], config["SAML_IDP_METADATA"],
                   config.get("SAML_IDP_ENTITY_ID"),
                   ClaimMapping(config["SAML_ROLE_ATTRIBUTE"], config["SAML_ROLE_MAP"],
                                config["SAML_PRESCHOOL_ATTRIBUTE"], EMAIL_ATTRIBUTES),
                   config.get("SAML_IDP_METADATA_CERT"))


def read_metadata(source: str) -> str:
    """The IdP's metadata XML from a file or an http(s) address (checked by config)."""
    if "://" not in source:
        try:
            return Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeError) as exc:
            raise MetadataError(f"{type(exc).__name__} reading {source}") from exc
    try:
        with requests.get(source, timeout=TIMEOUT, stream=True) as answer:
            answer.raise_for_status()
            body = answer.raw.read(MAX_METADATA + 1, decode_content=True)
    except requests.RequestException as exc:
        raise MetadataUnreachable(f"{type(exc).__name__} reading {source}") from exc
    if len(body) > MAX_METADATA:
        raise MetadataError(f"{source} is larger than {MAX_METADATA} bytes")
    try:
        return body.decode("utf-8")
    except UnicodeError as exc:
        raise MetadataError(f"{source} is not UTF-8") from exc


def client(settings: Settings, acs_url: str) -> tuple[Saml2Client, str]:
    """A pysaml2 client with the IdP's metadata, and the IdP's entity id; MetadataError
    when the metadata cannot be read or used (pysaml2 raises many kinds for bad XML)."""
    xml = read_metadata(settings.idp_metadata)
    if settings.metadata_cert:
        check_metadata_signature(xml, settings.metadata_cert)
    try:
        found = Saml2Client(sp_config(settings, acs_url, xml))
    except Exception as exc:  # what pysaml2 and the XML parser say of a bad file
        raise MetadataError(f"{type(exc).__name__}: {exc}"[:200]) from exc
    return found, idp_entity_id(settings, found.metadata)


DSIG = "{http://www.w3.org/2000/09/xmldsig#}"


def check_metadata_signature(xml: str, cert_file: str) -> None:
    """The whole metadata document is signed with ``cert_file``'s key: the root's own
    Signature, the first in the document, referring to the root, checked by xmlsec1.
    MetadataError otherwise (unsigned metadata included)."""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise MetadataError(f"the metadata is not XML: {exc}") from exc
    signature = root.find(f"{DSIG}Signature")
    if signature is None or next(root.iter(f"{DSIG}Signature")) is not signature:
        raise MetadataError("the metadata is not signed as a whole")
    reference = signature.find(f"{DSIG}SignedInfo/{DSIG}Reference")
    if reference is None or reference.get("URI") not in ("", f"#{root.get('ID')}"):
        raise MetadataError("the metadata's signature is not of the whole document")
    namespace, _, name = root.tag[1:].partition("}")
    try:
        good = CryptoBackendXmlSec1(get_xmlsec_binary()).validate_signature(
            xml, cert_file, "pem", f"{namespace}:{name}", root.get("ID"))
    except SignatureError as exc:
        raise MetadataError("the metadata's signature is not good") from exc
    if not good:
        raise MetadataError("the metadata's signature is not good")


def sp_config(settings: Settings, acs_url: str, idp_metadata: str | None = None) -> SPConfig:
    """pysaml2's configuration of this service provider. Assertions must be signed by a
    key in the IdP's metadata; a response must answer a request we sent (no unsolicited
    ones); our AuthnRequests are signed; the NameID asked for is persistent."""
    config = {
        "entityid": settings.entity_id,
        "xmlsec_binary": get_xmlsec_binary(),
        "key_file": settings.key_file,
        "cert_file": settings.cert_file,
        "encryption_keypairs": [{"key_file": settings.key_file,
                                 "cert_file": settings.cert_file}],
        "allow_unknown_attributes": True,
        "accepted_time_diff": 60,  # seconds of clock difference with the IdP
        "service": {"sp": {
            "name": settings.name,
            "endpoints": {"assertion_consumer_service": [(acs_url, BINDING_HTTP_POST)]},
            "allow_unsolicited": False,
            "authn_requests_signed": True,
            "want_assertions_signed": True,
            "want_response_signed": False,
            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            "name_id_format_allow_create": True,
        }},
    }
    if idp_metadata is not None:
        config["metadata"] = {"inline": [idp_metadata]}
    return SPConfig().load(config)


def metadata_xml(settings: Settings, acs_url: str) -> bytes:
    """This service provider's metadata (entity id, ACS, signing and encryption cert)."""
    return create_metadata_string(None, config=sp_config(settings, acs_url), valid=None)


def idp_entity_id(settings: Settings, metadata) -> str:
    """The IdP to send people to: the configured one, or the only one in the metadata."""
    idps = sorted(metadata.identity_providers())
    if settings.idp_entity_id:
        if settings.idp_entity_id not in idps:
            raise MetadataError(f"the metadata has no IdP {settings.idp_entity_id}")
        return settings.idp_entity_id
    if len(idps) != 1:
        raise MetadataError(f"the metadata names {len(idps)} IdPs: set "
                            "SMULTRON_SAML_IDP_ENTITY_ID")
    return idps[0]


def login_binding() -> str:
    return BINDING_HTTP_REDIRECT


def attributes(response) -> dict[str, list[str]]:
    """The assertion's attributes by Name, by FriendlyName and by pysaml2's friendly
    name for the known OIDs (mail, eduPersonPrincipalName, …): a setting may name any."""
    found: dict[str, list[str]] = {}
    for statement in response.assertion.attribute_statement:
        for attribute in statement.attribute:
            values = [str(value.text).strip()[:MAX_VALUE]
                      for value in attribute.attribute_value if value.text]
            for name in {attribute.name, attribute.friendly_name} - {None, ""}:
                found.setdefault(name, []).extend(values[:MAX_VALUES])
    for name, values in (response.ava or {}).items():
        found.setdefault(name, [str(value)[:MAX_VALUE] for value in values][:MAX_VALUES])
    return found


def assertion_issuer(response) -> str:
    """The entity id the (signed) assertion names as its issuer."""
    issuer = response.assertion.issuer
    return (issuer.text or "").strip() if issuer is not None else ""


def identity(response) -> Identity:
    """The person a checked response vouches for: linked by (the IdP's entity id, the
    persistent NameID). A transient or missing NameID links no account."""
    name_id = response.assertion.subject.name_id
    if name_id is None or name_id.format != NAMEID_FORMAT_PERSISTENT or not name_id.text:
        raise Refused("provider", {"error": "no persistent NameID"})
    subject = name_id.text.strip()
    if len(subject) > 255:
        raise Refused("provider", {"error": "NameID longer than 255 characters"})
    return Identity(KEY, assertion_issuer(response), subject, attributes(response))
