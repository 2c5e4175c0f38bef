"""A small SAML 2.0 identity provider for the tests, on pysaml2's own IdP (saml2.server),
run as a process of its own on a loopback port:

    python -m tests.saml_idp --port PORT --dir DIR

GET /metadata its metadata (signing certificate, the redirect SSO endpoint; ?signed=1
signed, with the key whose certificate GET /metadata-cert gives); PUT /sp
registers a service provider's metadata (as an IdP's admin would); PUT /users/<name> sets
a test user's attributes (JSON {attribute: [values]}); PUT /next says how the next
response is to be wrong (JSON: {"sign": "none"} unsigned, {"sign": "other_key"} signed
with a key the metadata does not publish, {"audience": "…"} for another SP,
{"expired": true} past its NotOnOrAfter, {"name_id_format": "…"} another NameID format,
{"issuer": "…"} from another IdP, signed with this IdP's key); {"encrypt": true} is not
wrong: the assertion comes encrypted for the SP's certificate in its metadata.

GET /sso/redirect takes a signed AuthnRequest and shows a page where the person picks a
test user; POST /sso/login answers with a page whose form (button "Continue") posts the
signed response to the SP's assertion consumer service, as an IdP's page does.
"""

from __future__ import annotations

import argparse
import datetime
import html
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.sigver import get_xmlsec_binary
from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response


def make_key_pair(directory: Path, name: str) -> tuple[str, str]:
    """A 2048-bit RSA key and a self-signed certificate for it: (key file, cert file)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .sign(key, hashes.SHA256()))
    key_file, cert_file = directory / f"{name}.key", directory / f"{name}.crt"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


SIGNED_REQUEST = ("SAMLRequest", "RelayState", "SigAlg", "Signature")


def _config(base: str, key_file: str, cert_file: str, sp_metadata: list[str],
            entity_id: str | None = None) -> IdPConfig:
    return IdPConfig().load({
        "entityid": entity_id or f"{base}/idp",
        "xmlsec_binary": get_xmlsec_binary(),
        "key_file": key_file, "cert_file": cert_file,
        "metadata": {"inline": sp_metadata} if sp_metadata else {},
        "service": {"idp": {
            "name": "Test IdP",
            "endpoints": {"single_sign_on_service": [(f"{base}/sso/redirect",
                                                      BINDING_HTTP_REDIRECT)]},
            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            "want_authn_requests_signed": True,
            "policy": {"default": {"lifetime": {"minutes": 5},
                                   "attribute_restrictions": None,
                                   "name_form": NAME_FORMAT_URI}},
        }},
    })


def _page(title: str, body: str, status: int = 200) -> Response:
    return Response(f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>"
                    f"{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}"
                    f"</h1>{body}</main></body></html>", status, mimetype="text/html")


def _hidden(fields: dict) -> str:
    return "".join(f"<input type='hidden' name='{html.escape(name)}' "
                   f"value='{html.escape(value)}'>" for name, value in fields.items()
                   if value is not None)


class IdentityProvider:
    def __init__(self, base: str, directory: Path):
        self.base, self.dir = base, directory
        self.key = make_key_pair(directory, "idp")
        self.other_key = make_key_pair(directory, "idp-other")  # published nowhere
        self.sp_metadata: list[str] = []
        self.users: dict[str, dict] = {}
        self.next: dict = {}
        self.server = Server(config=_config(base, *self.key, []))

    def __call__(self, environ, start_response):
        request = Request(environ)
        route = {("GET", "/metadata"): self._metadata, ("PUT", "/sp"): self._sp,
                 ("GET", "/metadata-cert"): self._metadata_cert,
                 ("PUT", "/next"): self._set_next, ("GET", "/sso/redirect"): self._sso,
                 ("POST", "/sso/login"): self._login}.get((request.method, request.path))
        if route is None and request.method == "PUT" and request.path.startswith("/users/"):
            route = self._user
        response = route(request) if route else Response("not found", 404)
        return response(environ, start_response)

    def _metadata(self, request) -> Response:
        """The metadata; ?signed=1 signed with the IdP's key (as a federation signs its
        aggregate), with the certificate at /metadata-cert."""
        signed = request.args.get("signed") == "1"
        return Response(create_metadata_string(None, config=self.server.config, valid=None,
                                               sign=signed or None),
                        mimetype="application/samlmetadata+xml")

    def _metadata_cert(self, _request) -> Response:
        return Response(Path(self.key[1]).read_bytes(), mimetype="application/x-pem-file")

    def _sp(self, request) -> Response:
        self.sp_metadata = [request.get_data(as_text=True)]
        self.server = Server(config=_config(self.base, *self.key, self.sp_metadata))
        return Response("ok")

    def _user(self, request) -> Response:
        self.users[request.path.removeprefix("/users/")] = request.get_json()
        return Response("ok")

    def _set_next(self, request) -> Response:
        self.next = request.get_json()
        return Response("ok")

    def _sso(self, request) -> Response:
        args = {name: request.args.get(name) for name in SIGNED_REQUEST}
        try:
            self._parse(args)
        except Exception as exc:  # an unsigned or wrongly signed request: the IdP says no
            return _page("Refused", f"<p>{html.escape(type(exc).__name__)}</p>", 400)
        buttons = "".join(f"<button type='submit' name='user' value='{html.escape(name)}'>"
                          f"{html.escape(name)}</button>" for name in sorted(self.users))
        return _page("Choose a test user", f"<form method='post' action='/sso/login'>"
                     f"{_hidden(args)}{buttons}</form>")

    def _parse(self, args: dict):
        """The SP's AuthnRequest, its signature (redirect binding) checked."""
        return self.server.parse_authn_request(
            args["SAMLRequest"], BINDING_HTTP_REDIRECT, relay_state=args.get("RelayState"),
            sigalg=args.get("SigAlg"), signature=args.get("Signature")).message

    def _login(self, request) -> Response:
        parsed = self._parse({name: request.form.get(name) for name in SIGNED_REQUEST})
        user, wrong = request.form["user"], self.next
        self.next = {}
        attributes = dict(self.users[user])
        name_id = NameID(format=wrong.get("name_id_format", NAMEID_FORMAT_PERSISTENT),
                         text=attributes.pop("name_id", f"persistent-{user}"),
                         name_qualifier=f"{self.base}/idp")
        server = self.server
        if wrong:  # a server of its own for a wrong answer
            key = self.other_key if wrong.get("sign") == "other_key" else self.key
            server = Server(config=_config(self.base, *key, self.sp_metadata,
                                           wrong.get("issuer")))
        if "audience" in wrong or "expired" in wrong:
            _wrong_conditions(server, wrong)
        signed = wrong.get("sign") != "none"
        destination = parsed.assertion_consumer_service_url
        response = server.create_authn_response(
            attributes, parsed.id, destination, parsed.issuer.text,
            name_id=name_id, sign_response=signed, sign_assertion=signed,
            encrypt_assertion=bool(wrong.get("encrypt")),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"})
        info = server.apply_binding(BINDING_HTTP_POST, str(response), destination,
                                    response=True)
        encoded = _form_value(info["data"], "SAMLResponse")
        return _page("Continue to the service", (
            f"<form method='post' action='{html.escape(destination)}'>"
            f"{_hidden({'SAMLResponse': encoded})}<button type='submit'>Continue</button>"
            "</form>"))


def _wrong_conditions(server: Server, wrong: dict) -> None:
    """The assertion's Conditions: an AudienceRestriction for another SP, or a
    NotOnOrAfter that has passed."""
    policy = server.config.getattr("policy", "idp")
    conditions = policy.conditions

    def wrong_conditions(sp_entity_id):
        made = conditions(wrong.get("audience", sp_entity_id))
        if wrong.get("expired"):  # valid for five minutes, ten minutes ago
            ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=15)
            made.not_before = ago.strftime("%Y-%m-%dT%H:%M:%SZ")
            made.not_on_or_after = (ago + datetime.timedelta(minutes=5)).strftime(
                "%Y-%m-%dT%H:%M:%SZ")
        return made

    policy.conditions = wrong_conditions


def _form_value(form_html: str, name: str) -> str:
    marker = f'name="{name}" value="'
    start = form_html.index(marker) + len(marker)
    return form_html[start:form_html.index('"', start)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    run_simple("127.0.0.1", args.port, IdentityProvider(base, args.dir), threaded=False)


if __name__ == "__main__":
    main()
