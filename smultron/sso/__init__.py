"""Single sign-on without Flask: what an identity provider says about a person (an
``Identity``) becomes a Smultron account, with the role and preschools its claims map to.

The protocols are adapters in ``smultron/web/sso/`` (OpenID Connect, SAML): each checks
the provider's answer and hands an Identity to ``accounts.sign_in``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Identity:
    """A person the provider vouched for: ``issuer`` (OIDC issuer or SAML entity id) and
    ``subject`` (their stable id there) link the account; ``claims`` (OIDC claims or SAML
    attributes) give the e-mail, role and preschools."""

    protocol: str
    issuer: str
    subject: str
    claims: Mapping[str, object] = field(default_factory=dict)


class Refused(Exception):
    """The provider's answer gives no access. ``reason`` is a code (for the audit log and
    the page the person sees), ``detail`` what the audit row records besides."""

    def __init__(self, reason: str, detail: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail or {}
