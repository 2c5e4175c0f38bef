"""Claims (OpenID Connect) or attributes (SAML) → e-mail, role and preschool unit codes,
as configured: a role claim with a map from its values to roles, a preschool claim whose
values are the preschools' unit codes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from smultron.accounts import EMAIL

# When several values map to roles, the one with the most access wins.
ROLE_RANK = ("admin", "planner", "official", "staff")
# One attribute may hold several unit codes ("40012345, 40067890"): Entra's extension
# attributes are single strings.
CODE_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class ClaimMapping:
    role_claim: str
    role_map: Mapping[str, str]
    preschool_claim: str | None = None
    email_claims: tuple[str, ...] = ("email", "preferred_username", "upn")

    def values(self, claims: Mapping, name: str | None) -> list[str]:
        """The claim's values as strings: a string, a number or a list of them; a dotted
        name reads a nested claim (Keycloak's ``realm_access.roles``)."""
        if not name:
            return []
        value = claims.get(name)
        if value is None and "." in name:
            value = claims
            for part in name.split("."):
                value = value.get(part) if isinstance(value, Mapping) else None
        items = value if isinstance(value, list | tuple) else [value]
        return [str(item).strip() for item in items
                if isinstance(item, str | int) and not isinstance(item, bool)
                and str(item).strip()]

    def role(self, claims: Mapping) -> str | None:
        mapped = {self.role_map[value] for value in self.values(claims, self.role_claim)
                  if value in self.role_map}
        return next((role for role in ROLE_RANK if role in mapped), None)

    def unit_codes(self, claims: Mapping) -> list[str]:
        return sorted({code for value in self.values(claims, self.preschool_claim)
                       for code in CODE_SEPARATORS.split(value) if code})

    def email(self, claims: Mapping) -> str | None:
        for name in self.email_claims:
            for value in self.values(claims, name):
                if EMAIL.match(value) and len(value) <= 254:
                    return value.lower()
        return None

    def audit_values(self, claims: Mapping) -> dict:
        """What the audit row of a refusal keeps: the values the decision rested on."""
        return {"role_values": self.values(claims, self.role_claim)[:20],
                "unit_codes": self.unit_codes(claims)[:20]}
